// The worker's table of recent RRSIGs (signing/answer_memo.h): set-
// associative, so two busy RRsets whose keys picked one slot of the old
// direct-mapped table both stay; the one-bit clock keeps an RRset found
// between stores while RRsets asked once take turns in the other ways.
// Each case runs in a thread of its own: the table is per thread, so it
// starts empty there.
#include <catch2/catch.hpp>

#include <cstring>
#include <thread>
#include <vector>

#include "signing/answer_memo.h"

using namespace flatns;
using signing::MemoKey;

namespace {

// A made-up RRSIG of 20 octets starting with `tag`.
std::vector<uint8_t> rrsig(uint8_t tag) {
  std::vector<uint8_t> v(20, 0xaa);
  v[0] = tag;
  return v;
}

// The first octet of the RRSIG found for `key`, or -1.
int found(const MemoKey& key) {
  signing::AnswerSignatures out;
  if (!signing::memo_find(key, 1000, 60, out)) return -1;
  return out.count == 1 && out.lengths[0] == 20 ? out.bytes[0][0] : -2;
}

// Keys whose low words differ by a multiple of the table size: the same
// slot of a direct-mapped table, the same set of a set-associative one.
MemoKey colliding(uint64_t i) { return {7 + i * signing::kMemoEntries, 1000 + i}; }

}  // namespace

TEST_CASE("worker memo: two keys sharing a direct-mapped slot both stay", "[signing][memo]") {
  int first = 0, second = 0, again = 0;
  std::thread([&] {
    signing::memo_store(colliding(0), rrsig(1), 5000);
    signing::memo_store(colliding(1), rrsig(2), 5000);
    for (int i = 0; i < 10; ++i) {  // each asked in turn: neither evicts the other
      first = found(colliding(0));
      second = found(colliding(1));
    }
    again = found(colliding(0));
  }).join();
  CHECK(first == 1);
  CHECK(second == 2);
  CHECK(again == 1);
}

TEST_CASE("worker memo: a busy key outlives a flood of one-time keys in its set", "[signing][memo]") {
  int busy_misses = 0, flood_left = 0, stale = 0;
  std::thread([&] {
    const MemoKey busy = colliding(0);
    signing::memo_store(busy, rrsig(9), 5000);
    for (uint64_t i = 1; i <= 64; ++i) {
      signing::memo_store(colliding(i), rrsig(static_cast<uint8_t>(i)), 5000);
      busy_misses += found(busy) == 9 ? 0 : 1;  // the busy key is asked between stores
    }
    // The set holds four ways: the busy key and at most three of the flood.
    for (uint64_t i = 1; i <= 64; ++i) flood_left += found(colliding(i)) >= 0 ? 1 : 0;
    // A signature within the refresh margin of its expiry is not served.
    signing::memo_store(busy, rrsig(9), 1060);
    stale = found(busy);
  }).join();
  CHECK(busy_misses == 0);
  CHECK(flood_left == 3);
  CHECK(stale == -1);
}

// The flattened-answer cache: entries found by target (any case) and type,
// a fixed capacity that eviction never exceeds, one prefetch claim per stored
// version, and readers that never see a half-written entry.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "flatten/answer_cache.h"
#include "flatten_test_util.h"

using namespace flatns;
using flatten::AnswerKind;
using flatten::CachedAnswer;
using flatten::FlattenCache;

namespace {

CachedAnswer addresses(const std::string& target, uint8_t fill, uint32_t ttl = 300) {
  CachedAnswer e;
  e.set_key(dns::Name::parse(target).wire(), dns::rrtype::A);
  e.kind = AnswerKind::Addresses;
  e.address_size = 4;
  e.address_count = 3;
  for (auto& a : e.addresses) std::memset(a, fill, sizeof a);
  e.ttl_s = ttl;
  e.validated_ms = 1000;
  return e;
}

}  // namespace

TEST_CASE("cache: an entry is found by its target in any case and its type only") {
  FlattenCache cache(64);
  cache.store(addresses("Edge.CDN.test.", 7));
  CachedAnswer out;
  REQUIRE(cache.lookup(dns::Name::parse("edge.cdn.TEST.").wire(), dns::rrtype::A, out));
  CHECK(out.kind == AnswerKind::Addresses);
  CHECK(out.address_count == 3);
  CHECK(out.address(2)[3] == 7);
  CHECK_FALSE(cache.lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::AAAA, out));
  CHECK_FALSE(cache.lookup(dns::Name::parse("other.cdn.test.").wire(), dns::rrtype::A, out));
  // Storing the same key again replaces the entry rather than adding one.
  cache.store(addresses("edge.cdn.test.", 9));
  CHECK(cache.size() == 1);
  REQUIRE(cache.lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, out));
  CHECK(out.address(0)[0] == 9);
}

TEST_CASE("cache: eviction keeps the size within the configured capacity") {
  FlattenCache cache(16);
  CHECK(cache.capacity() == 16);
  for (int i = 0; i < 500; ++i) {
    cache.store(addresses("t" + std::to_string(i) + ".cdn.test.", static_cast<uint8_t>(i)));
    CHECK(cache.size() <= cache.capacity());
  }
  CHECK(cache.size() == 16);
  CachedAnswer out;
  // The entry stored last is always there; most of the first ones are gone.
  CHECK(cache.lookup(dns::Name::parse("t499.cdn.test.").wire(), dns::rrtype::A, out));
  int found = 0;
  for (int i = 0; i < 500; ++i) {
    found += cache.lookup(dns::Name::parse("t" + std::to_string(i) + ".cdn.test.").wire(), dns::rrtype::A, out);
  }
  CHECK(found == 16);
}

TEST_CASE("cache: a recently read entry survives eviction in its set (second chance)") {
  FlattenCache cache(4);  // one set of four ways
  for (int i = 0; i < 4; ++i) cache.store(addresses("k" + std::to_string(i) + ".test.", 1));
  CachedAnswer out;
  REQUIRE(cache.lookup(dns::Name::parse("k0.test.").wire(), dns::rrtype::A, out));
  cache.store(addresses("new.test.", 2));
  CHECK(cache.lookup(dns::Name::parse("k0.test.").wire(), dns::rrtype::A, out));
  CHECK(cache.lookup(dns::Name::parse("new.test.").wire(), dns::rrtype::A, out));
  CHECK(cache.size() == 4);
}

TEST_CASE("cache: one prefetch claim per stored version of an entry") {
  FlattenCache cache(8);
  cache.store(addresses("edge.cdn.test.", 1));
  CachedAnswer out;
  flatten::CacheRef ref;
  REQUIRE(cache.lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, out, &ref));
  CHECK(cache.claim_prefetch(ref));
  CHECK_FALSE(cache.claim_prefetch(ref));
  flatten::CacheRef again;
  REQUIRE(cache.lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, out, &again));
  CHECK_FALSE(cache.claim_prefetch(again));
  cache.store(addresses("edge.cdn.test.", 2));  // the refreshed entry
  REQUIRE(cache.lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, out, &again));
  CHECK(cache.claim_prefetch(again));
}

// The readers count the reads that began and ended while the writer was
// storing, and how often the entry changed between two of their own reads:
// the test only passes when readers and writer really overlapped.
TEST_CASE("cache: readers racing the writer only ever see whole entries", "[threads]") {
  FlattenCache cache(4);
  const dns::Name target = dns::Name::parse("race.test.");
  std::atomic<bool> writing{true}, done{false};
  std::atomic<long> torn{0}, overlapped{0}, changes{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      CachedAnswer out;
      int last = -1;
      while (!done.load()) {
        const bool during = writing.load();
        if (!cache.lookup(target.wire(), dns::rrtype::A, out)) continue;
        const uint8_t first = out.addresses[0][0];
        for (const auto& a : out.addresses) {
          for (uint8_t b : a) torn += b != first ? 1 : 0;
        }
        torn += out.ttl_s != first ? 1 : 0;
        if (!during || !writing.load()) continue;
        overlapped.fetch_add(1);
        if (last != -1 && last != first) changes.fetch_add(1);
        last = first;
      }
    });
  }
  // Store until the readers saw the entry change under them often enough
  // (on a loaded machine they may start late), for 20 s at most.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (long i = 0;; ++i) {
    const auto fill = static_cast<uint8_t>(i);
    cache.store(addresses("race.test.", fill, fill));
    if (i % 1024 != 0) continue;
    if ((i >= 20000 && overlapped.load() >= 1000 && changes.load() >= 100) ||
        std::chrono::steady_clock::now() > give_up) {
      break;
    }
  }
  writing = false;
  done = true;
  for (auto& r : readers) r.join();
  CHECK(torn.load() == 0);
  CHECK(overlapped.load() >= 1000);
  CHECK(changes.load() >= 100);
}

#ifndef NDEBUG
TEST_CASE("cache: a store from a second writer thread aborts (debug builds)", "[threads]") {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::signal(SIGABRT, SIG_DFL);  // the abort ends the child, not Catch's fatal-signal handler
    FlattenCache cache(4);
    cache.store(addresses("one.test.", 1));  // this thread is the writer now
    std::thread second([&] { cache.store(addresses("two.test.", 2)); });
    second.join();
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}

TEST_CASE("cache: the writer role passes on with release_writer / claim_writer", "[threads]") {
  FlattenCache cache(4);
  cache.store(addresses("one.test.", 1));
  cache.release_writer();
  std::thread service([&] {
    cache.claim_writer();
    cache.store(addresses("two.test.", 2));
    cache.release_writer();
  });
  service.join();
  cache.store(addresses("three.test.", 3));
  CachedAnswer out;
  CHECK(cache.lookup(dns::Name::parse("three.test.").wire(), dns::rrtype::A, out));
}
#endif

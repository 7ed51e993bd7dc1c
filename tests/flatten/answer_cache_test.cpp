// The flattened-answer cache: entries found by target (any case) and type,
// a fixed capacity that eviction never exceeds, one prefetch claim per stored
// version, and readers that never see a half-written entry.
#include <catch2/catch.hpp>

#include <atomic>
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

TEST_CASE("cache: readers racing the writer only ever see whole entries") {
  FlattenCache cache(4);
  std::atomic<bool> done{false};
  std::atomic<long> torn{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      CachedAnswer out;
      while (!done.load()) {
        if (!cache.lookup(dns::Name::parse("race.test.").wire(), dns::rrtype::A, out)) continue;
        reads.fetch_add(1);
        const uint8_t first = out.addresses[0][0];
        for (const auto& a : out.addresses) {
          for (uint8_t b : a) torn += b != first ? 1 : 0;
        }
        torn += out.ttl_s != first ? 1 : 0;
      }
    });
  }
  for (int i = 0; i < 200000; ++i) {
    const auto fill = static_cast<uint8_t>(i);
    cache.store(addresses("race.test.", fill, fill));
  }
  while (reads.load() < 1000) std::this_thread::yield();
  done = true;
  for (auto& r : readers) r.join();
  CHECK(torn.load() == 0);
}

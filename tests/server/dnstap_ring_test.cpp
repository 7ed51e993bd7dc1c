// The dnstap workers' ring of variable-size entries (server/dnstap_ring.h):
// entries come out whole and in order across the end of the buffer, a full
// ring refuses (the caller drops and counts), the producer learns once when
// the ring reaches half full, and a producer and a consumer thread agree.
#include <catch2/catch.hpp>

#include <cstring>
#include <thread>
#include <vector>

#include "server/dnstap_ring.h"

using flatns::server::ByteRing;

namespace {

// An entry of `size` bytes: the size word, then a sequence number and a pattern.
bool put(ByteRing& ring, std::size_t size, uint32_t sequence, bool* half = nullptr) {
  uint8_t* at = ring.reserve(size);
  if (!at) return false;
  std::memcpy(at + 4, &sequence, 4);
  for (std::size_t i = 8; i < size; ++i) at[i] = static_cast<uint8_t>(sequence + i);
  const bool crossed = ring.commit();
  if (half) *half = crossed;
  return true;
}

// The next entry's sequence number, checking its pattern; -1 when empty.
int64_t take(ByteRing& ring, std::size_t expected_size) {
  std::size_t size = 0;
  const uint8_t* at = ring.front(size);
  if (!at) return -1;
  CHECK(size == ByteRing::rounded(expected_size));
  uint32_t sequence = 0;
  std::memcpy(&sequence, at + 4, 4);
  bool intact = true;
  for (std::size_t i = 8; i < expected_size; ++i) intact = intact && at[i] == static_cast<uint8_t>(sequence + i);
  REQUIRE(intact);
  ring.pop(size);
  return sequence;
}

}  // namespace

TEST_CASE("dnstap ring: entries come out in order across the end of the buffer", "[dnstap]") {
  ByteRing ring(1024);
  REQUIRE(ring.capacity() == 1024);
  uint32_t next_in = 0, next_out = 0;
  // Sizes that do not divide 1024: entries keep meeting the end of the buffer.
  const std::size_t sizes[] = {100, 300, 24, 500, 8, 333};
  for (int round = 0; round < 200; ++round) {
    const std::size_t size = sizes[round % std::size(sizes)];
    if (!put(ring, size, next_in)) {
      // Full: what is queued comes out, then there is room.
      while (take(ring, sizes[next_out % std::size(sizes)]) == next_out) ++next_out;
      REQUIRE(next_out == next_in);
      REQUIRE(put(ring, size, next_in));
    }
    ++next_in;
  }
  for (; next_out < next_in; ++next_out) {
    const int64_t got = take(ring, sizes[next_out % std::size(sizes)]);
    REQUIRE(got == next_out);
  }
  CHECK(take(ring, 8) == -1);
}

TEST_CASE("dnstap ring: a full ring refuses, half full is reported once", "[dnstap]") {
  ByteRing ring(1024);
  bool half = false;
  int crossings = 0;
  uint32_t n = 0;
  while (put(ring, 64, n, &half)) {
    crossings += half ? 1 : 0;
    if (half) CHECK(n == 7);  // the 8th entry of 64 bytes fills 512 of 1024
    ++n;
  }
  CHECK(n == 16);
  CHECK(crossings == 1);
  CHECK(ring.reserve(8) == nullptr);
  CHECK(take(ring, 64) == 0);
  CHECK(ring.reserve(512) == nullptr);  // 64 bytes free
  REQUIRE(put(ring, 64, 16, &half));
  CHECK_FALSE(half);  // still above half: no new wake-up
}

TEST_CASE("dnstap ring: a producer and a consumer thread", "[dnstap][threads]") {
  ByteRing ring(4096);
  constexpr uint32_t kEntries = 50000;
  const auto size_of = [](uint32_t sequence) { return std::size_t{8} + (sequence * 37) % 400; };
  std::thread producer([&] {
    for (uint32_t i = 0; i < kEntries;) {
      if (put(ring, size_of(i), i)) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  uint32_t expected = 0;
  while (expected < kEntries) {
    const int64_t got = take(ring, size_of(expected));
    if (got < 0) {
      std::this_thread::yield();
      continue;
    }
    REQUIRE(got == expected);
    ++expected;
  }
  producer.join();
  CHECK(take(ring, 8) == -1);
}

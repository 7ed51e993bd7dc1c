// Reading and writing DNS wire format (RFC 1035 §4.1) with name compression
// (RFC 1035 §4.1.4). Neither class allocates: both work on caller buffers.
//
// Decompression accepts only pointers that go strictly backwards, each one
// before the previous, so pointer loops and forward pointers are rejected.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "dns/name.h"

namespace flatns::dns {

// The 32-bit value in network order (RFC 1035 §2.3.2) at bytes[at, at + 4);
// the caller has checked that those octets exist.
[[nodiscard]] constexpr uint32_t read_u32(std::span<const uint8_t> bytes, std::size_t at = 0) {
  return static_cast<uint32_t>(bytes[at]) << 24 | static_cast<uint32_t>(bytes[at + 1]) << 16 |
         static_cast<uint32_t>(bytes[at + 2]) << 8 | bytes[at + 3];
}

// Appends `v` in network order (building RDATA or signed data in a vector).
inline void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v));
}

class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> message, std::size_t pos = 0)
      : msg_(message), pos_(pos) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return pos_ <= msg_.size() ? msg_.size() - pos_ : 0; }
  std::span<const uint8_t> message() const { return msg_; }
  void seek(std::size_t pos) { pos_ = pos; }

  [[nodiscard]] bool u8(uint8_t& v) {
    if (remaining() < 1) return false;
    v = msg_[pos_++];
    return true;
  }
  [[nodiscard]] bool u16(uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<uint16_t>(msg_[pos_] << 8 | msg_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  [[nodiscard]] bool u32(uint32_t& v) {
    if (remaining() < 4) return false;
    v = read_u32(msg_, pos_);
    pos_ += 4;
    return true;
  }
  [[nodiscard]] bool bytes(std::size_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = msg_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  // Reads a possibly compressed name into `out` (uncompressed wire form,
  // case preserved) and advances past it.
  [[nodiscard]] bool name(NameBuffer& out);

 private:
  bool name_with_pointers(NameBuffer& out);

  std::span<const uint8_t> msg_;
  std::size_t pos_;
};

class WireWriter {
 public:
  explicit WireWriter(std::span<uint8_t> buffer) : buf_(buffer) {}

  std::size_t size() const { return pos_; }
  std::size_t capacity() const { return buf_.size(); }
  bool overflowed() const { return overflow_; }
  std::span<const uint8_t> data() const { return buf_.first(pos_); }
  std::span<uint8_t> buffer() const { return buf_; }

  // Rolls back to an earlier size (e.g. drop a record that did not fit);
  // forgets compression targets past that point and clears the overflow.
  void rollback(std::size_t pos);
  // Limits writing to `limit` octets (e.g. the client's UDP payload size).
  void set_limit(std::size_t limit) { limit_ = limit < buf_.size() ? limit : buf_.size(); }
  std::size_t limit() const { return limit_ < buf_.size() ? limit_ : buf_.size(); }

  bool u8(uint8_t v) {
    if (!room(1)) return false;
    buf_[pos_++] = v;
    return true;
  }
  bool u16(uint16_t v) {
    if (!room(2)) return false;
    buf_[pos_++] = static_cast<uint8_t>(v >> 8);
    buf_[pos_++] = static_cast<uint8_t>(v);
    return true;
  }
  bool u32(uint32_t v) {
    if (!room(4)) return false;
    buf_[pos_++] = static_cast<uint8_t>(v >> 24);
    buf_[pos_++] = static_cast<uint8_t>(v >> 16);
    buf_[pos_++] = static_cast<uint8_t>(v >> 8);
    buf_[pos_++] = static_cast<uint8_t>(v);
    return true;
  }
  bool bytes(std::span<const uint8_t> b) {
    if (!room(b.size())) return false;
    if (!b.empty()) std::memcpy(buf_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
    return true;
  }
  // Claims the next `n` octets for the caller to fill in; null (and
  // overflowed, as with the writers above) when they do not fit.
  uint8_t* claim(std::size_t n) {
    if (!room(n)) return nullptr;
    uint8_t* p = buf_.data() + pos_;
    pos_ += n;
    return p;
  }
  void put_u16_at(std::size_t at, uint16_t v) {
    buf_[at] = static_cast<uint8_t>(v >> 8);
    buf_[at + 1] = static_cast<uint8_t>(v);
  }
  // Writes `n`, compressed against names written earlier when `compress` is
  // set. Every label position written becomes a target for later names.
  bool name(NameView n, bool compress = true);
  // Writes `n` (one well-formed uncompressed wire name) as it is, in one
  // copy; its labels become compression targets as with name().
  bool uncompressed_name(NameView n);
  // Writes a compression pointer to offset `at`, where a whole name was
  // written earlier (e.g. the question name at offset 12).
  bool pointer(uint16_t at) { return u16(static_cast<uint16_t>(0xC000 | at)); }

 private:
  bool room(std::size_t n) {
    if (overflow_ || pos_ + n > limit()) {
      overflow_ = true;
      return false;
    }
    return true;
  }
  // Does the (possibly compressed) name at packet offset `at` equal `suffix`?
  bool packet_name_equals(std::size_t at, NameView suffix) const;

  static constexpr std::size_t kMaxTargets = 128;
  std::span<uint8_t> buf_;
  std::size_t pos_ = 0;
  std::size_t limit_ = SIZE_MAX;
  bool overflow_ = false;
  std::array<uint16_t, kMaxTargets> targets_;  // [0, ntargets_) set; not zero-filled per message
  // A hash of each target's first label: most targets are ruled out without
  // walking them (an AXFR message holds hundreds of owners like "hostN").
  std::array<uint8_t, kMaxTargets> target_hashes_;
  std::size_t ntargets_ = 0;
  void add_target(std::size_t at, const uint8_t* label) {
    if (at < 0x4000 && ntargets_ < kMaxTargets) {
      target_hashes_[ntargets_] = label_hash(label);
      targets_[ntargets_++] = static_cast<uint16_t>(at);
    }
  }
  // Of the label at `label` (length octet first), ignoring ASCII case.
  static uint8_t label_hash(const uint8_t* label) {
    uint32_t h = label[0];
    for (uint8_t i = 1; i <= label[0]; ++i) h = h * 31 + ascii_lower(label[i]);
    return static_cast<uint8_t>(h ^ (h >> 8) ^ (h >> 16));
  }
};

}  // namespace flatns::dns

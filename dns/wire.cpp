#include "dns/wire.h"

namespace flatns::dns {

bool WireReader::name(NameBuffer& out) {
  // A name without compression pointers (every question a client sends)
  // is found by its length octets and copied at once; anything else takes
  // the label-by-label walk below, which also rejects what is malformed.
  for (std::size_t p = pos_; p < msg_.size() && p - pos_ < kMaxNameLength;) {
    const uint8_t len = msg_[p];
    if (len == 0) {
      const std::size_t n = p + 1 - pos_;
      std::memcpy(out.bytes.data(), msg_.data() + pos_, n);
      out.length = static_cast<uint8_t>(n);
      pos_ = p + 1;
      return true;
    }
    if (len & 0xC0) break;
    p += 1 + len;
  }
  return name_with_pointers(out);
}

bool WireReader::name_with_pointers(NameBuffer& out) {
  std::size_t p = pos_;
  std::size_t chunk_start = p;  // a pointer must land strictly before this
  std::size_t resume = 0;
  bool jumped = false;
  std::size_t len_out = 0;
  while (true) {
    if (p >= msg_.size()) return false;
    const uint8_t len = msg_[p];
    if ((len & 0xC0) == 0xC0) {
      if (p + 1 >= msg_.size()) return false;
      const std::size_t target = static_cast<std::size_t>(len & 0x3F) << 8 | msg_[p + 1];
      if (target >= chunk_start) return false;  // forward pointer or loop
      if (!jumped) {
        resume = p + 2;
        jumped = true;
      }
      chunk_start = target;
      p = target;
      continue;
    }
    if (len & 0xC0) return false;  // RFC 6891 extended label types are obsolete
    if (len_out + 1 + len > kMaxNameLength) return false;
    if (p + 1 + len > msg_.size()) return false;
    std::memcpy(out.bytes.data() + len_out, msg_.data() + p, 1 + len);
    len_out += 1 + len;
    p += 1 + len;
    if (len == 0) break;
  }
  out.length = static_cast<uint8_t>(len_out);
  pos_ = jumped ? resume : p;
  return true;
}

void WireWriter::rollback(std::size_t pos) {
  if (pos < pos_) pos_ = pos;
  while (ntargets_ > 0 && targets_[ntargets_ - 1] >= pos_) --ntargets_;
  overflow_ = false;
}

bool WireWriter::uncompressed_name(NameView n) {
  if (!room(n.size())) return false;
  std::memcpy(buf_.data() + pos_, n.data(), n.size());
  for (std::size_t label = 0; label + 1 < n.size() && n[label] != 0; label += 1 + n[label]) {
    add_target(pos_ + label, n.data() + label);
  }
  pos_ += n.size();
  return true;
}

bool WireWriter::packet_name_equals(std::size_t at, NameView suffix) const {
  std::size_t p = at;
  std::size_t s = 0;
  for (int guard = 0; guard < 256; ++guard) {
    if (p >= pos_) return false;
    const uint8_t len = buf_[p];
    if ((len & 0xC0) == 0xC0) {
      p = static_cast<std::size_t>(len & 0x3F) << 8 | buf_[p + 1];
      continue;
    }
    if (s >= suffix.size() || suffix[s] != len) return false;
    if (len == 0) return true;
    for (std::size_t k = 1; k <= len; ++k) {
      const uint8_t a = buf_[p + k], b = suffix[s + k];
      if (a != b && ascii_lower(a) != ascii_lower(b)) return false;
    }
    p += 1 + len;
    s += 1 + len;
  }
  return false;
}

bool WireWriter::name(NameView n, bool compress) {
  const std::size_t start = pos_;
  std::size_t label = 0;
  while (label < n.size() && n[label] != 0) {
    if (compress) {
      const NameView suffix = n.subspan(label);
      const uint8_t hash = label_hash(suffix.data());
      for (std::size_t t = 0; t < ntargets_; ++t) {
        // Targets are label starts: a different first label (its length or
        // hash) rules most of them out without walking the name.
        if (target_hashes_[t] != hash || buf_[targets_[t]] != suffix[0]) continue;
        if (packet_name_equals(targets_[t], suffix)) {
          if (!u16(static_cast<uint16_t>(0xC000 | targets_[t]))) {
            rollback(start);
            overflow_ = true;
            return false;
          }
          return true;
        }
      }
    }
    const std::size_t here = pos_;
    if (!bytes(n.subspan(label, 1 + n[label]))) {
      rollback(start);
      overflow_ = true;
      return false;
    }
    add_target(here, n.data() + label);
    label += 1 + n[label];
  }
  if (!u8(0)) {
    rollback(start);
    overflow_ = true;
    return false;
  }
  return true;
}

}  // namespace flatns::dns

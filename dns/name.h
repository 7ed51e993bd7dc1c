// Domain names (RFC 1035 §3.1, §5.1; RFC 4343 case rules; RFC 4034 §6.1 order).
//
// Two forms are used throughout flatns:
//  - wire form: a sequence of length-prefixed labels ending in the root label,
//    uncompressed, at most 255 octets. Free functions below work on a view of
//    it (std::span<const uint8_t>) and never allocate, so the packet path can
//    use them on buffers it owns.
//  - dns::Name: an owning wire-form name for load-time code (zone builder,
//    config, tests). Case is preserved; comparisons ignore ASCII case.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flatns::dns {

inline constexpr std::size_t kMaxNameLength = 255;
inline constexpr std::size_t kMaxLabelLength = 63;

using NameView = std::span<const uint8_t>;

inline constexpr uint8_t ascii_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

// Number of labels, not counting the root label ("." has 0).
[[nodiscard]] int label_count(NameView name);
// Case-insensitive equality of two wire names.
[[nodiscard]] bool name_equal(NameView a, NameView b);
// RFC 4034 §6.1 canonical order: <0, 0, >0.
[[nodiscard]] int canonical_compare(NameView a, NameView b);
// True when `name` equals `ancestor` or lies below it.
[[nodiscard]] bool is_subdomain(NameView name, NameView ancestor);
// The suffix of `name` after its first `n` labels (a view into `name`).
[[nodiscard]] NameView strip_labels(NameView name, int n);
// Lowercases in place (wire form).
void lowercase_name(std::span<uint8_t> name);
// Hash of the lowercased name, for hash tables keyed by name. Labels are
// hashed from the root leftwards, each suffix's hash built on its parent's,
// so NameHashes below gets the hash of every suffix of a name in one pass.
[[nodiscard]] uint64_t name_hash(NameView name);
// Presentation form with a trailing dot and RFC 1035 escapes (\. \\ \DDD).
[[nodiscard]] std::string name_to_text(NameView name);
// True when the first label is "*".
[[nodiscard]] bool is_wildcard(NameView name);

class Name {
 public:
  Name();  // the root name
  static Name root() { return Name(); }
  // Parses presentation form. A name without a trailing dot is relative and
  // is completed with `origin`; "@" is the origin itself. On failure returns
  // false and sets `error` (what is wrong, e.g. "label longer than 63 octets").
  [[nodiscard]] static bool from_text(std::string_view text, const Name* origin, Name& out,
                                      std::string& error);
  // Builds from uncompressed wire form; false if malformed.
  [[nodiscard]] static bool from_wire(NameView wire, Name& out);
  // Convenience for tests and constants: throws std::invalid_argument on bad input.
  static Name parse(std::string_view text, const Name* origin = nullptr);

  NameView wire() const { return {wire_.data(), wire_.size()}; }
  std::size_t size() const { return wire_.size(); }
  std::string to_text() const { return name_to_text(wire()); }
  int labels() const { return label_count(wire()); }
  bool is_root() const { return wire_.size() == 1; }
  bool is_subdomain_of(const Name& ancestor) const { return is_subdomain(wire(), ancestor.wire()); }
  Name parent() const;                           // root's parent is root
  Name prepend(std::string_view label) const;    // raw label octets (no escapes)
  Name lowercased() const;

  friend bool operator==(const Name& a, const Name& b) { return name_equal(a.wire(), b.wire()); }
  friend bool operator<(const Name& a, const Name& b) {
    return canonical_compare(a.wire(), b.wire()) < 0;
  }

 private:
  std::vector<uint8_t> wire_;
};

struct NameHash {
  std::size_t operator()(const Name& n) const { return name_hash(n.wire()); }
};

// A fixed-capacity wire name for the packet path (no heap). Only the first
// `length` octets are meaningful; the rest is left uninitialised, since
// zero-filling 255 octets per buffer cost more than the lookups it serves.
struct NameBuffer {
  std::array<uint8_t, kMaxNameLength> bytes;
  uint8_t length = 0;
  NameView view() const { return {bytes.data(), length}; }
  void assign(NameView n) {
    length = static_cast<uint8_t>(n.size());
    if (!n.empty()) std::memcpy(bytes.data(), n.data(), n.size());
  }
};

// Every suffix of one wire name with its name_hash, computed in one pass:
// the query path hashes the query name once and probes the zone set and
// the zone's index with the same hashes (zones::ZoneSet::find,
// zones::Zone::closest_encloser). Suffix 0 is the name, suffix labels()
// the root. Not zero-filled; compute() writes what the accessors read.
class NameHashes {
 public:
  void compute(NameView name);
  int labels() const { return labels_; }
  NameView name() const { return {data_, size_}; }
  // The name after its first `strip` labels, 0 <= strip <= labels().
  NameView suffix(int strip) const {
    return {data_ + offsets_[strip], size_ - offsets_[strip]};
  }
  std::size_t suffix_size(int strip) const { return size_ - offsets_[strip]; }
  uint64_t hash(int strip) const { return hashes_[strip]; }

 private:
  static constexpr int kMaxLabels = 128;  // 255 octets hold at most 127 labels and the root
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  int labels_ = 0;
  uint16_t offsets_[kMaxLabels + 1];
  uint64_t hashes_[kMaxLabels + 1];
};

}  // namespace flatns::dns

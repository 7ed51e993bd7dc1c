#include "dns/name.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace flatns::dns {

namespace {

// Offsets of each label's length octet, root excluded. Returns the count.
int label_offsets(NameView name, std::array<uint8_t, 128>& offsets) {
  int n = 0;
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0) {
    offsets[n++] = static_cast<uint8_t>(pos);
    pos += 1 + name[pos];
  }
  return n;
}

int compare_label(NameView a, std::size_t ia, NameView b, std::size_t ib) {
  const uint8_t la = a[ia], lb = b[ib];
  const uint8_t common = std::min(la, lb);
  for (uint8_t k = 1; k <= common; ++k) {
    const uint8_t ca = ascii_lower(a[ia + k]), cb = ascii_lower(b[ib + k]);
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (la != lb) return la < lb ? -1 : 1;
  return 0;
}

// Eight octets at a time (SWAR): the hash index probes and the compares
// of every query go through name_hash and name_equal.
constexpr uint64_t kOnes = 0x0101010101010101ULL;

uint64_t load_word(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The last 1..8 octets, zero-padded (little-endian, as load_word), with
// two overlapping loads rather than a loop: the overlap ORs equal octets.
[[gnu::always_inline]] inline uint64_t load_tail(const uint8_t* p, std::size_t n) {
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return static_cast<uint64_t>(lo) | static_cast<uint64_t>(hi) << (8 * (n - 4));
  }
  return static_cast<uint64_t>(p[0]) | static_cast<uint64_t>(p[n / 2]) << (8 * (n / 2)) |
         static_cast<uint64_t>(p[n - 1]) << (8 * (n - 1));
}

// ascii_lower applied to each octet of `w`.
uint64_t lower_word(uint64_t w) {
  const uint64_t low7 = w & (0x7F * kOnes);
  const uint64_t at_least_a = low7 + (0x80 - 'A') * kOnes;    // high bit: octet >= 'A'
  const uint64_t above_z = low7 + (0x80 - 'Z' - 1) * kOnes;   // high bit: octet > 'Z'
  const uint64_t upper = at_least_a & ~above_z & ~w & (0x80 * kOnes);
  return w | (upper >> 2);  // 0x80 >> 2 is the 0x20 case bit
}

}  // namespace

int label_count(NameView name) {
  int n = 0;
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0) {
    ++n;
    pos += 1 + name[pos];
  }
  return n;
}

bool name_equal(NameView a, NameView b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t wa = load_word(a.data() + i), wb = load_word(b.data() + i);
    if (wa != wb && lower_word(wa) != lower_word(wb)) return false;
  }
  if (i < n) {
    const uint64_t wa = load_tail(a.data() + i, n - i), wb = load_tail(b.data() + i, n - i);
    if (wa != wb && lower_word(wa) != lower_word(wb)) return false;
  }
  return true;
}

int canonical_compare(NameView a, NameView b) {
  std::array<uint8_t, 128> oa, ob;
  int na = label_offsets(a, oa), nb = label_offsets(b, ob);
  // Compare from the rightmost label leftwards.
  while (na > 0 && nb > 0) {
    --na;
    --nb;
    int c = compare_label(a, oa[na], b, ob[nb]);
    if (c != 0) return c;
  }
  if (na == nb) return 0;
  return na < nb ? -1 : 1;
}

bool is_subdomain(NameView name, NameView ancestor) {
  if (ancestor.size() > name.size()) return false;
  // Walk labels of `name` until the remaining suffix has the ancestor's length;
  // the suffix must start on a label boundary.
  std::size_t pos = 0;
  const std::size_t want = name.size() - ancestor.size();
  while (pos < want) {
    if (name[pos] == 0) return false;
    pos += 1 + name[pos];
  }
  if (pos != want) return false;
  return name_equal(name.subspan(pos), ancestor);
}

NameView strip_labels(NameView name, int n) {
  std::size_t pos = 0;
  while (n-- > 0 && pos < name.size() && name[pos] != 0) pos += 1 + name[pos];
  return name.subspan(pos);
}

void lowercase_name(std::span<uint8_t> name) {
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0) {
    const std::size_t len = name[pos];
    for (std::size_t k = 1; k <= len && pos + k < name.size(); ++k) {
      name[pos + k] = ascii_lower(name[pos + k]);
    }
    pos += 1 + len;
  }
}

namespace {

constexpr uint64_t kHashSeed = 0x9E3779B97F4A7C15ULL;

// Case folding for hashing only: clearing bit 5 of every octet puts 'a'
// and 'A' together, and also a few pairs of non-letters ('@' and '`', '1'
// and 0x11...), which costs no more than a compare on a probe. Names that
// name_equal accepts always hash alike.
constexpr uint64_t kHashCaseBits = 0x20 * kOnes;

[[gnu::always_inline]] inline uint64_t mix_word(uint64_t h, uint64_t w) {
  h = (h ^ (w & ~kHashCaseBits)) * 0xFF51AFD7ED558CCDULL;
  return h ^ (h >> 32);
}

// One label (its length octet and octets, 2..64 of them) mixed into the
// state of its parent name. Only the label's own octets are read, so a
// suffix's state does not depend on the labels in front of it.
[[gnu::always_inline]] inline uint64_t absorb_label(uint64_t h, const uint8_t* p, std::size_t n) {
  while (n > 8) {
    h = mix_word(h, load_word(p));
    p += 8;
    n -= 8;
  }
  return mix_word(h, load_tail(p, n));
}

// A final mix so that the low bits (the table slot) depend on every octet.
uint64_t finish_hash(uint64_t h) {
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 29;
  return h;
}

// Offsets of the label length octets (root excluded); returns the count
// and sets `end` to where the last label ends (the root octet).
int label_starts(NameView name, uint16_t* offsets, std::size_t& end) {
  int n = 0;
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0 && n < 128) {
    offsets[n++] = static_cast<uint16_t>(pos);
    pos += 1 + name[pos];
  }
  end = pos < name.size() ? pos : name.size();
  return n;
}

}  // namespace

uint64_t name_hash(NameView name) {
  uint16_t offsets[128];
  std::size_t end = 0;
  const int n = label_starts(name, offsets, end);
  uint64_t h = kHashSeed;
  for (int i = n - 1; i >= 0; --i) {
    h = absorb_label(h, name.data() + offsets[i], end - offsets[i]);
    end = offsets[i];
  }
  return finish_hash(h);
}

void NameHashes::compute(NameView name) {
  data_ = name.data();
  size_ = name.size();
  std::size_t end = 0;
  labels_ = label_starts(name, offsets_, end);
  offsets_[labels_] = static_cast<uint16_t>(end);
  uint64_t h = kHashSeed;
  hashes_[labels_] = finish_hash(h);
  for (int i = labels_ - 1; i >= 0; --i) {
    h = absorb_label(h, name.data() + offsets_[i], end - offsets_[i]);
    end = offsets_[i];
    hashes_[i] = finish_hash(h);
  }
}

bool is_wildcard(NameView name) { return name.size() >= 2 && name[0] == 1 && name[1] == '*'; }

std::string name_to_text(NameView name) {
  if (name.empty() || name[0] == 0) return ".";
  std::string out;
  out.reserve(name.size() + 8);
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0) {
    const std::size_t len = name[pos];
    for (std::size_t k = 1; k <= len && pos + k < name.size(); ++k) {
      const uint8_t c = name[pos + k];
      if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
          c == '$') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c <= 0x20 || c >= 0x7f) {
        char buf[5];
        buf[0] = '\\';
        buf[1] = static_cast<char>('0' + c / 100);
        buf[2] = static_cast<char>('0' + (c / 10) % 10);
        buf[3] = static_cast<char>('0' + c % 10);
        buf[4] = 0;
        out.append(buf, 4);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('.');
    pos += 1 + len;
  }
  return out;
}

Name::Name() : wire_{0} {}

bool Name::from_text(std::string_view text, const Name* origin, Name& out, std::string& error) {
  if (text.empty()) {
    error = "empty domain name";
    return false;
  }
  if (text == "@") {
    if (!origin) {
      error = "'@' used but no origin is set";
      return false;
    }
    out = *origin;
    return true;
  }
  if (text == ".") {
    out = Name();
    return true;
  }
  std::vector<uint8_t> wire;
  wire.reserve(text.size() + 2);
  std::size_t label_start = 0;
  wire.push_back(0);
  bool absolute = false;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '.') {
      const std::size_t len = wire.size() - label_start - 1;
      if (len == 0) {
        error = "empty label in domain name '" + std::string(text) + "'";
        return false;
      }
      wire[label_start] = static_cast<uint8_t>(len);
      if (i + 1 == text.size()) {
        absolute = true;
        ++i;
        break;
      }
      label_start = wire.size();
      wire.push_back(0);
      ++i;
      continue;
    }
    uint8_t octet;
    if (c == '\\') {
      if (i + 1 >= text.size()) {
        error = "domain name ends in a lone backslash";
        return false;
      }
      if (std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
        if (i + 3 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 2])) ||
            !std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
          error = "bad \\DDD escape in domain name '" + std::string(text) + "'";
          return false;
        }
        const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) {
          error = "\\DDD escape above 255 in domain name '" + std::string(text) + "'";
          return false;
        }
        octet = static_cast<uint8_t>(v);
        i += 4;
      } else {
        octet = static_cast<uint8_t>(text[i + 1]);
        i += 2;
      }
    } else {
      octet = static_cast<uint8_t>(c);
      ++i;
    }
    wire.push_back(octet);
    if (wire.size() - label_start - 1 > kMaxLabelLength) {
      error = "label longer than 63 octets in domain name '" + std::string(text) + "'";
      return false;
    }
  }
  if (!absolute) {
    const std::size_t len = wire.size() - label_start - 1;
    if (len == 0) {
      error = "empty label in domain name '" + std::string(text) + "'";
      return false;
    }
    wire[label_start] = static_cast<uint8_t>(len);
    if (!origin) {
      error = "relative domain name '" + std::string(text) + "' but no origin is set";
      return false;
    }
    wire.insert(wire.end(), origin->wire_.begin(), origin->wire_.end());
  } else {
    wire.push_back(0);
  }
  if (wire.size() > kMaxNameLength) {
    error = "domain name longer than 255 octets: '" + std::string(text) + "'";
    return false;
  }
  out.wire_ = std::move(wire);
  return true;
}

bool Name::from_wire(NameView wire, Name& out) {
  std::size_t pos = 0;
  while (true) {
    if (pos >= wire.size()) return false;
    const uint8_t len = wire[pos];
    if (len > kMaxLabelLength) return false;
    pos += 1 + len;
    if (len == 0) break;
  }
  if (pos != wire.size() || pos > kMaxNameLength) return false;
  out.wire_.assign(wire.begin(), wire.end());
  return true;
}

Name Name::parse(std::string_view text, const Name* origin) {
  Name n;
  std::string error;
  if (!from_text(text, origin, n, error)) throw std::invalid_argument(error);
  return n;
}

Name Name::parent() const {
  if (is_root()) return *this;
  Name p;
  p.wire_.assign(wire_.begin() + 1 + wire_[0], wire_.end());
  return p;
}

Name Name::prepend(std::string_view label) const {
  Name n;
  n.wire_.clear();
  n.wire_.push_back(static_cast<uint8_t>(label.size()));
  n.wire_.insert(n.wire_.end(), label.begin(), label.end());
  n.wire_.insert(n.wire_.end(), wire_.begin(), wire_.end());
  return n;
}

Name Name::lowercased() const {
  Name n = *this;
  lowercase_name(n.wire_);
  return n;
}

}  // namespace flatns::dns

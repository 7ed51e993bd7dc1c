#include "signing/compact_denial.h"

#include <cstring>

#include "dns/rrtype.h"
#include "dns/type_bitmap.h"

namespace flatns::signing {

namespace {

// Labels of a wire name: offsets of each label's length octet.
struct Labels {
  uint8_t offset[128];
  int count = 0;
};

bool split(dns::NameView name, Labels& out) {
  std::size_t pos = 0;
  out.count = 0;
  while (pos < name.size()) {
    const uint8_t len = name[pos];
    if (len == 0) return pos + 1 == name.size();
    if (len > dns::kMaxLabelLength || out.count == 127) return false;
    out.offset[out.count++] = static_cast<uint8_t>(pos);
    pos += 1 + len;
  }
  return false;
}

// Sets `out` to label `i` of `name` with `label` octets, then the rest.
void assemble(dns::NameView name, const Labels& l, int i, const uint8_t* label, std::size_t len,
              dns::NameBuffer& out) {
  const std::size_t rest = (i + 1 < l.count ? l.offset[i + 1] : name.size() - 1);
  const dns::NameView parent = name.subspan(rest);
  out.bytes[0] = static_cast<uint8_t>(len);
  std::memcpy(out.bytes.data() + 1, label, len);
  std::memcpy(out.bytes.data() + 1 + len, parent.data(), parent.size());
  out.length = static_cast<uint8_t>(1 + len + parent.size());
}

}  // namespace

bool next_name(dns::NameView name_in, dns::NameView apex, dns::NameBuffer& out) {
  if (name_in.empty() || name_in.size() > dns::kMaxNameLength) return false;
  dns::NameBuffer lower;
  lower.assign(name_in);
  dns::lowercase_name({lower.bytes.data(), lower.length});
  const dns::NameView name = lower.view();
  Labels l;
  if (!split(name, l) || !dns::is_subdomain(name, apex)) return false;
  const int apex_labels = dns::label_count(apex);

  // Below the name: "\000." + name.
  if (name.size() + 2 <= dns::kMaxNameLength) {
    out.bytes[0] = 1;
    out.bytes[1] = 0;
    std::memcpy(out.bytes.data() + 2, name.data(), name.size());
    out.length = static_cast<uint8_t>(name.size() + 2);
    return true;
  }
  // After the whole subtree of label i (its leftmost `i` labels dropped).
  for (int i = 0; i < l.count - apex_labels; ++i) {
    const std::size_t size = name.size() - l.offset[i];  // the name from label i
    const uint8_t* label = name.data() + l.offset[i] + 1;
    std::size_t len = name[l.offset[i]];
    uint8_t buf[dns::kMaxLabelLength + 1];
    std::memcpy(buf, label, len);
    if (len < dns::kMaxLabelLength && size + 1 <= dns::kMaxNameLength) {
      buf[len] = 0;  // the next sibling: the label with a \000 octet appended
      assemble(name, l, i, buf, len + 1, out);
      return true;
    }
    while (len > 0 && buf[len - 1] == 0xFF) --len;  // "a\255" -> "b": drop \255s, then increment
    if (len == 0) continue;                          // only \255s: the parent's successor
    uint8_t c = static_cast<uint8_t>(buf[len - 1] + 1);
    if (c >= 'A' && c <= 'Z') c = 'Z' + 1;  // uppercase sorts as lowercase: skip it
    buf[len - 1] = c;
    assemble(name, l, i, buf, len, out);
    return true;
  }
  out.assign(apex);  // the last name of the zone: wrap to the apex
  dns::lowercase_name({out.bytes.data(), out.length});
  return true;
}

void nsec_rdata(dns::NameView next, std::span<const uint16_t> types, std::vector<uint8_t>& out) {
  out.assign(next.begin(), next.end());
  uint16_t all[300];
  std::size_t n = 0;
  for (uint16_t t : types) {
    if (n < 298) all[n++] = t;
  }
  all[n++] = dns::rrtype::RRSIG;
  all[n++] = dns::rrtype::NSEC;
  dns::type_bitmap_encode({all, n}, out);
}

bool nxname_nsec_rdata(dns::NameView name, dns::NameView apex, std::vector<uint8_t>& out) {
  dns::NameBuffer next;
  if (!next_name(name, apex, next)) return false;
  const uint16_t nxname = dns::rrtype::NXNAME;
  nsec_rdata(next.view(), {&nxname, 1}, out);
  return true;
}

}  // namespace flatns::signing

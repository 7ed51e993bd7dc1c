#include "resolver-client/private_addresses.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "dns/rrtype.h"

namespace flatns::resolver {

namespace {

constexpr uint16_t kSvcIpv4Hint = 4;  // RFC 9460 §14.3.2
constexpr uint16_t kSvcIpv6Hint = 6;

bool is_private(std::span<const uint8_t> address, const ResolverSettings& s) {
  return std::any_of(s.private_addresses.begin(), s.private_addresses.end(),
                     [&](const dns::AddressPrefix& p) { return p.contains(address); });
}

uint16_t u16(std::span<const uint8_t> b, std::size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

// SVCB/HTTPS RDATA (RFC 9460 §2.2): priority, an uncompressed target name,
// then key-length-value parameters; true when a hint holds a private address.
bool svcb_hint_private(std::span<const uint8_t> rd, const ResolverSettings& s) {
  std::size_t at = 2;
  while (at < rd.size() && rd[at] != 0) {
    if (rd[at] > 63) return false;
    at += 1u + rd[at];
  }
  if (at >= rd.size()) return false;
  ++at;
  while (at + 4 <= rd.size()) {
    const uint16_t key = u16(rd, at), length = u16(rd, at + 2);
    at += 4;
    if (at + length > rd.size()) return false;
    const std::size_t width = key == kSvcIpv4Hint ? 4 : key == kSvcIpv6Hint ? 16 : 0;
    for (std::size_t i = 0; width != 0 && i + width <= length; i += width) {
      if (is_private(rd.subspan(at + i, width), s)) return true;
    }
    at += length;
  }
  return false;
}

bool remove(const dns::ResourceRecord& rr, const ResolverSettings& s) {
  const bool address = rr.type == dns::rrtype::A || rr.type == dns::rrtype::AAAA;
  const bool svcb = rr.type == dns::rrtype::SVCB || rr.type == dns::rrtype::HTTPS;
  if (!address && !svcb) return false;
  if (std::any_of(s.private_domains.begin(), s.private_domains.end(),
                  [&](const dns::Name& d) { return rr.owner.is_subdomain_of(d); })) {
    return false;
  }
  return address ? is_private(rr.rdata, s) : svcb_hint_private(rr.rdata, s);
}

}  // namespace

std::size_t remove_private_addresses(dns::Message& msg, const ResolverSettings& settings) {
  if (settings.private_addresses.empty()) return 0;
  std::size_t removed = 0;
  for (auto* section : {&msg.answer, &msg.authority, &msg.additional}) {
    const std::size_t before = section->size();
    std::erase_if(*section, [&](const dns::ResourceRecord& rr) { return remove(rr, settings); });
    removed += before - section->size();
  }
  return removed;
}

}  // namespace flatns::resolver

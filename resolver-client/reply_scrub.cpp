#include "resolver-client/reply_scrub.h"

#include <algorithm>
#include <span>
#include <utility>
#include <vector>

#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace flatns::resolver {

namespace {

// An RRSIG whose fixed fields and signer name are whole: its signature may
// be empty or cut short, which only means it does not verify, and the
// validator says so (EDE 6), as Unbound does with it.
bool rrsig_readable(std::span<const uint8_t> rdata) {
  constexpr std::size_t kFixed = 18;  // type covered .. key tag (RFC 4034 §3.1)
  std::size_t at = kFixed, name_length = 0;
  while (at < rdata.size()) {
    const uint8_t label = rdata[at];
    if (label > 63) return false;  // no compression in RRSIG RDATA (RFC 4034 §3.1.7)
    name_length += label + 1u;
    if (name_length > 255) return false;
    if (label == 0) return true;
    at += label + 1u;
  }
  return false;
}

// The types whose RDATA the resolver reads: addresses it asks or hands to
// the flattener, names it follows or lowercases for a signature's canonical
// form (RFC 4034 §6.2), and the DNSSEC records it validates with. The rest
// (TXT, SVCB, HTTPS, CAA, ...) it passes on as received, as Unbound does:
// RFC 9460 §2.2 leaves judging a malformed SVCB to the client.
bool resolver_reads(uint16_t type) {
  switch (type) {
    case dns::rrtype::A:
    case dns::rrtype::AAAA:
    case dns::rrtype::DS:
    case dns::rrtype::DNSKEY:
    case dns::rrtype::NSEC3:
    case dns::rrtype::NSEC3PARAM:
    case dns::rrtype::NSEC:
      return true;
    default:
      return dns::rdata_has_canonical_names(type);
  }
}

}  // namespace

// Removes, from every section, the records of a type the resolver reads
// whose RDATA does not fit the type's format (an A record whose RDLENGTH is
// not 4: the transport keeps them raw, dns::MalformedRdata::KeepRaw), as
// Unbound's scrubber does (iter_scrub.c): the rest of the response is still
// read. A signed RRset that loses a record no longer validates, so nothing
// bogus gets through. Returns how many were removed; `first` names the first.
unsigned remove_malformed_records(dns::Message& msg, std::string& first) {
  unsigned removed = 0;
  for (auto* section : {&msg.answer, &msg.authority, &msg.additional}) {
    removed += static_cast<unsigned>(std::erase_if(*section, [&](const dns::ResourceRecord& rr) {
      if (!resolver_reads(rr.type) || dns::rdata_is_valid(rr.type, rr.rdata)) return false;
      if (rr.type == dns::rrtype::RRSIG && rrsig_readable(rr.rdata)) return false;
      if (first.empty()) {
        first = rr.owner.to_text() + " " + dns::type_to_text(rr.type) + " of " +
                std::to_string(rr.rdata.size()) + " octets";
      }
      return true;
    }));
  }
  return removed;
}

// Records of another class than IN (a CH NS and its glue in a referral)
// say nothing about the IN question the resolver asks (RFC 1034 §4.3.2:
// the search is within the question's class); they are dropped before
// anything reads the sections, as Unbound's scrubber does.
unsigned remove_other_class_records(dns::Message& msg) {
  unsigned removed = 0;
  for (auto* section : {&msg.answer, &msg.authority, &msg.additional}) {
    removed += static_cast<unsigned>(std::erase_if(
        *section, [](const dns::ResourceRecord& rr) { return rr.rclass != dns::rrclass::IN; }));
  }
  return removed;
}

// A server that lists hundreds of NS names makes every resolver that
// follows them work for it (an amplification; Unbound bounds it since
// 1.21.1 with iter-scrub-ns: 20). The records past the first `max` of an
// owner are dropped wherever they appear; a signed NS RRset cut short no
// longer validates, which for more than 20 servers is the price.
unsigned cap_ns_rrsets(dns::Message& msg, unsigned max) {
  unsigned removed = 0;
  for (auto* section : {&msg.answer, &msg.authority, &msg.additional}) {
    const auto ns_count = std::count_if(section->begin(), section->end(),
                                        [](const dns::ResourceRecord& rr) { return rr.type == dns::rrtype::NS; });
    if (ns_count <= static_cast<std::ptrdiff_t>(max)) continue;  // no owner can have more
    std::vector<std::pair<dns::Name, unsigned>> seen;
    std::vector<dns::ResourceRecord> kept;
    for (auto& rr : *section) {
      if (rr.type == dns::rrtype::NS) {
        auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == rr.owner; });
        if (it == seen.end()) it = seen.insert(seen.end(), {rr.owner, 0});
        if (++it->second > max) {
          ++removed;
          continue;
        }
      }
      kept.push_back(std::move(rr));
    }
    *section = std::move(kept);
  }
  return removed;
}

}  // namespace flatns::resolver

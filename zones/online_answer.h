// The records of a zone signed online that depend on the query name, which
// the zone cannot hold (issue 14; implemented by signing/answer_signer.h):
// compact denial (RFC 9824) for names that do not exist and for NODATA at
// names synthesised from a wildcard, and RRSIGs over answers synthesised
// from a wildcard, signed as exact matches. zones knows nothing of keys:
// the signer attaches an OnlineAnswer to the snapshot it builds
// (ZoneConfig::online_answer), and the answer path calls it with DO=1.
#pragma once

#include <span>

#include "dns/message.h"

namespace flatns::zones {

class Zone;
struct Node;
struct RRset;

class OnlineAnswer {
 public:
  virtual ~OnlineAnswer() = default;
  // `qname` does not exist: sets the rcode and writes the denial in authority
  // (after the SOA, which the caller writes).
  virtual void nxdomain(const Zone& zone, dns::NameView qname, const dns::Query& q,
                        dns::ResponseBuilder& rb) const = 0;
  // NODATA at `qname`, found at `node` (QNAME's own node, or the wildcard
  // that matched it).
  virtual void nodata(const Zone& zone, const Node* node, dns::NameView qname,
                      dns::ResponseBuilder& rb) const = 0;
  // RRSIGs for `set` of a wildcard written under `qname` in `section`.
  virtual void sign_synthesised(const Zone& zone, const RRset& set, dns::NameView qname,
                                dns::Section section, dns::ResponseBuilder& rb) const = 0;
  // RRSIGs for the flattened `qtype` RRset at `qname` (RDATA `rdatas`,
  // just written with TTL `ttl`): signed with original TTL `original_ttl`
  // (>= any TTL served) through the signature cache, so each address set is
  // signed once while its signature is fresh.
  virtual void sign_flattened(const Zone& zone, dns::NameView qname, uint16_t qtype,
                              uint32_t original_ttl, uint32_t ttl,
                              std::span<const std::span<const uint8_t>> rdatas,
                              dns::ResponseBuilder& rb) const = 0;
  // NODATA for `qtype` at the flattened name `qname` (the target has no such
  // RRset): an NSEC with the name's types without `qtype`.
  virtual void flattened_nodata(const Zone& zone, dns::NameView qname, uint16_t qtype,
                                dns::ResponseBuilder& rb) const = 0;
};

}  // namespace flatns::zones

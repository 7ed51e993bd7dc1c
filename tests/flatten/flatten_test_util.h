// Shared by the flatten tests: a manual clock, cache entries built from
// resolver results, and reading EDE options out of a parsed response.
#pragma once

#include <arpa/inet.h>

#include <string>

#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "flatten/answer_cache.h"
#include "flatten/service.h"
#include "flatten/time_source.h"
#include "resolver-client/resolver.h"
#include "tests/support/ede.h"

namespace flatns::testing {

class ManualTime final : public flatten::TimeSource {
 public:
  uint64_t now_ms() const override { return now; }
  void advance_s(uint64_t s) { now += s * 1000; }
  uint64_t now = 5'000'000;
};

inline dns::ResourceRecord a_record(const std::string& owner, const std::string& address, uint32_t ttl) {
  dns::ResourceRecord rr;
  rr.owner = dns::Name::parse(owner);
  rr.type = dns::rrtype::A;
  rr.rclass = 1;
  rr.ttl = ttl;
  rr.rdata.resize(4);
  inet_pton(AF_INET, address.c_str(), rr.rdata.data());
  return rr;
}

// A secure answer of A records at `name` with the given TTL.
inline resolver::Result answer_result(const std::string& name, std::vector<std::string> addresses, uint32_t ttl) {
  resolver::Result r;
  r.qname = dns::Name::parse(name);
  r.qtype = dns::rrtype::A;
  r.rcode = dns::rcode::NOERROR;
  r.ttl = ttl;
  r.verdict = resolver::Verdict::secure(dns::Name::parse(name));
  for (const auto& a : addresses) r.answer.push_back(a_record(name, a, ttl));
  return r;
}

inline resolver::Result bogus_result(const std::string& name, resolver::BogusReason why, const std::string& zone,
                                     const std::string& server) {
  resolver::Result r;
  r.qname = dns::Name::parse(name);
  r.qtype = dns::rrtype::A;
  r.rcode = dns::rcode::SERVFAIL;
  r.verdict = resolver::Verdict::bogus(dns::Name::parse(zone), why, "RRSIG A " + name);
  r.verdict.server = server;
  return r;
}

inline resolver::Result timeout_result(const std::string& name, const std::string& servers) {
  resolver::Result r;
  r.qname = dns::Name::parse(name);
  r.qtype = dns::rrtype::A;
  r.rcode = dns::rcode::SERVFAIL;
  r.deadline_reached = true;
  r.failure = "deadline of 1100 ms reached after 3 queries; servers tried: " + servers;
  r.verdict = resolver::Verdict::indeterminate(r.failure);
  return r;
}

inline flatten::CachedAnswer entry_for(const std::string& target, const resolver::Result& r, uint64_t now,
                                       const flatten::CachedAnswer* previous = nullptr,
                                       uint32_t failure_ttl_s = 5) {
  return flatten::entry_from_result(dns::Name::parse(target).wire(), dns::rrtype::A, r, previous, now,
                                    failure_ttl_s);
}

}  // namespace flatns::testing

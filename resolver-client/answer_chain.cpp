#include "resolver-client/answer_chain.h"

#include <algorithm>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "resolver-client/validator.h"

namespace flatns::resolver {

std::optional<dns::Name> cname_target(const std::vector<dns::ResourceRecord>& answer, const dns::Name& owner) {
  for (const auto& rr : answer) {
    if (rr.type != dns::rrtype::CNAME || !(rr.owner == owner)) continue;
    auto target = dns::rdata_target_name(rr.type, rr.rdata);
    dns::Name t;
    if (target && dns::Name::from_wire(*target, t)) return t;
  }
  return std::nullopt;
}

dns::Name chain_end(const std::vector<dns::ResourceRecord>& answer, const dns::Name& qname) {
  dns::Name at = qname;
  for (std::size_t hops = 0; hops <= answer.size(); ++hops) {
    auto next = cname_target(answer, at);
    if (!next) break;
    at = std::move(*next);
  }
  return at;
}

std::vector<dns::Name> chain_names(const std::vector<dns::ResourceRecord>& answer,
                                   const dns::Name& qname, const std::optional<dns::Name>& exit) {
  std::vector<dns::Name> out;
  dns::Name at = qname;
  for (std::size_t hops = 0; hops <= answer.size(); ++hops) {
    if (exit && at == *exit) break;
    if (std::find(out.begin(), out.end(), at) != out.end()) break;
    out.push_back(at);
    auto next = cname_target(answer, at);
    if (!next) break;
    at = std::move(*next);
  }
  return out;
}

std::optional<dns::Name> unvouched_chain_cut(const dns::Message& msg, const ValidatedResponse& vr,
                                             const dns::Name& qname, uint16_t qtype, bool forwarded) {
  // CNAME, ANY and RRSIG are answered by the data at the name itself.
  if (forwarded || vr.verdict.is_secure() || qtype == dns::rrtype::CNAME || qtype == dns::rrtype::ANY ||
      qtype == dns::rrtype::RRSIG) {
    return std::nullopt;
  }
  if (vr.kind != ResponseKind::Answer && vr.kind != ResponseKind::CnameExit &&
      vr.kind != ResponseKind::NoData && vr.kind != ResponseKind::NxDomain) {
    return std::nullopt;
  }
  // The name is an alias only when its CNAME comes before any qtype RRset
  // beside it (the first listed wins, as in resolution.cpp and the validator).
  for (const auto& rr : msg.answer) {
    if (!(rr.owner == qname)) continue;
    if (rr.type == qtype) return std::nullopt;
    if (rr.type == dns::rrtype::CNAME) break;
  }
  auto target = cname_target(msg.answer, qname);
  if (!target) return std::nullopt;
  // A chain that leaves the zone right there, or an alias of itself (a
  // loop the response shows whole), has nothing beyond to cut.
  if (*target == qname || (vr.kind == ResponseKind::CnameExit && vr.next_name == *target)) {
    return std::nullopt;
  }
  return target;
}

std::vector<dns::ResourceRecord> first_link_records(const std::vector<dns::ResourceRecord>& answer,
                                                    const dns::Name& qname) {
  std::vector<dns::ResourceRecord> out;
  for (const auto& rr : answer) {
    const bool dname_above = rr.type == dns::rrtype::DNAME && !(rr.owner == qname) && qname.is_subdomain_of(rr.owner);
    if (rr.owner == qname || dname_above) out.push_back(rr);
  }
  return out;
}

}  // namespace flatns::resolver

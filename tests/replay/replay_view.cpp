// The harness's comparisons (see replay_view.h).
#include "tests/replay/replay_view.h"

#include <algorithm>
#include <cctype>

#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace flatns::replay {

const char* rcode_name(uint16_t rc) {
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMPL", "REFUSED"};
  return rc < 6 ? names[rc] : "RCODE?";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string record_key(const dns::ResourceRecord& rr, bool with_ttl) {
  std::string s = lower(rr.owner.to_text()) + " " + dns::type_to_text(rr.type) + " " +
                  lower(dns::rdata_to_text(rr.type, rr.rdata));
  if (with_ttl) s += " ttl=" + std::to_string(rr.ttl);
  return s;
}

std::vector<std::string> answer_keys(const std::vector<dns::ResourceRecord>& rrs, bool with_ttl,
                                     uint16_t qtype) {
  std::vector<std::string> out;
  for (const auto& rr : rrs) {
    // Our Result carries the CNAMEs a DNAME synthesises, not the DNAME itself.
    const bool skip = (rr.type == dns::rrtype::RRSIG && qtype != dns::rrtype::RRSIG) ||
                      (rr.type == dns::rrtype::DNAME && qtype != dns::rrtype::ANY);
    if (!skip) {
      out.push_back(record_key(rr, with_ttl));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string view_text(const View& v, bool show_ede) {
  std::string s = std::string(rcode_name(v.rcode)) + (v.ad ? " AD" : "");
  if (show_ede) s += v.ede ? " ede=" + std::to_string(*v.ede) : " no-ede";
  s += " {";
  for (std::size_t i = 0; i < v.answer.size(); ++i) s += (i ? "; " : "") + v.answer[i];
  return s + "}";
}

bool query_matches_entry(const Entry& e, const resolver::UpstreamQuery& q) {
  const dns::Message& m = e.message;
  if (e.match_all || e.match_noedns || e.match_ede) return false;  // never true of our queries
  if ((e.match_qtype || e.match_question) && (!m.has_question || m.qtype != q.qtype)) return false;
  if ((e.match_qname || e.match_question) && (!m.has_question || !(m.qname == q.qname))) return false;
  if (e.match_subdomain && (!m.has_question || !q.qname.is_subdomain_of(m.qname))) return false;
  if (e.match_rcode && (e.flags & 0xF) != 0) return false;
  if (e.match_answer && !m.answer.empty()) return false;
  if (e.match_tcp && q.protocol != resolver::Protocol::Tcp) return false;
  if (e.match_udp && q.protocol != resolver::Protocol::Udp) return false;
  return true;  // opcode: always QUERY; DO: always set by our transport
}

}  // namespace flatns::replay

#include "signing/answer_signer.h"

#include <algorithm>
#include <ctime>

#include "dns/rrtype.h"
#include "dns/type_bitmap.h"
#include "signing/compact_denial.h"

namespace flatns::signing {

namespace {

namespace rrtype = dns::rrtype;
using Bytes = std::span<const uint8_t>;

// Writes one record and its signatures in authority; false when it did not fit.
bool write_signed(dns::ResponseBuilder& rb, dns::Section section, dns::NameView owner,
                  uint16_t type, uint32_t ttl, Bytes rdata,
                  const std::vector<std::vector<uint8_t>>& sigs) {
  const std::size_t mark = rb.mark();
  const uint16_t before = rb.count(section);
  bool ok = rb.add(section, owner, type, dns::rrclass::IN, ttl, rdata);
  for (const auto& sig : sigs) ok = ok && rb.add(section, owner, rrtype::RRSIG, dns::rrclass::IN, ttl, sig);
  if (!ok) {
    rb.rollback(mark, section, before);
    rb.set_tc();
  }
  return ok;
}

uint32_t nsec_ttl(const zones::Zone& zone) {
  const zones::RRset* nsec = zone.rrset(zone.apex(), rrtype::NSEC);
  return nsec ? nsec->ttl : 300;
}

bool write_nsec(const zones::Zone& zone, const OnlineSigner& signer, dns::NameView owner,
                Bytes rdata, int64_t now, dns::ResponseBuilder& rb) {
  const uint32_t ttl = nsec_ttl(zone);
  const Bytes rds[] = {rdata};
  thread_local std::vector<std::vector<uint8_t>> sigs;
  sigs.clear();
  if (!signer.sign({owner, rrtype::NSEC, dns::rrclass::IN, rds}, ttl, now, sigs)) return false;
  return write_signed(rb, dns::Section::Authority, owner, rrtype::NSEC, ttl, rdata, sigs);
}

}  // namespace

bool write_compact_nxdomain(const zones::Zone& zone, const OnlineSigner& signer,
                            dns::NameView qname, bool compact_ok, int64_t now,
                            dns::ResponseBuilder& rb) {
  rb.set_rcode(compact_ok ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR);
  thread_local std::vector<uint8_t> rdata;
  if (!nxname_nsec_rdata(qname, zone.origin().wire(), rdata)) return true;
  return write_nsec(zone, signer, qname, rdata, now, rb);
}

bool write_nodata_nsec(const zones::Zone& zone, const OnlineSigner& signer,
                       const zones::Node* node, dns::NameView qname, int64_t now,
                       dns::ResponseBuilder& rb) {
  const zones::RRset* stored = zone.rrset(node, rrtype::NSEC);
  if (!stored) return true;
  const dns::NameView node_name = zone.name(node);
  if (dns::name_equal(node_name, qname)) {
    const std::size_t mark = rb.mark();
    const uint16_t before = rb.count(dns::Section::Authority);
    bool ok = rb.add_rrset(dns::Section::Authority, qname, rrtype::NSEC, stored->ttl,
                           zone.records(*stored).wire(), stored->count);
    if (ok) {
      if (const zones::SigSet* sigs = zone.sigs(*stored)) {
        ok = rb.add_rrset(dns::Section::Authority, qname, rrtype::RRSIG, sigs->ttl,
                          zone.records(*sigs).wire(), sigs->count);
      }
    }
    if (!ok) {
      rb.rollback(mark, dns::Section::Authority, before);
      rb.set_tc();
    }
    return ok;
  }
  // Wildcard NODATA: QNAME's own NSEC with the wildcard's types.
  thread_local std::vector<uint8_t> rdata;
  bool ok = true;
  zone.records(*stored).for_each([&](Bytes rd) {
    dns::NameBuffer next;
    if (!next_name(qname, zone.origin().wire(), next)) return;
    const std::size_t skip = node_name.size() + 2;  // the stored next name: "\000." + owner
    if (rd.size() < skip) return;
    rdata.assign(next.view().begin(), next.view().end());
    rdata.insert(rdata.end(), rd.begin() + static_cast<std::ptrdiff_t>(skip), rd.end());
    ok = write_nsec(zone, signer, qname, rdata, now, rb);
  });
  return ok;
}

bool write_synthesised_rrsigs(const zones::Zone& zone, const OnlineSigner& signer,
                              const zones::RRset& set, dns::NameView qname, dns::Section section,
                              int64_t now, dns::ResponseBuilder& rb) {
  thread_local std::vector<Bytes> rds;
  rds.clear();
  zone.records(set).for_each([&](Bytes rd) { rds.push_back(rd); });
  thread_local std::vector<std::vector<uint8_t>> sigs;
  sigs.clear();
  const int labels = dns::label_count(qname);
  if (!signer.sign({qname, set.type, dns::rrclass::IN, rds}, set.ttl, now, sigs, labels)) return true;
  const std::size_t mark = rb.mark();
  const uint16_t before = rb.count(section);
  for (const auto& sig : sigs) {
    if (!rb.add(section, qname, rrtype::RRSIG, dns::rrclass::IN, set.ttl, sig)) {
      rb.rollback(mark, section, before);
      if (section != dns::Section::Additional) rb.set_tc();
      return false;
    }
  }
  return true;
}

bool sign_records(const OnlineSigner& signer, dns::NameView owner, uint16_t type, uint32_t ttl,
                  std::span<const Bytes> rdatas, int64_t now, std::vector<std::vector<uint8_t>>& out) {
  return signer.sign({owner, type, dns::rrclass::IN, rdatas}, ttl, now, out);
}

namespace {

class SignerAnswer final : public zones::OnlineAnswer {
 public:
  explicit SignerAnswer(std::shared_ptr<const OnlineSigner> signer) : signer_(std::move(signer)) {}
  void nxdomain(const zones::Zone& zone, dns::NameView qname, const dns::Query& q,
                dns::ResponseBuilder& rb) const override {
    (void)write_compact_nxdomain(zone, *signer_, qname, q.edns.compact_ok, ::time(nullptr), rb);
  }
  void nodata(const zones::Zone& zone, const zones::Node* node, dns::NameView qname,
              dns::ResponseBuilder& rb) const override {
    (void)write_nodata_nsec(zone, *signer_, node, qname, ::time(nullptr), rb);
  }
  void sign_synthesised(const zones::Zone& zone, const zones::RRset& set, dns::NameView qname,
                        dns::Section section, dns::ResponseBuilder& rb) const override {
    (void)write_synthesised_rrsigs(zone, *signer_, set, qname, section, ::time(nullptr), rb);
  }

  void sign_flattened(const zones::Zone& zone, dns::NameView qname, uint16_t qtype,
                      uint32_t original_ttl, uint32_t ttl, std::span<const Bytes> rdatas,
                      dns::ResponseBuilder& rb) const override {
    thread_local std::vector<std::vector<uint8_t>> sigs;
    sigs.clear();
    if (!sign_records(*signer_, qname, qtype, original_ttl, rdatas, ::time(nullptr), sigs)) return;
    for (const auto& sig : sigs) {
      if (!rb.add(dns::Section::Answer, qname, rrtype::RRSIG, dns::rrclass::IN, ttl, sig)) {
        rb.set_tc();
        return;
      }
    }
  }
  void flattened_nodata(const zones::Zone& zone, dns::NameView qname, uint16_t qtype,
                        dns::ResponseBuilder& rb) const override {
    const zones::Node* node = zone.find(qname);
    const zones::RRset* stored = node ? zone.rrset(node, rrtype::NSEC) : nullptr;
    if (!stored) return;
    thread_local std::vector<uint8_t> rdata;
    zone.records(*stored).for_each([&](Bytes rd) {
      const std::size_t next = dns::label_count(qname) >= 0 ? zone.name(node).size() + 2 : 0;
      if (rd.size() < next) return;
      std::vector<uint16_t> types = dns::type_bitmap_types(rd.subspan(next));
      types.erase(std::remove(types.begin(), types.end(), qtype), types.end());
      types.erase(std::remove(types.begin(), types.end(), rrtype::RRSIG), types.end());
      types.erase(std::remove(types.begin(), types.end(), rrtype::NSEC), types.end());
      nsec_rdata(rd.first(next), types, rdata);
      (void)write_nsec(zone, *signer_, qname, rdata, ::time(nullptr), rb);
    });
  }

 private:
  std::shared_ptr<const OnlineSigner> signer_;
};

}  // namespace

std::shared_ptr<const zones::OnlineAnswer> make_online_answer(std::shared_ptr<const OnlineSigner> signer) {
  return std::make_shared<SignerAnswer>(std::move(signer));
}

}  // namespace flatns::signing

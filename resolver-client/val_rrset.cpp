#include "resolver-client/val_rrset.h"

#include <algorithm>

#include "dns/rrtype.h"

namespace flatns::resolver {

namespace {

// The type an RRSIG covers, or 0 when its RDATA is too short.
uint16_t covered_type(const std::vector<uint8_t>& rrsig_rdata) {
  if (rrsig_rdata.size() < 2) return 0;
  return static_cast<uint16_t>(rrsig_rdata[0] << 8 | rrsig_rdata[1]);
}

SignedRrset* find_mutable(std::vector<SignedRrset>& sets, const dns::Name& owner, uint16_t type,
                          uint16_t rrclass) {
  for (auto& s : sets) {
    if (s.type == type && s.rrclass == rrclass && s.owner == owner) return &s;
  }
  return nullptr;
}

}  // namespace

std::vector<SignedRrset> group_rrsets(std::span<const dns::ResourceRecord> records) {
  std::vector<SignedRrset> sets;
  for (const auto& rr : records) {
    const bool is_sig = rr.type == dns::rrtype::RRSIG;
    const uint16_t type = is_sig ? covered_type(rr.rdata) : rr.type;
    SignedRrset* set = find_mutable(sets, rr.owner, type, rr.rclass);
    if (set == nullptr) {
      SignedRrset fresh;
      fresh.owner = rr.owner;
      fresh.type = type;
      fresh.rrclass = rr.rclass;
      fresh.ttl = rr.ttl;
      sets.push_back(std::move(fresh));
      set = &sets.back();
    }
    auto& list = is_sig ? set->rrsigs : set->rdatas;
    if (std::find(list.begin(), list.end(), rr.rdata) == list.end()) list.push_back(rr.rdata);
    if (!is_sig) set->ttl = set->rdatas.size() == 1 ? rr.ttl : std::min(set->ttl, rr.ttl);
  }
  return sets;
}

std::vector<SignedRrset> group_answer_rrsets(const dns::Message& msg) {
  std::vector<SignedRrset> sets = group_rrsets(msg.answer);
  for (const auto* section : {&msg.authority, &msg.additional}) {
    for (const auto& rr : *section) {
      if (rr.type != dns::rrtype::RRSIG) continue;
      SignedRrset* set = find_mutable(sets, rr.owner, covered_type(rr.rdata), rr.rclass);
      if (set == nullptr || set->rdatas.empty()) continue;
      if (std::find(set->rrsigs.begin(), set->rrsigs.end(), rr.rdata) == set->rrsigs.end()) {
        set->rrsigs.push_back(rr.rdata);
      }
    }
  }
  return sets;
}

const SignedRrset* find_rrset(std::span<const SignedRrset> rrsets, const dns::Name& owner,
                              uint16_t type) {
  for (const auto& s : rrsets) {
    if (s.type == type && s.owner == owner) return &s;
  }
  return nullptr;
}

void append_records(const SignedRrset& rrset, std::vector<dns::ResourceRecord>& out) {
  for (const auto& rdata : rrset.rdatas) {
    out.push_back({rrset.owner, rrset.type, rrset.rrclass, rrset.ttl, rdata});
  }
  for (const auto& sig : rrset.rrsigs) {
    out.push_back({rrset.owner, dns::rrtype::RRSIG, rrset.rrclass, rrset.ttl, sig});
  }
}

}  // namespace flatns::resolver

#include "signing/zone_signer.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <thread>

#include "dns/rrtype.h"
#include "signing/compact_denial.h"
#include "signing/nsec3_white_lies.h"
#include "zones/answer.h"

namespace flatns::signing {

namespace {

namespace rrtype = dns::rrtype;
using Bytes = std::span<const uint8_t>;

bool dropped_type(uint16_t t) {
  return t == rrtype::RRSIG || t == rrtype::NSEC || t == rrtype::NSEC3 ||
         t == rrtype::NSEC3PARAM || t == rrtype::DNSKEY || t == rrtype::CDS ||
         t == rrtype::CDNSKEY;
}

bool hidden_type(uint16_t t) { return t == rrtype::ALIAS || t == rrtype::ANAME; }

// One RRset to write, and to sign when `sign` is set.
struct Task {
  dns::NameView owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<Bytes> rdatas;
  bool sign = true;
  std::vector<std::vector<uint8_t>> rrsigs;
  bool ok = true;
};

class Collector {
 public:
  Collector(const zones::Zone& zone, const OnlineSigner& signer)
      : zone_(zone), signer_(signer) {}

  void collect() {
    const zones::Node* apex = zone_.apex();
    nsec_ttl_ = soa_negative_ttl();
    for (const zones::Node& node : zone_.nodes()) {
      if (node.flags & zones::node_flag::kNsec3Owner) continue;
      collect_node(&node, &node == apex);
    }
  }
  std::deque<Task>& tasks() { return tasks_; }

 private:
  uint32_t soa_negative_ttl() const {
    const zones::RRset* soa = zone_.rrset(zone_.apex(), rrtype::SOA);
    uint32_t ttl = soa ? soa->ttl : 3600;
    if (soa) {
      zone_.records(*soa).for_each([&](Bytes rd) {
        if (rd.size() >= 4) {
          const uint32_t minimum = static_cast<uint32_t>(rd[rd.size() - 4]) << 24 |
                                   rd[rd.size() - 3] << 16 | rd[rd.size() - 2] << 8 | rd.back();
          ttl = std::min(ttl, minimum);  // RFC 9077 §3
        }
      });
    }
    return ttl;
  }

  Task& add(dns::NameView owner, uint16_t type, uint32_t ttl, bool sign) {
    Task& t = tasks_.emplace_back();
    t.owner = owner;
    t.type = type;
    t.ttl = ttl;
    t.sign = sign;
    return t;
  }

  Task& add_owned(dns::NameView owner, uint16_t type, uint32_t ttl,
                  std::vector<std::vector<uint8_t>> rdatas) {
    auto& held = owned_.emplace_back(std::move(rdatas));
    Task& t = add(owner, type, ttl, true);
    for (const auto& rd : held) t.rdatas.emplace_back(rd);
    return t;
  }

  void collect_node(const zones::Node* node, bool apex) {
    const dns::NameView name = zone_.name(node);
    const bool occluded = node->flags & zones::node_flag::kOccluded;
    const bool cut = node->flags & zones::node_flag::kDelegation;
    const bool flattened = zones::is_flattened(zone_, node);
    std::vector<uint16_t> types;
    for (const zones::RRset& set : zone_.rrsets(node)) {
      if (dropped_type(set.type)) continue;
      const bool shown = !hidden_type(set.type) && !(flattened && set.type == rrtype::CNAME);
      const bool authoritative = !occluded && (!cut || set.type == rrtype::DS);
      Task& t = add(name, set.type, set.ttl, shown && authoritative);
      zone_.records(set).for_each([&](Bytes rd) { t.rdatas.push_back(rd); });
      if (shown && (!cut || set.type == rrtype::NS || set.type == rrtype::DS)) {
        types.push_back(set.type);
      }
    }
    if (occluded) return;
    // A name that flattens may answer A and AAAA: the static NSEC must not
    // deny them (a resolver would then deny the flattened answer from its
    // aggressive NSEC cache, RFC 8198).
    if (flattened) {
      for (uint16_t t : {rrtype::A, rrtype::AAAA}) {
        if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
      }
    }
    if (apex) add_key_rrsets(name, types);
    if (apex && signer_.policy().denial == Denial::Nsec3) {
      // The only NSEC3 data kept: the records themselves are made per answer.
      std::vector<std::vector<uint8_t>> param;
      param.emplace_back(kNsec3ParamRdata.begin(), kNsec3ParamRdata.end());
      add_owned(name, rrtype::NSEC3PARAM, nsec_ttl_, std::move(param));
    }
    if (signer_.policy().denial == Denial::Compact) {
      dns::NameBuffer next;
      if (!next_name(name, zone_.origin().wire(), next)) return;
      std::vector<uint8_t> rd;
      nsec_rdata(next.view(), types, rd);
      std::vector<std::vector<uint8_t>> one;
      one.push_back(std::move(rd));
      add_owned(name, rrtype::NSEC, nsec_ttl_, std::move(one));
    }
  }

  void add_key_rrsets(dns::NameView apex, std::vector<uint16_t>& types) {
    const KeySet& keys = signer_.keys();
    const uint32_t ttl = signer_.policy().dnskey_ttl;
    add_owned(apex, rrtype::DNSKEY, ttl, keys.dnskeys());
    types.push_back(rrtype::DNSKEY);
    auto cds = keys.cds();
    if (!cds.empty()) {
      add_owned(apex, rrtype::CDS, ttl, std::move(cds));
      add_owned(apex, rrtype::CDNSKEY, ttl, keys.cdnskeys());
      types.push_back(rrtype::CDS);
      types.push_back(rrtype::CDNSKEY);
    }
  }

  const zones::Zone& zone_;
  const OnlineSigner& signer_;
  uint32_t nsec_ttl_ = 3600;
  std::deque<Task> tasks_;
  std::deque<std::vector<std::vector<uint8_t>>> owned_;
};

void sign_tasks(std::deque<Task>& tasks, const OnlineSigner& signer, int64_t now,
                unsigned threads) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    constexpr std::size_t kBatch = 64;
    while (true) {
      const std::size_t begin = next.fetch_add(kBatch);
      if (begin >= tasks.size()) return;
      const std::size_t end = std::min(tasks.size(), begin + kBatch);
      for (std::size_t i = begin; i < end; ++i) {
        Task& t = tasks[i];
        if (!t.sign) continue;
        const dns::RrsetRef ref{t.owner, t.type, dns::rrclass::IN, t.rdatas};
        t.ok = signer.sign(ref, t.ttl, now, t.rrsigs);
      }
    }
  };
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(tasks.size() / 256 + 1)));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

// Where SERIAL starts: after MNAME and RNAME (RFC 1035 §3.3.13), never
// compressed in zone data; rdata.size() when the RDATA is too short.
std::size_t serial_offset(Bytes rdata) {
  std::size_t p = 0;
  for (int name = 0; name < 2 && p < rdata.size(); ++name) {
    while (p < rdata.size() && rdata[p] != 0) p += 1 + rdata[p];
    ++p;
  }
  return p + 4 <= rdata.size() ? p : rdata.size();
}

uint32_t soa_serial(Bytes rdata) {
  const std::size_t p = serial_offset(rdata);
  if (p == rdata.size()) return 0;
  return static_cast<uint32_t>(rdata[p]) << 24 | rdata[p + 1] << 16 | rdata[p + 2] << 8 | rdata[p + 3];
}

// SHA-256 over every task's owner, type, TTL, RDATA and RRSIGs, in the
// collector's order (the zone's canonical order): the same zone signed with
// the same signatures gives the same digest.
ContentDigest content_digest(const std::deque<Task>& tasks) {
  std::vector<std::span<const uint8_t>> parts;
  std::deque<std::array<uint8_t, 10>> fixed;
  for (const Task& t : tasks) {
    auto& f = fixed.emplace_back();
    f = {static_cast<uint8_t>(t.type >> 8), static_cast<uint8_t>(t.type), static_cast<uint8_t>(t.ttl >> 24),
         static_cast<uint8_t>(t.ttl >> 16), static_cast<uint8_t>(t.ttl >> 8), static_cast<uint8_t>(t.ttl),
         static_cast<uint8_t>(t.rdatas.size() >> 8), static_cast<uint8_t>(t.rdatas.size()),
         static_cast<uint8_t>(t.rrsigs.size() >> 8), static_cast<uint8_t>(t.rrsigs.size())};
    parts.emplace_back(t.owner);
    parts.emplace_back(f);
    for (Bytes rd : t.rdatas) parts.emplace_back(rd);
    for (const auto& sig : t.rrsigs) parts.emplace_back(sig);
  }
  dns::Digest d;
  ContentDigest out{};
  if (dns::sha_digest(dns::DigestAlg::sha256, parts, d)) std::copy_n(d.bytes.begin(), out.size(), out.begin());
  return out;
}

// The serial to serve (PreviousSigning), given the zone file's.
uint32_t serial_to_serve(uint32_t file, const PreviousSigning* previous, bool changed, int64_t now) {
  if (!previous || serial_after(file, previous->serial)) return file;
  if (!changed) return previous->serial;
  const auto unix_time = static_cast<uint32_t>(now);
  return serial_after(unix_time, previous->serial) ? unix_time : previous->serial + 1;
}

}  // namespace

bool serial_after(uint32_t a, uint32_t b) { return a != b && static_cast<uint32_t>(a - b) < 0x80000000u; }

zones::ZoneLoadResult sign_zone(const zones::Zone& zone, zones::ZoneConfig config,
                                const OnlineSigner& signer, int64_t now, unsigned threads,
                                SignStats* stats, const PreviousSigning* previous) {
  Collector collector(zone, signer);
  collector.collect();
  std::deque<Task>& tasks = collector.tasks();
  sign_tasks(tasks, signer, now, threads);

  SignStats counted;
  counted.content = content_digest(tasks);
  std::vector<uint8_t> soa;  // the SOA with the serial served, when not the file's
  for (Task& t : tasks) {
    if (t.type != rrtype::SOA || t.rdatas.size() != 1 || !t.ok) continue;
    const uint32_t file = soa_serial(t.rdatas[0]);
    counted.file_serial = file;
    counted.serial = serial_to_serve(file, previous, previous && previous->content != counted.content, now);
    if (counted.serial == file || serial_offset(t.rdatas[0]) == t.rdatas[0].size()) break;
    counted.serial_raised = true;
    soa.assign(t.rdatas[0].begin(), t.rdatas[0].end());
    const std::size_t at = serial_offset(soa);
    for (int i = 0; i < 4 && at + i < soa.size(); ++i) soa[at + i] = static_cast<uint8_t>(counted.serial >> (24 - 8 * i));
    t.rdatas[0] = soa;
    t.rrsigs.clear();
    t.ok = signer.sign({t.owner, t.type, dns::rrclass::IN, t.rdatas}, t.ttl, now, t.rrsigs);
    counted.content = content_digest(tasks);  // what the next signing compares with
    break;
  }

  zones::ZoneLoadResult failed;
  for (const Task& t : tasks) {
    if (!t.ok) {
      failed.errors.push_back({zone.file(), 0,
                               "zone " + zone.origin().to_text() + ": signing " +
                                   dns::name_to_text(t.owner) + " " + dns::type_to_text(t.type) +
                                   " failed"});
      return failed;
    }
    if (t.sign) ++counted.rrsets;
    counted.signatures += t.rrsigs.size();
    if (t.type == rrtype::NSEC) ++counted.nsec;
  }
  config.online_signed = true;
  const std::string file = zone.file();
  zones::ZoneLoadResult result = zones::build_zone(config, [&](const zones::RecordViewSink& sink) {
    zones::RecordView v;
    v.file = &file;
    for (const Task& t : tasks) {
      v.owner = t.owner;
      v.ttl = t.ttl;
      v.type = t.type;
      for (Bytes rd : t.rdatas) {
        v.rdata = rd;
        sink(v);
      }
      v.type = rrtype::RRSIG;
      for (const auto& sig : t.rrsigs) {
        v.rdata = sig;
        sink(v);
      }
    }
  }, zone.sources());
  if (stats) *stats = counted;
  return result;
}

}  // namespace flatns::signing

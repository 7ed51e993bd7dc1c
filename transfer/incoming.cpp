#include "transfer/incoming.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "dns/message.h"
#include "dns/rcode.h"
#include "dns/rrtype.h"
#include "dns/wire.h"

namespace flatns::transfer {

std::vector<uint8_t> make_transfer_query(const dns::Name& origin, uint16_t qtype, uint16_t id,
                                         const dns::TsigKey* key, uint64_t now, std::vector<uint8_t>& request_mac) {
  std::vector<uint8_t> q(1024);
  dns::QueryOptions options;
  options.id = id;
  options.edns = false;
  std::size_t n = dns::write_query(q, origin.wire(), qtype, options);
  request_mac.clear();
  if (key && n > 0) {
    dns::TsigSigner signer(*key, {});
    n = signer.sign(q, n, now);
    request_mac.assign(signer.mac().begin(), signer.mac().end());
  }
  q.resize(n);
  return q;
}

std::vector<uint8_t> make_ixfr_query(const dns::Name& origin, std::span<const uint8_t> soa_rdata, uint16_t id,
                                     const dns::TsigKey* key, uint64_t now, std::vector<uint8_t>& request_mac) {
  std::vector<uint8_t> q(1024 + soa_rdata.size());
  dns::QueryOptions options;
  options.id = id;
  options.edns = false;
  std::size_t n = dns::write_query(q, origin.wire(), dns::rrtype::IXFR, options);
  request_mac.clear();
  if (n == 0) return {};
  // Owner: a pointer to the question's name at offset 12; class IN, TTL 0.
  const uint8_t fixed[12] = {0xC0, 12, 0, 6, 0, 1, 0, 0, 0, 0, static_cast<uint8_t>(soa_rdata.size() >> 8),
                             static_cast<uint8_t>(soa_rdata.size())};
  std::copy(fixed, fixed + 12, q.begin() + static_cast<std::ptrdiff_t>(n));
  n += 12;
  std::copy(soa_rdata.begin(), soa_rdata.end(), q.begin() + static_cast<std::ptrdiff_t>(n));
  n += soa_rdata.size();
  q[9] = 1;  // NSCOUNT
  if (key) {
    dns::TsigSigner signer(*key, {});
    n = signer.sign(q, n, now);
    request_mac.assign(signer.mac().begin(), signer.mac().end());
  }
  q.resize(n);
  return q;
}

bool serial_after(uint32_t a, uint32_t b) { return a != b && static_cast<int32_t>(a - b) > 0; }

bool soa_serial(std::span<const uint8_t> rdata, uint32_t& serial) {
  // MNAME and RNAME (uncompressed), then serial and four timers.
  std::size_t pos = 0;
  for (int name = 0; name < 2; ++name) {
    while (true) {
      if (pos >= rdata.size()) return false;
      const uint8_t len = rdata[pos];
      if (len > 63) return false;
      pos += 1 + len;
      if (len == 0) break;
    }
  }
  if (rdata.size() != pos + 20) return false;
  serial = dns::read_u32(rdata, pos);
  return true;
}

namespace {

// Two SOA RDATAs (uncompressed) alike: MNAME and RNAME without regard to
// ASCII case (RFC 4343; a primary may compress them against a name spelled
// otherwise, e.g. the question's, in one message and not in another), the
// five numbers exactly. Length octets (at most 63) are never letters.
bool same_soa(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size() || a.size() < 20) return false;
  const std::size_t names = a.size() - 20;
  for (std::size_t i = 0; i < names; ++i) {
    if (dns::ascii_lower(a[i]) != dns::ascii_lower(b[i])) return false;
  }
  return std::equal(a.begin() + static_cast<std::ptrdiff_t>(names), a.end(),
                    b.begin() + static_cast<std::ptrdiff_t>(names));
}


bool check_header(const dns::Message& m, uint16_t id, std::string& error) {
  if (m.id != id) {
    error = "answer with another ID";
    return false;
  }
  if (!m.has_flag(dns::flag::QR) || ((m.flags >> 11) & 0xF) != dns::opcode::QUERY) {
    error = "not a response to a query";
    return false;
  }
  return true;
}

}  // namespace

bool check_soa_answer(std::span<const uint8_t> answer, const dns::Name& origin, uint16_t id, const dns::TsigKey* key,
                      std::span<const uint8_t> request_mac, uint64_t now, uint32_t& serial, std::string& error) {
  dns::Message m;
  if (!dns::parse_message(answer, m, error)) {
    error = "malformed SOA answer: " + error;
    return false;
  }
  if (!check_header(m, id, error)) return false;
  if (key) {
    dns::TsigVerifier verifier(*key, request_mac);
    const dns::TsigStatus s = verifier.verify(answer, now);
    if (s != dns::TsigStatus::Ok) {
      error = "SOA answer: TSIG " + std::string(dns::tsig_status_text(s));
      return false;
    }
  }
  if (m.rcode() != dns::rcode::NOERROR) {
    error = "SOA query answered " + dns::rcode_to_text(m.rcode());
    return false;
  }
  for (const auto& rr : m.answer) {
    if (rr.type == dns::rrtype::SOA && rr.owner == origin && rr.rclass == dns::rrclass::IN &&
        soa_serial(rr.rdata, serial)) {
      return true;
    }
  }
  error = "SOA answer without the zone's SOA";
  return false;
}

AxfrReceiver::AxfrReceiver(dns::Name origin, uint16_t id, const dns::TsigKey* key,
                           std::span<const uint8_t> request_mac, IncomingLimits limits)
    : origin_(std::move(origin)), id_(id), limits_(limits) {
  if (key) {
    key_ = *key;
    verifier_ = std::make_unique<dns::TsigVerifier>(key_, request_mac);
  }
}

AxfrReceiver::State AxfrReceiver::fail(std::string why) {
  state_ = State::Failed;
  error_ = "message " + std::to_string(messages_) + ": " + std::move(why);
  records_.clear();
  differences_.clear();
  return state_;
}

AxfrReceiver::State AxfrReceiver::add(std::span<const uint8_t> message, uint64_t now) {
  if (state_ != State::More) return fail("message after the end of the transfer");
  ++messages_;
  bytes_ += message.size();
  if (bytes_ > limits_.max_bytes) {
    return fail("transfer larger than max_transfer_size (" + std::to_string(limits_.max_bytes) + " octets)");
  }
  dns::Message m;
  std::string problem;
  if (!dns::parse_message(message, m, problem)) return fail("malformed: " + problem);
  if (!check_header(m, id_, problem)) return fail(problem);
  rcode_ = m.rcode();
  if (verifier_) {
    const dns::TsigStatus s = verifier_->verify(message, now);
    if (s != dns::TsigStatus::Ok && s != dns::TsigStatus::Unsigned) {
      return fail("TSIG " + std::string(dns::tsig_status_text(s)));
    }
  }
  if (m.rcode() != dns::rcode::NOERROR) return fail("answered " + dns::rcode_to_text(m.rcode()));
  if (m.has_question && (!(m.qname == origin_) || m.qtype != (ixfr_ ? dns::rrtype::IXFR : dns::rrtype::AXFR))) {
    return fail("answer to another question (" + m.qname.to_text() + ")");
  }
  if (m.answer.empty()) return fail("no records");
  for (std::size_t i = 0; i < m.answer.size(); ++i) {
    if (!take(m.answer[i], i + 1 == m.answer.size())) return state_;
  }
  // RFC 1995 §4: the SOA alone, not newer than ours: nothing to transfer.
  if (ixfr_ && messages_ == 1 && m.answer.size() == 1 && !serial_after(serial_, ixfr_from_)) {
    up_to_date_ = true;
    closed_ = true;
  }
  if (closed_) {
    if (verifier_ && !verifier_->last_signed()) return fail("the last message is not signed");
    state_ = State::Done;
  }
  return state_;
}

bool AxfrReceiver::take(const dns::ResourceRecord& rr, bool last_in_message) {
  if (records_.size() + record_count_ >= limits_.max_records) {
    fail("more than max_transfer_records (" + std::to_string(limits_.max_records) + ")");
    return false;
  }
  if (rr.rclass != dns::rrclass::IN) {
    fail(rr.owner.to_text() + " " + dns::type_to_text(rr.type) + ": class " + dns::class_to_text(rr.rclass) +
         ", not IN");
    return false;
  }
  if (!rr.owner.is_subdomain_of(origin_)) {
    fail(rr.owner.to_text() + " " + dns::type_to_text(rr.type) + ": outside the zone " + origin_.to_text());
    return false;
  }
  if (incremental_) return take_incremental(rr, last_in_message);
  if (records_.empty()) {
    if (rr.type != dns::rrtype::SOA || !(rr.owner == origin_) || !soa_serial(rr.rdata, serial_)) {
      fail("the transfer does not start with the SOA of " + origin_.to_text());
      return false;
    }
    records_.push_back(rr);
    return true;
  }
  uint32_t second_serial = 0;
  if (ixfr_ && records_.size() == 1 && rr.type == dns::rrtype::SOA && soa_serial(rr.rdata, second_serial) &&
      second_serial == ixfr_from_ && !same_soa(rr.rdata, records_.front().rdata)) {
    // RFC 1995 §4: a second SOA, of our serial, opens the first difference.
    incremental_ = true;
    differences_.push_back({});
    return take_incremental(rr, last_in_message);
  }
  if (rr.type == dns::rrtype::SOA) {
    // RFC 5936 §2.2: the closing SOA equals the opening one, and ends the stream.
    if (!(rr.owner == origin_) || !same_soa(rr.rdata, records_.front().rdata)) {
      fail("SOA of " + rr.owner.to_text() + " in the middle of the transfer");
      return false;
    }
    if (!last_in_message) {
      fail("records after the closing SOA");
      return false;
    }
    closed_ = true;
    return true;
  }
  records_.push_back(rr);
  return true;
}

void AxfrReceiver::expect_ixfr(uint32_t serial) {
  ixfr_ = true;
  ixfr_from_ = serial;
}

// The records after the first SOA of an incremental answer: per difference
// the old SOA, removals, the new SOA, additions; the first SOA again ends it.
bool AxfrReceiver::take_incremental(const dns::ResourceRecord& rr, bool last_in_message) {
  ++record_count_;
  if (rr.type != dns::rrtype::SOA) {
    Difference& d = differences_.back();
    (adding_ ? d.added : d.removed).push_back(rr);
    return true;
  }
  uint32_t serial = 0;
  if (!(rr.owner == origin_) || !soa_serial(rr.rdata, serial)) {
    // CVE-2021-25214: an SOA whose owner is not the apex.
    fail("IXFR: SOA of " + rr.owner.to_text() + " is not the apex of " + origin_.to_text());
    return false;
  }
  Difference& d = differences_.back();
  if (d.old_soa.rdata.empty()) {  // opens a difference: from the previous one's serial
    d.old_soa = rr;
    return true;
  }
  if (!adding_) {
    uint32_t from = 0;
    (void)soa_serial(d.old_soa.rdata, from);
    if (!serial_after(serial, from)) {
      fail("IXFR: a difference from serial " + std::to_string(from) + " to " + std::to_string(serial) +
           ", not forward (RFC 1982)");
      return false;
    }
    d.new_soa = rr;
    adding_ = true;
    return true;
  }
  uint32_t to = 0;
  (void)soa_serial(d.new_soa.rdata, to);
  if (serial == serial_ && to == serial_) {  // the closing SOA
    if (!same_soa(rr.rdata, records_.front().rdata)) {
      fail("IXFR: the closing SOA differs from the opening one");
      return false;
    }
    if (!last_in_message) {
      fail("records after the closing SOA");
      return false;
    }
    closed_ = true;
    return true;
  }
  if (serial != to) {
    fail("IXFR: a difference from serial " + std::to_string(serial) + " follows one to " + std::to_string(to));
    return false;
  }
  adding_ = false;
  differences_.push_back({});
  differences_.back().old_soa = rr;
  return true;
}

namespace {

std::string record_key(const dns::ResourceRecord& rr, bool fold_rdata) {
  std::string key(rr.owner.wire().begin(), rr.owner.wire().end());
  for (auto& c : key) c = static_cast<char>(dns::ascii_lower(static_cast<uint8_t>(c)));
  key.push_back(static_cast<char>(rr.type >> 8));
  key.push_back(static_cast<char>(rr.type));
  for (uint8_t c : rr.rdata) key.push_back(static_cast<char>(fold_rdata ? dns::ascii_lower(c) : c));
  return key;
}

}  // namespace

bool apply_differences(const std::vector<dns::ResourceRecord>& current,
                       const std::vector<AxfrReceiver::Difference>& differences, std::vector<dns::ResourceRecord>& out,
                       std::string& error) {
  if (current.empty() || current.front().type != dns::rrtype::SOA) {
    error = "no current version to apply the differences to";
    return false;
  }
  uint32_t serial = 0, from = 0;
  (void)soa_serial(current.front().rdata, serial);
  if (differences.empty() || !soa_serial(differences.front().old_soa.rdata, from) || from != serial) {
    error = "the differences do not start from our serial " + std::to_string(serial);
    return false;
  }
  std::vector<dns::ResourceRecord> records(current.begin() + 1, current.end());
  std::vector<bool> alive(records.size(), true);
  std::unordered_multimap<std::string, std::size_t> exact, folded;
  for (std::size_t i = 0; i < records.size(); ++i) exact.emplace(record_key(records[i], false), i);
  const auto find_alive = [&](std::unordered_multimap<std::string, std::size_t>& index, const std::string& key) {
    auto [b, e] = index.equal_range(key);
    for (auto it = b; it != e; ++it) {
      if (alive[it->second]) return it->second;
    }
    return records.size();
  };
  for (const auto& d : differences) {
    for (const auto& rr : d.removed) {
      std::size_t at = find_alive(exact, record_key(rr, false));
      if (at == records.size()) {
        if (folded.empty()) {
          for (std::size_t i = 0; i < records.size(); ++i) folded.emplace(record_key(records[i], true), i);
        }
        at = find_alive(folded, record_key(rr, true));
      }
      if (at == records.size()) {
        error = "IXFR deletes " + rr.owner.to_text() + " " + dns::type_to_text(rr.type) +
                ", which the zone does not hold";
        return false;
      }
      alive[at] = false;
    }
    for (const auto& rr : d.added) {
      const std::string key = record_key(rr, false);
      const std::size_t at = find_alive(exact, key);
      if (at != records.size()) {  // already there: RFC 1995 leaves one copy
        records[at].ttl = rr.ttl;
        continue;
      }
      records.push_back(rr);
      alive.push_back(true);
      exact.emplace(key, records.size() - 1);
      if (!folded.empty()) folded.emplace(record_key(rr, true), records.size() - 1);
    }
  }
  out.clear();
  out.reserve(records.size() + 1);
  out.push_back(differences.back().new_soa);
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (alive[i]) out.push_back(std::move(records[i]));
  }
  return true;
}

bool write_zone_file(const std::string& path, const dns::Name& origin, const std::vector<dns::ResourceRecord>& records,
                     const std::vector<std::string>& header, std::string& error) {
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  FILE* f = std::fopen(temp.c_str(), "w");
  if (!f) {
    error = temp + ": " + std::strerror(errno);
    return false;
  }
  bool ok = true;
  for (const auto& line : header) ok = ok && std::fprintf(f, "; %s\n", line.c_str()) >= 0;
  ok = ok && std::fprintf(f, "$ORIGIN %s\n", origin.to_text().c_str()) >= 0;
  for (const auto& rr : records) ok = ok && std::fprintf(f, "%s\n", rr.to_text().c_str()) >= 0;
  ok = ok && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    std::remove(temp.c_str());
    return false;
  }
  return true;
}

}  // namespace flatns::transfer

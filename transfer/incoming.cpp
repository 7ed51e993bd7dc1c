#include "transfer/incoming.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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
  if (m.has_question && (!(m.qname == origin_) || m.qtype != dns::rrtype::AXFR)) {
    return fail("answer to another question (" + m.qname.to_text() + ")");
  }
  if (m.answer.empty()) return fail("no records");
  for (std::size_t i = 0; i < m.answer.size(); ++i) {
    if (!take(m.answer[i], i + 1 == m.answer.size())) return state_;
  }
  if (closed_) {
    if (verifier_ && !verifier_->last_signed()) return fail("the last message is not signed");
    state_ = State::Done;
  }
  return state_;
}

bool AxfrReceiver::take(const dns::ResourceRecord& rr, bool last_in_message) {
  if (records_.size() >= limits_.max_records) {
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
  if (records_.empty()) {
    if (rr.type != dns::rrtype::SOA || !(rr.owner == origin_) || !soa_serial(rr.rdata, serial_)) {
      fail("the transfer does not start with the SOA of " + origin_.to_text());
      return false;
    }
    records_.push_back(rr);
    return true;
  }
  if (rr.type == dns::rrtype::SOA) {
    // RFC 5936 §2.2: the closing SOA equals the opening one, and ends the stream.
    if (!(rr.owner == origin_) || rr.rdata != records_.front().rdata) {
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

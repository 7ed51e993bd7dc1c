#include "dns/tsig.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>

#include "dns/rrtype.h"
#include "dns/wire.h"

namespace flatns::dns {
namespace {

struct AlgorithmInfo {
  TsigAlgorithm alg;
  std::string_view text;
  std::string_view digest;  // OpenSSL's name
  std::size_t mac_size;
  std::array<uint8_t, 13> wire;  // the algorithm's name, wire form
  std::size_t wire_size;
};

// RFC 8945 §6: hmac-sha256. hmac-sha384. hmac-sha512. hmac-sha1.
constexpr AlgorithmInfo kAlgorithms[] = {
    {TsigAlgorithm::HmacSha256, "hmac-sha256", "SHA256", 32,
     {11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0}, 13},
    {TsigAlgorithm::HmacSha384, "hmac-sha384", "SHA384", 48,
     {11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '3', '8', '4', 0}, 13},
    {TsigAlgorithm::HmacSha512, "hmac-sha512", "SHA512", 64,
     {11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '5', '1', '2', 0}, 13},
    {TsigAlgorithm::HmacSha1, "hmac-sha1", "SHA1", 20,
     {9, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '1', 0, 0, 0}, 11},
};

const AlgorithmInfo& info(TsigAlgorithm alg) {
  for (const auto& a : kAlgorithms) {
    if (a.alg == alg) return a;
  }
  return kAlgorithms[0];
}

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacDeleter>;

EVP_MAC* hmac() {
  static const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return mac.get();
}

// One HMAC computation fed piece by piece.
class Hmac {
 public:
  Hmac(const TsigKey& key) : ctx_(hmac() ? EVP_MAC_CTX_new(hmac()) : nullptr) {
    if (!ctx_) return;
    const AlgorithmInfo& a = info(key.algorithm);
    std::string digest(a.digest);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
                           OSSL_PARAM_construct_end()};
    // An empty key is legal HMAC input; OpenSSL wants a non-null pointer.
    static const uint8_t kEmpty = 0;
    ok_ = EVP_MAC_init(ctx_.get(), key.secret.empty() ? &kEmpty : key.secret.data(), key.secret.size(),
                       params) == 1;
  }
  void update(std::span<const uint8_t> data) {
    if (ok_ && !data.empty()) ok_ = EVP_MAC_update(ctx_.get(), data.data(), data.size()) == 1;
  }
  void u16(uint16_t v) {
    const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    update(b);
  }
  void u48(uint64_t v) {
    const uint8_t b[6] = {static_cast<uint8_t>(v >> 40), static_cast<uint8_t>(v >> 32), static_cast<uint8_t>(v >> 24),
                          static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),  static_cast<uint8_t>(v)};
    update(b);
  }
  void lowercase_name(NameView n) {
    std::array<uint8_t, kMaxNameLength> lower;
    const std::size_t size = std::min(n.size(), lower.size());
    for (std::size_t i = 0; i < size; ++i) lower[i] = ascii_lower(n[i]);
    // Label lengths are below 64, so ascii_lower leaves them alone.
    update({lower.data(), size});
  }
  // Length-prefixed MAC, as prior and request MACs enter the digest.
  void prefixed_mac(std::span<const uint8_t> mac) {
    u16(static_cast<uint16_t>(mac.size()));
    update(mac);
  }
  // A message as it was before its TSIG record: ARCOUNT one less and the
  // original ID back in place.
  void message_before_tsig(std::span<const uint8_t> message, const TsigRecord& rec) {
    std::array<uint8_t, 12> header;
    std::copy_n(message.begin(), 12, header.begin());
    header[0] = static_cast<uint8_t>(rec.original_id >> 8);
    header[1] = static_cast<uint8_t>(rec.original_id);
    const uint16_t arcount = static_cast<uint16_t>(header[10] << 8 | header[11]);
    header[10] = static_cast<uint8_t>((arcount - 1) >> 8);
    header[11] = static_cast<uint8_t>(arcount - 1);
    update(header);
    update(message.subspan(12, rec.offset - 12));
  }
  void variables(NameView key_name, NameView algorithm, uint64_t time, uint16_t fudge, uint16_t error,
                 std::span<const uint8_t> other) {
    lowercase_name(key_name);
    u16(rrclass::ANY);
    const uint8_t ttl[4] = {0, 0, 0, 0};
    update(ttl);
    lowercase_name(algorithm);
    u48(time);
    u16(fudge);
    u16(error);
    u16(static_cast<uint16_t>(other.size()));
    update(other);
  }
  void timers(uint64_t time, uint16_t fudge) {
    u48(time);
    u16(fudge);
  }
  [[nodiscard]] bool finish(std::vector<uint8_t>& out) {
    if (!ok_) return false;
    out.resize(EVP_MAX_MD_SIZE);
    std::size_t len = 0;
    if (EVP_MAC_final(ctx_.get(), out.data(), &len, out.size()) != 1) return false;
    out.resize(len);
    return true;
  }

 private:
  MacCtxPtr ctx_;
  bool ok_ = false;
};

// Reads an uncompressed wire name at `pos` as a view into the message.
bool uncompressed_name_at(std::span<const uint8_t> msg, std::size_t& pos, NameView& out) {
  const std::size_t start = pos;
  while (true) {
    if (pos >= msg.size()) return false;
    const uint8_t len = msg[pos];
    if (len > kMaxLabelLength) return false;  // also rejects compression pointers
    pos += 1 + len;
    if (pos - start > kMaxNameLength) return false;
    if (len == 0) break;
  }
  out = msg.subspan(start, pos - start);
  return true;
}

bool parse_tsig_rdata(std::span<const uint8_t> msg, std::size_t pos, std::size_t end, TsigRecord& out) {
  std::span<const uint8_t> rdata = msg.first(end);
  if (!uncompressed_name_at(rdata, pos, out.algorithm)) return false;
  WireReader r(rdata, pos);
  uint16_t time_high, mac_size, other_size;
  uint32_t time_low;
  if (!r.u16(time_high) || !r.u32(time_low) || !r.u16(out.fudge) || !r.u16(mac_size) ||
      !r.bytes(mac_size, out.mac) || !r.u16(out.original_id) || !r.u16(out.error) || !r.u16(other_size) ||
      !r.bytes(other_size, out.other)) {
    return false;
  }
  out.time_signed = static_cast<uint64_t>(time_high) << 32 | time_low;
  return r.remaining() == 0;
}

bool key_matches(const TsigKey& key, const TsigRecord& rec) {
  return name_equal(key.name.wire(), rec.key_name) && name_equal(tsig_algorithm_name(key.algorithm), rec.algorithm);
}

// RFC 8945 §5.2.2.1: a MAC longer than the hash or shorter than
// max(10, hash/2) is malformed; a shorter one than the hash is refused by
// local policy (whole MACs only).
TsigStatus check_mac_size(const TsigKey& key, std::size_t size) {
  const std::size_t full = tsig_mac_size(key.algorithm);
  if (size > full || size < std::max<std::size_t>(10, full / 2)) return TsigStatus::FormErr;
  if (size < full) return TsigStatus::BadTrunc;
  return TsigStatus::Ok;
}

bool macs_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool within_fudge(uint64_t now, const TsigRecord& rec) {
  const uint64_t diff = now > rec.time_signed ? now - rec.time_signed : rec.time_signed - now;
  return diff <= rec.fudge;
}

TsigStatus status_of_error(uint16_t error) {
  switch (error) {
    case rcode::BADKEY: return TsigStatus::BadKey;
    case rcode::BADTIME: return TsigStatus::BadTime;
    case rcode::BADTRUNC: return TsigStatus::BadTrunc;
    default: return TsigStatus::BadSig;
  }
}

// Writes a TSIG record at the end of the message and raises ARCOUNT.
std::size_t write_tsig_record(std::span<uint8_t> buffer, std::size_t length, NameView key_name, NameView algorithm,
                              uint64_t time, uint16_t fudge, std::span<const uint8_t> mac, uint16_t error,
                              std::span<const uint8_t> other) {
  if (length < 12 || length > buffer.size()) return 0;
  const uint16_t original_id = static_cast<uint16_t>(buffer[0] << 8 | buffer[1]);
  WireWriter w(buffer.subspan(length));
  w.bytes(key_name);
  w.u16(kTsigType);
  w.u16(rrclass::ANY);
  w.u32(0);
  const std::size_t rdlength_at = w.size();
  w.u16(0);
  w.bytes(algorithm);
  w.u16(static_cast<uint16_t>(time >> 32));
  w.u32(static_cast<uint32_t>(time));
  w.u16(fudge);
  w.u16(static_cast<uint16_t>(mac.size()));
  w.bytes(mac);
  w.u16(original_id);
  w.u16(error);
  w.u16(static_cast<uint16_t>(other.size()));
  w.bytes(other);
  if (w.overflowed()) return 0;
  w.put_u16_at(rdlength_at, static_cast<uint16_t>(w.size() - rdlength_at - 2));
  const uint16_t arcount = static_cast<uint16_t>(buffer[10] << 8 | buffer[11]) + 1;
  buffer[10] = static_cast<uint8_t>(arcount >> 8);
  buffer[11] = static_cast<uint8_t>(arcount);
  return length + w.size();
}

}  // namespace

bool tsig_algorithm_from_text(std::string_view text, TsigAlgorithm& out) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  for (const auto& a : kAlgorithms) {
    if (text.size() != a.text.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < text.size(); ++i) {
      same = same && ascii_lower(static_cast<uint8_t>(text[i])) == static_cast<uint8_t>(a.text[i]);
    }
    if (same) {
      out = a.alg;
      return true;
    }
  }
  return false;
}

std::string_view tsig_algorithm_text(TsigAlgorithm alg) { return info(alg).text; }
NameView tsig_algorithm_name(TsigAlgorithm alg) {
  const AlgorithmInfo& a = info(alg);
  return {a.wire.data(), a.wire_size};
}
std::size_t tsig_mac_size(TsigAlgorithm alg) { return info(alg).mac_size; }

std::string_view tsig_status_text(TsigStatus s) {
  switch (s) {
    case TsigStatus::Ok: return "ok";
    case TsigStatus::Unsigned: return "not signed";
    case TsigStatus::FormErr: return "malformed TSIG record";
    case TsigStatus::BadKey: return "BADKEY (unknown key or algorithm)";
    case TsigStatus::BadSig: return "BADSIG (MAC does not verify)";
    case TsigStatus::BadTime: return "BADTIME (time signed outside the fudge)";
    case TsigStatus::BadTrunc: return "BADTRUNC (truncated MAC)";
  }
  return "?";
}

uint16_t tsig_error_code(TsigStatus s) {
  switch (s) {
    case TsigStatus::BadKey: return rcode::BADKEY;
    case TsigStatus::BadSig: return rcode::BADSIG;
    case TsigStatus::BadTime: return rcode::BADTIME;
    case TsigStatus::BadTrunc: return rcode::BADTRUNC;
    default: return 0;
  }
}

TsigFind find_tsig(std::span<const uint8_t> message, TsigRecord& out) {
  WireReader r(message);
  uint16_t id, flags, counts[4];
  if (!r.u16(id) || !r.u16(flags) || !r.u16(counts[0]) || !r.u16(counts[1]) || !r.u16(counts[2]) ||
      !r.u16(counts[3])) {
    return TsigFind::Malformed;
  }
  NameBuffer name;
  for (uint16_t i = 0; i < counts[0]; ++i) {
    if (!r.name(name) || !r.skip(4)) return TsigFind::Malformed;
  }
  const std::size_t records = static_cast<std::size_t>(counts[1]) + counts[2] + counts[3];
  for (std::size_t i = 0; i < records; ++i) {
    const std::size_t start = r.pos();
    uint16_t type, rclass, rdlength;
    uint32_t ttl;
    if (!r.name(name) || !r.u16(type) || !r.u16(rclass) || !r.u32(ttl) || !r.u16(rdlength)) return TsigFind::Malformed;
    const std::size_t rdata_at = r.pos();
    if (!r.skip(rdlength)) return TsigFind::Malformed;
    if (type != kTsigType) continue;
    // Only the last record of the additional section may be TSIG, of class ANY, TTL 0.
    if (i + 1 != records || counts[3] == 0 || rclass != rrclass::ANY || ttl != 0) return TsigFind::Malformed;
    std::size_t pos = start;
    if (!uncompressed_name_at(message, pos, out.key_name)) return TsigFind::Malformed;
    if (!parse_tsig_rdata(message, rdata_at, rdata_at + rdlength, out)) return TsigFind::Malformed;
    out.offset = start;
    return r.remaining() == 0 ? TsigFind::Found : TsigFind::Malformed;
  }
  return r.remaining() == 0 ? TsigFind::None : TsigFind::Malformed;
}

TsigRequestCheck verify_tsig_request(std::span<const uint8_t> message, std::span<const TsigKey> keys, uint64_t now) {
  TsigRequestCheck check;
  switch (find_tsig(message, check.record)) {
    case TsigFind::None: check.status = TsigStatus::Unsigned; return check;
    case TsigFind::Malformed: check.status = TsigStatus::FormErr; return check;
    case TsigFind::Found: break;
  }
  const TsigRecord& rec = check.record;
  for (const auto& key : keys) {
    if (key_matches(key, rec)) check.key = &key;
  }
  if (!check.key) {
    check.status = TsigStatus::BadKey;
    return check;
  }
  check.status = check_mac_size(*check.key, rec.mac.size());
  if (check.status != TsigStatus::Ok) return check;
  Hmac h(*check.key);
  h.message_before_tsig(message, rec);
  h.variables(rec.key_name, rec.algorithm, rec.time_signed, rec.fudge, rec.error, rec.other);
  std::vector<uint8_t> mac;
  if (!h.finish(mac) || !macs_equal(mac, rec.mac)) {
    check.status = TsigStatus::BadSig;
    return check;
  }
  check.status = within_fudge(now, rec) ? TsigStatus::Ok : TsigStatus::BadTime;
  return check;
}

TsigSigner::TsigSigner(const TsigKey& key, std::span<const uint8_t> request_mac)
    : key_(key), mac_(request_mac.begin(), request_mac.end()) {}

std::size_t TsigSigner::sign(std::span<uint8_t> buffer, std::size_t length, uint64_t now, uint16_t error,
                             std::span<const uint8_t> other) {
  if (length < 12 || length > buffer.size()) return 0;
  Hmac h(key_);
  if (first_) {
    if (!mac_.empty()) h.prefixed_mac(mac_);
  } else {
    h.prefixed_mac(mac_);
  }
  h.update(buffer.first(length));
  if (first_) {
    h.variables(key_.name.wire(), tsig_algorithm_name(key_.algorithm), now, kTsigDefaultFudge, error, other);
  } else {
    h.timers(now, kTsigDefaultFudge);
  }
  std::vector<uint8_t> mac;
  if (!h.finish(mac)) return 0;
  const std::size_t n = write_tsig_record(buffer, length, key_.name.wire(), tsig_algorithm_name(key_.algorithm), now,
                                          kTsigDefaultFudge, mac, error, other);
  if (n == 0) return 0;
  mac_ = std::move(mac);
  first_ = false;
  return n;
}

TsigVerifier::TsigVerifier(const TsigKey& key, std::span<const uint8_t> request_mac)
    : key_(key), prior_mac_(request_mac.begin(), request_mac.end()) {}

TsigStatus TsigVerifier::verify(std::span<const uint8_t> message, uint64_t now) {
  TsigRecord rec;
  switch (find_tsig(message, rec)) {
    case TsigFind::Malformed: return TsigStatus::FormErr;
    case TsigFind::None:
      // RFC 8945 §5.3.1: at most 99 unsigned messages between signed ones.
      if (first_ || unsigned_run_ >= 99) return TsigStatus::BadSig;
      ++unsigned_run_;
      pending_.insert(pending_.end(), message.begin(), message.end());
      return TsigStatus::Unsigned;
    case TsigFind::Found: break;
  }
  if (!key_matches(key_, rec)) return TsigStatus::BadKey;
  if (rec.error != 0) return status_of_error(rec.error);
  if (TsigStatus s = check_mac_size(key_, rec.mac.size()); s != TsigStatus::Ok) return s;
  Hmac h(key_);
  if (!first_ || !prior_mac_.empty()) h.prefixed_mac(prior_mac_);
  h.update(pending_);
  h.message_before_tsig(message, rec);
  if (first_) {
    h.variables(rec.key_name, rec.algorithm, rec.time_signed, rec.fudge, rec.error, rec.other);
  } else {
    h.timers(rec.time_signed, rec.fudge);
  }
  std::vector<uint8_t> mac;
  if (!h.finish(mac) || !macs_equal(mac, rec.mac)) return TsigStatus::BadSig;
  if (!within_fudge(now, rec)) return TsigStatus::BadTime;
  prior_mac_ = std::move(mac);
  pending_.clear();
  unsigned_run_ = 0;
  first_ = false;
  return TsigStatus::Ok;
}

std::size_t append_tsig_error(std::span<uint8_t> buffer, std::size_t length, const TsigRecord& request,
                              uint16_t error) {
  return write_tsig_record(buffer, length, request.key_name, request.algorithm, request.time_signed, request.fudge,
                           {}, error, {});
}

}  // namespace flatns::dns

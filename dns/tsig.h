// TSIG: secret-key transaction authentication (RFC 8945), for zone transfers
// and NOTIFY between primaries and secondaries.
//
// - Algorithms hmac-sha256 (the default), hmac-sha384, hmac-sha512 and
//   hmac-sha1 (RFC 8945 §6); HMAC-MD5 and GSS-TSIG are not offered.
// - A request or a single response is signed over the request MAC (for a
//   response), the message as it was before the TSIG record was added, and
//   every TSIG variable (§4.3.3). The second and later messages of a stream
//   (an AXFR answer over TCP) are signed over the prior MAC, the messages
//   since it, and only the timers (§5.3.1); a verifier accepts up to 99
//   unsigned messages between signed ones.
// - Verification follows §5.2's order: key (BADKEY), MAC size (FORMERR when
//   it is longer than the hash or shorter than max(10, hash/2) octets;
//   BADTRUNC when shorter than the hash, since flatns accepts whole MACs
//   only), MAC (BADSIG, compared in constant time), then time (BADTIME
//   outside the fudge).
// - A key's secret is never part of any text this module returns.
//
// Allocation-free on the verify path except for the digest buffers OpenSSL
// keeps; this runs on transfers and NOTIFY, not on the query path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/rcode.h"

namespace flatns::dns {

inline constexpr uint16_t kTsigType = 250;
inline constexpr uint16_t kTsigDefaultFudge = 300;  // seconds (RFC 8945 §10)


enum class TsigAlgorithm : uint8_t { HmacSha256, HmacSha384, HmacSha512, HmacSha1 };

// "hmac-sha256" etc. (as in BIND's and Knot's key files), case-insensitive.
[[nodiscard]] bool tsig_algorithm_from_text(std::string_view text, TsigAlgorithm& out);
[[nodiscard]] std::string_view tsig_algorithm_text(TsigAlgorithm alg);
// The algorithm's domain name in wire form (RFC 8945 §6), lowercase.
[[nodiscard]] NameView tsig_algorithm_name(TsigAlgorithm alg);
[[nodiscard]] std::size_t tsig_mac_size(TsigAlgorithm alg);

struct TsigKey {
  Name name;
  TsigAlgorithm algorithm = TsigAlgorithm::HmacSha256;
  std::vector<uint8_t> secret;  // never printed or logged
};

// A TSIG record found in a message: views into the message.
struct TsigRecord {
  NameView key_name;   // uncompressed (RFC 8945 §4.2: no compression)
  NameView algorithm;
  uint64_t time_signed = 0;  // 48 bits
  uint16_t fudge = 0;
  std::span<const uint8_t> mac;
  uint16_t original_id = 0;
  uint16_t error = 0;
  std::span<const uint8_t> other;
  std::size_t offset = 0;  // where the TSIG record starts in the message
};

enum class TsigFind : uint8_t { None, Found, Malformed };

// Walks the whole message; a TSIG record must be the last record of the
// additional section and appear once (RFC 8945 §5.1), else Malformed.
[[nodiscard]] TsigFind find_tsig(std::span<const uint8_t> message, TsigRecord& out);

enum class TsigStatus : uint8_t { Ok, Unsigned, FormErr, BadKey, BadSig, BadTime, BadTrunc };
[[nodiscard]] std::string_view tsig_status_text(TsigStatus s);
// The TSIG error field that answers `s` (0 for Ok, Unsigned, FormErr).
[[nodiscard]] uint16_t tsig_error_code(TsigStatus s);

struct TsigRequestCheck {
  TsigStatus status = TsigStatus::Unsigned;
  const TsigKey* key = nullptr;  // the key the request names, when it is known
  TsigRecord record;             // valid unless Unsigned or FormErr
};

// Checks a signed request against `keys` at time `now` (seconds since the
// epoch). Unsigned requests give Unsigned; the caller decides if that is
// allowed.
[[nodiscard]] TsigRequestCheck verify_tsig_request(std::span<const uint8_t> message,
                                                   std::span<const TsigKey> keys, uint64_t now);

// Signs a request, a response or each message of a response stream.
class TsigSigner {
 public:
  // `request_mac`: the MAC of the signed request being answered (empty
  // when signing a request).
  TsigSigner(const TsigKey& key, std::span<const uint8_t> request_mac);

  // Appends a TSIG record to the message of `length` octets at the start of
  // `buffer` and raises ARCOUNT; returns the new length, or 0 when the
  // record does not fit. The first call signs the whole variable set, later
  // calls sign as later messages of one stream (prior MAC and timers).
  [[nodiscard]] std::size_t sign(std::span<uint8_t> buffer, std::size_t length, uint64_t now,
                                 uint16_t error = 0, std::span<const uint8_t> other = {});
  std::span<const uint8_t> mac() const { return mac_; }

 private:
  const TsigKey& key_;
  std::vector<uint8_t> mac_;  // the request MAC, then the last MAC made
  bool first_ = true;
};

// Verifies the messages of a signed response (one message, or a stream of
// messages such as an AXFR answer), in order.
class TsigVerifier {
 public:
  TsigVerifier(const TsigKey& key, std::span<const uint8_t> request_mac);
  // Ok for a valid signed message; Unsigned for an unsigned message that
  // may be followed by a signed one (never for the first; at most 99 in a
  // row); otherwise the failure.
  [[nodiscard]] TsigStatus verify(std::span<const uint8_t> message, uint64_t now);
  // True when the last message given was signed: a stream must end so.
  bool last_signed() const { return unsigned_run_ == 0 && !first_; }

 private:
  const TsigKey& key_;
  std::vector<uint8_t> prior_mac_;
  std::vector<uint8_t> pending_;  // unsigned messages since the last signed one
  unsigned unsigned_run_ = 0;
  bool first_ = true;
};

// Appends an unsigned TSIG record that reports `error` for a request whose
// TSIG record was `request` (RFC 8945 §5.3.2: BADKEY and BADSIG answers
// carry an empty MAC). Returns the new length or 0 when it does not fit.
[[nodiscard]] std::size_t append_tsig_error(std::span<uint8_t> buffer, std::size_t length,
                                            const TsigRecord& request, uint16_t error);

}  // namespace flatns::dns

// Response rate limiting (RRL) for answers over UDP, the way BIND, Knot and
// NSD have it, so that flatns cannot be used to amplify a spoofed flood.
//
// - Responses are counted per client prefix (/24 IPv4, /56 IPv6 by default)
//   and per kind of response: a positive answer or NODATA counts under its
//   qname and qtype, NXDOMAIN under its zone (the SOA owner), a referral
//   under its delegation point, every error rcode under one bucket per prefix
//   (BIND's and Knot's grouping, so random names cannot dodge the limit).
// - Each bucket is a token bucket: responses_per_second tokens a second, at
//   most one second's worth saved up. A response over the limit still costs
//   a token, down to a debt of window_s seconds' worth, so a prefix stays
//   limited until its average rate over the window is under the limit
//   (BIND's "window").
// - A limited response is dropped, except every slip-th one of a bucket,
//   which goes out truncated (TC=1, question only) so that a real client
//   behind a spoofed prefix retries over TCP, which is never limited.
// - The table has table_size buckets allocated at construction; a response
//   whose key hashes to a bucket holding another key takes the bucket over.
//   The hash is keyed with a random seed so clients cannot aim collisions.
// - One table per worker thread: no lock on the packet path. A client whose
//   queries spread over several workers (SO_REUSEPORT hashes on the source
//   port too) may get up to workers x responses_per_second.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace flatns::server {

struct RrlSettings {
  uint32_t responses_per_second = 0;  // 0: rate limiting off
  uint32_t slip = 2;                  // 0: drop every limited response; 1: truncate each
  uint32_t window_s = 15;
  uint32_t ipv4_prefix = 24;
  uint32_t ipv6_prefix = 56;
  uint32_t table_size = 65536;  // buckets per worker
  friend bool operator==(const RrlSettings&, const RrlSettings&) = default;
};

enum class RrlVerdict : uint8_t { Send, Slip, Drop };

class RateLimiter {
 public:
  explicit RateLimiter(const RrlSettings& settings);
  RateLimiter(const RrlSettings& settings, uint64_t seed);  // fixed seed, for tests

  [[nodiscard]] const RrlSettings& settings() const { return settings_; }

  // Counts `response` (a complete response this server built) sent to
  // `client` at `now_ms` (any monotonic millisecond clock).
  [[nodiscard]] RrlVerdict account(const sockaddr* client, std::span<const uint8_t> response, uint64_t now_ms);

  // The packet-path hook: returns the length to send, 0 to drop. A slipped
  // response is rewritten in place to its header and question with TC=1.
  [[nodiscard]] std::size_t filter(const sockaddr* client, std::span<uint8_t> response, std::size_t length,
                                   uint64_t now_ms);

  struct Counters {
    uint64_t limited = 0;  // responses over the limit (slipped + dropped)
    uint64_t slipped = 0;
  };
  [[nodiscard]] const Counters& counters() const { return counters_; }

 private:
  struct Bucket {
    uint64_t key = 0;  // 0: never used
    uint64_t last_ms = 0;
    int64_t balance = 0;  // in thousandths of a response
    uint32_t limited = 0;
  };

  [[nodiscard]] uint64_t key_of(const sockaddr* client, std::span<const uint8_t> response) const;

  RrlSettings settings_;
  uint64_t seed_;
  std::vector<Bucket> table_;
  Counters counters_;
};

// Makes `table` match `wanted`: none when responses_per_second is 0, a new
// (empty) table when the settings changed, the same table otherwise, so a
// reload that leaves server.rrl alone keeps what was counted.
void update_rate_limiter(std::unique_ptr<RateLimiter>& table, const RrlSettings& wanted);

// Rewrites a response to its header and question with TC=1 and no other
// record; returns the new length (RFC 1035 §4.1.1, as BIND's slip does).
[[nodiscard]] std::size_t truncate_to_question(std::span<uint8_t> response, std::size_t length);

}  // namespace flatns::server

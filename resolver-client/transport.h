// The resolver client's network layer: one upstream query to one server over
// UDP or TCP, answered by a parsed response, a timeout, or a network error.
//
// Implementations build the query themselves so the rules of RFC 5452 hold
// everywhere: a 16-bit ID from a CSPRNG and a fresh random source port per
// query, and a response is accepted only from the queried address and port
// with the same ID and question (anything else is ignored, not an error).
// Queries carry EDNS(0) with a dns::kEdnsPayloadSize payload (DNS flag day) and
// DO=1 (RFC 4035 §3.2.1); RD (and CD) are set by the caller for forwarding.
// TC=1 handling (retry over TCP) is the iterator's decision, not the
// transport's, so it is visible in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "dns/message_parser.h"
#include "dns/name.h"
#include "dns/server_address.h"

namespace flatns::resolver {

enum class Protocol : uint8_t { Udp, Tcp };

struct UpstreamQuery {
  dns::ServerAddress server;
  Protocol protocol = Protocol::Udp;
  dns::Name zone;  // the zone cut whose server this is (for query logs; root when not known)
  dns::Name qname;
  uint16_t qtype = 0;
  bool recursion_desired = false;   // RD=1: forward mode
  bool checking_disabled = false;   // CD=1: forward mode (we validate; the forwarder must not)
  uint32_t timeout_ms = 1000;
};

enum class ReplyStatus : uint8_t {
  Answer,        // `message` holds a matching, well-formed response
  Timeout,       // nothing acceptable arrived within timeout_ms
  NetworkError,  // the send, connect or read failed (`error` says how)
};

struct UpstreamReply {
  ReplyStatus status = ReplyStatus::Timeout;
  dns::Message message;
  uint32_t rtt_ms = 0;
  std::size_t size = 0;  // octets of the accepted response
  std::string error;
};

using QueryHandle = uint64_t;
using ReplyCallback = std::function<void(UpstreamReply&&)>;

// What send() returns when the query could not even be set up (no timer
// could be made to report it later): `done` never runs.
inline constexpr QueryHandle kQueryNotStarted = 0;

class Transport {
 public:
  virtual ~Transport() = default;
  // `done` runs exactly once, later (never from inside send), unless the
  // query is cancelled first or send() returns kQueryNotStarted.
  virtual QueryHandle send(const UpstreamQuery& query, ReplyCallback done) = 0;
  virtual void cancel(QueryHandle handle) = 0;
};

// True when `response` answers the query (ID, QR=1, one question equal to
// qname/qtype/IN, name compared without case). Address and port are checked
// by the transport before parsing.
[[nodiscard]] bool response_matches(const dns::Message& response, uint16_t id,
                                    const dns::Name& qname, uint16_t qtype);

// A query ID from OpenSSL's CSPRNG (RAND_bytes).
[[nodiscard]] uint16_t random_query_id();

}  // namespace flatns::resolver

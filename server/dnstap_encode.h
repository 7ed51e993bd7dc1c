// dnstap's protobuf frame (server/dnstap/dnstap.proto: a Dnstap of type
// MESSAGE holding one Message), encoded straight into the writer's batch
// buffer: the fields flatns fills, in field-number order with minimal
// varints, which is byte for byte what protobuf-c's dnstap__dnstap__pack
// writes for the same fields (tests/server/dnstap_encode_test.cpp checks it
// against protobuf-c and reads it back with its unpacker). Written by hand
// because it runs for every query and response: protobuf-c sizes and packs
// through its generic field descriptors and needs the message built as a
// struct first; here the identity and version are encoded once, and a frame
// is a few stores and two copies.
//
// Which fields (as NSD, Knot and Unbound fill them): AUTH_* carry the client
// as query_address/query_port, RESOLVER_* the upstream server as
// response_address/response_port and the zone cut as query_zone; queries carry
// query_message, responses response_message and response_time (an AUTH
// response: the query's time, the answer leaves within microseconds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace flatns::server {

// dnstap.Message.Type values flatns writes.
inline constexpr uint8_t kDnstapAuthQuery = 1;
inline constexpr uint8_t kDnstapAuthResponse = 2;
inline constexpr uint8_t kDnstapResolverQuery = 3;
inline constexpr uint8_t kDnstapResolverResponse = 4;

struct DnstapMessage {
  uint8_t type = kDnstapAuthQuery;
  bool tcp = false;
  uint8_t family = 0;                 // 0 (not known: no address), AF_INET or AF_INET6
  std::span<const uint8_t> address;   // 4 or 16 bytes
  uint16_t port = 0;
  uint64_t query_sec = 0;
  uint32_t query_nsec = 0;
  uint64_t response_sec = 0;          // responses
  uint32_t response_nsec = 0;
  std::span<const uint8_t> zone;      // RESOLVER_*: the zone cut's wire name (empty: not known)
  std::span<const uint8_t> dns;       // the DNS message
};

class DnstapEncoder {
 public:
  // identity: dnstap's server identity (empty: the field is left out).
  DnstapEncoder(std::string_view identity, std::string_view version);

  // The encoded size of the frame (without the Frame Streams length).
  [[nodiscard]] std::size_t size(const DnstapMessage& m) const;
  // At least size(m), cheaper to know: the room encode() needs.
  [[nodiscard]] std::size_t max_size(const DnstapMessage& m) const {
    return prefix_.size() + kMaxFixedFields + m.address.size() + m.zone.size() + m.dns.size();
  }
  // Writes the frame at `out`; returns its size (size(m)).
  std::size_t encode(const DnstapMessage& m, uint8_t* out) const;

 private:
  // Every key, length and number of a frame beside the prefix and the byte
  // fields' contents, at their longest (varints of 10 bytes).
  static constexpr std::size_t kMaxFixedFields = 128;
  std::vector<uint8_t> prefix_;  // identity and version, encoded once
};

}  // namespace flatns::server

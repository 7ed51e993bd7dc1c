#include "server/dnstap_encode.h"

#include <sys/socket.h>

#include <cstring>

namespace flatns::server {

namespace {
// Protobuf keys: field number << 3 | wire type (0 varint, 2 length-delimited, 5 fixed32).
namespace key {
constexpr uint8_t kIdentity = 1 << 3 | 2, kVersion = 2 << 3 | 2, kMessage = 14 << 3 | 2, kType = 15 << 3 | 0;
}  // namespace key
namespace message_key {
constexpr uint8_t kType = 1 << 3 | 0, kFamily = 2 << 3 | 0, kProtocol = 3 << 3 | 0;
constexpr uint8_t kQueryAddress = 4 << 3 | 2, kResponseAddress = 5 << 3 | 2;
constexpr uint8_t kQueryPort = 6 << 3 | 0, kResponsePort = 7 << 3 | 0;
constexpr uint8_t kQueryTimeSec = 8 << 3 | 0, kQueryTimeNsec = 9 << 3 | 5;
constexpr uint8_t kQueryMessage = 10 << 3 | 2, kQueryZone = 11 << 3 | 2;
constexpr uint8_t kResponseTimeSec = 12 << 3 | 0, kResponseTimeNsec = 13 << 3 | 5;
constexpr uint8_t kResponseMessage = 14 << 3 | 2;
}  // namespace message_key
constexpr uint8_t kDnstapTypeMessage = 1;
constexpr uint8_t kFamilyInet = 1, kFamilyInet6 = 2;
constexpr uint8_t kProtocolUdp = 1, kProtocolTcp = 2;

constexpr std::size_t varint_size(uint64_t v) {
  std::size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}
constexpr std::size_t bytes_field_size(std::size_t length) { return 1 + varint_size(length) + length; }

uint8_t* put_varint(uint8_t* at, uint64_t v) {
  for (; v >= 0x80; v >>= 7) *at++ = static_cast<uint8_t>(v | 0x80);
  *at++ = static_cast<uint8_t>(v);
  return at;
}
uint8_t* put_varint_field(uint8_t* at, uint8_t field_key, uint64_t v) {
  *at++ = field_key;
  return put_varint(at, v);
}
uint8_t* put_bytes(uint8_t* at, uint8_t field_key, std::span<const uint8_t> bytes) {
  at = put_varint_field(at, field_key, bytes.size());
  if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
  return at + bytes.size();
}
uint8_t* put_fixed32(uint8_t* at, uint8_t field_key, uint32_t v) {
  *at++ = field_key;
  for (int i = 0; i < 4; ++i) *at++ = static_cast<uint8_t>(v >> (8 * i));  // little-endian
  return at;
}

bool is_resolver(const DnstapMessage& m) {
  return m.type == kDnstapResolverQuery || m.type == kDnstapResolverResponse;
}
bool is_response(const DnstapMessage& m) {
  return m.type == kDnstapAuthResponse || m.type == kDnstapResolverResponse;
}

std::size_t message_size(const DnstapMessage& m) {
  std::size_t n = 2 + 2;  // type, socket_protocol (one-byte values)
  if (m.family != 0) n += 2 + bytes_field_size(m.address.size()) + 1 + varint_size(m.port);
  n += 1 + varint_size(m.query_sec) + 5;
  if (is_resolver(m) && !m.zone.empty()) n += bytes_field_size(m.zone.size());
  if (is_response(m)) n += 1 + varint_size(m.response_sec) + 5;
  return n + bytes_field_size(m.dns.size());
}
}  // namespace

DnstapEncoder::DnstapEncoder(std::string_view identity, std::string_view version) {
  prefix_.resize(bytes_field_size(identity.size()) + bytes_field_size(version.size()));
  uint8_t* at = prefix_.data();
  const auto bytes = [](std::string_view s) { return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  if (!identity.empty()) at = put_bytes(at, key::kIdentity, bytes(identity));
  at = put_bytes(at, key::kVersion, bytes(version));
  prefix_.resize(static_cast<std::size_t>(at - prefix_.data()));
}

std::size_t DnstapEncoder::size(const DnstapMessage& m) const {
  const std::size_t message = message_size(m);
  return prefix_.size() + 1 + varint_size(message) + message + 2;
}

std::size_t DnstapEncoder::encode(const DnstapMessage& m, uint8_t* out) const {
  using namespace message_key;
  const bool resolver = is_resolver(m);
  const bool response = is_response(m);
  std::memcpy(out, prefix_.data(), prefix_.size());
  uint8_t* at = put_varint_field(out + prefix_.size(), key::kMessage, message_size(m));
  at = put_varint_field(at, kType, m.type);
  if (m.family != 0) at = put_varint_field(at, kFamily, m.family == AF_INET ? kFamilyInet : kFamilyInet6);
  at = put_varint_field(at, kProtocol, m.tcp ? kProtocolTcp : kProtocolUdp);
  if (m.family != 0) {
    // AUTH: the client asked us; RESOLVER: we asked the upstream server.
    at = put_bytes(at, resolver ? kResponseAddress : kQueryAddress, m.address);
    at = put_varint_field(at, resolver ? kResponsePort : kQueryPort, m.port);
  }
  at = put_varint_field(at, kQueryTimeSec, m.query_sec);
  at = put_fixed32(at, kQueryTimeNsec, m.query_nsec);
  if (!response) at = put_bytes(at, kQueryMessage, m.dns);
  if (resolver && !m.zone.empty()) at = put_bytes(at, kQueryZone, m.zone);
  if (response) {
    at = put_varint_field(at, kResponseTimeSec, m.response_sec);
    at = put_fixed32(at, kResponseTimeNsec, m.response_nsec);
    at = put_bytes(at, kResponseMessage, m.dns);
  }
  *at++ = key::kType;
  *at++ = kDnstapTypeMessage;
  return static_cast<std::size_t>(at - out);
}

}  // namespace flatns::server

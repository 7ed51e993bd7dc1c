// The hand-written dnstap encoder (server/dnstap_encode.h) against
// protobuf-c, the oracle: for each kind of message flatns logs, the frame is
// byte for byte what dnstap__dnstap__pack writes for the same fields, and
// protobuf-c's unpacker reads every field back.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "server/dnstap/dnstap.pb-c.h"
#include "server/dnstap_encode.h"

using namespace flatns::server;

namespace {

ProtobufCBinaryData binary(std::span<const uint8_t> bytes) {
  return {bytes.size(), const_cast<uint8_t*>(bytes.data())};
}

// The same frame built the protobuf-c way (as flatns wrote it before the encoder).
std::vector<uint8_t> protobuf_c_frame(const DnstapMessage& m, std::string& identity, std::string& version) {
  const bool resolver = m.type == kDnstapResolverQuery || m.type == kDnstapResolverResponse;
  const bool response = m.type == kDnstapAuthResponse || m.type == kDnstapResolverResponse;
  Dnstap__Message message = DNSTAP__MESSAGE__INIT;
  message.type = static_cast<Dnstap__Message__Type>(m.type);
  message.has_socket_protocol = 1;
  message.socket_protocol = m.tcp ? DNSTAP__SOCKET_PROTOCOL__TCP : DNSTAP__SOCKET_PROTOCOL__UDP;
  if (m.family != 0) {
    message.has_socket_family = 1;
    message.socket_family = m.family == AF_INET ? DNSTAP__SOCKET_FAMILY__INET : DNSTAP__SOCKET_FAMILY__INET6;
    if (resolver) {
      message.has_response_address = message.has_response_port = 1;
      message.response_address = binary(m.address);
      message.response_port = m.port;
    } else {
      message.has_query_address = message.has_query_port = 1;
      message.query_address = binary(m.address);
      message.query_port = m.port;
    }
  }
  if (resolver && !m.zone.empty()) {
    message.has_query_zone = 1;
    message.query_zone = binary(m.zone);
  }
  message.has_query_time_sec = message.has_query_time_nsec = 1;
  message.query_time_sec = m.query_sec;
  message.query_time_nsec = m.query_nsec;
  if (response) {
    message.has_response_time_sec = message.has_response_time_nsec = message.has_response_message = 1;
    message.response_time_sec = m.response_sec;
    message.response_time_nsec = m.response_nsec;
    message.response_message = binary(m.dns);
  } else {
    message.has_query_message = 1;
    message.query_message = binary(m.dns);
  }
  Dnstap__Dnstap frame = DNSTAP__DNSTAP__INIT;
  frame.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
  frame.message = &message;
  frame.has_identity = !identity.empty();
  frame.identity = {identity.size(), reinterpret_cast<uint8_t*>(identity.data())};
  frame.has_version = 1;
  frame.version = {version.size(), reinterpret_cast<uint8_t*>(version.data())};
  std::vector<uint8_t> out(dnstap__dnstap__get_packed_size(&frame));
  dnstap__dnstap__pack(&frame, out.data());
  return out;
}

std::vector<uint8_t> encoded(const DnstapEncoder& encoder, const DnstapMessage& m) {
  std::vector<uint8_t> out(encoder.size(m) + 16, 0xEE);
  CHECK(encoder.size(m) <= encoder.max_size(m));
  CHECK(encoder.encode(m, out.data()) == encoder.size(m));
  CHECK(out[encoder.size(m)] == 0xEE);  // nothing written past size()
  out.resize(encoder.size(m));
  return out;
}

std::vector<uint8_t> bytes_of(std::size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

}  // namespace

TEST_CASE("dnstap frames are byte for byte protobuf-c's", "[dnstap]") {
  const std::vector<uint8_t> v4 = {127, 0, 0, 1};
  const std::vector<uint8_t> v6 = bytes_of(16, 0x20);
  const std::vector<uint8_t> zone = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
  for (std::string identity : {std::string(), std::string("ns1.example"), std::string(200, 'i')}) {
    std::string version = "flatns 0.1.0";
    const DnstapEncoder encoder(identity, version);
    for (uint8_t type : {kDnstapAuthQuery, kDnstapAuthResponse, kDnstapResolverQuery, kDnstapResolverResponse}) {
      for (std::size_t length : {std::size_t{0}, std::size_t{12}, std::size_t{127}, std::size_t{128},
                                 std::size_t{300}, std::size_t{4096}}) {
        const auto dns = bytes_of(length, type);
        DnstapMessage m;
        m.type = type;
        m.dns = dns;
        m.query_sec = 1764800000 + length;
        m.query_nsec = 999999999 - static_cast<uint32_t>(length);
        m.response_sec = m.query_sec + 1;
        m.response_nsec = 12345;
        for (int variant = 0; variant < 4; ++variant) {
          m.tcp = variant % 2 == 1;
          m.family = variant == 0 ? 0 : variant == 3 ? AF_INET6 : AF_INET;
          m.address = m.family == AF_INET6 ? std::span<const uint8_t>(v6) : std::span<const uint8_t>(v4);
          m.port = variant == 1 ? 53 : 65535;
          m.zone = variant == 2 ? std::span<const uint8_t>() : std::span<const uint8_t>(zone);
          INFO("identity " << identity.size() << " type " << int(type) << " length " << length << " variant "
                           << variant);
          CHECK(encoded(encoder, m) == protobuf_c_frame(m, identity, version));
        }
      }
    }
  }
}

TEST_CASE("protobuf-c reads back every field the encoder writes", "[dnstap]") {
  const DnstapEncoder encoder("ns1.example", "flatns test");
  const std::vector<uint8_t> server(16, 0x2a);
  const std::vector<uint8_t> zone = {3, 'c', 'd', 'n', 4, 't', 'e', 's', 't', 0};
  const auto dns = bytes_of(200, 1);
  DnstapMessage m;
  m.type = kDnstapResolverResponse;
  m.tcp = true;
  m.family = AF_INET6;
  m.address = server;
  m.port = 853;
  m.query_sec = 1764800000;
  m.query_nsec = 5;
  m.response_sec = 1764800001;
  m.response_nsec = 6;
  m.zone = zone;
  m.dns = dns;
  const auto frame = encoded(encoder, m);
  Dnstap__Dnstap* read = dnstap__dnstap__unpack(nullptr, frame.size(), frame.data());
  REQUIRE(read != nullptr);
  CHECK(read->type == DNSTAP__DNSTAP__TYPE__MESSAGE);
  CHECK(std::string(reinterpret_cast<char*>(read->identity.data), read->identity.len) == "ns1.example");
  CHECK(std::string(reinterpret_cast<char*>(read->version.data), read->version.len) == "flatns test");
  REQUIRE(read->message != nullptr);
  const Dnstap__Message& message = *read->message;
  CHECK(message.type == DNSTAP__MESSAGE__TYPE__RESOLVER_RESPONSE);
  CHECK(message.socket_family == DNSTAP__SOCKET_FAMILY__INET6);
  CHECK(message.socket_protocol == DNSTAP__SOCKET_PROTOCOL__TCP);
  CHECK_FALSE(message.has_query_address);
  CHECK(std::vector<uint8_t>(message.response_address.data, message.response_address.data + 16) == server);
  CHECK(message.response_port == 853);
  CHECK(message.query_time_sec == 1764800000);
  CHECK(message.query_time_nsec == 5);
  CHECK(message.response_time_sec == 1764800001);
  CHECK(message.response_time_nsec == 6);
  CHECK(std::vector<uint8_t>(message.query_zone.data, message.query_zone.data + message.query_zone.len) == zone);
  CHECK_FALSE(message.has_query_message);
  CHECK(std::vector<uint8_t>(message.response_message.data,
                             message.response_message.data + message.response_message.len) == dns);
  dnstap__dnstap__free_unpacked(read, nullptr);
}

#include "resolver-client/transport.h"

#include "resolver-client/traffic_observer.h"

#include <openssl/rand.h>

#include <ctime>
#include <random>

#include "dns/message.h"
#include "dns/rrtype.h"

namespace flatns::resolver {

bool response_matches(const dns::Message& response, uint16_t id, const dns::Name& qname,
                      uint16_t qtype) {
  return response.id == id && response.has_flag(dns::flag::QR) && response.has_question &&
         response.qtype == qtype && response.qclass == dns::rrclass::IN &&
         response.qname == qname;
}

WallTime WallTime::now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {static_cast<int64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

uint16_t random_query_id() {
  uint8_t b[2];
  if (RAND_bytes(b, sizeof b) != 1) {
    // RAND_bytes fails only when the CSPRNG cannot be seeded; fall back to
    // the OS entropy source rather than a predictable value.
    std::random_device rd;
    return static_cast<uint16_t>(rd());
  }
  return static_cast<uint16_t>(b[0] << 8 | b[1]);
}

}  // namespace flatns::resolver

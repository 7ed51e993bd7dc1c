#include "server/rrl.h"

#include <netinet/in.h>

#include <algorithm>
#include <random>

#include "dns/name.h"
#include "dns/rcode.h"
#include "dns/wire.h"

namespace flatns::server {
namespace {

constexpr std::size_t kHeader = 12;
constexpr uint8_t kFlagAa = 0x04;  // in octet 2 of the header
constexpr uint8_t kFlagTc = 0x02;

// What a response counts under (see the header comment).
enum class Kind : uint8_t { Answer = 1, NoData, NxDomain, Referral, Error };

uint16_t u16_at(std::span<const uint8_t> p, std::size_t at) { return static_cast<uint16_t>(p[at] << 8 | p[at + 1]); }

class KeyHash {
 public:
  explicit KeyHash(uint64_t seed) : h_(seed ^ 0x9e3779b97f4a7c15ULL) {}
  void add(uint8_t octet) {
    h_ ^= octet;
    h_ *= 0x100000001b3ULL;
  }
  void add(std::span<const uint8_t> octets) {
    for (uint8_t o : octets) add(o);
  }
  [[nodiscard]] uint64_t finish() const {
    uint64_t z = h_;  // splitmix64's finaliser spreads FNV's weak low bits
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return z ? z : 1;
  }

 private:
  uint64_t h_;
};

void add_prefix(KeyHash& h, const sockaddr* client, const RrlSettings& s) {
  auto add_masked = [&](const uint8_t* address, std::size_t octets, uint32_t prefix_bits) {
    for (std::size_t i = 0; i < octets; ++i) {
      uint32_t bits = prefix_bits > i * 8 ? std::min<uint32_t>(8, prefix_bits - static_cast<uint32_t>(i) * 8) : 0;
      uint8_t mask = bits == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
      h.add(address[i] & mask);
    }
  };
  if (client && client->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(client);
    h.add(4);
    add_masked(reinterpret_cast<const uint8_t*>(&in->sin_addr), 4, s.ipv4_prefix);
  } else if (client && client->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(client);
    h.add(6);
    add_masked(reinterpret_cast<const uint8_t*>(&in6->sin6_addr), 16, s.ipv6_prefix);
  }
}

void add_name(KeyHash& h, dns::NameView name) {
  for (uint8_t o : name) h.add(dns::ascii_lower(o));
}

}  // namespace

RateLimiter::RateLimiter(const RrlSettings& settings) : RateLimiter(settings, std::random_device{}()) {
  seed_ = seed_ << 32 | std::random_device{}();
}

RateLimiter::RateLimiter(const RrlSettings& settings, uint64_t seed)
    : settings_(settings), seed_(seed), table_(std::max<uint32_t>(1, settings.table_size)) {}

uint64_t RateLimiter::key_of(const sockaddr* client, std::span<const uint8_t> response) const {
  KeyHash h(seed_);
  add_prefix(h, client, settings_);
  if (response.size() < kHeader) {
    h.add(static_cast<uint8_t>(Kind::Error));
    return h.finish();
  }
  const uint8_t rcode = response[3] & 0x0f;
  const bool aa = response[2] & kFlagAa;
  const uint16_t qdcount = u16_at(response, 4), ancount = u16_at(response, 6), nscount = u16_at(response, 8);

  dns::WireReader reader(response, kHeader);
  dns::NameBuffer qname;
  uint16_t qtype = 0, qclass = 0;
  const bool has_question = qdcount == 1 && reader.name(qname) && reader.u16(qtype) && reader.u16(qclass);
  // The owner of the first authority record: the SOA of an NXDOMAIN (the
  // zone) or the NS set of a referral (the delegation point).
  auto add_authority_owner = [&] {
    dns::NameBuffer owner;
    if (has_question && ancount == 0 && nscount > 0 && reader.name(owner)) add_name(h, owner.view());
  };

  Kind kind = Kind::Error;
  if (has_question && rcode == dns::rcode::NOERROR) {
    if (ancount > 0) {
      kind = Kind::Answer;
    } else if (aa) {
      kind = Kind::NoData;
    } else if (nscount > 0) {
      kind = Kind::Referral;
    }
  } else if (has_question && rcode == dns::rcode::NXDOMAIN) {
    kind = Kind::NxDomain;
  }
  h.add(static_cast<uint8_t>(kind));
  switch (kind) {
    case Kind::Answer:
    case Kind::NoData:
      add_name(h, qname.view());
      h.add(static_cast<uint8_t>(qtype >> 8));
      h.add(static_cast<uint8_t>(qtype));
      break;
    case Kind::NxDomain:
    case Kind::Referral:
      add_authority_owner();
      break;
    case Kind::Error:
      break;
  }
  return h.finish();
}

RrlVerdict RateLimiter::account(const sockaddr* client, std::span<const uint8_t> response, uint64_t now_ms) {
  const uint64_t key = key_of(client, response);
  const int64_t rate = settings_.responses_per_second;
  const int64_t capacity = rate * 1000;
  Bucket& b = table_[key % table_.size()];
  if (b.key != key) {
    b = Bucket{key, now_ms, capacity, 0};
  } else if (now_ms > b.last_ms) {
    // Capping the elapsed time keeps the product in range; a full window
    // refills any debt anyway.
    const uint64_t most = (uint64_t{settings_.window_s} + 1) * 1000;
    const int64_t elapsed = static_cast<int64_t>(std::min(now_ms - b.last_ms, most));
    b.balance = std::min(capacity, b.balance + elapsed * rate);
    b.last_ms = now_ms;
  }
  if (b.balance >= 1000) {
    b.balance -= 1000;
    return RrlVerdict::Send;
  }
  b.balance = std::max(-capacity * static_cast<int64_t>(settings_.window_s), b.balance - 1000);
  ++b.limited;
  ++counters_.limited;
  if (settings_.slip > 0 && b.limited % settings_.slip == 0) {
    ++counters_.slipped;
    return RrlVerdict::Slip;
  }
  return RrlVerdict::Drop;
}

std::size_t RateLimiter::filter(const sockaddr* client, std::span<uint8_t> response, std::size_t length,
                                uint64_t now_ms) {
  if (length == 0) return 0;
  switch (account(client, response.first(length), now_ms)) {
    case RrlVerdict::Send: return length;
    case RrlVerdict::Slip: return truncate_to_question(response, length);
    case RrlVerdict::Drop: return 0;
  }
  return 0;
}

void update_rate_limiter(std::unique_ptr<RateLimiter>& table, const RrlSettings& wanted) {
  if (wanted.responses_per_second == 0) {
    table.reset();
  } else if (!table || !(table->settings() == wanted)) {
    table = std::make_unique<RateLimiter>(wanted);
  }
}

std::size_t truncate_to_question(std::span<uint8_t> response, std::size_t length) {
  if (length < kHeader || response.size() < length) return 0;
  std::size_t end = kHeader;
  uint16_t qdcount = u16_at(response, 4);
  dns::WireReader reader(response.first(length), kHeader);
  dns::NameBuffer qname;
  if (qdcount == 1 && reader.name(qname) && reader.skip(4)) {
    end = reader.pos();
  } else {
    qdcount = 0;
  }
  response[2] |= kFlagTc;
  response[4] = 0;
  response[5] = static_cast<uint8_t>(qdcount);
  for (std::size_t i = 6; i < kHeader; ++i) response[i] = 0;
  return end;
}

}  // namespace flatns::server

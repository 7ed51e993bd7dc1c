// Response rate limiting (server/rrl.h) with a fake clock: the tests pass
// the time of each response themselves.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/rrl.h"

using namespace flatns::server;

namespace {

constexpr uint8_t kNoError = 0, kNxDomain = 3, kRefused = 5;

std::vector<uint8_t> wire_name(const std::string& text) {
  std::vector<uint8_t> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t dot = text.find('.', start);
    if (dot == std::string::npos) dot = text.size();
    out.push_back(static_cast<uint8_t>(dot - start));
    out.insert(out.end(), text.begin() + static_cast<long>(start), text.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// A response as the responder writes it: header, question, then either an
// answer record or an authority record owned by `authority_owner`.
std::vector<uint8_t> response(const std::string& qname, uint16_t qtype, uint8_t rcode, bool aa, bool answer,
                              const std::string& authority_owner = "") {
  std::vector<uint8_t> out;
  put16(out, 0x1234);
  out.push_back(static_cast<uint8_t>(0x80 | (aa ? 0x04 : 0)));
  out.push_back(rcode);
  put16(out, 1);
  put16(out, answer ? 1 : 0);
  put16(out, authority_owner.empty() ? 0 : 1);
  put16(out, 0);
  auto q = wire_name(qname);
  out.insert(out.end(), q.begin(), q.end());
  put16(out, qtype);
  put16(out, 1);
  const std::string owner = answer ? qname : authority_owner;
  if (!owner.empty()) {
    auto o = wire_name(owner);
    out.insert(out.end(), o.begin(), o.end());
    put16(out, answer ? qtype : 6);
    put16(out, 1);
    out.insert(out.end(), {0, 0, 1, 0x2c});
    put16(out, 4);
    out.insert(out.end(), {192, 0, 2, 1});
  }
  return out;
}

std::vector<uint8_t> answer(const std::string& qname, uint16_t qtype = 1) {
  return response(qname, qtype, kNoError, true, true);
}

struct Client {
  sockaddr_storage storage{};
  explicit Client(const char* text) {
    if (std::strchr(text, ':')) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
      in6->sin6_family = AF_INET6;
      REQUIRE(inet_pton(AF_INET6, text, &in6->sin6_addr) == 1);
    } else {
      auto* in = reinterpret_cast<sockaddr_in*>(&storage);
      in->sin_family = AF_INET;
      REQUIRE(inet_pton(AF_INET, text, &in->sin_addr) == 1);
    }
  }
  const sockaddr* addr() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

RrlSettings limit(uint32_t rate, uint32_t slip = 2, uint32_t window = 15) {
  RrlSettings s;
  s.responses_per_second = rate;
  s.slip = slip;
  s.window_s = window;
  s.table_size = 1024;
  return s;
}

// How many of `n` responses sent at `now_ms` get each verdict.
struct Tally {
  int sent = 0, slipped = 0, dropped = 0;
};
Tally burst(RateLimiter& rrl, const Client& c, const std::vector<uint8_t>& r, int n, uint64_t now_ms) {
  Tally t;
  for (int i = 0; i < n; ++i) {
    switch (rrl.account(c.addr(), r, now_ms)) {
      case RrlVerdict::Send: ++t.sent; break;
      case RrlVerdict::Slip: ++t.slipped; break;
      case RrlVerdict::Drop: ++t.dropped; break;
    }
  }
  return t;
}

}  // namespace

TEST_CASE("rrl: a prefix gets responses_per_second identical answers, then slips every second one", "[rrl]") {
  RateLimiter rrl(limit(5), 42);
  Client c("192.0.2.10");
  auto r = answer("www.example.com");
  Tally t = burst(rrl, c, r, 5, 1000);
  CHECK(t.sent == 5);
  // Over the limit: drop, slip, drop, slip...
  CHECK(rrl.account(c.addr(), r, 1000) == RrlVerdict::Drop);
  CHECK(rrl.account(c.addr(), r, 1000) == RrlVerdict::Slip);
  CHECK(rrl.account(c.addr(), r, 1000) == RrlVerdict::Drop);
  CHECK(rrl.account(c.addr(), r, 1000) == RrlVerdict::Slip);
  CHECK(rrl.counters().limited == 4);
  CHECK(rrl.counters().slipped == 2);
}

TEST_CASE("rrl: tokens come back at the configured rate", "[rrl]") {
  RateLimiter rrl(limit(10, 2, 1), 42);
  Client c("192.0.2.10");
  auto r = answer("www.example.com");
  CHECK(burst(rrl, c, r, 10, 0).sent == 10);
  CHECK(rrl.account(c.addr(), r, 0) != RrlVerdict::Send);
  // 10 a second: one more every 100 ms, after the debt of the limited one.
  CHECK(rrl.account(c.addr(), r, 150) != RrlVerdict::Send);
  CHECK(rrl.account(c.addr(), r, 400) == RrlVerdict::Send);
  // Saved-up tokens never exceed one second's worth.
  CHECK(burst(rrl, c, r, 12, 60000).sent == 10);
}

TEST_CASE("rrl: a flooding prefix stays limited until its rate over the window falls under the limit", "[rrl]") {
  RateLimiter rrl(limit(5, 0, 15), 42);
  Client c("192.0.2.10");
  auto r = answer("www.example.com");
  Tally flood = burst(rrl, c, r, 500, 0);
  CHECK(flood.sent == 5);
  CHECK(flood.dropped == 495);
  CHECK(flood.slipped == 0);  // slip 0: every limited response is dropped
  CHECK(rrl.account(c.addr(), r, 5000) == RrlVerdict::Drop);   // still 15 s of debt
  CHECK(rrl.account(c.addr(), r, 17000) == RrlVerdict::Send);  // paid off
}

TEST_CASE("rrl: slip 1 truncates every limited response", "[rrl]") {
  RateLimiter rrl(limit(1, 1), 42);
  Client c("192.0.2.10");
  auto r = answer("www.example.com");
  Tally t = burst(rrl, c, r, 5, 0);
  CHECK(t.sent == 1);
  CHECK(t.slipped == 4);
}

TEST_CASE("rrl: clients are grouped by /24 and /56 prefixes", "[rrl]") {
  RateLimiter rrl(limit(2, 0), 42);
  auto r = answer("www.example.com");
  CHECK(burst(rrl, Client("192.0.2.1"), r, 2, 0).sent == 2);
  CHECK(burst(rrl, Client("192.0.2.254"), r, 2, 0).sent == 0);  // same /24
  CHECK(burst(rrl, Client("192.0.3.1"), r, 2, 0).sent == 2);     // another /24

  CHECK(burst(rrl, Client("2001:db8:0:1::1"), r, 2, 0).sent == 2);
  CHECK(burst(rrl, Client("2001:db8:0:ff::2"), r, 2, 0).sent == 0);  // same /56
  CHECK(burst(rrl, Client("2001:db8:0:100::1"), r, 2, 0).sent == 2);  // another /56

  RrlSettings narrow = limit(2, 0);
  narrow.ipv4_prefix = 32;
  RateLimiter per_address(narrow, 42);
  CHECK(burst(per_address, Client("192.0.2.1"), r, 2, 0).sent == 2);
  CHECK(burst(per_address, Client("192.0.2.2"), r, 2, 0).sent == 2);
}

TEST_CASE("rrl: answers count per name and type, NXDOMAIN per zone, errors together", "[rrl]") {
  RateLimiter rrl(limit(2, 0), 42);
  Client c("198.51.100.7");
  CHECK(burst(rrl, c, answer("www.example.com"), 2, 0).sent == 2);
  CHECK(burst(rrl, c, answer("mail.example.com"), 2, 0).sent == 2);
  CHECK(burst(rrl, c, answer("www.example.com", 28), 2, 0).sent == 2);
  CHECK(burst(rrl, c, answer("WWW.Example.COM"), 1, 0).sent == 0);  // names compare case-blind

  // Random names under one zone cannot dodge the limit.
  int sent = 0;
  for (int i = 0; i < 10; ++i) {
    auto nx = response("r" + std::to_string(i) + ".example.com", 1, kNxDomain, true, false, "example.com");
    sent += burst(rrl, c, nx, 1, 0).sent;
  }
  CHECK(sent == 2);
  auto other_zone = response("r1.example.org", 1, kNxDomain, true, false, "example.org");
  CHECK(burst(rrl, c, other_zone, 1, 0).sent == 1);

  sent = 0;
  for (int i = 0; i < 10; ++i) {
    sent += burst(rrl, c, response("q" + std::to_string(i) + ".elsewhere", 1, kRefused, false, false), 1, 0).sent;
  }
  CHECK(sent == 2);

  // Referrals count under the delegation point, NODATA under name and type.
  sent = 0;
  for (int i = 0; i < 5; ++i) {
    sent += burst(rrl, c, response("h" + std::to_string(i) + ".sub.example.com", 1, kNoError, false, false,
                                   "sub.example.com"), 1, 0).sent;
  }
  CHECK(sent == 2);
  auto nodata = response("www.example.com", 15, kNoError, true, false, "example.com");
  CHECK(burst(rrl, c, nodata, 3, 0).sent == 2);
}

TEST_CASE("rrl: filter drops or rewrites a slipped response to its question with TC=1", "[rrl]") {
  RateLimiter rrl(limit(1, 2), 42);
  Client c("192.0.2.10");
  const auto original = answer("www.example.com");
  const std::size_t question_end = 12 + wire_name("www.example.com").size() + 4;
  std::vector<uint8_t> buffer(original);
  CHECK(rrl.filter(c.addr(), buffer, original.size(), 0) == original.size());
  CHECK(rrl.filter(c.addr(), buffer, original.size(), 0) == 0);  // dropped
  std::size_t n = rrl.filter(c.addr(), buffer, original.size(), 0);
  REQUIRE(n == question_end);
  CHECK((buffer[2] & 0x02) != 0);  // TC
  CHECK((buffer[2] & 0x04) != 0);  // AA kept
  CHECK(buffer[0] == 0x12);
  CHECK(buffer[1] == 0x34);
  CHECK(buffer[5] == 1);  // QDCOUNT
  CHECK(buffer[7] == 0);  // ANCOUNT
  CHECK(std::equal(buffer.begin() + 12, buffer.begin() + static_cast<long>(n), original.begin() + 12));
  CHECK(rrl.filter(c.addr(), buffer, 0, 0) == 0);  // nothing to send stays nothing
}

TEST_CASE("rrl: truncate_to_question copes with responses without a question", "[rrl]") {
  std::vector<uint8_t> formerr = {0x12, 0x34, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(truncate_to_question(formerr, formerr.size()) == 12);
  CHECK((formerr[2] & 0x02) != 0);
  std::vector<uint8_t> broken = {0x12, 0x34, 0x80, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 'a'};
  CHECK(truncate_to_question(broken, broken.size()) == 12);
  CHECK(broken[5] == 0);
  std::vector<uint8_t> tiny = {1, 2, 3};
  CHECK(truncate_to_question(tiny, tiny.size()) == 0);
}

TEST_CASE("rrl: a one-bucket table still limits, each new key taking the bucket over", "[rrl]") {
  RrlSettings s = limit(1, 0);
  s.table_size = 1;
  RateLimiter rrl(s, 42);
  Client c("192.0.2.10");
  CHECK(burst(rrl, c, answer("a.example"), 2, 0).sent == 1);
  CHECK(burst(rrl, c, answer("b.example"), 2, 0).sent == 1);
}

TEST_CASE("rrl: update_rate_limiter keeps the table while the settings stay the same", "[rrl]") {
  std::unique_ptr<RateLimiter> table;
  update_rate_limiter(table, RrlSettings{});
  CHECK(table == nullptr);  // off by default
  update_rate_limiter(table, limit(5));
  REQUIRE(table != nullptr);
  const RateLimiter* first = table.get();
  update_rate_limiter(table, limit(5));
  CHECK(table.get() == first);
  update_rate_limiter(table, limit(6));
  REQUIRE(table != nullptr);
  CHECK(table->settings().responses_per_second == 6);
  update_rate_limiter(table, limit(0));
  CHECK(table == nullptr);
}

TEST_CASE("rrl: server.rrl in the configuration", "[rrl][config]") {
  Config config;
  std::vector<ConfigError> errors;
  REQUIRE(parse_config_text("server:\n  listen: [\"127.0.0.1:5300\"]\n", "/etc/flatns/f.yaml", config, errors));
  CHECK(config.server.rrl.responses_per_second == 0);  // off unless asked for
  CHECK(config.server.rrl.slip == 2);
  CHECK(config.server.rrl.ipv4_prefix == 24);
  CHECK(config.server.rrl.ipv6_prefix == 56);

  REQUIRE(parse_config_text("server:\n  rrl:\n    responses_per_second: 20\n    slip: 3\n    window_s: 5\n"
                            "    ipv4_prefix: 32\n    ipv6_prefix: 64\n    table_size: 1000\n",
                            "/etc/flatns/f.yaml", config, errors));
  CHECK(config.server.rrl.responses_per_second == 20);
  CHECK(config.server.rrl.slip == 3);
  CHECK(config.server.rrl.window_s == 5);
  CHECK(config.server.rrl.ipv4_prefix == 32);
  CHECK(config.server.rrl.ipv6_prefix == 64);
  CHECK(config.server.rrl.table_size == 1000);

  errors.clear();
  CHECK_FALSE(parse_config_text("server:\n  rrl:\n    responses_per_second: -1\n    ipv4_prefix: 33\n    burst: 4\n",
                                "/etc/flatns/f.yaml", config, errors));
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].to_string() == "/etc/flatns/f.yaml:3: server.rrl.responses_per_second: expected an integer 0-1000000, found '-1'");
  CHECK(errors[1].to_string() == "/etc/flatns/f.yaml:4: server.rrl.ipv4_prefix: expected an integer 1-32, found 33");
  CHECK(errors[2].key == "server.rrl.burst");
}

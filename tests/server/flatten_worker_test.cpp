// A Worker run in-process with a FlattenService whose resolver is a fake:
// a flattened query with an uncached external target is parked and answered
// when the resolution completes, over UDP and TCP; many concurrent queries
// cause one resolution; nothing by the deadline is SERVFAIL with EDE 22
// within the deadline; a full parked-query table answers at once; an answer
// that went stale is served with EDE 3 after a failure, at once with
// stale_client_timeout_ms 0 or after that timer otherwise; response rate
// limiting holds for parked answers as for the others.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "flatten/flattener.h"
#include "flatten/service.h"
#include "flatten_client.h"
#include "server/worker.h"
#include "worker_test_support.h"

using namespace flatns;
using namespace flatns::server;
using namespace flatns::test;
using namespace std::chrono_literals;

namespace {

constexpr uint16_t kA = dns::rrtype::A;

// Resolutions answered on the service loop after `delay_ms`: the address
// 198.51.100.7 (TTL ttl), or, in failing mode, bogus data (expired RRSIG).
struct FakeUpstream {
  std::atomic<int> calls{0};
  std::atomic<bool> failing{false};
  std::atomic<uint64_t> delay_ms{50};  // set by the test thread, read on the service loop
  uint32_t ttl = 300;

  class Backend final : public flatten::ResolverBackend {
   public:
    Backend(uv_loop_t* loop, FakeUpstream& up) : loop_(loop), up_(up) {}
    void resolve(const dns::Name& name, uint16_t qtype, uint32_t, resolver::ResultCallback done) override {
      up_.calls.fetch_add(1);
      resolver::Result r;
      r.qname = name;
      r.qtype = qtype;
      if (up_.failing.load()) {
        r.rcode = dns::rcode::SERVFAIL;
        r.verdict = resolver::Verdict::bogus(dns::Name::parse("cdn.test."), resolver::BogusReason::SignatureExpired,
                                             "RRSIG A edge.cdn.test. expired");
        r.verdict.server = "192.0.2.53";
      } else {
        r.rcode = dns::rcode::NOERROR;
        r.ttl = up_.ttl;
        r.verdict = resolver::Verdict::insecure(dns::Name::parse("cdn.test."), resolver::InsecureReason::NoTrustAnchor);
        dns::ResourceRecord rr;
        rr.owner = name;
        rr.type = dns::rrtype::A;
        rr.rclass = 1;
        rr.ttl = up_.ttl;
        rr.rdata = {198, 51, 100, 7};
        r.answer.push_back(rr);
      }
      auto owned = std::make_unique<Pending>(Pending{{}, std::move(r), std::move(done)});
      Pending* p = owned.release();  // owned again by the close callback
      uv_timer_init(loop_, &p->timer);
      p->timer.data = p;
      uv_timer_start(&p->timer, [](uv_timer_t* t) {
        auto* pending = static_cast<Pending*>(t->data);
        pending->done(std::move(pending->result));
        uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) {
          std::unique_ptr<Pending>(static_cast<Pending*>(h->data));
        });
      }, up_.delay_ms, 0);
    }

   private:
    struct Pending {
      uv_timer_t timer;
      resolver::Result result;
      resolver::ResultCallback done;
    };
    uv_loop_t* loop_;
    FakeUpstream& up_;
  };
};

// One worker serving example.com (apex CNAME -> edge.cdn.test., TTL 3600),
// with a flatten service over FakeUpstream.
struct FlatteningWorker {
  TempDir dir;
  FakeUpstream upstream;
  std::shared_ptr<flatten::FlattenCache> cache = std::make_shared<flatten::FlattenCache>(64);
  std::unique_ptr<flatten::FlattenService> service;
  std::unique_ptr<Worker> worker;
  uint16_t port;

  FlatteningWorker(uint16_t p, uint32_t deadline_ms, uint64_t upstream_delay_ms, std::size_t max_parked = 64,
                   const RrlSettings& rrl = {}, const flatten::FlattenerSettings& flattening = {})
      : port(p) {
    upstream.delay_ms = upstream_delay_ms;
    auto state = example_com_state(dir, 3600, "@ IN CNAME edge.cdn.test.\n");
    state->flatten = std::make_shared<flatten::Flattener>(flattening, cache);
    state->flatten_deadline_ms = deadline_ms;
    state->rrl = rrl;
    flatten::ServiceSettings settings;
    settings.deadline_ms = deadline_ms;
    service = std::make_unique<flatten::FlattenService>(settings, cache);
    std::string error;
    REQUIRE(service->start([this](uv_loop_t* loop, std::string&) {
      return std::make_unique<FakeUpstream::Backend>(loop, upstream);
    }, error));
    worker = std::make_unique<Worker>(0, state, service.get(), max_parked);
    REQUIRE(worker->bind({loopback(port)}, error));
    REQUIRE(worker->start(error));
  }
  ~FlatteningWorker() {
    worker->stop();
    worker->join();
    service->stop();
  }
};

long elapsed_ms(std::chrono::steady_clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count());
}

}  // namespace

TEST_CASE("a parked query is answered when its target resolves, over UDP and TCP", "[threads][flatten-worker]") {
  FlatteningWorker w(25010, 1200, 100);
  UdpAsker udp(w.port);
  auto m = udp.ask("example.com.", kA, 2s);
  REQUIRE(m);
  CHECK(m->rcode() == dns::rcode::NOERROR);
  CHECK(m->has_flag(dns::flag::AA));
  CHECK(addresses(*m) == std::vector<std::string>{"198.51.100.7"});
  REQUIRE(m->answer.size() == 1);
  CHECK(m->answer[0].owner.to_text() == "example.com.");
  CHECK(m->answer[0].ttl == 300);
  CHECK(w.upstream.calls.load() == 1);

  // Cached now: TCP is answered at once, with no new resolution.
  TcpClient tcp(w.port);
  REQUIRE(tcp.connected());
  auto t = tcp_ask(tcp, "example.com.", kA, 2s);
  REQUIRE(t);
  CHECK(addresses(*t) == std::vector<std::string>{"198.51.100.7"});
  CHECK(w.upstream.calls.load() == 1);
}

TEST_CASE("a parked TCP query is answered on its connection", "[threads][flatten-worker]") {
  FlatteningWorker w(25011, 1200, 100);
  TcpClient tcp(w.port);
  REQUIRE(tcp.connected());
  auto t = tcp_ask(tcp, "example.com.", kA, 2s);
  REQUIRE(t);
  CHECK(t->rcode() == dns::rcode::NOERROR);
  CHECK(addresses(*t) == std::vector<std::string>{"198.51.100.7"});
  // The connection keeps serving afterwards.
  auto soa = tcp_ask(tcp, "example.com.", dns::rrtype::SOA, 2s);
  REQUIRE(soa);
  CHECK(soa->answer.size() == 1);
}

TEST_CASE("twenty concurrent queries for an uncached target cause one resolution", "[threads][flatten-worker]") {
  FlatteningWorker w(25012, 1200, 200);
  std::vector<std::unique_ptr<UdpAsker>> askers;
  for (int i = 0; i < 20; ++i) {
    askers.push_back(std::make_unique<UdpAsker>(w.port));
    REQUIRE(askers.back()->send(edns_query("example.com.", kA, static_cast<uint16_t>(i))));
  }
  int answered = 0;
  for (auto& a : askers) {
    auto m = a->receive(2s);
    if (m && addresses(*m) == std::vector<std::string>{"198.51.100.7"}) ++answered;
  }
  CHECK(answered == 20);
  CHECK(w.upstream.calls.load() == 1);
  CHECK(w.service->counters().resolutions == 1);
  CHECK(w.service->counters().requests == 1);  // the worker asked once for all twenty
}

TEST_CASE("no resolution by the deadline: SERVFAIL with EDE 22 within the deadline, UDP and TCP", "[threads][flatten-worker]") {
  FlatteningWorker w(25013, 300, 5000);
  UdpAsker udp(w.port);
  auto start = std::chrono::steady_clock::now();
  auto m = udp.ask("example.com.", kA, 2s);
  long took = elapsed_ms(start);
  REQUIRE(m);
  CHECK(m->rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code_of(*m) == 22);
  CHECK(ede_text_of(*m).find("edge.cdn.test.") != std::string::npos);
  CHECK(took >= 280);
  CHECK(took < 300 + 250);  // scheduling slack on a loaded machine

  TcpClient tcp(w.port);
  REQUIRE(tcp.connected());
  start = std::chrono::steady_clock::now();
  auto t = tcp_ask(tcp, "example.com.", kA, 2s);
  took = elapsed_ms(start);
  REQUIRE(t);
  CHECK(t->rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code_of(*t) == 22);
  CHECK(took < 300 + 250);
}

TEST_CASE("a full parked-query table answers at once instead of growing", "[flatten-worker]") {
  FlatteningWorker w(25014, 400, 5000, /*max_parked=*/2);
  std::vector<std::unique_ptr<UdpAsker>> askers;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    askers.push_back(std::make_unique<UdpAsker>(w.port));
    REQUIRE(askers.back()->send(edns_query("example.com.", kA, static_cast<uint16_t>(i))));
    std::this_thread::sleep_for(5ms);  // in arrival order
  }
  // The last three found the table full and were answered at once; the
  // first two waited for the deadline.
  auto answered_in = [&](std::size_t i) {
    auto m = askers[i]->receive(2s);
    REQUIRE(m);
    CHECK(m->rcode() == dns::rcode::SERVFAIL);
    CHECK(ede_code_of(*m) == 22);
    return elapsed_ms(start);
  };
  for (std::size_t i = 2; i < 5; ++i) CHECK(answered_in(i) < 330);  // well before the deadline
  CHECK(answered_in(0) >= 380);
  CHECK(answered_in(1) >= 380);
}

TEST_CASE("after the answer expires and the upstream fails, the stale answer comes with EDE 3", "[threads][flatten-worker]") {
  FlatteningWorker w(25015, 600, 20);
  w.upstream.ttl = 1;
  UdpAsker udp(w.port);
  auto fresh = udp.ask("example.com.", kA, 2s);
  REQUIRE(fresh);
  CHECK(addresses(*fresh) == std::vector<std::string>{"198.51.100.7"});
  CHECK(fresh->answer.at(0).ttl == 1);
  w.upstream.failing = true;
  std::this_thread::sleep_for(1100ms);
  auto stale = udp.ask("example.com.", kA, 2s);
  REQUIRE(stale);
  CHECK(stale->rcode() == dns::rcode::NOERROR);
  CHECK(addresses(*stale) == std::vector<std::string>{"198.51.100.7"});
  CHECK(stale->answer.at(0).ttl == 1);  // stale_reply_ttl_s (30), never above the answer's own TTL
  CHECK(ede_code_of(*stale) == 3);
  CHECK(ede_text_of(*stale).find("signature expired") != std::string::npos);
  CHECK(w.upstream.calls.load() == 2);
}

TEST_CASE("stale_client_timeout_ms 0: the expired answer at once with EDE 3, the refresh in the background",
          "[threads][flatten-worker]") {
  flatten::FlattenerSettings settings;
  settings.stale_client_timeout_ms = 0;
  FlatteningWorker w(25018, 1000, 20, 64, {}, settings);
  w.upstream.ttl = 1;
  UdpAsker udp(w.port);
  REQUIRE(udp.ask("example.com.", kA, 2s));
  std::this_thread::sleep_for(1100ms);
  w.upstream.delay_ms = 400;  // slower than the answer must be
  const auto start = std::chrono::steady_clock::now();
  auto stale = udp.ask("example.com.", kA, 2s);
  REQUIRE(stale);
  CHECK(elapsed_ms(start) < 300);  // not held for the refresh (400 ms) nor the deadline
  CHECK(addresses(*stale) == std::vector<std::string>{"198.51.100.7"});
  CHECK(ede_code_of(*stale) == 3);
  // The refresh ran and its answer is served fresh, without EDE.
  std::this_thread::sleep_for(600ms);
  CHECK(w.upstream.calls.load() == 2);
  auto fresh = udp.ask("example.com.", kA, 2s);
  REQUIRE(fresh);
  CHECK(ede_code_of(*fresh) == -1);
  CHECK(w.upstream.calls.load() == 2);
}

TEST_CASE("a stale answer ready: the query waits stale_client_timeout_ms for the refresh, not the deadline",
          "[threads][flatten-worker]") {
  flatten::FlattenerSettings settings;
  settings.stale_client_timeout_ms = 200;
  FlatteningWorker w(25019, 1500, 20, 64, {}, settings);
  w.upstream.ttl = 1;
  UdpAsker udp(w.port);
  REQUIRE(udp.ask("example.com.", kA, 2s));
  std::this_thread::sleep_for(1100ms);
  w.upstream.delay_ms = 1000;
  const auto start = std::chrono::steady_clock::now();
  auto stale = udp.ask("example.com.", kA, 3s);
  const long took = elapsed_ms(start);
  REQUIRE(stale);
  CHECK(ede_code_of(*stale) == 3);
  CHECK(took >= 180);
  CHECK(took < 200 + 250);  // scheduling slack; the deadline is 1500
}

TEST_CASE("a TCP client that leaves while its query is parked is dropped silently", "[flatten-worker]") {
  FlatteningWorker w(25016, 1200, 200);
  {
    TcpClient tcp(w.port);
    REQUIRE(tcp.connected());
    REQUIRE(tcp.send_bytes(tcp_frame(edns_query("example.com.", kA, 9))));
    std::this_thread::sleep_for(20ms);
  }  // closed before the resolution completes
  std::this_thread::sleep_for(400ms);
  // The worker is fine: the answer is cached, UDP and a new TCP connection get it at once.
  UdpAsker udp(w.port);
  auto m = udp.ask("example.com.", kA, 1s);
  REQUIRE(m);
  CHECK(addresses(*m) == std::vector<std::string>{"198.51.100.7"});
  TcpClient tcp(w.port);
  REQUIRE(tcp.connected());
  auto t = tcp_ask(tcp, "example.com.", kA, 1s);
  REQUIRE(t);
  CHECK(addresses(*t) == std::vector<std::string>{"198.51.100.7"});
  CHECK(w.upstream.calls.load() == 1);
}

TEST_CASE("a TCP client that half-closes after its query still gets the parked answer", "[flatten-worker]") {
  FlatteningWorker w(25017, 1200, 100);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(w.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  const auto frame = tcp_frame(edns_query("example.com.", kA, 10));
  REQUIRE(write(fd, frame.data(), frame.size()) == static_cast<ssize_t>(frame.size()));
  shutdown(fd, SHUT_WR);
  std::vector<uint8_t> got;
  uint8_t buffer[4096];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, 2000) == 1) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;  // the server closes after the answer
    got.insert(got.end(), buffer, buffer + n);
  }
  close(fd);
  REQUIRE(got.size() > 2);
  auto m = parse_reply(std::vector<uint8_t>(got.begin() + 2, got.end()));
  REQUIRE(m);
  CHECK(addresses(*m) == std::vector<std::string>{"198.51.100.7"});
}

TEST_CASE("response rate limiting applies to parked answers: over the limit dropped or slipped with TC=1",
          "[flatten-worker][rrl]") {
  RrlSettings rrl;
  rrl.responses_per_second = 1;
  rrl.slip = 2;
  FlatteningWorker w(29020, 1200, 100, 64, rrl);
  // Six clients of one /24 ask the flattened apex at once: all six are
  // parked, and all answered together when the target resolves.
  std::vector<std::unique_ptr<UdpAsker>> askers;
  for (int i = 0; i < 6; ++i) {
    askers.push_back(std::make_unique<UdpAsker>(w.port));
    REQUIRE(askers.back()->send(edns_query("example.com.", kA, static_cast<uint16_t>(100 + i))));
  }
  int full = 0, truncated = 0, silent = 0;
  for (auto& asker : askers) {
    auto reply = asker->receive(full + truncated == 0 ? 2000ms : 300ms);
    if (!reply) {
      ++silent;
    } else if (reply->flags & dns::flag::TC) {
      ++truncated;
      CHECK(reply->answer.empty());
      CHECK(reply->qname == dns::Name::parse("example.com."));
    } else {
      ++full;
      CHECK(addresses(*reply) == std::vector<std::string>{"198.51.100.7"});
    }
  }
  CHECK(w.upstream.calls.load() == 1);
  // One answer a second: one goes out whole; of the five over the limit,
  // every second one slips (TC=1, so a real client retries over TCP).
  CHECK(full == 1);
  CHECK(truncated == 2);
  CHECK(silent == 3);
  // The batch path counts in the same table: the now cached answer is still
  // over the limit (the sixth limited response slips).
  UdpAsker later(w.port);
  auto reply = later.ask("example.com.", kA, 1000ms);
  REQUIRE(reply);
  CHECK((reply->flags & dns::flag::TC) != 0);
  CHECK(reply->answer.empty());
  // TCP is never limited.
  TcpClient tcp(w.port);
  auto over_tcp = tcp_ask(tcp, "example.com.", kA, 1000ms);
  REQUIRE(over_tcp);
  CHECK(addresses(*over_tcp) == std::vector<std::string>{"198.51.100.7"});
}

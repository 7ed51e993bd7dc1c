// The real flatns binary flattening an apex CNAME whose target is outside
// the served zones, with resolver.root_hints pointing at a loopback port
// where nothing answers: UDP and TCP queries get SERVFAIL with EDE 22 within
// flatten.deadline_ms (plus scheduling slack), the failure is logged naming
// zone, name, target and the servers tried, and a SIGHUP reload keeps the
// service running.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "flatten_client.h"

using namespace flatns;
using namespace flatns::test;
using namespace std::chrono_literals;

namespace {

constexpr uint16_t kPort = 25020;
constexpr uint16_t kSilentRoot = 25021;  // nothing listens here, nor on the next port
constexpr uint32_t kDeadlineMs = 500;

std::string config_text(const std::string& extra_flatten = "") {
  return "server:\n"
         "  listen: [\"127.0.0.1:" + std::to_string(kPort) + "\"]\n"
         "  workers: 2\n"
         "zones:\n"
         "  - name: example.com\n"
         "    file: example.com.zone\n"
         "resolver:\n"
         "  root_hints: [\"127.0.0.1:" + std::to_string(kSilentRoot) + "\"]\n"
         "flatten:\n"
         "  deadline_ms: " + std::to_string(kDeadlineMs) + "\n" + extra_flatten;
}

long elapsed_ms(std::chrono::steady_clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count());
}

}  // namespace

TEST_CASE("daemon: an unreachable flattening target is SERVFAIL with EDE 22 within the deadline", "[threads][daemon][flatten]") {
  TempDir dir;
  dir.write("example.com.zone",
            "$ORIGIN example.com.\n$TTL 300\n"
            "@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n"
            "@ IN NS ns1.example.com.\nns1 IN A 192.0.2.53\n"
            "@ IN CNAME www.unreachable.test.\n"
            "www IN CNAME deep.unreachable.test.\n");
  dir.write("flatns.yaml", config_text());
  ServerProcess server(dir.file("flatns.yaml"), dir.file("server.log"));
  REQUIRE(wait_for_udp_answer(kPort, "ns1.example.com.", dns::rrtype::A, 10s));

  UdpAsker udp(kPort);
  auto start = std::chrono::steady_clock::now();
  auto m = udp.ask("example.com.", dns::rrtype::A, 3s);
  long took = elapsed_ms(start);
  INFO(server.log());
  REQUIRE(m);
  CHECK(m->rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code_of(*m) == 22);
  CHECK(ede_text_of(*m).find("www.unreachable.test.") != std::string::npos);
  CHECK(took < kDeadlineMs + 250);

  // With the failure cached, the next query is answered at once.
  start = std::chrono::steady_clock::now();
  auto again = udp.ask("example.com.", dns::rrtype::A, 3s);
  REQUIRE(again);
  CHECK(ede_code_of(*again) == 22);
  CHECK(elapsed_ms(start) < kDeadlineMs - 100);  // not parked again

  // TCP, for a target not tried yet, waits and is answered the same way.
  TcpClient tcp(kPort);
  REQUIRE(tcp.connected());
  start = std::chrono::steady_clock::now();
  auto t = tcp_ask(tcp, "www.example.com.", dns::rrtype::AAAA, 3s);
  REQUIRE(t);
  // www is not flattened (flatten: apex): its CNAME is shown and chased, and
  // the target outside our zones is the client's to resolve.
  CHECK(t->rcode() == dns::rcode::NOERROR);
  auto apex_aaaa = tcp_ask(tcp, "example.com.", dns::rrtype::AAAA, 3s);
  took = elapsed_ms(start);
  REQUIRE(apex_aaaa);
  CHECK(apex_aaaa->rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code_of(*apex_aaaa) == 22);
  CHECK(took < kDeadlineMs + 450);

  // Other types at the apex are unaffected.
  auto soa = udp.ask("example.com.", dns::rrtype::SOA, 2s);
  REQUIRE(soa);
  CHECK(soa->rcode() == dns::rcode::NOERROR);
  CHECK(soa->answer.size() == 1);

  CHECK(server.wait_for_log("flatten: zone example.com., name example.com., target www.unreachable.test. A", 3s));
  CHECK(server.log().find("127.0.0.1:" + std::to_string(kSilentRoot)) != std::string::npos);

  // A reload keeps the service; a changed resolver section rebuilds the resolver.
  std::string changed = config_text() + "  max_ttl: 600\n";
  const std::string old_hint = "127.0.0.1:" + std::to_string(kSilentRoot);
  changed.replace(changed.find(old_hint), old_hint.size(), "127.0.0.1:" + std::to_string(kSilentRoot + 1));
  dir.write("flatns.yaml", changed);
  server.signal(SIGHUP);
  CHECK(server.wait_for_log("reload done", 5s));
  CHECK(server.wait_for_log("resolver rebuilt with the new settings", 5s));
  std::this_thread::sleep_for(5500ms);  // the cached failure (failure_ttl_s 5) runs out
  auto after = udp.ask("example.com.", dns::rrtype::A, 3s);
  REQUIRE(after);
  CHECK(after->rcode() == dns::rcode::SERVFAIL);
  CHECK(ede_code_of(*after) == 22);
  CHECK(ede_text_of(*after).find("127.0.0.1:" + std::to_string(kSilentRoot + 1)) != std::string::npos);

  // Every field of the resolver section counts: cache_size alone, then
  // qname_minimisation alone, rebuild the resolver; a reload with the
  // resolver section unchanged does not.
  auto count_in_log = [&](const std::string& what) {
    std::size_t n = 0;
    const std::string log = server.log();
    for (auto at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
    return n;
  };
  auto rebuilds = [&] { return count_in_log("resolver rebuilt with the new settings"); };
  auto reload_with = [&](const std::string& resolver_lines) {
    std::string text = changed;
    text.insert(text.find("flatten:\n"), resolver_lines);
    const std::size_t reloads = count_in_log("reload done");
    dir.write("flatns.yaml", text);
    server.signal(SIGHUP);
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (count_in_log("reload done") == reloads && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(20ms);
    }
    std::this_thread::sleep_for(300ms);  // the service thread logs the rebuild
  };
  const std::size_t before = rebuilds();
  reload_with("  cache_size: 4m\n");
  CHECK(rebuilds() == before + 1);
  reload_with("  cache_size: 4m\n  qname_minimisation: false\n");
  CHECK(rebuilds() == before + 2);
  reload_with("  cache_size: 4m\n  qname_minimisation: false\n");
  CHECK(rebuilds() == before + 2);

  server.signal(SIGTERM);
  CHECK(server.wait_exit(5s) == 0);
}

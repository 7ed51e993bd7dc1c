// The real flatns binary: `serve` on 127.0.0.1:20100-20199 queried over raw
// UDP and TCP sockets, reload on SIGHUP, stop on SIGTERM; and the
// check-config / check-zone / usage behaviour of the command line.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "daemon_test_support.h"

using namespace flatns::test;
using namespace std::chrono_literals;

namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeSOA = 6;

std::string zone_text(uint32_t serial, const std::string& www_address) {
  return "$ORIGIN example.com.\n"
         "$TTL 300\n"
         "@    IN SOA ns1.example.com. hostmaster.example.com. " +
         std::to_string(serial) +
         " 7200 3600 1209600 300\n"
         "@    IN NS  ns1.example.com.\n"
         "ns1  IN A   192.0.2.53\n"
         "www  IN A   " +
         www_address + "\n";
}

// A zone whose line 6 holds an address that is not one.
std::string broken_zone_text() {
  return "$ORIGIN example.com.\n"
         "$TTL 300\n"
         "@    IN SOA ns1.example.com. hostmaster.example.com. 3 7200 3600 1209600 300\n"
         "@    IN NS  ns1.example.com.\n"
         "ns1  IN A   192.0.2.53\n"
         "www  IN A   192.0.2.300\n";
}

std::string config_text(uint16_t port, const std::string& server_extra = "", int workers = 2) {
  return "server:\n"
         "  listen: [\"127.0.0.1:" +
         std::to_string(port) +
         "\"]\n"
         "  workers: " + std::to_string(workers) + "\n" +
         server_extra +
         "zones:\n"
         "  - name: example.com\n"
         "    file: example.com.zone\n";
}

// A running server for one test case, serving example.com from `dir`.
struct Served {
  TempDir dir;
  uint16_t port;
  std::unique_ptr<ServerProcess> server;

  explicit Served(uint16_t p, const std::string& server_extra = "", int workers = 2) : port(p) {
    dir.write("example.com.zone", zone_text(1, "192.0.2.1"));
    dir.write("flatns.yaml", config_text(port, server_extra, workers));
    server = std::make_unique<ServerProcess>(dir.file("flatns.yaml"), dir.file("server.log"));
    auto first = wait_for_udp_answer(port, "www.example.com.", kTypeA, 10s);
    INFO(server->log());
    REQUIRE(first);
  }
  std::string log() const { return server->log(); }
  // The A records of www.example.com over UDP.
  std::vector<std::string> www() const {
    auto answer = udp_query(port, "www.example.com.", kTypeA);
    return answer ? answer->a_records : std::vector<std::string>{"(no answer)"};
  }
  // The A records of www.example.com once they equal `expected` (workers
  // take a reloaded zone set asynchronously), or the last answer after 5 s.
  std::vector<std::string> www_eventually(const std::vector<std::string>& expected) const {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    std::vector<std::string> last = www();
    while (last != expected && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      last = www();
    }
    return last;
  }
  // Sends SIGHUP and waits until `done_text` appears in the log after it.
  void reload(const std::string& done_text) {
    auto before = log().size();
    server->signal(SIGHUP);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (log().find(done_text, before) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    INFO(log());
    REQUIRE(log().find(done_text, before) != std::string::npos);
  }
};

}  // namespace

TEST_CASE("serve answers over UDP and TCP and logs addresses and zones", "[daemon]") {
  Served s(20100);
  auto answer = udp_query(s.port, "www.example.com.", kTypeA);
  REQUIRE(answer);
  CHECK(answer->rcode == 0);
  CHECK(answer->aa);
  CHECK(answer->a_records == std::vector<std::string>{"192.0.2.1"});

  TcpClient tcp(s.port);
  REQUIRE(tcp.connected());
  REQUIRE(tcp.send_bytes(tcp_frame(make_query("example.com.", kTypeSOA, 7))));
  auto message = tcp.read_message(5s);
  REQUIRE(message);
  auto soa = parse_answer(*message);
  REQUIRE(soa);
  CHECK(soa->id == 7);
  CHECK(soa->soa_serial == 1u);

  std::string log = s.log();
  CHECK(log.find("listening on 127.0.0.1:20100") != std::string::npos);
  CHECK(log.find("zone example.com. loaded: serial 1, 4 records") != std::string::npos);
}

TEST_CASE("SIGTERM stops the server with status 0, even with an idle TCP client", "[daemon]") {
  Served s(20101);
  TcpClient idle(s.port);
  REQUIRE(idle.connected());
  s.server->signal(SIGTERM);
  auto status = s.server->wait_exit(10s);
  INFO(s.log());
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(idle.wait_closed(1s));
  CHECK(s.log().find("stopped") != std::string::npos);
}

TEST_CASE("SIGINT stops the server with status 0", "[daemon]") {
  Served s(20102);
  s.server->signal(SIGINT);
  auto status = s.server->wait_exit(10s);
  REQUIRE(status);
  CHECK(*status == 0);
}

TEST_CASE("SIGHUP reload serves the changed zone", "[threads][daemon]") {
  Served s(20103);
  CHECK(s.www() == std::vector<std::string>{"192.0.2.1"});
  s.dir.write("example.com.zone", zone_text(2, "192.0.2.2"));
  s.reload("reload done");
  CHECK(s.www_eventually({"192.0.2.2"}) == std::vector<std::string>{"192.0.2.2"});
  // Each query comes from a new port, so it may reach the other worker: ask
  // both a few times.
  for (int i = 0; i < 10; ++i) {
    auto soa = udp_query(s.port, "example.com.", kTypeSOA);
    REQUIRE(soa);
    if (soa->soa_serial != 2u) std::this_thread::sleep_for(20ms);
    soa = udp_query(s.port, "example.com.", kTypeSOA);
    REQUIRE(soa);
    CHECK(soa->soa_serial == 2u);
  }
  CHECK(s.log().find("zone example.com. loaded: serial 2") != std::string::npos);
}

TEST_CASE("a zone that breaks on reload keeps its previous data", "[threads][daemon]") {
  Served s(20104);
  s.dir.write("example.com.zone", broken_zone_text());
  s.reload("reload done");
  CHECK(s.www() == std::vector<std::string>{"192.0.2.1"});
  auto soa = udp_query(s.port, "example.com.", kTypeSOA);
  REQUIRE(soa);
  CHECK(soa->soa_serial == 1u);
  std::string log = s.log();
  INFO(log);
  CHECK(log.find(s.dir.file("example.com.zone") + ":6:") != std::string::npos);
  CHECK(log.find("zone example.com. failed to load; still serving its previous version") != std::string::npos);

  // Fixed again: the next reload takes it.
  s.dir.write("example.com.zone", zone_text(4, "192.0.2.4"));
  s.reload("reload done");
  CHECK(s.log().find("zone example.com. loaded: serial 4") != std::string::npos);
  CHECK(s.www_eventually({"192.0.2.4"}) == std::vector<std::string>{"192.0.2.4"});
}

TEST_CASE("a broken config on reload changes nothing", "[daemon]") {
  Served s(20105);
  s.dir.write("example.com.zone", zone_text(2, "192.0.2.2"));
  s.dir.write("flatns.yaml", config_text(s.port, "  nsid: [1]\n  log_level: chatty\n"));
  s.reload("reload aborted");
  std::string log = s.log();
  INFO(log);
  CHECK(log.find(s.dir.file("flatns.yaml") + ":4: server.nsid: expected a string, found a list") !=
        std::string::npos);
  CHECK(log.find(s.dir.file("flatns.yaml") + ":5: server.log_level:") != std::string::npos);
  // The zone file changed too, but nothing was reloaded.
  CHECK(s.www() == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("a listen change on reload asks for a restart", "[daemon]") {
  Served s(20106);
  s.dir.write("flatns.yaml", config_text(20107));
  s.reload("reload done");
  CHECK(s.log().find("server.listen changed; restart flatns to apply it") != std::string::npos);
  CHECK(s.www() == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("TCP: three pipelined queries are answered in order", "[daemon][tcp]") {
  Served s(20108);
  TcpClient tcp(s.port);
  REQUIRE(tcp.connected());
  std::vector<uint8_t> burst;
  for (uint16_t id : {101, 102, 103}) {
    auto frame = tcp_frame(make_query(id == 102 ? "example.com." : "www.example.com.", id == 102 ? kTypeSOA : kTypeA, id));
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  REQUIRE(tcp.send_bytes(burst));  // one write: all three arrive together
  for (uint16_t id : {101, 102, 103}) {
    auto message = tcp.read_message(5s);
    REQUIRE(message);
    auto answer = parse_answer(*message);
    REQUIRE(answer);
    CHECK(answer->id == id);
    if (id == 102) {
      CHECK(answer->soa_serial == 1u);
    } else {
      CHECK(answer->a_records == std::vector<std::string>{"192.0.2.1"});
    }
  }
}

TEST_CASE("TCP: a query split over many writes is answered", "[daemon][tcp]") {
  Served s(20109);
  TcpClient tcp(s.port);
  REQUIRE(tcp.connected());
  auto frame = tcp_frame(make_query("www.example.com.", kTypeA, 55));
  for (uint8_t byte : frame) {
    REQUIRE(tcp.send_bytes({byte}));
    std::this_thread::sleep_for(2ms);
  }
  auto message = tcp.read_message(5s);
  REQUIRE(message);
  auto answer = parse_answer(*message);
  REQUIRE(answer);
  CHECK(answer->id == 55);
  CHECK(answer->a_records == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("TCP: an idle connection is closed after tcp_idle_timeout_ms", "[daemon][tcp]") {
  Served s(20110, "  tcp_idle_timeout_ms: 300\n");
  TcpClient tcp(s.port);
  REQUIRE(tcp.connected());
  REQUIRE(tcp.send_bytes(tcp_frame(make_query("www.example.com.", kTypeA, 9))));
  REQUIRE(tcp.read_message(5s));
  CHECK(tcp.wait_closed(5s));

  TcpClient silent(s.port);
  REQUIRE(silent.connected());
  CHECK(silent.wait_closed(5s));
}

TEST_CASE("TCP: at the connection limit the oldest idle connection makes room", "[daemon][tcp]") {
  // One worker, so that all three connections meet the same limit.
  Served s(20111, "  tcp_max_connections: 2\n", 1);
  TcpClient first(s.port), second(s.port);
  for (TcpClient* c : {&first, &second}) {
    REQUIRE(c->connected());
    REQUIRE(c->send_bytes(tcp_frame(make_query("www.example.com.", kTypeA, 1))));
    REQUIRE(c->read_message(5s));  // accepted, in this order
  }
  TcpClient third(s.port);
  REQUIRE(third.connected());
  REQUIRE(third.send_bytes(tcp_frame(make_query("www.example.com.", kTypeA, 3))));
  auto message = third.read_message(5s);
  REQUIRE(message);
  CHECK(parse_answer(*message)->id == 3);
  CHECK(first.wait_closed(5s));
  // The second one still works.
  REQUIRE(second.send_bytes(tcp_frame(make_query("www.example.com.", kTypeA, 2))));
  CHECK(second.read_message(5s));
}

TEST_CASE("serve with a broken config exits 1 and names the key", "[daemon]") {
  TempDir dir;
  dir.write("flatns.yaml", "server:\n  listen: [\"127.0.0.1:20112\"]\n  wokers: 2\n");
  auto result = run_flatns({"serve", "-c", dir.file("flatns.yaml")}, dir.file("out.txt"));
  CHECK(result.exit_status == 1);
  CHECK(result.output.find(dir.file("flatns.yaml") + ":3: server.wokers: unknown key") != std::string::npos);
}

TEST_CASE("a second server on the same address refuses to start", "[daemon]") {
  Served s(20113);
  s.dir.write("second.yaml", config_text(s.port));
  auto result = run_flatns({"serve", "-c", s.dir.file("second.yaml")}, s.dir.file("second.log"));
  CHECK(result.exit_status == 1);
  CHECK(result.output.find("not started: cannot listen: UDP 127.0.0.1:20113: bind: Address already in use") !=
        std::string::npos);
  // The first one still answers everything.
  CHECK(s.www() == std::vector<std::string>{"192.0.2.1"});
}

TEST_CASE("a zone added or removed on reload is served or dropped", "[threads][daemon]") {
  Served s(20114);
  s.dir.write("example.net.zone",
              "$ORIGIN example.net.\n$TTL 300\n"
              "@ IN SOA ns1.example.net. hostmaster.example.net. 7 7200 3600 1209600 300\n"
              "@ IN NS ns1.example.net.\nns1 IN A 192.0.2.54\n");
  s.dir.write("flatns.yaml", config_text(s.port) + "  - name: example.net\n    file: example.net.zone\n");
  s.reload("reload done");
  CHECK(s.log().find("zone example.net. loaded: serial 7, 3 records") != std::string::npos);
  std::optional<uint32_t> serial;
  for (int i = 0; i < 100 && serial != 7u; ++i) {
    auto soa = udp_query(s.port, "example.net.", kTypeSOA);
    serial = soa ? soa->soa_serial : std::nullopt;
    if (serial != 7u) std::this_thread::sleep_for(20ms);
  }
  CHECK(serial == 7u);

  s.dir.write("flatns.yaml",
              "server:\n  listen: [\"127.0.0.1:20114\"]\n  workers: 2\n"
              "zones:\n  - name: example.net\n    file: example.net.zone\n");
  s.reload("reload done");
  CHECK(s.log().find("zone example.com. removed from the configuration; no longer served") != std::string::npos);
  std::optional<Answer> gone;
  for (int i = 0; i < 100; ++i) {
    gone = udp_query(s.port, "www.example.com.", kTypeA);
    if (gone && gone->rcode == 5) break;  // REFUSED: not a zone served here
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(gone);
  CHECK(gone->rcode == 5);
  CHECK(gone->a_records.empty());
}

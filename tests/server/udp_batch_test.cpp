// The UDP listener takes datagrams in batches (recvmmsg) and sends the
// answers in one sendmmsg: a burst larger than a batch, from two clients,
// must come back whole, each answer to the client that asked, matched by ID.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>

#include "daemon_test_support.h"
#include "server/worker.h"
#include "zones/zone_set.h"

using namespace flatns;
using namespace flatns::server;
using namespace flatns::test;

namespace {

std::shared_ptr<const WorkerState> hosts_state(const TempDir& dir, int hosts) {
  std::string zone =
      "$ORIGIN example.com.\n$TTL 300\n"
      "@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n"
      "@ IN NS ns1.example.com.\nns1 IN A 192.0.2.53\n";
  for (int i = 0; i < hosts; ++i) zone += "h" + std::to_string(i) + " IN A 10.0.0." + std::to_string(i) + "\n";
  dir.write("example.com.zone", zone);
  zones::ZoneConfig config;
  config.origin = dns::Name::parse("example.com.");
  config.file = dir.file("example.com.zone");
  auto loaded = zones::load_zone(config);
  REQUIRE(loaded.errors.empty());
  auto state = std::make_shared<WorkerState>();
  state->zones = std::make_shared<const zones::ZoneSet>(std::vector<std::shared_ptr<const zones::Zone>>{loaded.zone});
  return state;
}

struct Client {
  int fd = -1;
  Client() {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  ~Client() {
    if (fd >= 0) close(fd);
  }
  bool send_to(uint16_t port, const std::vector<uint8_t>& datagram) const {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
           static_cast<ssize_t>(datagram.size());
  }
  // Every answer that arrives until none has come for `quiet` ms.
  std::vector<Answer> receive_all(int quiet) const {
    std::vector<Answer> answers;
    std::vector<uint8_t> buffer(65535);
    while (true) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, quiet) != 1) return answers;
      const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) return answers;
      if (auto a = parse_answer(std::vector<uint8_t>(buffer.begin(), buffer.begin() + n))) answers.push_back(*a);
    }
  }
};

}  // namespace

TEST_CASE("UDP: a burst of several batches from two clients is answered whole, each to its sender",
          "[worker][udp]") {
  constexpr int kHosts = 50;
  constexpr int kPerClient = 3 * static_cast<int>(UdpBatch::kSize) / 2;  // three batches in all, at least
  TempDir dir;
  Worker worker(0, hosts_state(dir, kHosts));
  std::string error;
  dns::ServerAddress address;
  REQUIRE(dns::ServerAddress::parse("127.0.0.1:26900", std::nullopt, address, error));
  REQUIRE(worker.bind({address}, error));
  REQUIRE(worker.start(error));
  REQUIRE(wait_for_udp_answer(26900, "h1.example.com.", 1, std::chrono::seconds(5)));

  Client first, second;
  REQUIRE(first.fd >= 0);
  REQUIRE(second.fd >= 0);
  // All queries go out before any answer is read, so they queue at the
  // server and are taken in full batches.
  for (int i = 0; i < kPerClient; ++i) {
    const int host = i % kHosts;
    REQUIRE(first.send_to(26900, make_query("h" + std::to_string(host) + ".example.com.", 1,
                                            static_cast<uint16_t>(1000 + i))));
    REQUIRE(second.send_to(26900, make_query("h" + std::to_string(host) + ".example.com.", 1,
                                             static_cast<uint16_t>(5000 + i))));
  }
  // One NXDOMAIN in the middle of a batch does not disturb its neighbours.
  REQUIRE(first.send_to(26900, make_query("missing.example.com.", 1, 999)));

  const std::vector<Answer> to_first = first.receive_all(1000);
  const std::vector<Answer> to_second = second.receive_all(1000);
  worker.stop();
  worker.join();

  std::map<uint16_t, Answer> by_id;
  for (const Answer& a : to_first) {
    CHECK((a.id == 999 || (a.id >= 1000 && a.id < 1000 + kPerClient)));
    by_id[a.id] = a;
  }
  std::set<uint16_t> second_ids;
  for (const Answer& a : to_second) {
    CHECK((a.id >= 5000 && a.id < 5000 + kPerClient));
    second_ids.insert(a.id);
  }
  CHECK(to_first.size() == kPerClient + 1);
  CHECK(to_second.size() == kPerClient);
  CHECK(by_id.size() == kPerClient + 1);
  CHECK(second_ids.size() == kPerClient);
  for (int i = 0; i < kPerClient; ++i) {
    auto it = by_id.find(static_cast<uint16_t>(1000 + i));
    REQUIRE(it != by_id.end());
    CHECK(it->second.rcode == 0);
    CHECK(it->second.a_records == std::vector<std::string>{"10.0.0." + std::to_string(i % kHosts)});
  }
  REQUIRE(by_id.count(999) == 1);
  CHECK(by_id[999].rcode == 3);
}

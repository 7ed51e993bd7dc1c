// A Worker run in-process: it answers over UDP and TCP on its own loop,
// takes a new zone set through publish() between packets, stops cleanly, and
// allocates nothing per UDP query (DESIGN.md "The path of one query").
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <thread>

#include "daemon_test_support.h"
#include "flatten/flattener.h"
#include "flatten/service.h"
#include "server/worker.h"
#include "worker_test_support.h"

using namespace flatns;
using namespace flatns::server;
using namespace flatns::test;
using namespace std::chrono_literals;

// Counts heap allocations made by threads other than the test's own, i.e.
// by the worker thread, while counting is on. Under AddressSanitizer the
// replacement would fight ASan's own operator new/delete (memory allocated
// in a shared library with one and freed with the other), so the count is
// only taken in ordinary builds.
#if defined(__SANITIZE_ADDRESS__)
#define FLATNS_COUNT_ALLOCATIONS 0
#else
#define FLATNS_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_worker_allocations{0};
std::thread::id g_test_thread;
}  // namespace

#if FLATNS_COUNT_ALLOCATIONS
void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed) && std::this_thread::get_id() != g_test_thread) {
    g_worker_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = std::malloc(size ? size : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

std::shared_ptr<const WorkerState> state_for(const TempDir& dir, const std::string& www) {
  return example_com_state(dir, 300, "www IN A " + www + "\n");
}

#if FLATNS_COUNT_ALLOCATIONS
// Sends `query` to the worker on 127.0.0.1:port, ten times to warm up, then
// 300 times while counting the worker thread's allocations; `accept` checks
// each reply. Returns how many of the 300 were answered and accepted.
int count_worker_allocations(uint16_t port, const std::vector<uint8_t>& query,
                             const std::function<bool(const std::vector<uint8_t>&)>& accept) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<uint8_t> reply(65535);
  auto exchange = [&] {
    if (sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) != 1) return false;
    const ssize_t n = recv(fd, reply.data(), reply.size(), 0);
    return n > 12 && accept(std::vector<uint8_t>(reply.begin(), reply.begin() + n));
  };
  for (int i = 0; i < 10; ++i) REQUIRE(exchange());  // warm up

  g_test_thread = std::this_thread::get_id();
  g_worker_allocations = 0;
  g_counting = true;
  int answered = 0;
  for (int i = 0; i < 300; ++i) answered += exchange() ? 1 : 0;
  g_counting = false;
  close(fd);
  return answered;
}
#endif

}  // namespace

TEST_CASE("a worker answers UDP and TCP and swaps zone sets between packets", "[threads][worker]") {
  TempDir dir;
  Worker worker(0, state_for(dir, "192.0.2.1"));
  std::string error;
  REQUIRE(worker.bind({loopback(20200)}, error));
  REQUIRE(worker.start(error));

  auto answer = udp_query(20200, "www.example.com.", 1, 2s);
  REQUIRE(answer);
  CHECK(answer->a_records == std::vector<std::string>{"192.0.2.1"});

  TcpClient tcp(20200);
  REQUIRE(tcp.connected());

  worker.publish(state_for(dir, "192.0.2.9"));
  std::optional<Answer> after;
  for (int i = 0; i < 100; ++i) {  // the swap is asynchronous: poll briefly
    after = udp_query(20200, "www.example.com.", 1, 2s);
    if (after && after->a_records == std::vector<std::string>{"192.0.2.9"}) break;
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(after);
  CHECK(after->a_records == std::vector<std::string>{"192.0.2.9"});

  // A connection opened before the swap answers from the new set too.
  REQUIRE(tcp.send_bytes(tcp_frame(make_query("www.example.com.", 1, 77))));
  auto message = tcp.read_message(2s);
  REQUIRE(message);
  CHECK(parse_answer(*message)->a_records == std::vector<std::string>{"192.0.2.9"});

  worker.stop();
  worker.join();
  CHECK(tcp.wait_closed(2s));
  CHECK_FALSE(udp_query(20200, "www.example.com.", 1, 200ms));
}

#if FLATNS_COUNT_ALLOCATIONS
TEST_CASE("a worker allocates nothing per UDP query", "[worker]") {
  TempDir dir;
  Worker worker(0, state_for(dir, "192.0.2.1"));
  std::string error;
  REQUIRE(worker.bind({loopback(20201)}, error));
  REQUIRE(worker.start(error));

  const int answered = count_worker_allocations(20201, make_query("www.example.com.", 1, 4242),
                                                [](const std::vector<uint8_t>&) { return true; });

  CHECK(answered == 300);
  CHECK(g_worker_allocations.load() == 0);
  worker.stop();
  worker.join();
}

// The flattened answer of a fresh cache entry costs no allocation either
// (issue 5: "as fast as a static record"): the worker reads the shared cache
// under its sequence lock and writes the addresses, nothing else.
TEST_CASE("a worker allocates nothing per cached flattened answer", "[worker]") {
  TempDir dir;
  auto cache = std::make_shared<flatten::FlattenCache>(64);
  flatten::CachedAnswer entry;
  entry.set_key(dns::Name::parse("edge.cdn.test.").wire(), 1);
  entry.kind = flatten::AnswerKind::Addresses;
  entry.address_size = 4;
  entry.address_count = 2;
  const uint8_t first[4] = {198, 51, 100, 1}, second[4] = {198, 51, 100, 2};
  std::memcpy(entry.addresses[0], first, 4);
  std::memcpy(entry.addresses[1], second, 4);
  entry.ttl_s = 3600;
  entry.validated_ms = flatten::system_time().now_ms();
  cache->store(entry);
  auto state = example_com_state(dir, 300, "@ IN CNAME edge.cdn.test.\n");
  state->flatten = std::make_shared<flatten::Flattener>(flatten::FlattenerSettings{}, cache);
  flatten::FlattenService service(flatten::ServiceSettings{}, cache);  // not started: never asked
  Worker worker(0, state, &service, 16);
  std::string error;
  REQUIRE(worker.bind({loopback(20202)}, error));
  REQUIRE(worker.start(error));

  const int answered = count_worker_allocations(20202, make_query("example.com.", 1, 4243),
                                                [](const std::vector<uint8_t>& reply) {
                                                  auto answer = parse_answer(reply);
                                                  return answer && answer->a_records.size() == 2;
                                                });

  CHECK(answered == 300);
  CHECK(g_worker_allocations.load() == 0);
  worker.stop();
  worker.join();
}
#endif

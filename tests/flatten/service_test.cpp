// The flatten service thread with a fake resolver backend: coalescing (many
// requests from several workers, one resolution), completions delivered to
// every waiting worker, prefetch replacing an entry with nobody waiting,
// failures cached with their EDE and logged once per interval, and how a
// resolver result becomes a cache entry.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "flatten/service.h"
#include "flatten_test_util.h"

using namespace flatns;
using namespace std::chrono_literals;
using flatten::AnswerKind;
using flatten::CachedAnswer;
using flatten::FlattenRequest;
using flatten::FlattenService;

namespace {

// Answers every resolution after `delay_ms` on the service loop with what
// `answer` returns (`refresh_answer` for a refresh, which bypasses the
// resolver's cache); counts resolutions and remembers the last deadline.
struct FakeResolver {
  std::atomic<int> calls{0};
  std::atomic<int> refreshes{0};
  std::atomic<uint32_t> last_deadline{0};
  std::atomic<bool> hold{false};  // while set, answers wait (the test decides when they land)
  uint64_t delay_ms = 50;
  std::function<resolver::Result(const dns::Name&)> answer = [](const dns::Name& n) {
    return testing::answer_result(n.to_text(), {"198.51.100.7"}, 300);
  };
  std::function<resolver::Result(const dns::Name&)> refresh_answer = [this](const dns::Name& n) {
    return answer(n);
  };

  class Backend final : public flatten::ResolverBackend {
   public:
    Backend(uv_loop_t* loop, FakeResolver& fake) : loop_(loop), fake_(fake) {}
    void resolve(const dns::Name& name, uint16_t, uint32_t deadline_ms, resolver::ResultCallback done) override {
      answer_later(fake_.answer(name), deadline_ms, std::move(done));
    }
    void refresh(const dns::Name& name, uint16_t, uint32_t deadline_ms, resolver::ResultCallback done) override {
      fake_.refreshes.fetch_add(1);
      answer_later(fake_.refresh_answer(name), deadline_ms, std::move(done));
    }

   private:
    void answer_later(resolver::Result result, uint32_t deadline_ms, resolver::ResultCallback done) {
      fake_.calls.fetch_add(1);
      fake_.last_deadline = deadline_ms;
      auto owned = std::make_unique<Pending>(Pending{{}, std::move(result), std::move(done), nullptr});
      Pending* pending = owned.release();  // owned again by the close callback
      uv_timer_init(loop_, &pending->timer);
      pending->timer.data = pending;
      pending->fake = &fake_;
      uv_timer_start(&pending->timer, [](uv_timer_t* t) {
        auto* p = static_cast<Pending*>(t->data);
        if (p->fake->hold.load()) {
          uv_timer_start(t, t->timer_cb, 5, 0);
          return;
        }
        p->done(std::move(p->result));
        uv_close(reinterpret_cast<uv_handle_t*>(&p->timer), [](uv_handle_t* h) {
          std::unique_ptr<Pending>(static_cast<Pending*>(h->data));
        });
      }, fake_.delay_ms, 0);
    }

    struct Pending {
      uv_timer_t timer;
      resolver::Result result;
      resolver::ResultCallback done;
      FakeResolver* fake = nullptr;
    };
    uv_loop_t* loop_;
    FakeResolver& fake_;
  };

  flatten::BackendFactory factory() {
    return [this](uv_loop_t* loop, std::string&) { return std::make_unique<Backend>(loop, *this); };
  }
};

FlattenRequest request_for(const std::string& target, bool prefetch = false) {
  FlattenRequest r;
  r.target.assign(dns::Name::parse(target).wire());
  r.qname.assign(dns::Name::parse("example.com.").wire());
  r.zone.assign(dns::Name::parse("example.com.").wire());
  r.qtype = dns::rrtype::A;
  r.prefetch = prefetch;
  return r;
}

uint64_t hash_of(const std::string& target) {
  return flatten::target_key_hash(dns::Name::parse(target).wire(), dns::rrtype::A);
}

bool wait_completed(FlattenService& service, unsigned worker, uint64_t& hash,
                    std::chrono::milliseconds timeout = 3s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (service.next_completed(worker, hash)) return true;
    std::this_thread::sleep_for(2ms);
  }
  return false;
}

}  // namespace

TEST_CASE("service: concurrent requests from several workers share one resolution") {
  FakeResolver fake;
  fake.delay_ms = 10;
  fake.hold = true;  // the resolution completes only once every request is in
  auto cache = std::make_shared<flatten::FlattenCache>(64);
  flatten::ServiceSettings settings;
  settings.workers = 2;
  FlattenService service(settings, cache);
  std::string error;
  REQUIRE(service.start(fake.factory(), error));
  service.attach(0, nullptr);
  service.attach(1, nullptr);

  std::atomic<int> refused{0};
  std::thread second([&] {
    for (int i = 0; i < 40; ++i) refused += service.request(1, request_for("edge.cdn.test.")) ? 0 : 1;
  });
  for (int i = 0; i < 40; ++i) refused += service.request(0, request_for("Edge.CDN.test.")) ? 0 : 1;
  second.join();
  CHECK(refused.load() == 0);
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (service.counters().requests < 80 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(2ms);
  }
  fake.hold = false;

  uint64_t hash = 0;
  REQUIRE(wait_completed(service, 0, hash));
  CHECK(hash == hash_of("edge.cdn.test."));
  REQUIRE(wait_completed(service, 1, hash));
  CHECK(hash == hash_of("edge.cdn.test."));
  CHECK_FALSE(service.next_completed(0, hash));  // one completion per worker, not per request

  CHECK(fake.calls.load() == 1);
  CHECK(fake.refreshes.load() == 0);  // queries that wait are no refresh
  const auto counters = service.counters();
  CHECK(counters.requests == 80);
  CHECK(counters.resolutions == 1);
  CHECK(counters.coalesced == 79);
  CachedAnswer entry;
  REQUIRE(cache->lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, entry));
  CHECK(entry.kind == AnswerKind::Addresses);
  CHECK(entry.address_count == 1);

  // Another target is another resolution.
  REQUIRE(service.request(0, request_for("other.cdn.test.")));
  REQUIRE(wait_completed(service, 0, hash));
  CHECK(hash == hash_of("other.cdn.test."));
  CHECK(fake.calls.load() == 2);
  service.stop();
}

TEST_CASE("service: resolutions get a deadline a little before the parked queries'") {
  FakeResolver fake;
  auto cache = std::make_shared<flatten::FlattenCache>(8);
  flatten::ServiceSettings settings;
  settings.deadline_ms = 1200;
  FlattenService service(settings, cache);
  std::string error;
  REQUIRE(service.start(fake.factory(), error));
  REQUIRE(service.request(0, request_for("edge.cdn.test.")));
  uint64_t hash = 0;
  REQUIRE(wait_completed(service, 0, hash));
  CHECK(fake.last_deadline.load() == 1100);
  CHECK(flatten::resolution_deadline_ms(200) == 150);
  service.set_deadline_ms(500);
  REQUIRE(service.request(0, request_for("two.cdn.test.")));
  REQUIRE(wait_completed(service, 0, hash));
  CHECK(fake.last_deadline.load() == 400);
}

TEST_CASE("service: a prefetch replaces the entry with nobody waiting") {
  FakeResolver fake;
  // A plain resolution would get what the resolver's cache has left of the
  // old data (1 s); a prefetch must ask for fresh data (a refresh).
  fake.answer = [](const dns::Name& n) { return testing::answer_result(n.to_text(), {"198.51.100.1"}, 1); };
  fake.refresh_answer = [](const dns::Name& n) {
    return testing::answer_result(n.to_text(), {"198.51.100.99"}, 600);
  };
  auto cache = std::make_shared<flatten::FlattenCache>(8);
  cache->store(testing::entry_for("edge.cdn.test.", testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 10), 1));
  FlattenService service(flatten::ServiceSettings{}, cache);
  std::string error;
  REQUIRE(service.start(fake.factory(), error));
  const uint64_t asked_at = flatten::system_time().now_ms();
  REQUIRE(service.request(0, request_for("edge.cdn.test.", /*prefetch=*/true)));
  REQUIRE(service.request(0, request_for("edge.cdn.test.", /*prefetch=*/true)));  // joins, no second one
  CachedAnswer entry;
  const auto end = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < end) {
    REQUIRE(cache->lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, entry));
    if (entry.ttl_s == 600) break;
    std::this_thread::sleep_for(5ms);
  }
  CHECK(entry.ttl_s == 600);
  CHECK(entry.address(0)[3] == 99);
  // The entry's expiry counts from the fresh data, not from the old entry.
  CHECK(entry.validated_ms >= asked_at);
  CHECK(entry.expires_ms() >= asked_at + 600 * 1000);
  uint64_t hash = 0;
  CHECK_FALSE(service.next_completed(0, hash));
  CHECK(fake.calls.load() == 1);
  CHECK(fake.refreshes.load() == 1);
  CHECK(service.counters().prefetches == 1);
}

TEST_CASE("service: a failure is cached with its EDE and logged once per interval per target") {
  FakeResolver fake;
  fake.delay_ms = 5;
  fake.answer = [](const dns::Name& n) {
    return testing::bogus_result(n.to_text(), resolver::BogusReason::SignatureExpired, "cdn.test.", "192.0.2.53");
  };
  auto cache = std::make_shared<flatten::FlattenCache>(8);
  std::mutex mutex;
  std::vector<std::string> lines;
  FlattenService service(flatten::ServiceSettings{}, cache, [&](std::string_view line) {
    std::lock_guard lock(mutex);
    lines.emplace_back(line);
  });
  std::string error;
  REQUIRE(service.start(fake.factory(), error));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(service.request(0, request_for("edge.cdn.test.")));
    uint64_t hash = 0;
    REQUIRE(wait_completed(service, 0, hash));
  }
  CHECK(fake.calls.load() == 3);
  CHECK(service.counters().failures == 3);
  CachedAnswer entry;
  REQUIRE(cache->lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, entry));
  CHECK(entry.failed);
  CHECK(entry.failure_ede == 7);
  std::lock_guard lock(mutex);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("zone example.com.") != std::string::npos);
  CHECK(lines[0].find("name example.com.") != std::string::npos);
  CHECK(lines[0].find("target edge.cdn.test. A") != std::string::npos);
  CHECK(lines[0].find("verdict bogus") != std::string::npos);
  CHECK(lines[0].find("EDE 7") != std::string::npos);
  CHECK(lines[0].find("upstream 192.0.2.53") != std::string::npos);
}

TEST_CASE("service: a full request queue refuses instead of growing") {
  FakeResolver fake;
  flatten::ServiceSettings settings;
  settings.request_queue = 4;
  FlattenService service(settings, std::make_shared<flatten::FlattenCache>(8));
  // Not started: nothing drains the queue, and requests are refused outright.
  CHECK_FALSE(service.request(0, request_for("edge.cdn.test.")));
  flatten::SpscRing<int> ring(4);
  for (int i = 0; i < 4; ++i) CHECK(ring.push(i));
  CHECK_FALSE(ring.push(5));
  int v = -1;
  CHECK(ring.pop(v));
  CHECK(v == 0);
  CHECK(ring.push(5));
}

TEST_CASE("result to entry: answers, negative answers and the EDE of each failure") {
  const uint64_t now = 1'000'000;
  auto ok = testing::entry_for("edge.cdn.test.", testing::answer_result("edge.cdn.test.", {"198.51.100.1", "198.51.100.2"}, 0), now);
  CHECK(ok.kind == AnswerKind::Addresses);
  CHECK(ok.address_count == 2);
  CHECK(ok.ttl_s == 1);  // a TTL of 0 is kept for a second, so the waiting queries get it
  CHECK(ok.secure);
  CHECK(ok.fresh(now));

  std::vector<std::string> many;
  for (int i = 0; i < 12; ++i) many.push_back("198.51.100." + std::to_string(i));
  CHECK(testing::entry_for("edge.cdn.test.", testing::answer_result("edge.cdn.test.", many, 60), now).address_count ==
        flatten::kMaxCachedAddresses);

  auto nx_result = testing::answer_result("edge.cdn.test.", {}, 60);
  nx_result.rcode = dns::rcode::NXDOMAIN;
  CHECK(testing::entry_for("edge.cdn.test.", nx_result, now).kind == AnswerKind::NxDomain);
  CHECK(testing::entry_for("edge.cdn.test.", testing::answer_result("edge.cdn.test.", {}, 60), now).kind ==
        AnswerKind::NoData);

  auto timeout = testing::entry_for("edge.cdn.test.", testing::timeout_result("edge.cdn.test.", "192.0.2.7"), now, &ok, 5);
  CHECK(timeout.failed);
  CHECK(timeout.failure_ede == 22);
  CHECK(std::string(timeout.failure()).find("192.0.2.7") != std::string::npos);
  CHECK(timeout.failure_until_ms == now + 5000);
  CHECK(timeout.kind == AnswerKind::Addresses);  // the previous answer stays for serve-stale
  CHECK(timeout.address_count == 2);

  auto bogus = testing::entry_for("edge.cdn.test.",
                                  testing::bogus_result("edge.cdn.test.", resolver::BogusReason::NoDnskey, "cdn.test.", "192.0.2.53"), now);
  CHECK(bogus.failure_ede == 9);
  CHECK(bogus.kind == AnswerKind::None);
  CHECK(std::string(bogus.failure()).find("server 192.0.2.53") != std::string::npos);

  auto insecure = testing::answer_result("edge.cdn.test.", {"198.51.100.1"}, 60);
  insecure.verdict = resolver::Verdict::insecure(dns::Name::parse("cdn.test."), resolver::InsecureReason::UnsignedDelegation);
  auto in = testing::entry_for("edge.cdn.test.", insecure, now);
  CHECK(in.kind == AnswerKind::Addresses);
  CHECK_FALSE(in.secure);
}

TEST_CASE("service: a new resolver (reload) takes over the resolutions in flight") {
  FakeResolver slow, fast;
  // Longer than wait_completed's 3 s, so only the new resolver can answer in
  // time; not longer, as the fake's abandoned timer holds the loop at stop.
  slow.delay_ms = 4000;
  fast.delay_ms = 20;
  fast.answer = [](const dns::Name& n) { return testing::answer_result(n.to_text(), {"198.51.100.42"}, 300); };
  auto cache = std::make_shared<flatten::FlattenCache>(8);
  std::mutex mutex;
  std::vector<std::string> lines;
  FlattenService service(flatten::ServiceSettings{}, cache, [&](std::string_view line) {
    std::lock_guard lock(mutex);
    lines.emplace_back(line);
  });
  std::string error;
  REQUIRE(service.start(slow.factory(), error));
  REQUIRE(service.request(0, request_for("edge.cdn.test.")));
  while (slow.calls.load() == 0) std::this_thread::sleep_for(1ms);
  service.replace_backend(fast.factory());
  uint64_t hash = 0;
  REQUIRE(wait_completed(service, 0, hash));
  CHECK(hash == hash_of("edge.cdn.test."));
  CHECK(fast.calls.load() == 1);
  CachedAnswer entry;
  REQUIRE(cache->lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, entry));
  CHECK(entry.address(0)[3] == 42);

  // A factory that fails leaves the working resolver in place.
  service.replace_backend([](uv_loop_t*, std::string& e) -> std::unique_ptr<flatten::ResolverBackend> {
    e = "keys/root.ds:3: not a DS record";
    return nullptr;
  });
  REQUIRE(service.request(0, request_for("two.cdn.test.")));
  REQUIRE(wait_completed(service, 0, hash));
  CHECK(fast.calls.load() == 2);
  std::lock_guard lock(mutex);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("1 resolutions in flight restarted") != std::string::npos);
  CHECK(lines[1].find("keys/root.ds:3") != std::string::npos);
}

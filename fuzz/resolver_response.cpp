// Fuzzes the resolver on hostile upstream data: a resolver::Resolver runs a
// resolution in progress (iterator, validator, caches, server health) on a
// fake network and virtual clock, and every upstream query it sends is
// answered with the next message of the fuzz input. The transport fixes each
// message's ID, QR bit and question to match the query it answers, as the
// real transport only accepts such answers (RFC 5452), so the fuzzer's bytes
// reach the code that processes accepted answers. The fake network is the
// resolver unit tests' (tests/support/fake_network.h).
//
// Input: byte 0 picks the scenario (bits 0-3: the question, from kQuestions;
// bit 4: forward mode; bit 5: validation off; bit 6: a second resolution of
// the next question on the same resolver afterwards, which meets the cache
// the first one filled). Then answers, each a 16-bit big-endian length and
// that many octets. Length 0, a message that does not parse, or the end of
// the input: the server stays silent and the query times out.
//
// The little hierarchy: root hints 198.51.100.1 serving fuzz/zones/root.zone,
// which delegates to the zones of fuzz/zones served by 192.0.2.53; trust
// anchors are the DS records of signed.example., nsec.example. and
// optout.example.; the wall clock is inside their signatures' validity.
//
// FLATNS_FUZZ_RECORD=DIR: instead of fuzzing, runs every scenario against
// flatns's own authoritative answers from those zones (server::answer_query)
// and writes each run's answers as one seed file in DIR, then exits.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "resolver-client/resolver.h"
#include "server/responder.h"
#include "tests/support/fake_network.h"
#include "zones/zone_set.h"

using namespace flatns;

namespace {

constexpr int64_t kWallStart = 1767225600;  // 2026-01-01; the signatures run 2024-01-01 .. 2090-01-01
constexpr uint32_t kDeadlineMs = 1500;
constexpr uint32_t kLatencyMs = 5;
constexpr const char* kRootServer = "198.51.100.1";
constexpr const char* kZoneServer = "192.0.2.53";

struct Question {
  const char* name;
  uint16_t type;
};
constexpr Question kQuestions[16] = {
    {"www.signed.example.", dns::rrtype::A},      {"nx.signed.example.", dns::rrtype::A},
    {"host.nsec.example.", dns::rrtype::AAAA},    {"nx.nsec.example.", dns::rrtype::MX},
    {"a.wild.optout.example.", dns::rrtype::A},   {"x.ins1.optout.example.", dns::rrtype::A},
    {"signed.example.", dns::rrtype::MX},         {"www.plain.example.", dns::rrtype::A},
    {"out.plain.example.", dns::rrtype::A},       {"x.redir.nsec.example.", dns::rrtype::A},
    {"www.secure.signed.example.", dns::rrtype::A}, {"optout.example.", dns::rrtype::DNSKEY},
    {"www.lame.example.", dns::rrtype::A},        {"www.noglue.example.", dns::rrtype::A},
    {"out.optout.example.", dns::rrtype::TXT},    {"host.signed.example.", dns::rrtype::DS},
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_resolver_response: %s\n", what.c_str());
  std::abort();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Where the answers come from: the fuzz input, or (recording) flatns's own
// authoritative answers. Returns the raw response, or nullopt for silence.
class AnswerSource {
 public:
  virtual ~AnswerSource() = default;
  virtual std::optional<std::vector<uint8_t>> next(const resolver::UpstreamQuery& q) = 0;
};

class FuzzInput final : public AnswerSource {
 public:
  explicit FuzzInput(std::span<const uint8_t> rest) : rest_(rest) {}
  std::optional<std::vector<uint8_t>> next(const resolver::UpstreamQuery&) override {
    if (rest_.size() < 2) return std::nullopt;
    const std::size_t length = std::min<std::size_t>(rest_[0] << 8 | rest_[1], rest_.size() - 2);
    std::vector<uint8_t> message(rest_.begin() + 2, rest_.begin() + 2 + static_cast<std::ptrdiff_t>(length));
    rest_ = rest_.subspan(2 + length);
    if (message.empty()) return std::nullopt;
    return message;
  }

 private:
  std::span<const uint8_t> rest_;
};

// Every server's reply comes from the AnswerSource, after kLatencyMs.
void answer_from(testutil::FakeNetwork& net, AnswerSource& source) {
  net.serve_others(
      [&source](const resolver::UpstreamQuery& q) -> std::optional<dns::Message> {
        std::optional<std::vector<uint8_t>> wire = source.next(q);
        dns::Message message;
        std::string error;
        if (!wire || !dns::parse_message(*wire, message, error)) return std::nullopt;
        return message;
      },
      kLatencyMs);
}

const std::string& trust_anchors() {
  static const std::string text = read_text(FLATNS_FUZZ_DIR "/zones/signed.example.ds") +
                                  read_text(FLATNS_FUZZ_DIR "/zones/nsec.example.ds") +
                                  read_text(FLATNS_FUZZ_DIR "/zones/optout.example.ds");
  return text;
}

// Resolves the scenario's question(s); checks what the Resolver promises.
void run_scenario(uint8_t scenario, AnswerSource& source) {
  testutil::FakeNetwork net;
  net.set_wall(kWallStart);
  answer_from(net, source);
  resolver::ResolverSettings settings;
  const bool forward = scenario & 0x10;
  settings.mode = forward ? resolver::ResolverMode::Forward : resolver::ResolverMode::Recursive;
  settings.root_hints = {testutil::address(kRootServer)};
  settings.forwarders = {testutil::address(kZoneServer)};
  settings.trust_anchors_text = trust_anchors();
  settings.validate = !(scenario & 0x20);
  settings.cache_max_bytes = 64 * 1024;  // small, so eviction runs too
  resolver::Resolver resolver(settings, net, net);
  std::string error;
  if (!resolver.init(error)) fail("trust anchors: " + error);

  const int resolutions = scenario & 0x40 ? 2 : 1;
  for (int i = 0; i < resolutions; ++i) {
    const Question& question = kQuestions[(scenario + i) & 0x0F];
    const dns::Name qname = dns::Name::parse(question.name);
    int calls = 0;
    resolver::Result result;
    resolver.resolve(qname, question.type, kDeadlineMs, [&](resolver::Result&& r) {
      ++calls;
      result = std::move(r);
    });
    net.run(std::numeric_limits<uint64_t>::max());
    if (calls != 1) fail("callback ran " + std::to_string(calls) + " times for " + question.name);
    if (resolver.active() != 0) fail("a resolution is still active after its callback");
    if (result.stats.elapsed_ms > kDeadlineMs) {
      fail("answered after " + std::to_string(result.stats.elapsed_ms) + " ms, deadline " +
           std::to_string(kDeadlineMs));
    }
    if (result.stats.queries_sent > settings.limits.max_queries) {
      fail(std::to_string(result.stats.queries_sent) + " upstream queries, limit " +
           std::to_string(settings.limits.max_queries));
    }
    if (result.cname_chain.size() > settings.limits.max_cname_chain && result.rcode != dns::rcode::SERVFAIL) {
      fail("CNAME chain over the limit accepted");
    }
    for (const auto& rr : result.answer) {
      if (rr.type != question.type || !(rr.owner == result.final_name)) {
        fail("answer record " + rr.to_text() + " is not of the question's type at " +
             result.final_name.to_text());
      }
    }
    if (result.verdict.is_secure() && !settings.validate) fail("secure verdict with validation off");
    const std::string verdict = result.verdict.to_text();
    // FLATNS_FUZZ_TRACE=1 prints one line per resolution (to check what the seeds reach).
    static const bool trace = std::getenv("FLATNS_FUZZ_TRACE") != nullptr;
    if (trace) {
      std::fprintf(stderr, "%02x %s/%u rcode=%u answer=%zu queries=%u cache_hits=%u %s | %s\n", scenario,
                   question.name, question.type, result.rcode, result.answer.size(),
                   result.stats.queries_sent, result.stats.cache_hits, verdict.c_str(),
                   result.failure.c_str());
    }
  }
}

// ---- recording seeds ----

zones::ZoneSet load_zones(std::initializer_list<const char*> origins) {
  std::vector<std::shared_ptr<const zones::Zone>> loaded;
  for (const char* origin : origins) {
    zones::ZoneConfig config;
    config.origin = dns::Name::parse(origin);
    config.file = std::string(FLATNS_FUZZ_DIR "/zones/") + (origin[1] == 0 ? "root." : origin) + "zone";
    config.flatten = zones::FlattenMode::Off;
    auto result = zones::load_zone(config);
    if (!result.zone) fail(config.file + ": " + result.errors.front().to_string());
    loaded.push_back(std::move(result.zone));
  }
  return zones::ZoneSet(std::move(loaded));
}

// Answers like the hierarchy's servers would (flatns itself), and keeps the
// answers in the fuzz input's format.
class Authority final : public AnswerSource {
 public:
  Authority()
      : root_(load_zones({"."})),
        zones_(load_zones({"plain.example.", "signed.example.", "nsec.example.", "optout.example."})) {}
  std::optional<std::vector<uint8_t>> next(const resolver::UpstreamQuery& q) override {
    const zones::ZoneSet* zones = q.server == testutil::address(kRootServer)   ? &root_
                                  : q.server == testutil::address(kZoneServer) ? &zones_
                                                                     : nullptr;
    if (zones == nullptr) {  // a server outside the hierarchy: silence
      recorded.push_back(0);
      recorded.push_back(0);
      return std::nullopt;
    }
    std::vector<uint8_t> query(512), out(65535);
    dns::QueryOptions options;
    options.flags = q.recursion_desired ? dns::flag::RD : 0;
    options.dnssec_ok = true;
    query.resize(dns::write_query(query, q.qname.wire(), q.qtype, options));
    server::QueryContext ctx;
    ctx.tcp = q.protocol == resolver::Protocol::Tcp;
    out.resize(server::answer_query(*zones, query, out, ctx));
    recorded.push_back(static_cast<uint8_t>(out.size() >> 8));
    recorded.push_back(static_cast<uint8_t>(out.size()));
    recorded.insert(recorded.end(), out.begin(), out.end());
    return out;
  }
  std::vector<uint8_t> recorded;

 private:
  zones::ZoneSet root_, zones_;
};

void record_seeds(const std::string& dir) {
  int written = 0;
  for (int scenario = 0; scenario < 0x80; ++scenario) {
    // Every question recursive with validation; a sample of the other modes.
    if (scenario >= 0x10 && scenario % 3 != 0) continue;
    Authority authority;
    authority.recorded.push_back(static_cast<uint8_t>(scenario));
    run_scenario(static_cast<uint8_t>(scenario), authority);
    char name[64];
    std::snprintf(name, sizeof name, "/recorded-%02x", scenario);
    std::ofstream(dir + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(authority.recorded.data()),
               static_cast<std::streamsize>(authority.recorded.size()));
    ++written;
  }
  std::fprintf(stderr, "fuzz_resolver_response: wrote %d seeds to %s\n", written, dir.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("FLATNS_FUZZ_RECORD")) {
    record_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  FuzzInput input(std::span<const uint8_t>(data + 1, size - 1));
  run_scenario(data[0], input);
  return 0;
}

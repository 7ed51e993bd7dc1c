// Signatures the answer path of a zone signed online makes per query
// (signing/answer_signing.h, online_signer.h): what is signed for the name
// asked (the compact-denial NSEC of a name that does not exist, the NSEC3
// covering its hash, a wildcard answer signed as an exact match) stays in
// the worker's own table. A flood of random names, more than the shared
// signature cache holds, leaves that cache as it was: the same number of
// entries, and the zone's load-time signatures still in it (a re-sign makes
// none of them again; ECDSA signatures differ each time one is made).
#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>

#include "signing/answer_signing.h"
#include "tests/signing/signed_example.h"
#include "tests/zones/response_reader.h"
#include "zones/answer_hook.h"

using namespace flatns;
namespace rrtype = dns::rrtype;

namespace {

// The responder's hook without flattening: sign() and deny() go to the signer.
class SigningHook final : public zones::AnswerHook {
 public:
  explicit SigningHook(int64_t now) : AnswerHook({.signs = true, .denies = true}), signing_(false, now) {}
  zones::Found pre_answer(const zones::AnswerPoint&, dns::ResponseBuilder&) override { return zones::Found::Begin; }
  bool sign(const zones::RRsetWrite& w, dns::ResponseBuilder& rb) override { return signing_.sign(w, rb); }
  bool deny(const zones::DenialPoint& what, dns::ResponseBuilder& rb) override { return signing_.deny(what, rb); }

 private:
  signing::AnswerSigning signing_;
};

// The RRSIG records (text) covering `type` in `section` of `r`.
std::vector<std::string> rrsigs_over(const testing::ParsedResponse& r, int section, const std::string& type) {
  std::vector<std::string> out;
  for (const auto& rr : r.sections[section]) {
    // "owner ttl RRSIG covered ...": the type field, not an NSEC's bitmap.
    const std::size_t at = rr.find(' ', rr.find(' ') + 1);
    if (rr.compare(at, 8 + type.size(), " RRSIG " + type + " ") == 0) out.push_back(rr);
  }
  return out;
}

struct Flood {
  std::size_t answered = 0;  // answers that carried the signed proof (or signed wildcard answer)
};

// Asks `count` names that do not exist and, every fourth, a name under the
// zone's wildcard (*.apps): each a new name, as a random-subdomain flood.
Flood flood(const zones::ZoneSet& set, int64_t now, std::size_t count, const std::string& proof_type) {
  Flood f;
  SigningHook hook(now);
  for (std::size_t i = 0; i < count; ++i) {
    const bool wild = i % 4 == 3;
    const std::string name = (wild ? "w" : "r") + std::to_string(i) + (wild ? ".apps" : "") + ".example.com.";
    const auto r = testing::ask_zone_set(set, name, rrtype::A, true, true, &hook);
    f.answered += !(wild ? rrsigs_over(r, 0, "A") : rrsigs_over(r, 1, proof_type)).empty() ? 1 : 0;
  }
  return f;
}

// The zone signed again at `now` through the same signer and cache.
signing::ContentDigest resigned(const testing::SignedExample& s, int64_t now) {
  zones::ZoneConfig config = testing::example_config();
  config.signer = s.signer;
  signing::SignStats stats;
  const auto again = signing::sign_zone(*s.plain, config, *s.signer, now, 2, &stats);
  REQUIRE(again.zone);
  return stats.content;
}

}  // namespace

TEST_CASE("a flood of random names leaves the shared signature cache as it was (compact denial)",
          "[signing][denial]") {
  const int64_t now = ::time(nullptr);
  testing::SignedExample s = testing::sign_example(13, now);
  zones::ZoneSet set({s.zone});
  const signing::SignatureCache& cache = s.signer->cache();
  const std::size_t at_load = cache.size();
  REQUIRE(at_load > 20);
  // More names than the cache holds: stored there, they would evict every load-time signature.
  const std::size_t count = cache.capacity() + 1000;
  const Flood f = flood(set, now, count, "NSEC");
  CHECK(f.answered == count);
  CHECK(cache.size() == at_load);
  CHECK(resigned(s, now) == s.stats.content);

  // A name asked again on this worker is answered from its table (the same
  // signature); another worker signs it for itself (nothing shared).
  SigningHook hook(now);
  const auto first = rrsigs_over(testing::ask_zone_set(set, "again.example.com.", rrtype::A, true, true, &hook), 1,
                                 "NSEC");
  const auto second = rrsigs_over(testing::ask_zone_set(set, "again.example.com.", rrtype::A, true, true, &hook), 1,
                                  "NSEC");
  std::vector<std::string> elsewhere;
  std::thread([&] {
    SigningHook other(now);
    std::vector<uint8_t> out(65535);
    auto query = testing::make_query("again.example.com.", rrtype::A, true, true);
    dns::Query q;
    if (dns::parse_query(query, q) != dns::QueryStatus::Ok) return;
    dns::ResponseBuilder rb(out);
    rb.start(q, 65535);
    zones::answer_query(set, *s.zone, q, rb, &other);
    out.resize(rb.finish());
    elsewhere = rrsigs_over(testing::read_response(out), 1, "NSEC");
  }).join();
  REQUIRE(first.size() == 1);
  CHECK(second == first);
  REQUIRE(elsewhere.size() == 1);
  CHECK(elsewhere != first);
  CHECK(cache.size() == at_load);
  std::filesystem::remove_all(s.dir);
}

TEST_CASE("a flood of random names leaves the shared signature cache as it was (NSEC3 white lies)",
          "[signing][nsec3]") {
  const int64_t now = ::time(nullptr);
  testing::SignedExample s = testing::sign_example(13, now, signing::Denial::Nsec3);
  zones::ZoneSet set({s.zone});
  const signing::SignatureCache& cache = s.signer->cache();
  // The first NXDOMAIN shares the apex's NSEC3 and the cover of *.example.com.
  // (names in the zone, the same for every asker) through the cache.
  (void)flood(set, now, 1, "NSEC3");
  const std::size_t shared = cache.size();
  const std::size_t count = cache.capacity() + 1000;
  const Flood f = flood(set, now, count, "NSEC3");
  CHECK(f.answered == count);
  CHECK(cache.size() == shared);
  CHECK(resigned(s, now) == s.stats.content);
  std::filesystem::remove_all(s.dir);
}

// Test helper: tests/data/zones/signing/example.com.zone signed online as
// the daemon signs it (server/daemon_zones.cpp): a CSK made in a new keys
// folder under $TMPDIR, the signer attached to the zone, so the answer path
// (signing/answer_signing.h) signs and denies with it.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <string>

#include "signing/zone_signer.h"
#include "zones/zone.h"

namespace flatns::testing {

inline const std::string kExampleZoneFile = std::string(FLATNS_TEST_DATA_DIR) + "/zones/signing/example.com.zone";

inline std::string signing_temp_dir() {
  const char* t = std::getenv("TMPDIR");
  std::string tmpl = std::string(t && *t ? t : "/tmp") + "/flatns-sign-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

inline zones::ZoneConfig example_config() {
  zones::ZoneConfig c;
  c.origin = dns::Name::parse("example.com.");
  c.file = kExampleZoneFile;
  c.flatten = zones::FlattenMode::Apex;
  return c;
}

struct SignedExample {
  std::string dir;  // the keys are in dir + "/keys"; the test removes dir
  std::shared_ptr<const zones::Zone> plain;
  std::shared_ptr<const zones::Zone> zone;
  std::shared_ptr<signing::OnlineSigner> signer;
  signing::SignStats stats;
};

// Signs the example zone at `now` with a new key of `algorithm`, through a
// signature cache of `cache_capacity` entries.
inline SignedExample sign_example(uint8_t algorithm, int64_t now, signing::Denial denial = signing::Denial::Compact,
                                  std::size_t cache_capacity = 4096) {
  SignedExample s;
  s.dir = signing_temp_dir();
  signing::SigningPolicy policy;
  policy.online = true;
  policy.keys_dir = s.dir + "/keys";
  policy.algorithm = algorithm;
  policy.denial = denial;
  signing::KeySet keys;
  std::string error, made;
  REQUIRE(signing::KeySet::load(dns::Name::parse("example.com."), policy, now, keys, error, &made));
  CHECK(!made.empty());
  struct stat st {};
  REQUIRE(::stat(made.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  s.signer = std::make_shared<signing::OnlineSigner>(std::move(keys), policy,
                                                     std::make_shared<signing::SignatureCache>(cache_capacity));
  zones::ZoneLoadResult plain = zones::load_zone(example_config());
  REQUIRE(plain.errors.empty());
  s.plain = plain.zone;
  zones::ZoneConfig config = example_config();
  config.signer = s.signer;
  const zones::ZoneLoadResult signed_zone = signing::sign_zone(*s.plain, config, *s.signer, now, 2, &s.stats);
  for (const auto& e : signed_zone.errors) INFO(e.to_string());
  REQUIRE(signed_zone.zone);
  s.zone = signed_zone.zone;
  return s;
}

}  // namespace flatns::testing

// `flatns ds` (server/keys_cli.h) prints DS records only for keys the zone
// publishes now: a key whose Publish time has not come, or whose Delete
// time has passed, is in no DNSKEY RRset a resolver can fetch, so a DS for
// it given to the parent would break the chain of trust (issue 14).
#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "daemon_test_support.h"
#include "dns/dnssec_sign.h"
#include "dns/key_file.h"
#include "server/keys_cli.h"

using namespace flatns;

namespace {

// A CSK for example.test. with the timing fields `set` gives it, written to `dir`.
template <typename F>
uint16_t write_csk(const std::string& dir, F set) {
  dns::KeyPair pair;
  std::string error;
  REQUIRE(dns::generate_key_pair(dns::Name::parse("example.test."), 13, 257, ::time(nullptr) - 86400, pair, error));
  set(pair.timing);
  REQUIRE(dns::write_key_pair(dir, pair, error));
  return pair.tag;
}

struct Ds {
  int status;
  std::string out, err;
};

Ds run_ds(const test::TempDir& dir) {
  std::ostringstream out, err;
  const int status = server::ds_command({"ds", "-c", dir.file("flatns.yaml"), "example.test"}, out, err);
  return {status, out.str(), err.str()};
}

bool names_tag(const std::string& ds_lines, uint16_t tag) {
  return ds_lines.find(" IN DS " + std::to_string(tag) + " ") != std::string::npos;
}

}  // namespace

TEST_CASE("flatns ds: only keys published now get a DS", "[signing][ds]") {
  test::TempDir dir;
  dir.write("example.test.zone", "@ 3600 IN SOA ns hostmaster 1 7200 3600 1209600 300\n@ 3600 IN NS ns\nns 3600 IN A 192.0.2.1\n");
  dir.write("flatns.yaml",
            "zones:\n  - name: example.test\n    file: example.test.zone\n    dnssec:\n      signing: online\n"
            "      keys: keys\n");
  const std::string keys = dir.file("keys");
  std::filesystem::create_directory(keys);
  const int64_t now = ::time(nullptr);
  const uint16_t current = write_csk(keys, [](dns::KeyTiming&) {});
  // Pre-published for later: Publish (and Activate) a day ahead.
  const uint16_t future = write_csk(keys, [&](dns::KeyTiming& t) { t.publish = t.activate = now + 86400; });
  // Active by its Activate time, but its DNSKEY not published yet.
  const uint16_t unpublished = write_csk(keys, [&](dns::KeyTiming& t) { t.publish = now + 3600; });
  // Retired: Inactive and Delete passed.
  const uint16_t deleted = write_csk(keys, [&](dns::KeyTiming& t) {
    t.inactive = now - 7200;
    t.remove = now - 3600;
  });
  Ds ds = run_ds(dir);
  INFO(ds.out << ds.err);
  REQUIRE(ds.status == 0);
  CHECK(names_tag(ds.out, current));
  CHECK_FALSE(names_tag(ds.out, future));
  CHECK_FALSE(names_tag(ds.out, unpublished));
  CHECK_FALSE(names_tag(ds.out, deleted));
  CHECK(std::count(ds.out.begin(), ds.out.end(), '\n') == 1);
}

TEST_CASE("flatns ds: no published key-signing key is an error naming the folder", "[signing][ds]") {
  test::TempDir dir;
  dir.write("flatns.yaml",
            "zones:\n  - name: example.test\n    file: example.test.zone\n    dnssec:\n      signing: online\n"
            "      keys: keys\n");
  const std::string keys = dir.file("keys");
  std::filesystem::create_directory(keys);
  const int64_t now = ::time(nullptr);
  (void)write_csk(keys, [&](dns::KeyTiming& t) { t.publish = now + 3600; });  // signs, not published
  Ds ds = run_ds(dir);
  INFO(ds.out << ds.err);
  CHECK(ds.status != 0);
  CHECK(ds.out.empty());
  CHECK(ds.err.find(keys) != std::string::npos);
}

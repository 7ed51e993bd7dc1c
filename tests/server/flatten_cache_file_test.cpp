// flatten.cache_file on the daemon side (server/flatten_cache_file.h): at
// load, only answers for targets the zones flatten to and still servable
// (fresh, or stale within stale_max_s) enter the cache; save() writes what
// the cache holds, so a flush empties the file at the next save.
#include <catch2/catch.hpp>

#include <uv.h>

#include <cstdio>
#include <filesystem>

#include "dns/rrtype.h"
#include "flatten/cache_file.h"
#include "flatten/time_source.h"
#include "server/flatten_cache_file.h"
#include "tests/support/temp_file.h"
#include "zones/zone.h"

using namespace flatns;

namespace {

flatten::CachedAnswer answer(const std::string& target, uint32_t ttl_s, uint64_t age_s) {
  flatten::CachedAnswer e;
  e.set_key(dns::Name::parse(target).wire(), dns::rrtype::A);
  e.kind = flatten::AnswerKind::Addresses;
  e.secure = true;
  e.address_size = 4;
  e.address_count = 1;
  e.addresses[0][0] = 192, e.addresses[0][1] = 0, e.addresses[0][2] = 2, e.addresses[0][3] = 1;
  e.ttl_s = ttl_s;
  e.validated_ms = flatten::system_time().now_ms() - age_s * 1000;
  return e;
}

}  // namespace

TEST_CASE("flatten cache file: load keeps flattened, servable answers; save follows the cache") {
  testing::TempFile zone{
      "$ORIGIN example.com.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 600 86400 120\n@ NS ns1\nns1 A 192.0.2.1\n"
      "@ CNAME edge.cdn.test.\n"};
  auto loaded = zones::load_zone({dns::Name::parse("example.com."), zone.path(), zones::FlattenMode::Apex});
  REQUIRE(loaded.zone);
  const zones::ZoneSet set({loaded.zone});

  const auto folder = std::filesystem::temp_directory_path() / ("flatns-cache-load-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  server::Config config;
  config.flatten.cache_file = (folder / "flattened.cache").string();
  config.flatten.stale_max_s = 3600;
  const std::vector<flatten::CachedAnswer> saved = {
      answer("edge.cdn.test.", 300, 10),             // fresh: kept
      answer("other.cdn.test.", 300, 10),            // no zone flattens to it: dropped
  };
  const auto clocks = flatten::CacheClocks{flatten::system_time().now_ms(), flatten::wall_clock_ms()};
  std::string error;
  REQUIRE(flatten::write_cache_file(config.flatten.cache_file, flatten::encode_cache_file(saved, clocks), error));

  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    auto cache = std::make_shared<flatten::FlattenCache>(16);
    server::FlattenCacheFile file(&loop, cache);
    file.load(config, set);
    CHECK(cache->size() == 1);
    flatten::CachedAnswer got;
    REQUIRE(cache->lookup(dns::Name::parse("edge.cdn.test.").wire(), dns::rrtype::A, got));
    CHECK(got.fresh(flatten::system_time().now_ms()));

    // Too old even for serve-stale (expired 2 h ago, stale_max_s 1 h): dropped.
    const std::vector<flatten::CachedAnswer> old = {answer("edge.cdn.test.", 60, 7260)};
    REQUIRE(flatten::write_cache_file(config.flatten.cache_file, flatten::encode_cache_file(old, clocks), error));
    auto fresh_cache = std::make_shared<flatten::FlattenCache>(16);
    server::FlattenCacheFile again(&loop, fresh_cache);
    again.load(config, set);
    CHECK(fresh_cache->size() == 0);

    // save() writes the cache as it is; after a flush, an empty file.
    file.configure(config);
    file.save();
    std::vector<uint8_t> bytes;
    bool missing = false;
    flatten::CacheFileContents contents;
    REQUIRE(flatten::read_cache_file(config.flatten.cache_file, 1 << 20, bytes, missing, error));
    REQUIRE(flatten::decode_cache_file(bytes, clocks, contents, error));
    CHECK(contents.entries.size() == 1);
    CHECK(cache->erase_below(dns::Name::root().wire()) == 1);
    file.save();
    REQUIRE(flatten::read_cache_file(config.flatten.cache_file, 1 << 20, bytes, missing, error));
    REQUIRE(flatten::decode_cache_file(bytes, clocks, contents, error));
    CHECK(contents.entries.empty());
    file.stop();
    again.stop();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  std::filesystem::remove_all(folder);
}

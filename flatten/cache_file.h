// The flattened-answer cache file (flatten.cache_file): the validated
// answers of the flattened-answer cache (answer_cache.h) kept across a
// restart, so that a flattened name whose upstream is failing keeps its
// answer (fresh while its TTL lasts, then stale per RFC 8767) instead of
// turning into SERVFAIL when flatns restarts during the outage. Unbound's
// dump_cache/load_cache do the same by hand, in text; this file is binary,
// versioned and checksummed, and written by flatns alone.
//
// Layout (every integer big-endian):
//   header   "FLATNSAC" | u32 format version (kCacheFileVersion) |
//            u64 saved at (Unix ms) | u32 entry count | u32 body length |
//            SHA-256 of the header's fields before it and the body
//   body     per entry: u8 target length | target (uncompressed wire form,
//            lowercase) | u16 type (A or AAAA) | u8 kind (1 addresses,
//            2 NODATA, 3 NXDOMAIN) | u8 verdict (1 secure, 0 insecure) |
//            u64 validated at (Unix ms) | u32 chain minimum TTL (s) |
//            u32 TTL left when saved (s) | u8 address count (<= 8) |
//            the addresses (4 or 16 octets each, as the type says)
// Only validated answers (secure or insecure) are written: failures, bogus
// verdicts and entries that never had an answer are not. The reader trusts
// no length: every field is checked against what is left, the checksum
// against the body, and any inconsistency rejects the whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "flatten/answer_cache.h"

namespace flatns::flatten {

inline constexpr uint32_t kCacheFileVersion = 1;
// The largest entry: 1 + 255 + 2 + 1 + 1 + 8 + 4 + 4 + 1 + 8 * 16.
inline constexpr std::size_t kMaxCacheFileEntry = 405;
inline constexpr std::size_t kCacheFileHeader = 8 + 4 + 8 + 4 + 4 + 32;

// "Now" on both clocks: entries carry validation times on the flatten clock
// (system_time()) in memory and on the wall clock in the file.
struct CacheClocks {
  uint64_t flatten_ms = 0;
  uint64_t wall_ms = 0;
};

// The file's bytes for the validated answers among `entries`.
[[nodiscard]] std::vector<uint8_t> encode_cache_file(std::span<const CachedAnswer> entries, CacheClocks now);
// The same for every entry of `cache` (any thread, no lock: FlattenCache::for_each).
[[nodiscard]] std::vector<uint8_t> encode_cache_file(const FlattenCache& cache, CacheClocks now);

struct CacheFileContents {
  std::vector<CachedAnswer> entries;  // validation times on the flatten clock
  uint64_t saved_wall_ms = 0;
};

// Parses `bytes`. False with `error` (what is wrong and at which octet)
// when the file is not one this version wrote whole: another format
// version, a bad checksum, a truncated or malformed entry.
[[nodiscard]] bool decode_cache_file(std::span<const uint8_t> bytes, CacheClocks now, CacheFileContents& out,
                                     std::string& error);

// Writes `bytes` to `path` atomically: a temporary file beside it (mode
// 0600), fsync, rename over `path`, fsync of the folder. False with `error`
// naming the path and the system error.
[[nodiscard]] bool write_cache_file(const std::string& path, std::span<const uint8_t> bytes, std::string& error);

// Reads at most `max_bytes` of `path`. False with `error` when it cannot be
// read or is larger; a missing file is `missing` (not an error worth a warning).
[[nodiscard]] bool read_cache_file(const std::string& path, std::size_t max_bytes, std::vector<uint8_t>& bytes,
                                   bool& missing, std::string& error);

}  // namespace flatns::flatten

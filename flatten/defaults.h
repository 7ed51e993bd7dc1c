// The defaults of the `flatten:` settings, one named constant each: the
// flattener, the flatten service and the server's configuration
// (server/config.h) all start from these, and tests/server/readme_defaults_test
// checks that the README's `flatten.*` rows say the same.
#pragma once

#include <cstdint>

namespace flatns::flatten {

inline constexpr uint32_t kDefaultDeadlineMs = 1200;   // every flattened query is answered by then
inline constexpr bool kDefaultServeStale = true;       // RFC 8767
inline constexpr uint32_t kDefaultStaleMaxS = 86400;   // RFC 8767 §5 suggests 1-3 days
inline constexpr uint32_t kDefaultStaleReplyTtlS = 30;  // RFC 8767 §4 suggests 30 s
// RFC 8767 §5's client response timer (1.8 s), also Unbound's
// serve-expired-client-timeout default: a query whose target expired waits
// this long (at most deadline_ms) for the refresh before stale data is
// answered; 0 answers stale data at once and refreshes in the background.
inline constexpr uint32_t kDefaultStaleClientTimeoutMs = 1800;
inline constexpr uint32_t kDefaultMaxTtl = 3600;
inline constexpr uint32_t kDefaultMinTtl = 0;          // no floor
inline constexpr uint32_t kDefaultCacheEntries = 10000;
inline constexpr uint32_t kDefaultMaxPending = 1024;   // parked queries per worker
inline constexpr uint32_t kDefaultFailureTtlS = 5;     // RFC 9520 §3.2: failures are cached briefly
inline constexpr uint32_t kDefaultCacheSaveS = 60;    // flatten.cache_file written this often (issue 20)

}  // namespace flatns::flatten

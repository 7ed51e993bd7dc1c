// flatten.cache_file on the daemon (flatten/cache_file.h has the format):
//   start    load() before the listeners open: the validated answers of the
//            file go into the flattened-answer cache, except answers for
//            targets no served zone flattens to now and answers too old to
//            serve even stale; a file that is missing, of another format
//            version, with a bad checksum, truncated or garbage is ignored
//            with one log line and never stops the start;
//   running  save() every flatten.cache_save_s on the daemon's loop (never a
//            worker): a consistent copy of each cache slot is read without
//            a lock (FlattenCache::for_each) and written atomically, mode 0600;
//   SIGHUP   configure() applies a changed path or interval; the cache stays;
//   SIGTERM  save() once more after the workers have stopped.
// `flatns ctl flush` empties the cache, so the next save empties the file.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "flatten/answer_cache.h"
#include "flatten/flattener.h"
#include "server/config.h"
#include "zones/zone_set.h"

namespace flatns::server {

// The flattener's settings from the config's `flatten:` section (the
// workers' answers, the cache file's targets, the expanded transfer views).
[[nodiscard]] flatten::FlattenerSettings flattener_settings(const FlattenSettings& flatten);

class FlattenCacheFile {
 public:
  FlattenCacheFile(uv_loop_t* loop, std::shared_ptr<flatten::FlattenCache> cache);
  ~FlattenCacheFile();
  FlattenCacheFile(const FlattenCacheFile&) = delete;
  FlattenCacheFile& operator=(const FlattenCacheFile&) = delete;

  // Fills the cache from config.flatten.cache_file (nothing when unset).
  // Call before any worker runs: the cache has one writer.
  void load(const Config& config, const zones::ZoneSet& zones);
  // Takes the path and interval from `config` and (re)arms the timer.
  void configure(const Config& config);
  // Writes the file now (when a path is set); logs a failure.
  void save();
  // Closes the timer (SIGTERM, before the loop ends).
  void stop();

 private:
  static void on_timer(uv_timer_t* timer);

  uv_loop_t* loop_;
  std::shared_ptr<flatten::FlattenCache> cache_;
  std::string path_;
  uint32_t interval_s_ = 0;
  uv_timer_t timer_{};
  bool timer_open_ = false;
  bool save_failed_ = false;  // log the first failure of a run of failures only
};

}  // namespace flatns::server

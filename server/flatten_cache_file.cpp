#include "server/flatten_cache_file.h"

#include "flatten/cache_file.h"
#include "flatten/flattened_targets.h"
#include "flatten/time_source.h"
#include "server/log.h"

namespace flatns::server {

flatten::FlattenerSettings flattener_settings(const FlattenSettings& f) {
  flatten::FlattenerSettings s;
  s.max_ttl = f.max_ttl;
  s.min_ttl = f.min_ttl;
  s.serve_stale = f.serve_stale;
  s.stale_max_s = f.stale_max_s;
  s.stale_reply_ttl_s = f.stale_reply_ttl_s;
  s.stale_client_timeout_ms = f.stale_client_timeout_ms;
  return s;
}

namespace {

flatten::CacheClocks clocks_now() { return {flatten::system_time().now_ms(), flatten::wall_clock_ms()}; }

// Whether the flattener could still answer from `e` at `now`: fresh, or
// stale within stale_max_s after it expired (flatten/flattener.h).
bool still_servable(const flatten::CachedAnswer& e, uint64_t now, const FlattenSettings& f) {
  return e.fresh(now) || flatten::stale_usable(flattener_settings(f), e, now);
}

}  // namespace

FlattenCacheFile::FlattenCacheFile(uv_loop_t* loop, std::shared_ptr<flatten::FlattenCache> cache)
    : loop_(loop), cache_(std::move(cache)) {}

FlattenCacheFile::~FlattenCacheFile() = default;

void FlattenCacheFile::load(const Config& config, const zones::ZoneSet& zones) {
  const std::string& path = config.flatten.cache_file;
  if (path.empty()) return;
  const std::string key = "flatten.cache_file: ";
  std::vector<uint8_t> bytes;
  bool missing = false;
  std::string error;
  const std::size_t max_bytes =
      flatten::kCacheFileHeader + std::size_t{config.flatten.cache_entries} * flatten::kMaxCacheFileEntry;
  if (!flatten::read_cache_file(path, max_bytes, bytes, missing, error)) {
    if (missing) {
      log_info(key + path + " does not exist yet; starting with an empty flattened-answer cache");
    } else {
      log_warn(key + "ignored: " + error + "; starting with an empty flattened-answer cache");
    }
    return;
  }
  const flatten::CacheClocks now = clocks_now();
  flatten::CacheFileContents contents;
  if (!flatten::decode_cache_file(bytes, now, contents, error)) {
    log_warn(key + path + " ignored: " + error + "; starting with an empty flattened-answer cache");
    return;
  }
  const flatten::FlattenedTargets targets(zones, flattener_settings(config.flatten));
  std::size_t loaded = 0, not_flattened = 0, too_old = 0;
  for (const auto& entry : contents.entries) {
    if (!targets.contains(entry.target(), entry.qtype)) {
      ++not_flattened;
    } else if (!still_servable(entry, now.flatten_ms, config.flatten)) {
      ++too_old;
    } else {
      cache_->store(entry);
      ++loaded;
    }
  }
  log_info(key + "loaded " + std::to_string(loaded) + " flattened answers from " + path + " (saved " +
           std::to_string(now.wall_ms > contents.saved_wall_ms ? (now.wall_ms - contents.saved_wall_ms) / 1000 : 0) +
           " s ago); dropped " + std::to_string(not_flattened) + " for targets no zone flattens to, " +
           std::to_string(too_old) + " too old to serve");
}

void FlattenCacheFile::configure(const Config& config) {
  path_ = config.flatten.cache_file;
  interval_s_ = config.flatten.cache_save_s;
  if (!timer_open_) {
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_open_ = true;
  }
  uv_timer_stop(&timer_);
  if (path_.empty()) return;
  const uint64_t ms = uint64_t{interval_s_} * 1000;
  uv_timer_start(&timer_, on_timer, ms, ms);
}

void FlattenCacheFile::on_timer(uv_timer_t* timer) { static_cast<FlattenCacheFile*>(timer->data)->save(); }

void FlattenCacheFile::save() {
  if (path_.empty()) return;
  const std::vector<uint8_t> bytes = flatten::encode_cache_file(*cache_, clocks_now());
  std::string error;
  if (!flatten::write_cache_file(path_, bytes, error)) {
    if (!save_failed_) log_error("flatten.cache_file: not saved: " + error + " (the answers stay in memory)");
    save_failed_ = true;
    return;
  }
  if (save_failed_) log_info("flatten.cache_file: saved to " + path_ + " again");
  save_failed_ = false;
  log_debug("flatten.cache_file: saved " + std::to_string(bytes.size()) + " octets to " + path_);
}

void FlattenCacheFile::stop() {
  if (!timer_open_) return;
  timer_open_ = false;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

}  // namespace flatns::server

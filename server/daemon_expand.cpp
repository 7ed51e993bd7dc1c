// The Daemon's side of the expanded transfer views (server/transfer_expand.h):
// kept up to date on every zone publication and once a second on the main
// loop, republished to the workers and NOTIFYed when a view changes.
#include "server/daemon.h"
#include "server/flatten_cache_file.h"
#include "server/log.h"

namespace flatns::server {

namespace {
constexpr uint64_t kExpandCheckMs = 1000;
}  // namespace

std::vector<std::shared_ptr<const zones::Zone>> Daemon::update_expanded_views(const zones::ZoneSet& zones) {
  if (!expanded_) return {};
  const flatten::Flattener flattener(flattener_settings(config_.flatten), flatten_cache_);
  return expanded_->update(config_, zones, flattener);
}

void Daemon::notify_expanded(const std::vector<std::shared_ptr<const zones::Zone>>& changed) {
  if (!notifier_) return;
  for (const auto& view : changed) notifier_->expanded_changed(config_, view);
}

void Daemon::start_expand_timer() {
  if (const int rc = uv_timer_init(&loop_, &expand_timer_); rc != 0) {
    log_warn(std::string("expanded transfer views are not refreshed (no timer): ") + uv_strerror(rc));
    return;
  }
  expand_timer_.data = this;
  (void)uv_timer_start(&expand_timer_, on_expand_timer, kExpandCheckMs, kExpandCheckMs);
}

void Daemon::on_expand_timer(uv_timer_t* timer) {
  auto* self = static_cast<Daemon*>(timer->data);
  if (self->stopping_ || !self->state_) return;
  const auto changed = self->update_expanded_views(*self->state_->zones);
  if (changed.empty()) return;
  self->state_ = self->make_state(self->state_->zones);
  for (auto& worker : self->workers_) worker->publish(self->state_);
  self->notify_expanded(changed);
}

}  // namespace flatns::server

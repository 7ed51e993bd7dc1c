#include "server/parked_queries.h"

namespace flatns::server {

ParkedQueries::ParkedQueries(std::size_t capacity)
    : capacity_(capacity), entries_(std::make_unique<ParkedQuery[]>(capacity)) {
  free_.reserve(capacity);
  for (std::size_t i = capacity; i-- > 0;) free_.push_back(static_cast<uint32_t>(i));
}

ParkedQuery* ParkedQueries::add() {
  if (free_.empty()) return nullptr;
  ParkedQuery& entry = entries_[free_.back()];
  free_.pop_back();
  entry.used = true;
  return &entry;
}

void ParkedQueries::release(ParkedQuery& entry) {
  if (!entry.used) return;
  entry.used = false;
  free_.push_back(static_cast<uint32_t>(&entry - entries_.get()));
}

uint64_t ParkedQueries::earliest_deadline() const {
  uint64_t earliest = UINT64_MAX;
  for (std::size_t i = 0; i < capacity_; ++i) {
    if (entries_[i].used && entries_[i].deadline_ms < earliest) earliest = entries_[i].deadline_ms;
  }
  return earliest;
}

}  // namespace flatns::server

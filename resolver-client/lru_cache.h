// A map with least-recently-used eviction under a byte budget: the memory
// bound of the resolver's caches (each entry reports its approximate size).
// Not thread-safe: each Resolver (one per event loop) owns its caches.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace flatns::resolver {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruCache {
 public:
  // `on_evicted` (optional) is called with the key of each entry put() drops
  // to make room, so an owner can keep an index of the keys consistent.
  explicit LruCache(std::size_t max_bytes, std::function<void(const Key&)> on_evicted = {})
      : max_bytes_(max_bytes), on_evicted_(std::move(on_evicted)) {}

  // Inserts or replaces; evicts the least recently used entries until the
  // total fits. An entry larger than the whole budget is not stored.
  void put(const Key& key, Value value, std::size_t bytes) {
    erase(key);
    if (bytes > max_bytes_) return;
    order_.push_front(key);
    map_.emplace(key, Slot{std::move(value), bytes, order_.begin()});
    bytes_ += bytes;
    while (bytes_ > max_bytes_ && !order_.empty()) {
      const Key victim = order_.back();
      erase(victim);
      if (on_evicted_) on_evicted_(victim);
    }
  }
  [[nodiscard]] bool contains(const Key& key) const { return map_.count(key) != 0; }
  // The entry (marked as recently used), or nullptr.
  Value* get(const Key& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second.position);
    return &it->second.value;
  }
  void erase(const Key& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return;
    bytes_ -= it->second.bytes;
    order_.erase(it->second.position);
    map_.erase(it);
  }
  void clear() {
    map_.clear();
    order_.clear();
    bytes_ = 0;
  }
  // Calls f(key, value) for every entry, most recently used first; does not
  // change the order (read-only views such as `flatns ctl upstreams`).
  template <typename F>
  void for_each(F&& f) const {
    for (const Key& key : order_) f(key, map_.at(key).value);
  }
  [[nodiscard]] std::size_t size() const { return map_.size(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  [[nodiscard]] std::size_t max_bytes() const { return max_bytes_; }

 private:
  struct Slot {
    Value value;
    std::size_t bytes;
    typename std::list<Key>::iterator position;
  };
  std::size_t max_bytes_;
  std::function<void(const Key&)> on_evicted_;
  std::size_t bytes_ = 0;
  std::list<Key> order_;
  std::unordered_map<Key, Slot, Hash> map_;
};

}  // namespace flatns::resolver

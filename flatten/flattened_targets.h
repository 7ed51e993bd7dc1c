// Which external targets (name and A/AAAA) the served zones flatten to now:
// for every name that flattens (zones::is_flattened), the first name of its
// chain outside the served zones, found by the query path's own chase
// (Flattener::answer with an empty cache parks on exactly that target).
// Used when the cache file is loaded (flatten/cache_file.h): an answer for a
// target no zone flattens to any more is dropped. Never on the packet path.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "flatten/flattener.h"
#include "zones/zone_set.h"

namespace flatns::flatten {

class FlattenedTargets {
 public:
  // Walks every zone in `zones` (the apex only, or every node with `flatten: all`).
  FlattenedTargets(const zones::ZoneSet& zones, const FlattenerSettings& settings);
  [[nodiscard]] bool contains(dns::NameView target, uint16_t qtype) const;
  [[nodiscard]] std::size_t size() const { return keys_.size(); }

 private:
  std::set<std::string> keys_;  // lowercase wire name, then the type
};

}  // namespace flatns::flatten

// What the query path and flattening tell each other beyond the response
// itself (DESIGN.md "The path of one query", step 5): whether the query is
// answered now or parked until its external target is resolved, and which
// target to resolve or refresh (prefetch). The server owns one per worker
// and resets it before each query, so the static path pays for three
// stores, not for the name buffer.
#pragma once

#include <cstdint>

#include "dns/name.h"

namespace flatns::flatten {

struct FlattenCall {
  enum class Outcome : uint8_t {
    Answered,  // the response is in the builder
    Park,      // the target is being resolved: hold the query, ask again later
  };
  // In: answer from whatever is known now (the target's resolution ended or
  // the deadline passed); never Park.
  bool final = false;
  // Out.
  Outcome outcome = Outcome::Answered;
  bool refresh = false;  // ask for a background refresh of `target` (prefetch)
  dns::NameBuffer target;  // with Park or refresh: the external target ...
  uint16_t qtype = 0;      // ... and the type to resolve
  dns::NameView zone;      // the zone of the flattened name (valid during the call)

  void reset(bool final_answer) {
    final = final_answer;
    outcome = Outcome::Answered;
    refresh = false;
  }
};

}  // namespace flatns::flatten

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
  // A stale answer was given at once (flatten.stale_client_timeout_ms 0):
  // resolve `target` as for a parked query, nobody waiting on it.
  bool stale_refresh = false;
  // With Park: hold the query at most this long (ms) before the final call,
  // when a stale answer is ready (flatten.stale_client_timeout_ms); 0: the
  // deadline (flatten.deadline_ms).
  uint32_t hold_ms = 0;
  dns::NameBuffer target;  // with Park or refresh: the external target ...
  uint16_t qtype = 0;      // ... and the type to resolve
  dns::NameView zone;      // the zone of the flattened name (valid during the call)

  void reset(bool final_answer) {
    final = final_answer;
    outcome = Outcome::Answered;
    refresh = false;
    stale_refresh = false;
    hold_ms = 0;
  }
};

}  // namespace flatns::flatten

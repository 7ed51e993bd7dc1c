// Runs one testbound scenario through resolver::Resolver (iterator,
// validator and caches) on the FakeNetwork of tests/support, with the moment
// semantics of Unbound's testbound (testcode/replay.h, fake_event.c):
//
// - A query sent upstream is answered from the first RANGE whose step span
//   holds the current moment and whose ADDRESS (if any) is the server, by the
//   first entry whose MATCH keywords agree with the query.
// - The current moment is the first STEP not yet done; a QUERY step is done
//   before the resolver runs, so its upstream queries see the next step.
// - A CHECK_OUT_QUERY moment is done by the first query that matches it; a
//   query no range answers waits for a later REPLY / TIMEOUT / ERROR moment
//   (the most recent waiting query takes it) or for a later STEP at which a
//   range answers it (testbound keeps it pending and matches it again at
//   each moment), or, when neither is left in the scenario, times out (a
//   silent server).
// - TIME_PASSES moves the fake clock; time moves by 1 ms per upstream answer
//   otherwise (testbound's clock stands still).
//
// CHECK_ANSWER compares what our Result carries: the rcode, the AD bit (set
// when the answer is secure and the query had DO or AD, as Unbound does) and
// the answer section as a set of records without RRSIGs and DNAMEs (the
// Result holds the CNAMEs a DNAME synthesises; TTLs too with MATCH ttl; names
// without case), except that a question for RRSIG compares its RRSIGs and
// one for ANY the DNAME among the name's RRsets. A query with CD=1 is
// resolved with ResolveOptions::checking_disabled. FLATNS_REPLAY_TRACE=1 prints every upstream query and the
// entry that answered it. The authority and additional sections are not
// compared: the resolver API returns answers, not messages. With `ede: yes`,
// MATCH ede=N compares our EDE code. With serve-expired, A/AAAA answers go
// through the flatten layer's rules (replay_config.h): an expired entry is
// answered stale at once (client timeout 0, the refresh going on), or when
// the client timeout passes before the resolution ends (a silent server).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "resolver-client/resolver_settings.h"
#include "tests/replay/rpl_scenario.h"

namespace flatns::replay {

// A deliberate difference from Unbound: our expected answer at one
// CHECK_ANSWER step (fields not given keep Unbound's expectation).
struct Difference {
  std::string file;  // scenario file name, without directories
  int step = 0;  // -1: every CHECK_ANSWER step
  std::optional<uint16_t> rcode;
  std::optional<bool> ad;
  std::optional<bool> answer_empty;  // "answer=empty" replaces the expected answer section
  std::optional<int> ede;            // -1: no EDE
  bool ignore_ttl = false;           // "ttl=ignore": TTLs are not compared
  bool not_run = false;  // "not-run": the scenario depends on a behaviour we do not
                         // have by design (e.g. root priming); reported as SKIP
  bool surplus_timeouts = false;  // "surplus-timeouts": TIMEOUT/ERROR moments after we
                                  // gave up retrying find no query and are passed over
  bool not_asked = false;  // "not-asked" at a CHECK_OUT_QUERY step: we do not send
                           // that query by design; the step is passed over
  std::string reason;
  int line = 0;
};

// Reads the differences file: one per line,
//   FILE.rpl STEP n: key=value[,key=value] -- reason   (STEP *: every CHECK_ANSWER)
// keys: rcode=NOERROR|SERVFAIL|NXDOMAIN, ad=0|1, answer=empty, ede=N|none, ttl=ignore,
// not-asked (a CHECK_OUT_QUERY step whose query we do not send), or not-run (STEP 0) for a scenario that cannot run against our design, or
// surplus-timeouts (STEP 0) where we retry a silent server fewer times.
[[nodiscard]] bool read_differences(const std::string& path, std::vector<Difference>& out,
                                    std::string& error);

struct Outcome {
  enum class Status { Pass, Fail, Skip } status = Status::Fail;
  std::string text;  // FAIL: "STEP n: expected ... got ..."; SKIP: the reason
  std::vector<int> differences_used;  // lines of the differences file applied
};

// `adjust`, when given, changes the settings mapped from the scenario (unit
// tests show a fix by turning it off).
[[nodiscard]] Outcome run_scenario(
    const Scenario& s, const std::vector<Difference>& differences,
    const std::function<void(resolver::ResolverSettings&)>& adjust = {});

}  // namespace flatns::replay

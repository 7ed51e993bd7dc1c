// Replaying one of Unbound's scenarios (tests/data/unbound, BSD licence) in a
// unit test: each resolver fault or feature the replay suite (tests/replay,
// flatns_replay) found is shown by the scenario that revealed it, as the
// suite runs it (with differences.txt), or by a rewritten copy of it.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/replay/replay_run.h"
#include "tests/replay/rpl_scenario.h"

namespace flatns::replay::testing {

inline std::string scenario_path(const std::string& name) {
  return std::string(FLATNS_TEST_DATA_DIR) + "/unbound/" + name;
}

// The scenario at `path` with the suite's documented differences applied.
inline Outcome replay_file(const std::string& path) {
  Scenario s;
  std::string error;
  INFO(path);
  REQUIRE(read_scenario(path, s, error));
  std::vector<Difference> differences;
  REQUIRE(read_differences(scenario_path("differences.txt"), differences, error));
  return run_scenario(s, differences);
}

inline Outcome replay(const std::string& name) { return replay_file(scenario_path(name)); }

// The scenario as Unbound expects it, without the documented differences,
// with `adjust` changing the mapped settings (a test shows a fix matters by
// turning it off and seeing the scenario fail).
inline Outcome replay_adjusted(const std::string& name,
                               const std::function<void(resolver::ResolverSettings&)>& adjust = {}) {
  Scenario s;
  std::string error;
  const std::string path = scenario_path(name);
  INFO(path);
  REQUIRE(read_scenario(path, s, error));
  return run_scenario(s, {}, adjust);
}

// Each scenario passes as the suite runs it.
inline void check_all_pass(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto o = replay(name);
    INFO(name << ": " << o.text);
    CHECK(o.status == Outcome::Status::Pass);
  }
}

// `text`, a scenario rewritten by the test, written under $TMPDIR and replayed.
inline Outcome replay_text(const std::string& text) {
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/flatns-replay-XXXXXX";
  std::vector<char> name(path.begin(), path.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  REQUIRE(fd >= 0);
  ::close(fd);
  path = name.data();
  {
    std::ofstream f(path);
    f << text;
  }
  Outcome o = replay_file(path);
  std::remove(path.c_str());
  return o;
}

}  // namespace flatns::replay::testing

// flatns_replay: runs Unbound testbound scenarios (.rpl) through the embedded
// resolver (replay_run.h) and prints one line per file:
//   PASS file | FAIL file: STEP n ...: expected ... got ... | SKIP file: reason
// then, with --summary, a tally: passed / failed / skipped by reason, per
// prefix (val_, iter_, fwd_, serve_expired_). Exit 0 when nothing failed.
//
//   flatns_replay [--differences FILE] [--known-failures FILE] [--summary] [--quiet]
//                 FILE.rpl|DIR...
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/replay/replay_run.h"
#include "tests/replay/rpl_scenario.h"

namespace {

using flatns::replay::Outcome;

std::string prefix_of(const std::string& base) {
  for (const char* p : {"serve_expired_", "val_", "iter_", "fwd_"}) {
    if (base.rfind(p, 0) == 0) return p;
  }
  return "other";
}

// The skip reason without the line number, for the tally.
std::string reason_key(const std::string& text) {
  if (text.rfind("documented difference", 0) == 0) return "documented difference";
  auto paren = text.find(" (line ");
  return paren == std::string::npos ? text : text.substr(0, paren);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  std::string differences_path, known_path;
  bool summary = false, quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--differences" && i + 1 < argc) {
      differences_path = argv[++i];
    } else if (a == "--known-failures" && i + 1 < argc) {
      known_path = argv[++i];
    } else if (a == "--summary") {
      summary = true;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::directory_iterator(a)) {
        if (e.path().extension() == ".rpl") files.push_back(e.path().string());
      }
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::cerr << "usage: flatns_replay [--differences FILE] [--summary] [--quiet] FILE.rpl|DIR...\n";
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::vector<flatns::replay::Difference> diffs;
  if (!differences_path.empty()) {
    std::string error;
    if (!flatns::replay::read_differences(differences_path, diffs, error)) {
      std::cerr << error << "\n";
      return 2;
    }
  }
  // Open resolver faults the suite found and nobody fixed yet: "FILE.rpl --
  // what goes wrong". They are reported as KNOWN-FAIL (not passes); one that
  // passes, or a failure not listed, fails the run.
  std::map<std::string, std::string> known;
  if (!known_path.empty()) {
    std::ifstream in(known_path);
    if (!in) {
      std::cerr << known_path << ": cannot open\n";
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto sep = line.find(" -- ");
      known[line.substr(0, sep)] = sep == std::string::npos ? "" : line.substr(sep + 4);
    }
  }
  struct Tally {
    int pass = 0, fail = 0, skip = 0, differ = 0, known = 0;
  };
  std::map<std::string, Tally> tally;
  std::map<std::string, int> skip_reasons;
  std::set<int> used;
  int failed = 0;
  for (const auto& f : files) {
    const std::string base = std::filesystem::path(f).filename().string();
    flatns::replay::Scenario s;
    std::string error;
    Outcome o;
    if (!flatns::replay::read_scenario(f, s, error)) {
      o.status = Outcome::Status::Fail;
      o.text = "unreadable: " + error;
    } else {
      o = flatns::replay::run_scenario(s, diffs);
    }
    Tally& t = tally[prefix_of(base)];
    used.insert(o.differences_used.begin(), o.differences_used.end());
    switch (o.status) {
      case Outcome::Status::Pass:
        // "flaky:" entries depend on the resolver's random choice among
        // equal servers: they may pass.
        if (known.count(base) != 0 && known[base].rfind("flaky:", 0) != 0) {
          ++failed;
          std::cout << "FAIL " << base << ": passes but is listed in " << known_path << "\n";
        }
        ++t.pass;
        if (!o.differences_used.empty()) ++t.differ;
        if (!quiet) std::cout << "PASS " << base << (o.differences_used.empty() ? "" : " (documented difference)") << "\n";
        break;
      case Outcome::Status::Fail:
        if (known.count(base) != 0) {
          ++t.known;
          if (!quiet) std::cout << "KNOWN-FAIL " << base << ": " << o.text << "\n";
          break;
        }
        ++t.fail;
        ++failed;
        std::cout << "FAIL " << base << ": " << o.text << "\n";
        break;
      case Outcome::Status::Skip:
        ++t.skip;
        ++skip_reasons[reason_key(o.text)];
        if (!quiet) std::cout << "SKIP " << base << ": " << o.text << "\n";
        break;
    }
  }
  // A difference no scenario reached is a stale entry: the list must stay exact.
  if (summary) {
    for (const auto& d : diffs) {
      bool listed = std::any_of(files.begin(), files.end(), [&](const std::string& f) {
        return std::filesystem::path(f).filename().string() == d.file;
      });
      if (listed && used.count(d.line) == 0) {
        std::cout << "FAIL " << d.file << ": differences line " << d.line << " (STEP " << d.step
                  << ") was not used\n";
        ++failed;
      }
    }
    std::cout << "summary:";
    Tally all;
    for (const auto& [p, t] : tally) {
      std::cout << " " << p << "* " << t.pass << " passed (" << t.differ << " with a documented difference), "
                << t.fail << " failed, " << t.known << " known failures, " << t.skip << " skipped;";
      all.known += t.known;
      all.pass += t.pass;
      all.fail += t.fail;
      all.skip += t.skip;
    }
    std::cout << " total " << all.pass << "/" << all.fail << "/" << all.known << "/" << all.skip
              << " passed/failed/known failures/skipped\n";
    std::cout << "skipped by reason:";
    std::vector<std::pair<int, std::string>> rs;
    for (const auto& [r, n] : skip_reasons) rs.emplace_back(-n, r);
    std::sort(rs.begin(), rs.end());
    for (const auto& [n, r] : rs) std::cout << " [" << r << "] " << -n << ";";
    std::cout << "\n";
  }
  return failed == 0 ? 0 : 1;
}

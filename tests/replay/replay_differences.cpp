// Reading the differences file (see replay_run.h, read_differences).
#include <fstream>
#include <map>
#include <sstream>

#include "tests/replay/replay_run.h"

namespace flatns::replay {

namespace {

bool parse_rcode(const std::string& t, uint16_t& out) {
  static const std::map<std::string, uint16_t> m = {{"NOERROR", 0}, {"SERVFAIL", 2}, {"NXDOMAIN", 3}, {"REFUSED", 5}};
  auto it = m.find(t);
  if (it == m.end()) return false;
  out = it->second;
  return true;
}


}  // namespace

bool read_differences(const std::string& path, std::vector<Difference>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](const std::string& why) {
      error = path + ":" + std::to_string(n) + ": " + why;
      return false;
    };
    Difference d;
    d.line = n;
    const auto dash = line.find(" -- ");
    if (dash == std::string::npos) return bad("no ' -- reason'");
    d.reason = line.substr(dash + 4);
    std::istringstream head(line.substr(0, dash));
    std::string step_kw, number, fields;
    head >> d.file >> step_kw >> number >> fields;
    if (step_kw != "STEP" || number.empty() || number.back() != ':') return bad("expected 'FILE STEP n:'");
    d.step = number == "*:" ? -1 : std::stoi(number.substr(0, number.size() - 1));
    std::istringstream fs(fields);
    std::string kv;
    while (std::getline(fs, kv, ',')) {
      if (kv == "not-run" || kv == "surplus-timeouts" || kv == "not-asked") kv += "=yes";
    const auto eq = kv.find('=');
      if (eq == std::string::npos) return bad("field without '=': " + kv);
      const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      if (k == "rcode") {
        uint16_t rc;
        if (!parse_rcode(v, rc)) return bad("unknown rcode " + v);
        d.rcode = rc;
      } else if (k == "ad") {
        d.ad = v == "1";
      } else if (k == "answer" && v == "empty") {
        d.answer_empty = true;
      } else if (k == "not-run" && v == "yes") {
        d.not_run = true;
      } else if (k == "surplus-timeouts" && v == "yes") {
        d.surplus_timeouts = true;
      } else if (k == "not-asked" && v == "yes") {
        d.not_asked = true;
      } else if (k == "ttl" && v == "ignore") {
        d.ignore_ttl = true;
      } else if (k == "ede") {
        d.ede = v == "none" ? -1 : std::stoi(v);
      } else {
        return bad("unknown field " + kv);
      }
    }
    if (d.reason.empty()) return bad("empty reason");
    out.push_back(std::move(d));
  }
  return true;
}

}  // namespace flatns::replay

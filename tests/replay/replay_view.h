// What the replay harness compares (replay_run.h): an answer as a sorted
// set of record texts, with its rcode, AD bit and EDE, and how an upstream
// query is matched against a RANGE entry's MATCH keywords (testpkts.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dns/message_parser.h"
#include "resolver-client/transport.h"
#include "tests/replay/rpl_scenario.h"

namespace flatns::replay {

struct View {
  uint16_t rcode = 0;
  bool ad = false;
  std::vector<std::string> answer;
  std::optional<uint16_t> ede;
};

[[nodiscard]] const char* rcode_name(uint16_t rc);
[[nodiscard]] std::string lower(std::string s);

// A record as compared: "owner TYPE rdata" (+ TTL), names without case.
[[nodiscard]] std::string record_key(const dns::ResourceRecord& rr, bool with_ttl);

// `qtype`: the question's. RRSIGs are compared only when they are the
// question; a DNAME only for ANY, where it is one of the name's RRsets.
[[nodiscard]] std::vector<std::string> answer_keys(const std::vector<dns::ResourceRecord>& rrs,
                                                   bool with_ttl, uint16_t qtype);

[[nodiscard]] std::string view_text(const View& v, bool show_ede);

// Whether a RANGE entry answers the query (its MATCH keywords).
[[nodiscard]] bool query_matches_entry(const Entry& e, const resolver::UpstreamQuery& q);

}  // namespace flatns::replay

// Per-worker query counters (server/query_stats.h): what one query and its
// response add, and the bounds of every label.
#include <catch2/catch.hpp>

#include <vector>

#include "server/query_stats.h"

using namespace flatns::server;

namespace {

// A query for `name` (wire labels) and `qtype`, and its response with `rcode`.
std::vector<uint8_t> message(std::vector<uint8_t> qname, uint16_t qtype, bool response = false, uint8_t rcode = 0,
                             bool tc = false) {
  std::vector<uint8_t> m = {0x12, 0x34, static_cast<uint8_t>((response ? 0x84 : 0x00) | (tc ? 0x02 : 0)),
                            rcode, 0, 1, 0, 0, 0, 0, 0, 0};
  m.insert(m.end(), qname.begin(), qname.end());
  m.insert(m.end(), {static_cast<uint8_t>(qtype >> 8), static_cast<uint8_t>(qtype), 0, 1});
  return m;
}

const std::vector<uint8_t> kWww = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};

}  // namespace

TEST_CASE("question_type reads the first question, rejects malformed ones", "[stats]") {
  uint16_t qtype = 0;
  CHECK(question_type(message(kWww, 28), qtype));
  CHECK(qtype == 28);
  auto cut = message(kWww, 28);
  cut.resize(cut.size() - 3);  // the type's second octet and the class are missing
  CHECK_FALSE(question_type(cut, qtype));
  auto pointer = message({0xC0, 0x0C}, 1);
  CHECK_FALSE(question_type(pointer, qtype));
  auto none = message(kWww, 1);
  none[5] = 0;  // QDCOUNT 0
  CHECK_FALSE(question_type(none, qtype));
}

TEST_CASE("one answer adds one query, one response and one zone query", "[stats]") {
  QueryStats stats(3);  // two zone labels and "other"
  stats.count_answer(false, message(kWww, 1), message(kWww, 1, true, 3), 1);
  stats.count_answer(true, message(kWww, 65535), message(kWww, 65535, true, 0), 7);  // beyond: other
  stats.count_answer(false, message(kWww, 16), message(kWww, 16, true, 0, true), QueryStats::kNoZone);
  stats.count_answer(false, message(kWww, 1), {}, QueryStats::kNoZone);  // dropped
  CHECK(stats.queries[0][type_slot(1)].get() == 2);
  CHECK(stats.queries[1][type_slot(65535)].get() == 1);
  CHECK(type_slot_name(type_slot(65535)) == "other");
  CHECK(type_slot_name(type_slot(16)) == "TXT");
  CHECK(stats.responses[0][3].get() == 1);
  CHECK(stats.responses[1][0].get() == 1);
  CHECK(stats.truncated.get() == 1);
  CHECK(stats.dropped[0].get() == 1);
  CHECK(stats.zone_queries[1].get() == 1);
  CHECK(stats.zone_queries[2].get() == 1);
  CHECK(stats.zone_queries[0].get() == 0);
}

TEST_CASE("flattened answers count by outcome and EDE, bounded", "[stats]") {
  QueryStats stats(1);
  stats.count_flattened(FlattenOutcome::Servfail, 7, 0);
  stats.count_flattened(FlattenOutcome::Servfail, 4000, 0);
  stats.count_flattened(FlattenOutcome::Stale, 3, QueryStats::kNoZone);
  CHECK(stats.flattened[static_cast<int>(FlattenOutcome::Servfail)].get() == 2);
  CHECK(stats.flattened_servfail_ede[7].get() == 1);
  CHECK(stats.flattened_servfail_ede[kEdeSlots - 1].get() == 1);
  CHECK(stats.flattened_servfail_ede[3].get() == 0);
  CHECK(stats.zone_flattened[0].get() == 2);
  CHECK(flatten_outcome_name(2) == "stale");
}

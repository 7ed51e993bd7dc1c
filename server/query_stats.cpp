#include "server/query_stats.h"

namespace flatns::server {

namespace {

constexpr std::string_view kTypeNames[] = {"A",   "NS",    "CNAME", "SOA",   "PTR",   "MX",
                                           "TXT", "AAAA",  "SRV",   "NAPTR", "DS",    "DNSKEY",
                                           "SVCB", "HTTPS", "CAA",  "ANY",   "other"};
static_assert(std::size(kTypeNames) == kTypeSlots);

constexpr std::string_view kOutcomeNames[kFlattenOutcomes] = {"cached", "resolved", "stale", "servfail"};

}  // namespace

std::size_t type_slot(uint16_t qtype) {
  for (std::size_t i = 0; i < std::size(kCountedTypes); ++i) {
    if (kCountedTypes[i] == qtype) return i;
  }
  return kTypeSlots - 1;
}

std::string_view type_slot_name(std::size_t slot) { return slot < kTypeSlots ? kTypeNames[slot] : "other"; }
std::string_view flatten_outcome_name(std::size_t outcome) {
  return outcome < kFlattenOutcomes ? kOutcomeNames[outcome] : "other";
}

bool question_type(std::span<const uint8_t> message, uint16_t& qtype) {
  constexpr std::size_t kHeader = 12;
  if (message.size() < kHeader || (message[4] == 0 && message[5] == 0)) return false;
  std::size_t pos = kHeader;
  while (pos < message.size()) {
    const uint8_t length = message[pos];
    if (length == 0) break;
    if (length > 63) return false;  // a pointer or a reserved label type in a question
    pos += 1 + length;
  }
  if (pos + 2 >= message.size()) return false;
  qtype = static_cast<uint16_t>(message[pos + 1] << 8 | message[pos + 2]);
  return true;
}

QueryStats::QueryStats(std::size_t zone_slots)
    : zone_slot_count(zone_slots == 0 ? 1 : zone_slots),
      zone_queries(std::make_unique<Counter[]>(zone_slot_count)),
      zone_flattened(std::make_unique<Counter[]>(zone_slot_count)) {}

void QueryStats::count_answer(bool tcp, std::span<const uint8_t> query, std::span<const uint8_t> response,
                              std::size_t zone_slot) {
  const std::size_t t = tcp ? 1 : 0;
  uint16_t qtype = 0;
  queries[t][question_type(query, qtype) ? type_slot(qtype) : kTypeSlots - 1].add();
  if (response.size() < 4) {
    dropped[t].add();
    return;
  }
  responses[t][response[3] & 0x0F].add();
  if (!tcp && (response[2] & 0x02)) truncated.add();
  if (zone_slot != kNoZone) zone_queries[zone_slot < zone_slot_count ? zone_slot : zone_slot_count - 1].add();
}

void QueryStats::count_flattened(FlattenOutcome outcome, uint16_t ede, std::size_t zone_slot) {
  flattened[static_cast<std::size_t>(outcome)].add();
  if (outcome == FlattenOutcome::Servfail) flattened_servfail_ede[ede < kEdeSlots - 1 ? ede : kEdeSlots - 1].add();
  if (zone_slot != kNoZone) zone_flattened[zone_slot < zone_slot_count ? zone_slot : zone_slot_count - 1].add();
}

}  // namespace flatns::server

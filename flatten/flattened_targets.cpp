#include "flatten/flattened_targets.h"

#include <array>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "zones/answer.h"

namespace flatns::flatten {

namespace {

std::string key_of(dns::NameView target, uint16_t qtype) {
  std::string key;
  key.reserve(target.size() + 2);
  for (uint8_t c : target) key.push_back(static_cast<char>(dns::ascii_lower(c)));
  key.push_back(static_cast<char>(qtype >> 8));
  key.push_back(static_cast<char>(qtype & 0xFF));
  return key;
}

}  // namespace

FlattenedTargets::FlattenedTargets(const zones::ZoneSet& zones, const FlattenerSettings& settings) {
  // An empty cache: every external target is a miss, so the chase parks on it.
  const Flattener chase(settings, std::make_shared<FlattenCache>(FlattenCache::kWays));
  std::array<uint8_t, 512> buffer;
  for (const auto& zone : zones.zones()) {
    if (zone->flatten() == zones::FlattenMode::Off) continue;
    const auto visit = [&](const zones::Node* node) {
      if (!zones::is_flattened(*zone, node)) return;
      for (uint16_t qtype : {dns::rrtype::A, dns::rrtype::AAAA}) {
        dns::Query q;
        q.has_question = true;
        q.qname.assign(zone->name(node));
        q.qtype = qtype;
        q.qclass = dns::rrclass::IN;
        dns::ResponseBuilder rb(buffer);
        rb.start(q, buffer.size());
        FlattenCall call;
        call.reset(false);
        (void)chase.answer({zones, *zone, node, q}, rb, &call);
        if (call.outcome == FlattenCall::Outcome::Park) keys_.insert(key_of(call.target.view(), qtype));
      }
    };
    if (zone->flatten() == zones::FlattenMode::Apex) {
      visit(zone->apex());
    } else {
      for (const zones::Node& node : zone->nodes()) visit(&node);
    }
  }
}

bool FlattenedTargets::contains(dns::NameView target, uint16_t qtype) const {
  return keys_.count(key_of(target, qtype)) != 0;
}

}  // namespace flatns::flatten

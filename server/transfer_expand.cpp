#include "server/transfer_expand.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/rrtype.h"
#include "flatten/cache_file.h"
#include "server/log.h"
#include "transfer/incoming.h"
#include "zones/answer.h"

namespace flatns::server {
namespace {

constexpr uint16_t kAddressTypes[2] = {dns::rrtype::A, dns::rrtype::AAAA};

// Where the last serial of a zone's expanded view is kept across restarts.
std::string serial_path(const zones::Zone& zone) {
  return zone.file().empty() ? std::string() : zone.file() + ".expanded-serial";
}

// The serial saved beside the zone file; nullopt when there is none (a
// file that is not one decimal serial is ignored with a warning).
std::optional<uint32_t> read_saved_serial(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text;
  std::getline(in, text);
  uint32_t serial = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), serial);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    log_warn(path + ": not a serial (one decimal number expected); ignored, the expanded view starts from the "
                    "zone file's serial");
    return std::nullopt;
  }
  return serial;
}

void save_serial(const std::string& path, uint32_t serial) {
  if (path.empty()) return;
  const std::string text = std::to_string(serial) + "\n";
  std::string error;
  if (!flatten::write_cache_file(path, {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, error)) {
    log_warn("expanded view serial not saved (a restart may reuse serials the secondaries have seen): " + error);
  }
}

// The nodes of `zone` whose A/AAAA are flattened (zones::is_flattened).
std::vector<uint32_t> flattened_nodes(const zones::Zone& zone) {
  std::vector<uint32_t> out;
  if (zone.flatten() == zones::FlattenMode::Apex) {
    if (zones::is_flattened(zone, zone.apex())) out.push_back(zone.index_of(zone.apex()));
  } else if (zone.flatten() == zones::FlattenMode::All) {
    for (const zones::Node& node : zone.nodes()) {
      if (zones::is_flattened(zone, &node)) out.push_back(zone.index_of(&node));
    }
  }
  return out;
}

bool same_addresses(const ExpandedZones::AddressSet& a, const ExpandedZones::AddressSet& b) {
  return a.known == b.known && a.rdatas == b.rdatas;
}

// What the view replaces at a flattened name: the link to the target, and
// the name's own addresses (the flattened ones stand in their place).
bool replaced_type(uint16_t type) {
  return type == dns::rrtype::CNAME || type == dns::rrtype::ALIAS || type == dns::rrtype::ANAME ||
         type == dns::rrtype::A || type == dns::rrtype::AAAA;
}

}  // namespace

std::vector<std::shared_ptr<const zones::Zone>> ExpandedZones::update(const Config& config,
                                                                      const zones::ZoneSet& zones,
                                                                      const flatten::Flattener& flattener) {
  std::vector<std::shared_ptr<const zones::Zone>> changed;
  std::map<dns::Name, View> kept;
  for (const auto& entry : config.zones) {
    const auto& acl = entry.transfer.allow_transfer;
    if (std::none_of(acl.begin(), acl.end(), [](const transfer::AclEntry& e) { return e.expand; })) continue;
    const dns::Name& origin = entry.config.origin;
    auto source = zones.find_exact(origin);
    if (!source) continue;
    View view;
    if (auto it = views_.find(origin); it != views_.end()) view = std::move(it->second);
    bool dirty = false;
    if (view.source != source) {
      view.source = std::move(source);
      view.flattened = flattened_nodes(*view.source);
      dirty = true;
    }
    if (refresh_addresses(view, zones, flattener)) dirty = true;
    if (dirty && rebuild(view)) changed.push_back(view.expanded);
    kept.emplace(origin, std::move(view));
  }
  views_ = std::move(kept);
  return changed;
}

std::shared_ptr<const zones::Zone> ExpandedZones::find(const dns::Name& origin) const {
  const auto it = views_.find(origin);
  return it == views_.end() ? nullptr : it->second.expanded;
}

namespace {

// What flatns answers for `qtype` at the flattened `node` now, from the
// cache alone: false when that is not known (being resolved, or failed
// without a stale answer), with `request` set when the target should be
// resolved (missing, expired or due for a refresh).
bool flattened_answer(const zones::ZoneSet& zones, const zones::Zone& zone, const zones::Node* node,
                      uint16_t qtype, const flatten::Flattener& flattener, ExpandedZones::AddressSet& out,
                      std::optional<flatten::FlattenRequest>& request) {
  dns::Query q;
  q.has_question = true;
  q.qname.assign(zone.name(node));
  q.qtype = qtype;
  q.qclass = dns::rrclass::IN;
  std::array<uint8_t, 4096> buffer;
  dns::ResponseBuilder rb(buffer);
  rb.start(q, buffer.size());
  flatten::FlattenCall call;
  call.reset(false);
  const zones::Found found = flattener.answer({zones, zone, node, q}, rb, &call);
  if (call.outcome == flatten::FlattenCall::Outcome::Park || call.refresh || call.stale_refresh) {
    flatten::FlattenRequest r;
    r.target = call.target;
    r.qname.assign(zone.name(node));
    r.zone.assign(zone.origin().wire());
    r.qtype = call.qtype;
    request = r;
  }
  if (found == zones::Found::NoData) {
    out.known = true;
    return true;
  }
  if (found != zones::Found::Hit) return false;
  dns::Message m;
  std::string error;
  if (!dns::parse_message(std::span<const uint8_t>(buffer.data(), rb.finish()), m, error)) return false;
  out.known = true;
  bool first = true;
  for (const auto& rr : m.answer) {
    if (rr.type != qtype) continue;
    out.ttl = first ? rr.ttl : std::min(out.ttl, rr.ttl);
    first = false;
    out.rdatas.push_back(rr.rdata);
  }
  std::sort(out.rdatas.begin(), out.rdatas.end());
  out.rdatas.erase(std::unique(out.rdatas.begin(), out.rdatas.end()), out.rdatas.end());
  return true;
}

}  // namespace

bool ExpandedZones::refresh_addresses(View& view, const zones::ZoneSet& zones, const flatten::Flattener& flattener) {
  const zones::Zone& zone = *view.source;
  bool changed = false;
  std::map<dns::Name, std::array<AddressSet, 2>> next;
  for (uint32_t index : view.flattened) {
    const zones::Node* node = zone.node(index);
    dns::Name name;
    if (!dns::Name::from_wire(zone.name(node), name)) continue;
    auto& sets = next[name];
    if (const auto old = view.addresses.find(name); old != view.addresses.end()) sets = old->second;
    for (std::size_t i = 0; i < 2; ++i) {
      AddressSet now;
      std::optional<flatten::FlattenRequest> request;
      const bool known = flattened_answer(zones, zone, node, kAddressTypes[i], flattener, now, request);
      if (request && service_) service_->request_background(*request);
      if (!known || same_addresses(now, sets[i])) continue;  // unknown: the last validated ones stay
      sets[i] = std::move(now);
      changed = true;
    }
  }
  view.addresses = std::move(next);
  return changed;
}

bool ExpandedZones::rebuild(View& view) {
  const zones::Zone& zone = *view.source;
  const std::string state_file = serial_path(zone);
  // The serial: the file's when it is after the last view's, else one more.
  std::optional<uint32_t> previous;
  if (view.expanded) {
    previous = view.serial;
  } else {
    previous = read_saved_serial(state_file);
  }
  uint32_t serial = zone.serial();
  if (previous && !transfer::serial_after(serial, *previous)) serial = *previous + 1;

  std::vector<bool> flattened(zone.nodes().size(), false);
  for (uint32_t index : view.flattened) flattened[index] = true;
  zones::ZoneConfig config;
  config.origin = zone.origin();
  config.file = zone.file();
  config.flatten = zones::FlattenMode::Off;
  const std::string where = zone.file() + " (expanded view)";
  std::size_t addresses = 0;
  zones::ZoneLoadResult result = zones::build_zone(config, [&](const zones::RecordViewSink& sink) {
    zones::RecordView v;
    v.file = &where;
    for (const zones::Node& node : zone.nodes()) {
      const bool flat = flattened[zone.index_of(&node)];
      v.owner = zone.name(&node);
      for (const zones::RRset& set : zone.rrsets(&node)) {
        if (set.count == 0 || (flat && replaced_type(set.type))) continue;
        v.type = set.type;
        v.ttl = set.ttl;
        const bool soa = &node == zone.apex() && set.type == dns::rrtype::SOA;
        zone.records(set).for_each([&](std::span<const uint8_t> rdata) {
          std::vector<uint8_t> patched;
          if (soa && rdata.size() >= 20) {  // the serial is the first of the five numbers at the end
            patched.assign(rdata.begin(), rdata.end());
            const std::size_t at = patched.size() - 20;
            for (int i = 0; i < 4; ++i) patched[at + i] = static_cast<uint8_t>(serial >> (24 - 8 * i));
            rdata = patched;
          }
          v.rdata = rdata;
          sink(v);
        });
        if (const zones::SigSet* sigs = zone.sigs(set)) {
          v.type = dns::rrtype::RRSIG;
          v.ttl = sigs->ttl;
          zone.records(*sigs).for_each([&](std::span<const uint8_t> rdata) {
            v.rdata = rdata;
            sink(v);
          });
        }
      }
      if (!flat) continue;
      dns::Name name;
      if (!dns::Name::from_wire(v.owner, name)) continue;
      const auto it = view.addresses.find(name);
      if (it == view.addresses.end()) continue;
      for (std::size_t i = 0; i < 2; ++i) {
        v.type = kAddressTypes[i];
        v.ttl = it->second[i].ttl;
        for (const auto& rdata : it->second[i].rdatas) {
          v.rdata = rdata;
          sink(v);
          ++addresses;
        }
      }
    }
  }, zone.sources());
  if (!result.zone) {
    std::string why = result.errors.empty() ? "unknown error" : result.errors.front().to_string();
    log_warn("zone " + zone.origin().to_text() + ": expanded view (allow_transfer expand) not rebuilt, the " +
             (view.expanded ? "previous one stays: " : "expand clients are refused: ") + why);
    return false;
  }
  view.expanded = std::move(result.zone);
  view.serial = serial;
  save_serial(state_file, serial);
  log_info("zone " + zone.origin().to_text() + ": expanded view serial " + std::to_string(serial) + " (zone file " +
           std::to_string(zone.serial()) + "): " + std::to_string(view.flattened.size()) + " flattened names, " +
           std::to_string(addresses) + " addresses");
  return true;
}

}  // namespace flatns::server

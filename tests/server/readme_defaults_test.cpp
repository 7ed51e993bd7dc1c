// The README's configuration tables ("| `key` | default | meaning |") against
// the code's defaults (default_config() and the types it is made of): every
// key the README lists has a default here, every default here has a README
// row, and where the README writes the default as a literal (`1200`) it is
// the code's value. A default changed on one side only fails this test.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "dns/log_level.h"
#include "dns/tsig.h"
#include "server/config.h"

using namespace flatns;

namespace {

// A README row's key (with its section's prefix) and default cell.
std::map<std::string, std::string> readme_defaults() {
  std::ifstream in(FLATNS_README);
  REQUIRE(in);
  std::map<std::string, std::string> rows;
  std::string line, prefix;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0 || line.rfind("## ", 0) == 0) {
      in_table = false;
      prefix = line.find("### `server.rrl:`") == 0 ? "server.rrl."
               : line.find("### `server.dnstap:`") == 0 ? "server.dnstap."
               : line.find("### `server:`") == 0   ? "server."
               : line.find("### `zones:`") == 0    ? "zones[]."
               : line.find("### `keys:`") == 0     ? "keys[]."
               : line.find("### `zones[].dnssec:`") == 0 ? "zones[].dnssec."
               : line.find("### `transfer:`") == 0 ? "transfer."
               : line.find("### `catalogs:`") == 0 ? "catalogs[]."
                                                   : "";
      continue;
    }
    if (line.rfind("| key | default |", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table || line.rfind("| `", 0) != 0) continue;
    const std::size_t key_end = line.find('`', 3);
    const std::size_t cell_start = line.find("| ", key_end);
    const std::size_t cell_end = line.find(" |", cell_start + 2);
    REQUIRE(cell_end != std::string::npos);
    rows[prefix + line.substr(3, key_end - 3)] = line.substr(cell_start + 2, cell_end - cell_start - 2);
  }
  return rows;
}

std::string quoted_list(const std::vector<dns::ServerAddress>& addresses) {
  std::string out = "[";
  for (const auto& a : addresses) out += (out.size() > 1 ? ", \"" : "\"") + a.to_string() + "\"";
  return out + "]";
}

std::string flatten_mode_text(zones::FlattenMode mode) {
  switch (mode) {
    case zones::FlattenMode::Apex: return "apex";
    case zones::FlattenMode::All: return "all";
    case zones::FlattenMode::Off: return "off";
  }
  return "?";
}

// "32m" for 32 MiB: how the README and the config write byte sizes.
std::string byte_size_text(std::size_t bytes) {
  if (bytes % (1u << 30) == 0) return std::to_string(bytes >> 30) + "g";
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + "m";
  if (bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + "k";
  return std::to_string(bytes);
}

std::string text(bool b) { return b ? "true" : "false"; }
std::string text(std::size_t n) { return std::to_string(n); }
std::string text(uint32_t n) { return std::to_string(n); }

// A default the README writes as a literal (the cell opens with it in
// backticks) or in words (the cell opens with these words).
struct Expected {
  std::string value;
  bool literal = true;
};

std::map<std::string, Expected> code_defaults() {
  const server::Config c = server::default_config();
  const auto& s = c.server;
  const auto& rrl = s.rrl;
  const auto& r = c.resolver;
  const auto& f = c.flatten;
  const server::ZoneEntry zone;
  const dns::TsigKey key;
  const server::CatalogEntry catalog;
  const unsigned cpus = std::thread::hardware_concurrency();
  CHECK(s.workers == (cpus ? cpus : 1));
  return {
      {"server.listen", {quoted_list(s.listen)}},
      {"server.workers", {"number of CPUs", false}},
      {"server.nsid", {s.nsid.empty() ? "none" : s.nsid, s.nsid.empty() ? false : true}},
      {"server.tcp_idle_timeout_ms", {text(s.tcp_idle_timeout_ms)}},
      {"server.tcp_max_connections", {text(s.tcp_max_connections)}},
      {"server.log_level", {std::string(dns::log_level_name(s.log_level))}},
      {"server.rrl", {rrl.responses_per_second == 0 ? "off" : "on", false}},
      {"server.control", {s.ops.control.empty() ? "none (off)" : s.ops.control, false}},
      {"server.metrics", {s.ops.metrics ? s.ops.metrics->to_string() : "none (off)", false}},
      {"server.metrics_max_zones", {text(s.ops.metrics_max_zones)}},
      {"server.dnstap", {s.ops.dnstap.sink == server::DnstapSettings::Sink::Off ? "none (off)" : "on", false}},
      {"server.dnstap.file", {s.ops.dnstap.sink == server::DnstapSettings::Sink::File ? "?" : "none", false}},
      {"server.dnstap.socket", {s.ops.dnstap.sink == server::DnstapSettings::Sink::Socket ? "?" : "none", false}},
      {"server.dnstap.queries", {text(s.ops.dnstap.queries)}},
      {"server.dnstap.responses", {text(s.ops.dnstap.responses)}},
      {"server.dnstap.resolver", {text(s.ops.dnstap.resolver)}},
      {"server.dnstap.queue", {text(s.ops.dnstap.queue)}},
      {"server.rrl.responses_per_second", {text(rrl.responses_per_second)}},
      {"server.rrl.slip", {text(rrl.slip)}},
      {"server.rrl.window_s", {text(rrl.window_s)}},
      {"server.rrl.ipv4_prefix", {text(rrl.ipv4_prefix)}},
      {"server.rrl.ipv6_prefix", {text(rrl.ipv6_prefix)}},
      {"server.rrl.table_size", {text(rrl.table_size)}},
      {"zones[].name", {"required", false}},
      {"zones[].file", {"required", false}},
      {"zones[].flatten", {flatten_mode_text(zone.config.flatten)}},
      {"zones[].allow_transfer", {zone.transfer.allow_transfer.empty() ? "[]" : "?"}},
      {"zones[].primaries", {zone.transfer.primaries.empty() ? "[]" : "?"}},
      {"zones[].notify", {zone.transfer.notify.empty() ? "[]" : "?"}},
      {"zones[].allow_transfer[].expand", {text(transfer::AclEntry{}.expand)}},
      {"zones[].notify[].expand", {text(server::TransferPeer{}.expand)}},
      {"keys[].name", {"required", false}},
      {"keys[].algorithm", {std::string(dns::tsig_algorithm_text(key.algorithm))}},
      {"keys[].secret", {"required", false}},
      {"resolver.mode", {r.mode == resolver::ResolverMode::Recursive ? "recursive" : "forward"}},
      {"resolver.root_hints", {r.root_hints.empty() ? "built-in IANA root servers" : quoted_list(r.root_hints), false}},
      {"resolver.forwarders", {r.forwarders.empty() ? "none" : quoted_list(r.forwarders), false}},
      {"resolver.trust_anchors", {r.trust_anchors_file.empty() ? "built-in root anchors" : r.trust_anchors_file, false}},
      {"resolver.dnssec", {r.validate ? "validate" : "off"}},
      {"resolver.cache_size", {byte_size_text(r.cache_max_bytes)}},
      {"resolver.qname_minimisation", {text(r.qname_minimisation)}},
      {"resolver.private_addresses", {r.private_addresses.empty() ? "none" : "?", false}},
      {"resolver.private_domains", {r.private_domains.empty() ? "none" : "?", false}},
      {"resolver.insecure_domains", {r.insecure_domains.empty() ? "none" : "?", false}},
      {"resolver.do_not_query", {r.do_not_query.empty() ? "none" : "?", false}},
      {"resolver.nat64", {text(r.nat64)}},
      {"resolver.nat64_prefix", {r.nat64_prefix.to_string()}},
      {"resolver.harden_unverified_glue", {text(r.harden_unverified_glue)}},
      {"resolver.stub_zones", {r.zones.empty() ? "none" : "?", false}},
      {"resolver.forward_zones", {r.zones.empty() ? "none" : "?", false}},
      {"resolver.aggressive_nsec", {text(r.aggressive_nsec)}},
      {"flatten.deadline_ms", {text(f.deadline_ms)}},
      {"flatten.serve_stale", {text(f.serve_stale)}},
      {"flatten.stale_max_s", {text(f.stale_max_s)}},
      {"flatten.stale_reply_ttl_s", {text(f.stale_reply_ttl_s)}},
      {"flatten.stale_client_timeout_ms", {text(f.stale_client_timeout_ms)}},
      {"flatten.max_ttl", {text(f.max_ttl)}},
      {"flatten.min_ttl", {text(f.min_ttl)}},
      {"flatten.cache_entries", {text(f.cache_entries)}},
      {"flatten.max_pending", {text(f.max_pending)}},
      {"flatten.failure_ttl_s", {text(f.failure_ttl_s)}},
      {"flatten.cache_file", {f.cache_file.empty() ? "none" : f.cache_file, false}},
      {"flatten.cache_save_s", {text(f.cache_save_s)}},
      {"zones[].dnssec", {zone.dnssec.online ? "online" : "off", false}},
      {"zones[].journal_depth", {text(zone.transfer.journal.max_depth)}},
      {"zones[].journal_size", {byte_size_text(zone.transfer.journal.max_bytes)}},
      {"zones[].dnssec.signing", {zone.dnssec.online ? "online" : "off"}},
      {"zones[].dnssec.keys", {"required with `online`", false}},
      {"zones[].dnssec.algorithm", {zone.dnssec.algorithm == 13 ? "ecdsap256sha256" : "?"}},
      {"zones[].dnssec.denial", {zone.dnssec.denial == signing::Denial::Compact ? "compact" : "?"}},
      {"zones[].dnssec.rrsig_lifetime",
       {zone.dnssec.rrsig_lifetime % 86400 == 0 ? std::to_string(zone.dnssec.rrsig_lifetime / 86400) + "d"
                                                 : text(zone.dnssec.rrsig_lifetime)}},
      {"zones[].dnssec.rrsig_refresh",
       {zone.dnssec.rrsig_refresh * 2 == zone.dnssec.rrsig_lifetime ? "half the lifetime" : "?", false}},
      {"transfer.max_outgoing", {text(c.transfer.max_outgoing)}},
      {"transfer.message_size", {text(c.transfer.message_size)}},
      {"transfer.max_incoming_size", {byte_size_text(c.transfer.max_incoming_size)}},
      {"transfer.max_incoming_records", {text(c.transfer.max_incoming_records)}},
      {"transfer.incoming_timeout", {text(c.transfer.incoming_timeout_s)}},
      {"zones[].catalog", {zone.catalog.catalog ? "?" : "none", false}},
      {"zones[].catalog_group", {zone.catalog.group.empty() ? "none" : "?", false}},
      {"catalogs[].name", {"required", false}},
      {"catalogs[].produce", {text(catalog.produce)}},
      {"catalogs[].file", {"`files`/catalog.NAME.zone", false}},
      {"catalogs[].files", {"required to consume", false}},
      {"catalogs[].primaries", {"required to consume", false}},
      {"catalogs[].allow_transfer", {catalog.allow_transfer.empty() ? "[]" : "?"}},
      {"catalogs[].notify", {catalog.notify.empty() ? "[]" : "?"}},
      {"catalogs[].max_members", {text(catalog.max_members)}},
      {"catalogs[].template", {"{flatten: " + flatten_mode_text(catalog.member_template.flatten) + "}"}},
      {"catalogs[].groups", {catalog.groups.empty() ? "{}" : "?"}},
  };
}

}  // namespace

TEST_CASE("README: every configuration default in its tables is the code's default", "[config][readme]") {
  const auto readme = readme_defaults();
  const auto code = code_defaults();
  REQUIRE(readme.size() >= 30);  // the tables were found
  for (const auto& [key, cell] : readme) {
    INFO("README row " << key << ": " << cell);
    const auto it = code.find(key);
    CHECK(it != code.end());  // a README key without a default in the code (or in this test)
    if (it == code.end()) continue;
    if (it->second.literal) {
      CHECK(cell.rfind("`" + it->second.value + "`", 0) == 0);
    } else {
      CHECK(cell.rfind(it->second.value, 0) == 0);
    }
  }
  for (const auto& [key, expected] : code) {
    INFO("code default " << key << " = " << expected.value);
    CHECK(readme.count(key) == 1);  // a default the README does not list
  }
}

// flatns.yaml(5) (dist/flatns.yaml.5) lists the flatten: defaults as
// `.BR key " (value), "`: each one must be the code's.
TEST_CASE("flatns.yaml(5): the flatten: defaults are the code's defaults", "[config][readme]") {
  std::ifstream in(FLATNS_MAN_CONFIG);
  REQUIRE(in);
  std::string line, section;
  std::map<std::string, std::string> listed;
  while (std::getline(in, line)) {
    if (line.rfind(".SS ", 0) == 0 || line.rfind(".SH ", 0) == 0) section = line;
    if (section != ".SS flatten:") continue;
    // `.BR deadline_ms " (1200), " serve_stale " (true), "` and the like
    std::size_t at = line.rfind(".BR ", 0) == 0 ? 4 : std::string::npos;
    while (at != std::string::npos && at < line.size()) {
      const std::size_t key_end = line.find(" \" (", at);
      if (key_end == std::string::npos) break;
      const std::size_t value_end = line.find(')', key_end);
      std::size_t key_start = line.rfind(' ', key_end - 1);
      key_start = key_start == std::string::npos || key_start < at ? at : key_start + 1;
      listed["flatten." + line.substr(key_start, key_end - key_start)] =
          line.substr(key_end + 4, value_end - key_end - 4);
      at = value_end + 1;
    }
  }
  const auto code = code_defaults();
  CHECK(listed.size() == 12);
  for (const auto& [key, value] : listed) {
    INFO("flatns.yaml(5): " << key << " (" << value << ")");
    const auto it = code.find(key);
    REQUIRE(it != code.end());
    if (it->second.literal) {
      CHECK(value == it->second.value);
    } else {
      CHECK(value.rfind(it->second.value, 0) == 0);
    }
  }
}

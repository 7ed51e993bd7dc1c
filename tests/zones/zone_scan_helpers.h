// Shared helpers for the zone-file scanner tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "zones/zone_file.h"

namespace flatns::zones::test {

struct ScanResult {
  bool ok = false;
  std::vector<ParsedRecord> records;
  std::vector<ZoneFileError> errors;
  // Every error as "file:line: message", one per line, for failure output.
  std::string error_text() const {
    std::string out;
    for (const auto& e : errors) out += e.to_string() + "\n";
    return out;
  }
};

inline ScanResult scan_text(std::string_view text, std::string_view origin = "example.com.",
                            ZoneFileOptions options = {}) {
  ScanResult r;
  options.origin = dns::Name::parse(origin);
  r.ok = scan_zone_text(
      text, "test.zone", options, [&](ParsedRecord&& rec) { r.records.push_back(std::move(rec)); },
      r.errors);
  return r;
}

inline ScanResult scan_path(const std::string& path, std::string_view origin,
                            ZoneFileOptions options = {}) {
  ScanResult r;
  options.origin = dns::Name::parse(origin);
  r.ok = scan_zone_file(
      path, options, [&](ParsedRecord&& rec) { r.records.push_back(std::move(rec)); }, r.errors);
  return r;
}

inline std::vector<uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<uint8_t> out;
  for (int v : values) out.push_back(static_cast<uint8_t>(v));
  return out;
}

inline std::vector<uint8_t> wire_name(std::string_view text) {
  const auto n = dns::Name::parse(text);
  return {n.wire().begin(), n.wire().end()};
}

}  // namespace flatns::zones::test

// Fuzzes the master-file scanner (zones::scan_zone_text) with arbitrary text.
// $INCLUDE is refused (max_include_depth 0), so fuzzed text can never make the
// scanner open a file. Each record handed to the sink must hold valid RDATA
// for its type, and every error must name the file and a line.
//
// Inputs whose $GENERATE ranges add up to more than kMaxGenerated records are
// skipped: the scanner accepts up to 2^24 per directive (tested in
// tests/zones), and a legitimate 400,000-record expansion takes over 30 s
// under ASan on a busy machine, which libFuzzer reports as a timeout while
// it says nothing about robustness (the time is linear in the records).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dns/rdata.h"
#include "zones/zone_file.h"
#include "zones/zone_generate.h"

using namespace flatns;

namespace {

constexpr uint64_t kMaxGenerated = 4096;

// The records the $GENERATE lines of `text` would make (a line-based
// estimate: the directive and its range are the first two tokens).
uint64_t generated_records(std::string_view text) {
  uint64_t total = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    constexpr std::string_view kDirective = "$GENERATE";
    if (line.size() <= kDirective.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < kDirective.size() && match; ++i) {
      match = (line[i] & ~0x20) == (kDirective[i] & ~0x20) || line[i] == kDirective[i];
    }
    if (!match) continue;
    line.remove_prefix(kDirective.size());
    const std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) continue;
    line.remove_prefix(start);
    zones::GenerateRange range;
    std::string error;
    if (zones::parse_generate_range(line.substr(0, line.find_first_of(" \t\r;(")), range, error)) {
      total += range.count();
    }
  }
  return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kFileName = "/nonexistent-fuzz-dir/fuzz.zone";
  zones::ZoneFileOptions options;
  options.origin = dns::Name::parse("example.");
  options.max_include_depth = 0;
  options.max_errors = 50;

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (generated_records(text) > kMaxGenerated) return 0;
  std::vector<zones::ZoneFileError> errors;
  std::size_t records = 0;
  const bool ok = zones::scan_zone_text(
      text, kFileName, options,
      [&](zones::ParsedRecord&& rr) {
        ++records;
        if (!dns::rdata_is_valid(rr.type, rr.rdata) || rr.line == 0 || rr.file != kFileName) {
          std::fprintf(stderr, "fuzz_zone_file: bad record type %u at %s:%zu\n", rr.type,
                       rr.file.c_str(), rr.line);
          std::abort();
        }
      },
      errors);
  if (ok != errors.empty()) {
    std::fprintf(stderr, "fuzz_zone_file: returned %d with %zu errors\n", ok, errors.size());
    std::abort();
  }
  for (const auto& e : errors) {
    if (e.file != kFileName || e.message.empty()) {
      std::fprintf(stderr, "fuzz_zone_file: error without place: %s\n", e.to_string().c_str());
      std::abort();
    }
  }
  return 0;
}

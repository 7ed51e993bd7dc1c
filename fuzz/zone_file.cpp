// Fuzzes the master-file scanner (zones::scan_zone_text) with arbitrary text.
// $INCLUDE is refused (max_include_depth 0), so fuzzed text can never make the
// scanner open a file. Each record handed to the sink must hold valid RDATA
// for its type, and every error must name the file and a line.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dns/rdata.h"
#include "zones/zone_file.h"

using namespace flatns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kFileName = "/nonexistent-fuzz-dir/fuzz.zone";
  zones::ZoneFileOptions options;
  options.origin = dns::Name::parse("example.");
  options.max_include_depth = 0;
  options.max_errors = 50;

  const std::string_view text(reinterpret_cast<const char*>(data), size);
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

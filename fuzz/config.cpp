// Fuzzes the YAML configuration loader (server::parse_config_text, yaml-cpp
// underneath) with arbitrary text. Only the text is read: relative paths in it
// are taken from a folder that does not exist, and zone files are not loaded
// here. Every problem must be reported as an error naming the file.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"

using namespace flatns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kFileName = "/nonexistent-fuzz-dir/flatns.yaml";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  server::Config config;
  std::vector<server::ConfigError> errors;
  const bool ok = server::parse_config_text(text, kFileName, config, errors);
  if (ok != errors.empty()) {
    std::fprintf(stderr, "fuzz_config: returned %d with %zu errors\n", ok, errors.size());
    std::abort();
  }
  for (const auto& e : errors) {
    if (e.file != kFileName || e.message.empty()) {
      std::fprintf(stderr, "fuzz_config: error without place: %s\n", e.to_string().c_str());
      std::abort();
    }
  }
  if (ok && config.server.workers == 0) {
    std::fprintf(stderr, "fuzz_config: accepted zero workers\n");
    std::abort();
  }
  return 0;
}

// Fuzzes the two message parsers with one packet: the packet-path query
// parser (dns::parse_query) and the full parser (dns::parse_message). Every
// record the full parser accepts must be valid RDATA for its type, print to
// presentation text, and read back from that text to the same octets.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/message_parser.h"
#include "dns/rdata.h"
#include "zones/zone_lexer.h"

using namespace flatns;

namespace {

[[noreturn]] void fail(const dns::ResourceRecord& rr, const std::string& text, const char* what) {
  std::fprintf(stderr, "fuzz_message: %s: type %u text '%s'\n", what, rr.type, text.c_str());
  std::abort();
}

void check_text_round_trip(const dns::ResourceRecord& rr) {
  if (!dns::rdata_is_valid(rr.type, rr.rdata)) fail(rr, "", "parsed RDATA is not valid");
  const std::string text = dns::rdata_to_text(rr.type, rr.rdata);
  zones::ZoneLexer lexer(text);
  zones::LexedEntry entry;
  std::string error;
  std::size_t error_line = 0;
  std::vector<dns::TextToken> tokens;
  auto result = zones::ZoneLexer::Result::kEntry;
  while ((result = lexer.next(entry, error, error_line)) == zones::ZoneLexer::Result::kEntry) {
    for (const auto& t : entry.tokens) tokens.push_back({t.text, t.quoted});
  }
  if (result == zones::ZoneLexer::Result::kError) fail(rr, text, ("text does not lex: " + error).c_str());
  std::vector<uint8_t> back;
  if (!dns::rdata_from_text(rr.type, tokens, dns::Name::root(), back, error)) {
    fail(rr, text, ("text does not parse back: " + error).c_str());
  }
  if (back != rr.rdata) fail(rr, text, "text parses back to other octets");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> packet(data, size);
  dns::Query query;
  (void)dns::parse_query(packet, query);

  dns::Message message;
  std::string error;
  if (!dns::parse_message(packet, message, error)) return 0;
  for (const auto* section : {&message.answer, &message.authority, &message.additional}) {
    for (const auto& rr : *section) check_text_round_trip(rr);
  }
  return 0;
}

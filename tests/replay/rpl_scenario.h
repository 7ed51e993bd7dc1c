// A reader for Unbound's testbound replay files (.rpl): the config block
// (server:, stub-zone:, forward-zone: ... options up to CONFIG_END), the
// RANGE blocks of precoded upstream answers and the STEP moments, with the
// entry syntax of Unbound's testcode/testpkts.h (MATCH / ADJUST / REPLY /
// SECTION). Only the parts our harness acts on are kept; anything else is
// recorded in `unsupported` so the scenario is reported as skipped with the
// keyword named, never run half-understood.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dns/message_parser.h"
#include "dns/server_address.h"

namespace flatns::replay {

struct ConfigOption {
  std::string section;  // "server", "stub-zone", "forward-zone", ...
  int block = 0;        // which block of that section (stub-zone blocks repeat)
  std::string key;
  std::string value;  // quotes removed
  int line = 0;
};

// One ENTRY_BEGIN ... ENTRY_END block.
struct Entry {
  int line = 0;
  // MATCH keywords (testpkts.h): which parts of a packet must agree.
  bool match_opcode = false, match_qtype = false, match_qname = false, match_subdomain = false,
       match_question = false, match_all = false, match_ttl = false, match_do = false,
       match_noedns = false, match_rcode = false, match_answer = false, match_tcp = false,
       match_udp = false;
  std::optional<int> match_ede;  // -1: any EDE
  // ADJUST: copy_query puts the query's question in the answer (the fake
  // network always does; an answer with neither it nor a question section
  // is one our transport discards, response_matches); copy_id on a
  // CHECK_OUT_QUERY entry makes it the answer to the query it matched.
  bool copy_id = false;
  bool copy_query = false;
  unsigned sleep_s = 0;
  // REPLY: header flags and rcode, and the DO bit of the OPT record.
  uint16_t flags = 0;
  bool do_bit = false;
  dns::Message message;  // question and sections (flags copied in)
  // HEX_ANSWER: `message` was read from hex octets, as our transport reads
  // a datagram; one that does not parse is a reply our transport drops.
  bool hex_answer = false;
  bool hex_unparseable = false;
  unsigned extra_packets = 0;
};

struct Range {
  int start = 0, end = 0;
  std::optional<dns::ServerAddress> address;  // none: any server
  std::vector<Entry> entries;
};

struct Step {
  enum class Kind {
    Nothing, Query, CheckAnswer, CheckOutQuery, Reply, Timeout, TimePasses, Traffic, Error,
    InfraRtt,  // sets a server's RTT (address, rtt_ms)
    Other,  // any other moment (ASSIGN, INFRA_RTT, FLUSH_MESSAGE, ...): kind_text names it
  };
  int number = 0;
  Kind kind = Kind::Nothing;
  std::string kind_text;
  std::optional<dns::ServerAddress> address;
  double elapse_s = 0;
  uint32_t rtt_ms = 0;  // INFRA_RTT
  std::optional<Entry> entry;
  int line = 0;
};

struct Scenario {
  std::string file;
  std::string title;
  std::vector<ConfigOption> config;
  std::vector<Range> ranges;
  std::vector<Step> steps;
  std::vector<std::string> unsupported;  // keywords the harness cannot honour, with line
};

// Reads a scenario; false with `error` naming file:line when the file does
// not parse.
[[nodiscard]] bool read_scenario(const std::string& path, Scenario& out, std::string& error);

// "QR RD RA AD NOERROR" for messages.
[[nodiscard]] std::string flags_text(uint16_t flags, bool do_bit);

}  // namespace flatns::replay

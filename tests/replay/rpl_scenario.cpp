// Reader of testbound .rpl files (see rpl_scenario.h). Written from the file
// format described in Unbound's testcode/replay.h and testpkts.h.
#include "tests/replay/rpl_scenario.h"

#include <fstream>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "dns/rrtype.h"
#include "tests/resolver-client/validator_test_util.h"

namespace flatns::replay {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) {
    if (w[0] == ';') break;
    out.push_back(w);
  }
  return out;
}

bool parse_address(const std::string& text, dns::ServerAddress& out) {
  std::string t = text;
  // testbound writes "ip@port".
  if (auto at = t.find('@'); at != std::string::npos) {
    std::string port = t.substr(at + 1);
    t = t.substr(0, at);
    t = t.find(':') != std::string::npos ? "[" + t + "]:" + port : t + ":" + port;
  }
  std::string error;
  return dns::ServerAddress::parse(t, 53, out, error);
}

// Paren depth change of one line outside comments and quotes.
int paren_delta(const std::string& line) {
  int d = 0;
  bool quote = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') quote = !quote;
    if (quote) continue;
    if (c == ';') break;
    d += c == '(' ? 1 : c == ')' ? -1 : 0;
  }
  return d;
}

class Reader {
 public:
  Reader(const std::string& path, Scenario& s) : path_(path), s_(s) {}

  bool run(std::string& error) {
    std::ifstream in(path_);
    if (!in) {
      error = path_ + ": cannot open";
      return false;
    }
    std::string line;
    while (std::getline(in, line)) lines_.push_back(line);
    try {
      read_config();
      read_scenario();
    } catch (const std::exception& e) {
      error = path_ + ":" + std::to_string(pos_) + ": " + e.what();
      return false;
    }
    return true;
  }

 private:
  bool next(std::string& line) {
    if (pos_ >= lines_.size()) return false;
    line = lines_[pos_++];
    return true;
  }
  void unsupported(const std::string& what) {
    s_.unsupported.push_back(what + " (line " + std::to_string(pos_) + ")");
  }

  void read_config() {
    std::string line, section;
    std::map<std::string, int> blocks;
    while (next(line)) {
      std::string t = trim(line);
      if (t.empty() || t[0] == ';' || t[0] == '#') continue;
      if (t == "CONFIG_END") return;
      if (t.rfind("COMMANDLINE", 0) == 0 || t.rfind("TEMPFILE_", 0) == 0 ||
          t.rfind("$INCLUDE_TEMPFILE", 0) == 0) {
        unsupported(words(t)[0]);
        continue;
      }
      if (t.rfind("AUTOTRUST_FILE", 0) == 0) {
        unsupported("AUTOTRUST_FILE");
        while (next(line) && trim(line) != "AUTOTRUST_END") {
        }
        continue;
      }
      // Unbound's config is a stream of tokens: "key:" then its value, up
      // to the next "key:" ("forward-zone: name: "." forward-addr: 1.2.3.4"
      // is one line of three options); section names take no value.
      std::vector<std::pair<std::string, bool>> toks;  // text, quoted
      {
        std::string cur;
        bool quote = false, quoted = false, have = false;
        for (char c : t) {
          if (c == '"') {
            quote = !quote;
            quoted = have = true;
            continue;
          }
          if (!quote && c == '#') break;
          if (!quote && (c == ' ' || c == '\t')) {
            if (have) toks.emplace_back(cur, quoted);
            cur.clear();
            have = quoted = false;
            continue;
          }
          cur += c;
          have = true;
        }
        if (have) toks.emplace_back(cur, quoted);
      }
      auto is_key = [](const std::pair<std::string, bool>& tok) {
        const std::string& k = tok.first;
        return !tok.second && k.size() > 1 && k.back() == ':' && std::isalpha(static_cast<unsigned char>(k[0])) &&
               k.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-:") == std::string::npos;
      };
      static const std::set<std::string> sections = {
          "server", "stub-zone", "forward-zone", "auth-zone", "remote-control", "rpz", "view",
          "python", "dynlib", "cachedb", "dnstap", "module-config-section"};
      if (toks.empty() || !is_key(toks[0])) {  // zone data of an auth-zone or local-zone block
        unsupported("config data line in " + section);
        continue;
      }
      for (std::size_t i = 0; i < toks.size();) {
        if (!is_key(toks[i])) throw std::runtime_error("config value without a key: " + toks[i].first);
        const std::string key = toks[i].first.substr(0, toks[i].first.size() - 1);
        ++i;
        if (sections.count(key) != 0) {
          section = key;
          ++blocks[section];
          continue;
        }
        std::string value;
        while (i < toks.size() && !is_key(toks[i])) {
          value += (value.empty() ? "" : " ") + toks[i].first;
          ++i;
        }
        s_.config.push_back({section, blocks[section], key, value, static_cast<int>(pos_)});
      }
    }
    throw std::runtime_error("no CONFIG_END");
  }

  void read_scenario() {
    std::string line;
    while (next(line)) {
      auto w = words(line);
      if (w.empty()) continue;
      if (w[0] == "SCENARIO_BEGIN") {
        s_.title = trim(trim(line).substr(std::string("SCENARIO_BEGIN").size()));
      } else if (w[0] == "SCENARIO_END") {
        return;
      } else if (w[0] == "RANGE_BEGIN") {
        read_range(w);
      } else if (w[0] == "STEP") {
        read_step(w);
      } else if (w[0] == "$ORIGIN" || w[0] == "$TTL") {
        directive(w);
      }  // anything else is ignored, as testbound does
    }
    throw std::runtime_error("no SCENARIO_END");
  }

  void directive(const std::vector<std::string>& w) {
    if (w.size() < 2) throw std::runtime_error(w[0] + " without a value");
    if (w[0] == "$ORIGIN") origin_ = dns::Name::parse(w[1]);
    if (w[0] == "$TTL") default_ttl_ = static_cast<uint32_t>(std::stoul(w[1]));
  }

  void read_range(const std::vector<std::string>& w) {
    if (w.size() < 3) throw std::runtime_error("RANGE_BEGIN without two steps");
    Range r;
    r.start = std::stoi(w[1]);
    r.end = std::stoi(w[2]);
    std::string line;
    while (next(line)) {
      auto v = words(line);
      if (v.empty()) continue;
      if (v[0] == "RANGE_END") {
        s_.ranges.push_back(std::move(r));
        return;
      }
      if (v[0] == "ADDRESS") {
        dns::ServerAddress a;
        if (v.size() < 2 || !parse_address(v[1], a)) throw std::runtime_error("bad ADDRESS");
        r.address = a;
      } else if (v[0] == "ENTRY_BEGIN") {
        r.entries.push_back(read_entry());
      } else if (v[0] == "$ORIGIN" || v[0] == "$TTL") {
        directive(v);
      } else {
        throw std::runtime_error("unexpected line in RANGE: " + trim(line));
      }
    }
    throw std::runtime_error("no RANGE_END");
  }

  void read_step(const std::vector<std::string>& w) {
    if (w.size() < 3) throw std::runtime_error("STEP without number and event");
    Step st;
    st.line = static_cast<int>(pos_);
    st.number = std::stoi(w[1]);
    st.kind_text = w[2];
    using K = Step::Kind;
    static const std::map<std::string, K> kinds = {
        {"NOTHING", K::Nothing},       {"QUERY", K::Query},     {"CHECK_ANSWER", K::CheckAnswer},
        {"CHECK_OUT_QUERY", K::CheckOutQuery}, {"REPLY", K::Reply}, {"TIMEOUT", K::Timeout},
        {"TIME_PASSES", K::TimePasses}, {"TRAFFIC", K::Traffic}, {"ERROR", K::Error},
        {"INFRA_RTT", K::InfraRtt}};
    auto k = kinds.find(w[2]);
    st.kind = k == kinds.end() ? K::Other : k->second;
    if (st.kind == K::Other) unsupported("STEP " + w[2]);
    if (st.kind == K::InfraRtt) {
      // INFRA_RTT <address> <zone> <msec> (testbound): the RTT the
      // resolver holds for a server, to steer its choice. Ours is per server,
      // not per server and zone.
      dns::ServerAddress a;
      if (w.size() != 6 || !parse_address(w[3], a)) {
        throw std::runtime_error("INFRA_RTT wants <address> <zone> <msec>");
      }
      st.address = a;
      st.rtt_ms = static_cast<uint32_t>(std::stoul(w[5]));
      s_.steps.push_back(std::move(st));
      return;
    }
    for (std::size_t i = 3; i < w.size(); ++i) {
      if (w[i] == "ADDRESS" && i + 1 < w.size()) {
        dns::ServerAddress a;
        if (!parse_address(w[++i], a)) throw std::runtime_error("bad ADDRESS " + w[i]);
        st.address = a;
      } else if (w[i] == "ELAPSE" && i + 1 < w.size()) {
        st.elapse_s = std::stod(w[++i]);
      } else if (w[i] == "EVAL") {
        unsupported("TIME_PASSES EVAL");
        break;
      }
    }
    if (st.kind == K::Query || st.kind == K::CheckAnswer || st.kind == K::CheckOutQuery ||
        st.kind == K::Reply) {
      std::string line;
      while (next(line)) {
        auto v = words(line);
        if (v.empty()) continue;
        if (v[0] != "ENTRY_BEGIN") throw std::runtime_error("STEP " + w[2] + " without an entry");
        st.entry = read_entry();
        break;
      }
    }
    s_.steps.push_back(std::move(st));
  }

  void match_line(const std::vector<std::string>& w, Entry& e) {
    for (std::size_t i = 1; i < w.size(); ++i) {
      const std::string& k = w[i];
      if (k == "opcode") e.match_opcode = true;
      else if (k == "qtype") e.match_qtype = true;
      else if (k == "qname") e.match_qname = true;
      else if (k == "subdomain") e.match_subdomain = true;
      else if (k == "question") e.match_question = true;
      else if (k == "all") e.match_all = true;
      else if (k == "ttl") e.match_ttl = true;
      else if (k == "DO") e.match_do = true;
      else if (k == "noedns") e.match_noedns = true;
      else if (k == "rcode") e.match_rcode = true;
      else if (k == "answer") e.match_answer = true;
      else if (k == "TCP") e.match_tcp = true;
      else if (k == "UDP") e.match_udp = true;
      else if (k.rfind("ede=", 0) == 0) e.match_ede = k == "ede=any" ? -1 : std::stoi(k.substr(4));
      else unsupported("MATCH " + k);
    }
  }

  void reply_line(const std::vector<std::string>& w, Entry& e) {
    static const std::map<std::string, uint16_t> rcodes = {
        {"NOERROR", 0}, {"FORMERR", 1}, {"SERVFAIL", 2}, {"NXDOMAIN", 3}, {"NOTIMPL", 4},
        {"REFUSED", 5}, {"YXDOMAIN", 6}, {"YXRRSET", 7}, {"NXRRSET", 8}, {"NOTAUTH", 9},
        {"NOTZONE", 10}};
    static const std::map<std::string, uint16_t> flags = {
        {"QR", dns::flag::QR}, {"AA", dns::flag::AA}, {"TC", dns::flag::TC}, {"RD", dns::flag::RD},
        {"CD", dns::flag::CD}, {"RA", dns::flag::RA}, {"AD", dns::flag::AD}};
    for (std::size_t i = 1; i < w.size(); ++i) {
      if (auto r = rcodes.find(w[i]); r != rcodes.end()) {
        e.flags = static_cast<uint16_t>((e.flags & ~0xF) | r->second);
      } else if (auto f = flags.find(w[i]); f != flags.end()) {
        e.flags |= f->second;
      } else if (w[i] == "DO") {
        e.do_bit = true;
      } else if (w[i] == "QUERY") {
      } else {
        unsupported("REPLY " + w[i]);
      }
    }
  }

  void add_record_text(const std::string& text, const std::string& section, Entry& e) {
    auto ls = testutil::logical_lines(text);
    if (ls.empty()) return;
    if (section == "QUESTION") {
      const auto& t = ls[0].tokens;
      e.message.has_question = true;
      e.message.qname = dns::Name::parse(t[0].text, &origin_);
      e.message.qclass = dns::rrclass::IN;
      if (t.size() < 2 || !dns::type_from_text(t.back().text, e.message.qtype)) {
        throw std::runtime_error("bad question " + trim(text));
      }
      if (t.size() == 3 && !dns::class_from_text(t[1].text, e.message.qclass)) {
        throw std::runtime_error("bad question class " + t[1].text);
      }
      return;
    }
    for (auto& l : ls) {
      l.blank_owner = false;
      auto rr = parse_lenient(l);
      if (section == "ANSWER") e.message.answer.push_back(std::move(rr));
      else if (section == "AUTHORITY") e.message.authority.push_back(std::move(rr));
      else if (section == "ADDITIONAL") e.message.additional.push_back(std::move(rr));
      else throw std::runtime_error("record outside a SECTION");
    }
  }

  // Scenarios feed deliberately malformed records ("A \\# 3 030405", an
  // RRSIG without signature), which our text parser rightly refuses: they
  // are built here as raw RDATA, as ldns builds them for testbound.
  dns::ResourceRecord parse_lenient(const testutil::LogicalLine& l) {
    try {
      return testutil::parse_record(l, origin_, last_owner_, default_ttl_);
    } catch (const std::exception&) {
      const auto& t = l.tokens;
      std::size_t hash = 0;
      while (hash < t.size() && t[hash].text != "\\#") ++hash;
      if (hash > 0 && hash + 1 < t.size()) {
        testutil::LogicalLine head = l;
        head.tokens.assign(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(hash));
        head.tokens.push_back({"\\#", false});
        head.tokens.push_back({"0", false});
        uint16_t type = 0;
        (void)dns::type_from_text(t[hash - 1].text, type);
        head.tokens[hash - 1].text = "TYPE65534";  // a type without a format: raw RDATA
        auto rr = testutil::parse_record(head, origin_, last_owner_, default_ttl_);
        rr.type = type;
        std::string hex;
        for (std::size_t i = hash + 2; i < t.size(); ++i) hex += t[i].text;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
          rr.rdata.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
        }
        return rr;
      }
      bool rrsig = false;
      for (const auto& tok : t) rrsig = rrsig || tok.text == "RRSIG";
      if (!rrsig) throw;
      testutil::LogicalLine padded = l;
      padded.tokens.push_back({"AA==", false});  // one zero octet, removed again
      auto rr = testutil::parse_record(padded, origin_, last_owner_, default_ttl_);
      rr.rdata.pop_back();
      return rr;
    }
  }

  Entry read_entry() {
    Entry e;
    e.line = static_cast<int>(pos_);
    std::string section, line;
    while (next(line)) {
      std::string t = trim(line);
      auto w = words(t);
      if (w.empty()) continue;
      if (w[0] == "ENTRY_END") {
        if (!e.hex_answer) {
          e.message.flags = e.flags;
          e.message.dnssec_ok = e.do_bit;
          e.message.has_edns = e.do_bit;
        }
        return e;
      }
      if (w[0] == "MATCH") {
        match_line(w, e);
      } else if (w[0] == "ADJUST") {
        for (std::size_t i = 1; i < w.size(); ++i) {
          if (w[i] == "copy_query") {
            e.copy_query = true;
            continue;
          }
          if (w[i] == "copy_id") {
            e.copy_id = true;
            continue;
          }
          if (w[i].rfind("sleep=", 0) == 0) {
            e.sleep_s = static_cast<unsigned>(std::stoul(w[i].substr(6)));
          } else {
            unsupported("ADJUST " + w[i]);
          }
        }
      } else if (w[0] == "REPLY") {
        reply_line(w, e);
      } else if (w[0] == "SECTION") {
        if (w.size() < 2) throw std::runtime_error("SECTION without a name");
        section = w[1];
      } else if (w[0] == "EXTRA_PACKET") {
        ++e.extra_packets;
        unsupported("EXTRA_PACKET");
      } else if (w[0] == "HEX_ANSWER_BEGIN") {
        read_hex_answer(e);
      } else if (w[0] == "HEX_EDNSDATA_BEGIN") {
        unsupported(w[0]);
        while (next(line) && trim(line).rfind("HEX_EDNSDATA_END", 0) != 0) {
        }
      } else if (w[0] == "$ORIGIN" || w[0] == "$TTL") {
        directive(w);
      } else {
        std::string text = t;
        int depth = paren_delta(t);
        while (depth > 0 && next(line)) {
          text += "\n" + line;
          depth += paren_delta(line);
        }
        add_record_text(text, section, e);
      }
    }
    throw std::runtime_error("no ENTRY_END");
  }

  // HEX_ANSWER_BEGIN ... HEX_ANSWER_END: the whole answer as hex octets
  // (testpkts.c), comments after ';' ignored. It is read as our transport
  // reads a datagram (uv_transport.cpp: MalformedRdata::KeepRaw); one that
  // does not parse is dropped there, so the entry answers nothing.
  void read_hex_answer(Entry& e) {
    std::string digits, line;
    const int begin = static_cast<int>(pos_);
    for (;;) {
      if (!next(line)) throw std::runtime_error("HEX_ANSWER_BEGIN without HEX_ANSWER_END");
      std::string t = trim(line);
      if (t.rfind("HEX_ANSWER_END", 0) == 0) break;
      if (auto c = t.find(';'); c != std::string::npos) t.resize(c);
      for (char ch : t) {
        if (std::isxdigit(static_cast<unsigned char>(ch))) {
          digits += ch;
        } else if (!std::isspace(static_cast<unsigned char>(ch))) {
          throw std::runtime_error("not a hex digit in HEX_ANSWER: " + std::string(1, ch));
        }
      }
    }
    if (digits.size() % 2 != 0) throw std::runtime_error("HEX_ANSWER from line " + std::to_string(begin) +
                               " has an odd number of hex digits");
    std::vector<uint8_t> packet;
    for (std::size_t i = 0; i < digits.size(); i += 2) {
      packet.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    }
    std::string error;
    dns::Message m;
    e.hex_answer = true;
    if (!dns::parse_message(packet, m, error, dns::MalformedRdata::KeepRaw)) {
      e.hex_unparseable = true;
      return;
    }
    e.flags = m.flags;
    e.do_bit = m.dnssec_ok;
    e.message = std::move(m);
  }

  std::string path_;
  Scenario& s_;
  std::vector<std::string> lines_;
  std::size_t pos_ = 0;
  dns::Name origin_ = dns::Name::root(), last_owner_ = dns::Name::root();
  uint32_t default_ttl_ = 3600;
};

}  // namespace

bool read_scenario(const std::string& path, Scenario& out, std::string& error) {
  out = Scenario{};
  out.file = path;
  return Reader(path, out).run(error);
}

std::string flags_text(uint16_t flags, bool do_bit) {
  std::string s;
  auto add = [&](uint16_t f, const char* name) {
    if (flags & f) s += std::string(s.empty() ? "" : " ") + name;
  };
  add(dns::flag::QR, "QR");
  add(dns::flag::AA, "AA");
  add(dns::flag::TC, "TC");
  add(dns::flag::RD, "RD");
  add(dns::flag::RA, "RA");
  add(dns::flag::AD, "AD");
  add(dns::flag::CD, "CD");
  if (do_bit) s += s.empty() ? "DO" : " DO";
  static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMPL", "REFUSED"};
  const unsigned rc = flags & 0xF;
  s += std::string(s.empty() ? "" : " ") + (rc < 6 ? names[rc] : "RCODE" + std::to_string(rc));
  return s;
}

}  // namespace flatns::replay

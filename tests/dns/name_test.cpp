// Domain names: presentation parsing with escapes and limits, comparison
// (RFC 4343 case rules, RFC 4034 §6.1 canonical order), label helpers.
#include <catch2/catch.hpp>

#include <algorithm>

#include "dns/name.h"

using namespace flatns::dns;

namespace {

std::string parse_error(std::string_view text, const Name* origin = nullptr) {
  Name n;
  std::string error;
  if (Name::from_text(text, origin, n, error)) return "<accepted>";
  return error;
}

std::vector<uint8_t> wire_of(std::string_view text) {
  const Name n = Name::parse(text);
  return {n.wire().begin(), n.wire().end()};
}

}  // namespace

TEST_CASE("names parse to wire form and print back", "[name]") {
  CHECK(wire_of("www.Example.com.") ==
        std::vector<uint8_t>{3, 'w', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
                             'm', 0});
  CHECK(wire_of(".") == std::vector<uint8_t>{0});
  CHECK(Name::parse("www.Example.com.").to_text() == "www.Example.com.");
  CHECK(Name::parse(".").to_text() == ".");
  CHECK(Name().is_root());
  const Name origin = Name::parse("example.com.");
  CHECK(Name::parse("www", &origin).to_text() == "www.example.com.");
  CHECK(Name::parse("@", &origin).to_text() == "example.com.");
  CHECK(Name::parse("a.b", &origin).labels() == 4);
}

TEST_CASE("escapes \\. and \\DDD in names", "[name]") {
  // "a.b" as one label.
  const Name dotted = Name::parse("a\\.b.example.");
  CHECK(dotted.labels() == 2);
  CHECK(dotted.wire()[0] == 3);
  CHECK(dotted.to_text() == "a\\.b.example.");
  // \DDD gives any octet; printing uses \DDD for non-printable ones.
  const Name binary = Name::parse("\\000\\255\\032x.example.");
  CHECK(binary.wire()[0] == 4);
  CHECK(binary.wire()[1] == 0);
  CHECK(binary.wire()[2] == 255);
  CHECK(binary.wire()[3] == ' ');
  CHECK(binary.to_text() == "\\000\\255\\032x.example.");
  // \065 is 'A'; printable octets print as themselves.
  CHECK(Name::parse("\\065bc.").to_text() == "Abc.");
  // Backslash, quote and parentheses are escaped on output.
  CHECK(Name::parse("a\\\\b\\\"c\\(d\\).").to_text() == "a\\\\b\\\"c\\(d\\).");
  // A trailing escaped dot does not make a name absolute.
  const Name origin = Name::parse("example.");
  CHECK(Name::parse("a\\.", &origin).to_text() == "a\\..example.");
}

TEST_CASE("bad names are rejected with a reason", "[name]") {
  CHECK(parse_error("") == "empty domain name");
  CHECK(parse_error("a..b.") == "empty label in domain name 'a..b.'");
  CHECK(parse_error(".a.") == "empty label in domain name '.a.'");
  CHECK(parse_error("a\\") == "domain name ends in a lone backslash");
  CHECK(parse_error("a\\25") == "bad \\DDD escape in domain name 'a\\25'");
  CHECK(parse_error("a\\256.") == "\\DDD escape above 255 in domain name 'a\\256.'");
  CHECK(parse_error("www") == "relative domain name 'www' but no origin is set");
  CHECK(parse_error("@") == "'@' used but no origin is set");
  CHECK_THROWS_AS(Name::parse("a..b."), std::invalid_argument);
}

TEST_CASE("labels are at most 63 octets and names at most 255", "[name]") {
  const std::string l63(63, 'a');
  const std::string l64(64, 'a');
  CHECK(parse_error(l63 + ".") == "<accepted>");
  CHECK(parse_error(l64 + ".") == "label longer than 63 octets in domain name '" + l64 + ".'");
  // An escaped octet counts once.
  std::string escaped63;
  for (int i = 0; i < 63; ++i) escaped63 += "\\097";
  CHECK(parse_error(escaped63 + ".") == "<accepted>");
  // 4 labels of 63 octets: 4 * 64 + 1 = 257 octets; 3 of 63 and one of 61: 255.
  const std::string n255 = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'a') + ".";
  const std::string n257 = l63 + "." + l63 + "." + l63 + "." + l63 + ".";
  CHECK(parse_error(n255) == "<accepted>");
  CHECK(Name::parse(n255).size() == 255);
  CHECK(parse_error(n257) == "domain name longer than 255 octets: '" + n257 + "'");
  // The limit applies after completing a relative name with the origin.
  const Name origin = Name::parse(l63 + "." + l63 + "." + l63 + ".");
  CHECK(parse_error(std::string(61, 'b'), &origin) == "<accepted>");
  CHECK(parse_error(std::string(62, 'b'), &origin).find("longer than 255 octets") !=
        std::string::npos);
}

TEST_CASE("comparisons ignore ASCII case only", "[name]") {
  CHECK(Name::parse("WWW.Example.COM.") == Name::parse("www.example.com."));
  CHECK_FALSE(Name::parse("www.example.com.") == Name::parse("www.example.net."));
  CHECK_FALSE(Name::parse("www.example.com.") == Name::parse("ww.wexample.com."));
  // Octets above 127 are not letters (RFC 4343 §3).
  CHECK_FALSE(Name::parse("\\200.") == Name::parse("\\232."));
  CHECK(name_hash(Name::parse("WWW.Example.COM.").wire()) ==
        name_hash(Name::parse("www.example.com.").wire()));
  CHECK(Name::parse("A.Example.").lowercased().to_text() == "a.example.");
}

TEST_CASE("RFC 4034 6.1 canonical order with the RFC's example list", "[name]") {
  const std::vector<std::string> in_order = {
      "example.",         "a.example.",     "yljkjljk.a.example.", "Z.a.example.",
      "zABC.a.EXAMPLE.",  "z.example.",     "\\001.z.example.",    "*.z.example.",
      "\\200.z.example."};
  std::vector<Name> names;
  for (const auto& t : in_order) names.push_back(Name::parse(t));
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    INFO(in_order[i] << " < " << in_order[i + 1]);
    CHECK(canonical_compare(names[i].wire(), names[i + 1].wire()) < 0);
    CHECK(canonical_compare(names[i + 1].wire(), names[i].wire()) > 0);
  }
  std::vector<Name> shuffled(names.rbegin(), names.rend());
  std::swap(shuffled[1], shuffled[5]);
  std::sort(shuffled.begin(), shuffled.end());
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(shuffled[i].to_text() == names[i].to_text());
  CHECK(canonical_compare(Name::parse("A.example.").wire(), Name::parse("a.EXAMPLE.").wire()) == 0);
  CHECK(canonical_compare(Name().wire(), Name::parse("example.").wire()) < 0);
}

TEST_CASE("subdomains, label counts and label stripping", "[name]") {
  const Name www = Name::parse("www.Example.com.");
  const Name example = Name::parse("example.COM.");
  CHECK(www.is_subdomain_of(example));
  CHECK(example.is_subdomain_of(example));
  CHECK(www.is_subdomain_of(Name()));
  CHECK_FALSE(example.is_subdomain_of(www));
  // Suffix match must be on a label boundary.
  CHECK_FALSE(Name::parse("www.badexample.com.").is_subdomain_of(example));
  CHECK_FALSE(Name::parse("xample.com.").is_subdomain_of(Name::parse("e.com.")));
  CHECK(label_count(Name().wire()) == 0);
  CHECK(www.labels() == 3);
  CHECK(name_to_text(strip_labels(www.wire(), 1)) == "Example.com.");
  CHECK(name_to_text(strip_labels(www.wire(), 3)) == ".");
  CHECK(name_to_text(strip_labels(www.wire(), 9)) == ".");
  CHECK(www.parent().to_text() == "Example.com.");
  CHECK(Name().parent().is_root());
  CHECK(example.prepend("*").to_text() == "*.example.COM.");
  CHECK(is_wildcard(example.prepend("*").wire()));
  CHECK_FALSE(is_wildcard(www.wire()));
  CHECK_FALSE(is_wildcard(Name::parse("\\*x.example.").wire()));
}

TEST_CASE("wire names are validated", "[name]") {
  Name n;
  const uint8_t good[] = {1, 'a', 0};
  CHECK(Name::from_wire(good, n));
  CHECK(n.to_text() == "a.");
  const uint8_t no_root[] = {1, 'a'};
  CHECK_FALSE(Name::from_wire(no_root, n));
  const uint8_t pointer[] = {0xC0, 0x00};
  CHECK_FALSE(Name::from_wire(pointer, n));
  const uint8_t trailing[] = {1, 'a', 0, 0};
  CHECK_FALSE(Name::from_wire(trailing, n));
  std::vector<uint8_t> long_name;
  for (int i = 0; i < 4; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.push_back(0);  // 257 octets
  CHECK_FALSE(Name::from_wire(long_name, n));
  NameBuffer buffer;
  buffer.assign(Name::parse("a.b.").wire());
  CHECK(name_to_text(buffer.view()) == "a.b.");
}

// NameHashes: the query path hashes the query name once and probes the zone
// set and the zone's index with the hashes of its suffixes, so every suffix
// and its hash must be exactly what strip_labels and name_hash give, for any
// case of the name (RFC 4343).
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dns/name.h"

using namespace flatns::dns;

namespace {

// Owner names of the IANA root zone in the corpus (first field of each record line).
std::vector<Name> root_zone_owners() {
  std::ifstream in(std::string(FLATNS_CORPUS_DIR) + "/root.zone");
  REQUIRE(in);
  std::set<std::string> seen;
  std::vector<Name> names;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ';' || line[0] == ' ' || line[0] == '\t' || line[0] == '$') continue;
    std::istringstream fields(line);
    std::string owner;
    fields >> owner;
    if (!seen.insert(owner).second) continue;
    names.push_back(Name::parse(owner));
  }
  return names;
}

std::vector<uint8_t> upper_cased(NameView name) {
  std::vector<uint8_t> out(name.begin(), name.end());
  for (auto& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<uint8_t>(c - 32);
  }
  return out;  // label length octets are below 64 and never change
}

void check_suffixes(NameView name) {
  NameHashes h;
  h.compute(name);
  REQUIRE(h.labels() == label_count(name));
  REQUIRE(h.name().data() == name.data());
  REQUIRE(h.name().size() == name.size());
  for (int strip = 0; strip <= h.labels(); ++strip) {
    const NameView want = strip_labels(name, strip);
    REQUIRE(h.suffix(strip).data() == want.data());
    REQUIRE(h.suffix(strip).size() == want.size());
    REQUIRE(h.suffix_size(strip) == want.size());
    REQUIRE(h.hash(strip) == name_hash(want));
  }
}

}  // namespace

TEST_CASE("NameHashes gives every suffix of a name with its name_hash", "[name]") {
  const std::vector<Name> owners = root_zone_owners();
  REQUIRE(owners.size() > 7000);  // 7,256 owner names (SOURCES.md)
  for (const Name& n : owners) {
    check_suffixes(n.wire());
    const std::vector<uint8_t> upper = upper_cased(n.wire());
    check_suffixes(upper);
    NameHashes a, b;
    a.compute(n.wire());
    b.compute(upper);
    for (int strip = 0; strip <= a.labels(); ++strip) REQUIRE(a.hash(strip) == b.hash(strip));
  }
  // The root, the longest names and labels of every length class.
  check_suffixes(Name::root().wire());
  std::string many;  // 127 one-octet labels: 254 octets and the root
  for (int i = 0; i < 127; ++i) many += "a.";
  check_suffixes(Name::parse(many).wire());
  std::string long_labels = std::string(63, 'x') + "." + std::string(62, 'Y') + "." + std::string(7, 'z') +
                            "." + std::string(8, 'w') + ".";
  check_suffixes(Name::parse(long_labels).wire());
}

TEST_CASE("name hashes depend on where the labels split", "[name]") {
  // The same octets cut into labels differently are different names.
  const Name a = Name::parse("ab.c."), b = Name::parse("a.bc."), c = Name::parse("abc.");
  CHECK(name_hash(a.wire()) != name_hash(b.wire()));
  CHECK(name_hash(a.wire()) != name_hash(c.wire()));
  CHECK(name_hash(Name::parse("www.example.com.").wire()) !=
        name_hash(Name::parse("example.com.www.").wire()));
}

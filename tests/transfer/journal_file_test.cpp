// The IXFR journal file (transfer/journal_file.h): what is written is read
// back whole; a damaged, cut, foreign or out-of-date file is refused with a
// reason, never read as a wrong history.
#include <catch2/catch.hpp>

#include <sstream>

#include "tests/support/temp_file.h"
#include "transfer/journal_file.h"
#include "zones/zone.h"
#include "zones/zone_set.h"

using namespace flatns;

namespace {

std::string version(int serial, const std::string& extra = "") {
  std::ostringstream z;
  z << "$ORIGIN j.example.\n$TTL 3600\n@ SOA ns1 hostmaster " << serial
    << " 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n";
  for (int i = 0; i < serial; ++i) z << "host" << i << " A 10.0.0." << i << "\n";
  return z.str() + extra;
}

std::shared_ptr<const zones::Zone> load(const std::string& text, const char* origin = "j.example.") {
  testing::TempFile file{text};
  auto r = zones::load_zone({dns::Name::parse(origin), file.path(), zones::FlattenMode::Off});
  REQUIRE(r.zone);
  return r.zone;
}

}  // namespace

TEST_CASE("IXFR journal file: read back whole, refused when it does not end at the zone served", "[transfer]") {
  const auto v1 = load(version(1)), v2 = load(version(2)), v3 = load(version(3));
  std::string why;
  auto journal = transfer::Journal::append(nullptr, transfer::diff_zones(*v1, *v2, why), {});
  journal = transfer::Journal::append(journal.get(), transfer::diff_zones(*v2, *v3, why), {});
  REQUIRE(journal->diffs().size() == 2);
  const auto bytes = encode_journal_file(v3->origin(), *journal, transfer::zone_digest(*v3));
  std::string error;

  SECTION("the same zone: the same differences") {
    auto back = transfer::decode_journal_file(bytes, *v3, transfer::zone_digest(*v3), {}, error);
    REQUIRE(back);
    REQUIRE(back->diffs().size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
      const auto& a = *journal->diffs()[i];
      const auto& b = *back->diffs()[i];
      CHECK(a.from == b.from);
      CHECK(a.to == b.to);
      CHECK(a.old_soa == b.old_soa);
      CHECK(a.new_soa == b.new_soa);
      CHECK(a.removed == b.removed);
      CHECK(a.added == b.added);
      CHECK(a.added_count == b.added_count);
      CHECK(a.removed_count == b.removed_count);
    }
    CHECK(back->since(1).size() == 2);
  }
  SECTION("bounds apply on reading: journal_depth 1 keeps the newest") {
    transfer::JournalLimits limits;
    limits.max_depth = 1;
    auto back = transfer::decode_journal_file(bytes, *v3, transfer::zone_digest(*v3), limits, error);
    REQUIRE(back);
    CHECK(back->diffs().size() == 1);
    CHECK(back->diffs().front()->from == 2);
  }
  SECTION("another serial served") {
    CHECK_FALSE(transfer::decode_journal_file(bytes, *v2, transfer::zone_digest(*v2), {}, error));
    CHECK(error.find("ends at serial 3 but the zone served is serial 2") != std::string::npos);
  }
  SECTION("the same serial with other records (edited while stopped)") {
    const auto edited = load(version(3, "extra A 10.9.9.9\n"));
    CHECK_FALSE(transfer::decode_journal_file(bytes, *edited, transfer::zone_digest(*edited), {}, error));
    CHECK(error.find("with other records") != std::string::npos);
  }
  SECTION("another zone's journal") {
    const auto other = load("$ORIGIN k.example.\n@ 3600 SOA ns1 h 3 1 1 1 1\n@ 3600 NS ns1\n", "k.example.");
    CHECK_FALSE(transfer::decode_journal_file(bytes, *other, transfer::zone_digest(*other), {}, error));
    CHECK(error.find("another zone") != std::string::npos);
  }
  SECTION("every cut and every flipped octet is refused, none crashes") {
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      std::span<const uint8_t> cut(bytes.data(), n);
      CHECK_FALSE(transfer::decode_journal_file(cut, *v3, transfer::zone_digest(*v3), {}, error));
      auto flipped = bytes;
      flipped[n] ^= 0x40;
      CHECK_FALSE(transfer::decode_journal_file(flipped, *v3, transfer::zone_digest(*v3), {}, error));
    }
  }
}

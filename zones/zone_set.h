// Loading zones and the set of zones one server answers from.
//
// A Zone is an immutable snapshot: once built it is shared read-only by all
// worker threads. A reload builds new Zone objects and a new ZoneSet; a zone
// whose file fails to load keeps its previous snapshot.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dns/name.h"
#include "zones/zone_file.h"

namespace flatns::zones {

enum class FlattenMode { Off, Apex, All };

// The signer of a zone signed online (signing::OnlineSigner derives from
// it). zones never looks inside: the answer hook that signs
// (flatten/flattener.h FlattenHook with signing/answer_signing.h) reaches it
// through Zone::signer(), so keys stay out of this layer.
class ZoneSigner {
 public:
  virtual ~ZoneSigner() = default;
};

struct ZoneConfig {
  dns::Name origin;
  std::string file;
  FlattenMode flatten = FlattenMode::Apex;
  // The zone is signed online (signing/): its keys are held, so names may
  // flatten in it, and denial is compact (RFC 9824), synthesised by the
  // signer rather than read from an NSEC chain.
  bool online_signed = false;
  // With online_signed: the keys and signature cache the zone is signed
  // with, for what the answer signs per query (signing/answer_signing.h).
  std::shared_ptr<const ZoneSigner> signer;
};

class Zone;

struct ZoneLoadResult {
  std::shared_ptr<const Zone> zone;     // null when errors is not empty
  std::vector<ZoneFileError> errors;    // parse errors and zone check failures
  std::vector<ZoneFileError> warnings;  // loaded anyway (e.g. TTLs differ in an RRset)
  std::size_t records = 0;
  std::vector<SourceFile> sources;      // the files read, as they were (zones/zone_source.h)
};

// Scans and checks the zone file, then builds the snapshot.
[[nodiscard]] ZoneLoadResult load_zone(const ZoneConfig& config);

// Builds a zone from records held in memory (the online signer's output):
// `produce` hands every record to the sink it is given; the same checks as
// load_zone run, errors named by each record's file and line.
// `sources` are the files the records came from (zones/zone_source.h), so a
// reload can tell the zone unchanged.
[[nodiscard]] ZoneLoadResult build_zone(const ZoneConfig& config,
                                        const std::function<void(const RecordViewSink&)>& produce,
                                        std::vector<SourceFile> sources = {});

class ZoneSet {
 public:
  ZoneSet() = default;
  explicit ZoneSet(std::vector<std::shared_ptr<const Zone>> zones);
  // The zone with the longest origin that `qname` is in, or null.
  [[nodiscard]] const Zone* find(dns::NameView qname) const;
  // The same from the hashes of the name's suffixes (no hashing here).
  [[nodiscard]] const Zone* find(const dns::NameHashes& qname) const;
  // The zone with exactly this origin, or null (one hash probe).
  [[nodiscard]] std::shared_ptr<const Zone> find_exact(const dns::Name& origin) const;
  const std::vector<std::shared_ptr<const Zone>>& zones() const { return zones_; }
  // Some zone here is signed online: answers need the signing stages.
  [[nodiscard]] bool any_online_signed() const { return any_online_signed_; }

 private:
  std::vector<std::shared_ptr<const Zone>> zones_;  // sorted, longest origin first
  std::vector<uint32_t> index_;  // open addressing by origin hash: indexes into zones_
  // Bit n set when some origin is n octets long: suffixes of other lengths
  // are not probed (with one zone, one probe per query).
  std::array<uint64_t, 4> origin_sizes_{};
  bool any_online_signed_ = false;
};

}  // namespace flatns::zones

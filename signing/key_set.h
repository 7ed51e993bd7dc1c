// The keys one zone is signed with: every BIND-format key pair for the zone
// in its keys folder (dns/key_file.h), and which of them are published and
// which sign what, from their timing fields (BIND's Publish, Activate,
// Inactive, Delete; RFC 6781 §4.1 pre-publication):
//
//  - published: Publish <= now < Delete; the DNSKEY RRset holds these;
//  - active: Activate <= now < Inactive (Delete when no Inactive); only
//    active keys sign, published or not, so an algorithm rollover can run
//    in RFC 6781 §4.1.4's order (signatures before the DNSKEY, the DNSKEY
//    withdrawn before the signatures); a key without an Activate time is
//    active while published;
//  - a SEP key (flags 257: KSK or CSK) signs DNSKEY, CDS and CDNSKEY; a
//    non-SEP key (ZSK) signs the rest; an algorithm with an active SEP key
//    and no active ZSK signs the rest with its SEP key (a CSK), so every
//    algorithm of the DNSKEY RRset signs every RRset (RFC 6840 §5.11);
//  - CDS (SHA-256) and CDNSKEY are published for the active, published SEP keys
//    (RFC 7344 §4, RFC 8078).
//
// A keys folder with no key file at all gets one new CSK of the policy's
// algorithm, written mode 0600 (as Knot's automatic key management does).
// Key files for other zones in the folder are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/key_file.h"
#include "signing/policy.h"

namespace flatns::signing {

struct ZoneKey {
  dns::KeyPair pair;
  bool has_private = false;
  bool published = false;
  bool active = false;
};

// A stamp of the key files of `zone` in `dir` (their names, sizes,
// modification times and inodes): a key added, removed or edited (timing
// fields changed by `dnssec-settime`) changes it. 0 when `dir` cannot be read.
[[nodiscard]] uint64_t key_folder_stamp(const dns::Name& zone, const std::string& dir);

class KeySet {
 public:
  // Reads the keys of `zone` in policy.keys_dir; makes a CSK when the
  // folder holds none (`made` then names its file). Errors name the file.
  // With `make_if_empty` false an empty folder is an error (flatns ds).
  [[nodiscard]] static bool load(const dns::Name& zone, const SigningPolicy& policy, int64_t now,
                                 KeySet& out, std::string& error, std::string* made = nullptr,
                                 bool make_if_empty = true);
  // Builds a key set from pairs already in memory (tests, keygen).
  static KeySet from_pairs(const dns::Name& zone, std::vector<ZoneKey> keys);

  const dns::Name& zone() const { return zone_; }
  const std::vector<ZoneKey>& keys() const { return keys_; }
  // DNSKEY RDATA of the published keys.
  [[nodiscard]] std::vector<std::vector<uint8_t>> dnskeys() const;
  // CDNSKEY RDATA (the DNSKEY RDATA) and CDS RDATA (digest type 2) of the
  // active SEP keys.
  [[nodiscard]] std::vector<std::vector<uint8_t>> cdnskeys() const;
  [[nodiscard]] std::vector<std::vector<uint8_t>> cds(uint8_t digest_type = 2) const;
  // The keys that sign the DNSKEY/CDS/CDNSKEY RRsets, and those that sign
  // everything else. Empty when no key can sign.
  [[nodiscard]] std::vector<const ZoneKey*> key_signers() const;
  [[nodiscard]] std::vector<const ZoneKey*> zone_signers() const;
  // The earliest timing field (Publish, Activate, Inactive, Delete) of any
  // key after `now`, when the key set changes by itself; 0 when none.
  [[nodiscard]] int64_t next_event(int64_t now) const;

 private:
  void classify(int64_t now);
  dns::Name zone_;
  std::vector<ZoneKey> keys_;
};

}  // namespace flatns::signing

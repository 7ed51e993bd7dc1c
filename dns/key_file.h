// DNSSEC key pairs in BIND's file format, as dnssec-keygen and ldns-keygen
// write them and Knot's `keymgr import-bind` reads them:
//
//  - K<zone>.+<alg>+<tag>.key: comments (";") and one DNSKEY record in
//    zone-file syntax (owner [TTL] [class] DNSKEY flags 3 alg base64...);
//  - K<zone>.+<alg>+<tag>.private: "Private-key-format: v1.2" or "v1.3",
//    "Algorithm: N (MNEMONIC)", "PrivateKey: base64" (the raw EC scalar or
//    EdDSA key, RFC 6605 / RFC 8080 as BIND writes them), then the optional
//    v1.3 timing fields Created, Publish, Activate, Inactive, Delete
//    (YYYYMMDDHHMMSS, UTC).
//
// Private files are written mode 0600 through a temporary file renamed into
// place; what is read from them is wiped as soon as the key object holds it.
// Error messages name the file and the field, never key material.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/dnssec_sign.h"
#include "dns/name.h"

namespace flatns::dns {

// Key event times in seconds since the epoch; 0: not set.
struct KeyTiming {
  int64_t created = 0;
  int64_t publish = 0;
  int64_t activate = 0;
  int64_t inactive = 0;
  int64_t remove = 0;  // BIND's "Delete"
};

struct KeyPair {
  Name owner;                  // the zone
  uint16_t flags = 0;          // 256 ZSK, 257 KSK/CSK (SEP)
  PrivateKey key;
  std::vector<uint8_t> dnskey; // DNSKEY RDATA
  uint16_t tag = 0;
  KeyTiming timing;
  std::string path;            // the .private file it was read from or written to

  bool sep() const { return (flags & kDnskeyFlagSep) != 0; }
};

// "Kexample.com.+013+01234": the file name without extension.
[[nodiscard]] std::string key_file_base(const Name& zone, uint8_t algorithm, uint16_t tag);

// Reads `base`.key and `base`.private (`base` may also end in ".key" or
// ".private"). Checks that both files hold the same key and algorithm.
[[nodiscard]] bool read_key_pair(const std::string& base, KeyPair& out, std::string& error);

// Reads only the public part (`base`.key): for keys whose private half is
// kept elsewhere. `out.key` stays invalid.
[[nodiscard]] bool read_public_key(const std::string& path, KeyPair& out, std::string& error);

// Writes the pair into `dir` as <key_file_base>.key (0644) and .private
// (0600) with the v1.3 timing fields; sets `pair.path`. Refuses to overwrite.
[[nodiscard]] bool write_key_pair(const std::string& dir, KeyPair& pair, std::string& error);

// A new key pair for `zone` (flags 257 for a CSK or KSK, 256 for a ZSK),
// every timing field set to `now`.
[[nodiscard]] bool generate_key_pair(const Name& zone, uint8_t algorithm, uint16_t flags,
                                     int64_t now, KeyPair& out, std::string& error);

// The .private files in `dir` (sorted); an unreadable folder sets `error`.
[[nodiscard]] bool list_key_files(const std::string& dir, std::vector<std::string>& private_files,
                                  std::string& error);

}  // namespace flatns::dns

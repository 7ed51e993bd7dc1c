// Trust anchors (RFC 4033 §2, RFC 7958 for the IANA root anchors): DS or
// DNSKEY records in zone-file syntax, one per line, "owner [ttl] [IN] DS|DNSKEY
// rdata..." with ';' comments and parentheses across lines, as
// `resolver.trust_anchors` names them. Without a file the built-in IANA root
// KSKs are used: KSK-2017 (key tag 20326) and KSK-2024 (key tag 38696), both
// as SHA-256 DS records.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "resolver-client/val_keyset.h"

namespace flatns::resolver {

class TrustAnchors {
 public:
  // The IANA root anchors.
  [[nodiscard]] static TrustAnchors builtin();

  // Adds the anchors of a file. False with `error` = "path:line: what" on the
  // first bad line; nothing is added then.
  [[nodiscard]] bool load_file(const std::string& path, std::string& error);
  // Same for text; `source` names it in errors.
  [[nodiscard]] bool add_text(std::string_view text, std::string_view source,
                              std::string& error);

  // The anchor of the deepest zone at or above `name`, or nullptr.
  [[nodiscard]] const DsSet* closest(const dns::Name& name) const;
  // The anchor of exactly `zone`, or nullptr.
  [[nodiscard]] const DsSet* find(const dns::Name& zone) const;
  [[nodiscard]] const std::vector<DsSet>& anchors() const { return anchors_; }
  [[nodiscard]] bool empty() const { return anchors_.empty(); }

 private:
  std::vector<DsSet> anchors_;  // one per zone, verdict Secure, ttl 0
};

}  // namespace flatns::resolver

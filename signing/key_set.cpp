#include "signing/key_set.h"

#include <sys/stat.h>

#include <algorithm>

namespace flatns::signing {

namespace {

bool in_window(int64_t from, int64_t until, int64_t now) {
  return (from == 0 || from <= now) && (until == 0 || now < until);
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

void KeySet::classify(int64_t now) {
  for (ZoneKey& k : keys_) {
    const dns::KeyTiming& t = k.pair.timing;
    // A key without timing fields (ldns-keygen writes none) is published and active.
    k.published = in_window(t.publish ? t.publish : t.activate, t.remove, now);
    // An explicit Activate time rules on its own, so a key can sign before
    // its DNSKEY is published and after it is withdrawn: RFC 6781 §4.1.4's
    // algorithm rollover ("new RRSIGs" first, "DNSKEY removal" before
    // "RRSIG removal"). A key deleted without an Inactive time stops then.
    const int64_t until = t.inactive ? t.inactive : t.remove;
    k.active = k.has_private && (t.activate ? in_window(t.activate, until, now)
                                            : k.published && in_window(0, t.inactive, now));
  }
}

KeySet KeySet::from_pairs(const dns::Name& zone, std::vector<ZoneKey> keys) {
  KeySet set;
  set.zone_ = zone;
  set.keys_ = std::move(keys);
  return set;
}

bool KeySet::load(const dns::Name& zone, const SigningPolicy& policy, int64_t now, KeySet& out,
                  std::string& error, std::string* made, bool make_if_empty) {
  out = KeySet();
  out.zone_ = zone;
  const std::string& dir = policy.keys_dir;
  if (!is_dir(dir) && (!make_if_empty || ::mkdir(dir.c_str(), 0700) != 0)) {
    error = dir + ": the keys folder does not exist and cannot be made";
    return false;
  }
  std::vector<std::string> privates;
  if (!dns::list_key_files(dir, privates, error)) return false;
  const std::string prefix = dns::key_file_base(zone, 0, 0).substr(0, 1 + zone.lowercased().to_text().size() + 1);
  for (const std::string& path : privates) {
    const std::string file = path.substr(path.rfind('/') + 1);
    if (file.compare(0, prefix.size(), prefix) != 0) continue;  // another zone's key
    ZoneKey key;
    if (!dns::read_key_pair(path, key.pair, error)) return false;
    if (!(key.pair.owner == zone)) {
      error = path + ": the key is for " + key.pair.owner.to_text() + ", not " + zone.to_text();
      return false;
    }
    key.has_private = true;
    out.keys_.push_back(std::move(key));
  }
  if (out.keys_.empty() && !make_if_empty) {
    error = dir + ": no key pair for " + zone.to_text() + " (flatns keygen makes one)";
    return false;
  }
  if (out.keys_.empty()) {
    ZoneKey key;
    if (!dns::generate_key_pair(zone, policy.algorithm, 257, now, key.pair, error)) {
      error = dir + ": making a CSK for " + zone.to_text() + ": " + error;
      return false;
    }
    if (!dns::write_key_pair(dir, key.pair, error)) return false;
    key.has_private = true;
    if (made) *made = key.pair.path;
    out.keys_.push_back(std::move(key));
  }
  out.classify(now);
  if (out.zone_signers().empty()) {
    error = dir + ": no active key for " + zone.to_text() + " (check Activate/Inactive times)";
    return false;
  }
  return true;
}

std::vector<std::vector<uint8_t>> KeySet::dnskeys() const {
  std::vector<std::vector<uint8_t>> out;
  for (const ZoneKey& k : keys_) {
    if (k.published) out.push_back(k.pair.dnskey);
  }
  return out;
}

std::vector<std::vector<uint8_t>> KeySet::cdnskeys() const {
  std::vector<std::vector<uint8_t>> out;
  for (const ZoneKey& k : keys_) {
    if (k.active && k.published && k.pair.sep()) out.push_back(k.pair.dnskey);
  }
  return out;
}

std::vector<std::vector<uint8_t>> KeySet::cds(uint8_t digest_type) const {
  std::vector<std::vector<uint8_t>> out;
  for (const ZoneKey& k : keys_) {
    if (!k.active || !k.published || !k.pair.sep()) continue;
    dns::Digest d;
    if (!dns::ds_digest(zone_.wire(), k.pair.dnskey, digest_type, d)) continue;
    std::vector<uint8_t> rd{static_cast<uint8_t>(k.pair.tag >> 8), static_cast<uint8_t>(k.pair.tag),
                            k.pair.key.algorithm(), digest_type};
    rd.insert(rd.end(), d.view().begin(), d.view().end());
    out.push_back(std::move(rd));
  }
  return out;
}

int64_t KeySet::next_event(int64_t now) const {
  int64_t next = 0;
  for (const ZoneKey& k : keys_) {
    const dns::KeyTiming& t = k.pair.timing;
    for (int64_t at : {t.publish, t.activate, t.inactive, t.remove}) {
      if (at > now && (next == 0 || at < next)) next = at;
    }
  }
  return next;
}

std::vector<const ZoneKey*> KeySet::key_signers() const {
  std::vector<const ZoneKey*> out;
  for (const ZoneKey& k : keys_) {
    if (k.active && k.pair.sep()) out.push_back(&k);
  }
  if (out.empty()) return zone_signers();  // ZSK-only sets sign their DNSKEYs themselves
  return out;
}

std::vector<const ZoneKey*> KeySet::zone_signers() const {
  std::vector<const ZoneKey*> out;
  for (const ZoneKey& k : keys_) {
    if (k.active && !k.pair.sep()) out.push_back(&k);
  }
  // Algorithms with an active SEP key but no active ZSK sign with it (CSK).
  for (const ZoneKey& k : keys_) {
    if (!k.active || !k.pair.sep()) continue;
    const bool covered = std::any_of(out.begin(), out.end(), [&](const ZoneKey* z) {
      return !z->pair.sep() && z->pair.key.algorithm() == k.pair.key.algorithm();
    });
    if (!covered) out.push_back(&k);
  }
  return out;
}

}  // namespace flatns::signing

namespace flatns::signing {

uint64_t key_folder_stamp(const dns::Name& zone, const std::string& dir) {
  std::vector<std::string> privates;
  std::string error;
  if (!dns::list_key_files(dir, privates, error)) return 0;
  std::sort(privates.begin(), privates.end());
  const std::string prefix = dns::key_file_base(zone, 0, 0).substr(0, 1 + zone.lowercased().to_text().size() + 1);
  uint64_t h = 14695981039346656037ULL;  // FNV-1a
  auto mix = [&](const void* data, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<const uint8_t*>(data)[i]) * 1099511628211ULL;
  };
  for (const std::string& path : privates) {
    const std::string file = path.substr(path.rfind('/') + 1);
    if (file.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string public_path = path.substr(0, path.size() - std::string(".private").size()) + ".key";
    for (const std::string& p : {path, public_path}) {
      struct stat st {};
      if (::stat(p.c_str(), &st) != 0) continue;
      const int64_t fields[] = {static_cast<int64_t>(st.st_size), static_cast<int64_t>(st.st_mtim.tv_sec),
                                static_cast<int64_t>(st.st_mtim.tv_nsec), static_cast<int64_t>(st.st_ino)};
      mix(p.data(), p.size());
      mix(fields, sizeof fields);
    }
  }
  return h;
}

}  // namespace flatns::signing

// Fuzzes the flattened-answer cache file reader (flatten::decode_cache_file)
// with arbitrary bytes. The checksum would stop almost every mutation at the
// header, so each input is read twice: as it is (the header and checksum
// checks), and with its checksum recomputed over what it holds, so that the
// entry parser sees the mutated entries. An accepted file must hold entries
// the flattener can serve (A/AAAA, at most kMaxCachedAddresses of the type's
// size, no failure) and read back the same after encoding them again.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dns/dnssec.h"
#include "dns/rrtype.h"
#include "flatten/cache_file.h"

using namespace flatns;

namespace {

constexpr flatten::CacheClocks kNow{uint64_t{500} * 86400 * 1000, 1'800'000'000'000};

void check(bool ok) {
  if (!ok) std::abort();
}

void check_entries(const flatten::CacheFileContents& contents) {
  for (const auto& e : contents.entries) {
    check(e.qtype == dns::rrtype::A || e.qtype == dns::rrtype::AAAA);
    check(e.address_count <= flatten::kMaxCachedAddresses);
    check(e.address_size == (e.qtype == dns::rrtype::A ? 4 : 16));
    check(e.kind != flatten::AnswerKind::None && !e.failed);
    check(e.name_length > 0 && e.validated_ms <= kNow.flatten_ms);
  }
}

void read(const std::vector<uint8_t>& bytes) {
  flatten::CacheFileContents contents;
  std::string error;
  if (!flatten::decode_cache_file(bytes, kNow, contents, error)) {
    check(!error.empty() && contents.entries.empty());
    return;
  }
  check_entries(contents);
  // Encoded again at the same "now", it reads back the same.
  const auto again = flatten::encode_cache_file(contents.entries, kNow);
  flatten::CacheFileContents second;
  check(flatten::decode_cache_file(again, kNow, second, error));
  check(second.entries.size() == contents.entries.size());
  for (std::size_t i = 0; i < second.entries.size(); ++i) {
    const auto& a = contents.entries[i];
    const auto& b = second.entries[i];
    check(a.name_length == b.name_length && std::memcmp(a.name, b.name, a.name_length) == 0);
    check(a.qtype == b.qtype && a.kind == b.kind && a.secure == b.secure && a.ttl_s == b.ttl_s);
    check(a.validated_ms == b.validated_ms && a.address_count == b.address_count);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  read(bytes);
  if (size >= flatten::kCacheFileHeader) {
    const std::span<const uint8_t> parts[] = {std::span<const uint8_t>(bytes).first(flatten::kCacheFileHeader - 32),
                                              std::span<const uint8_t>(bytes).subspan(flatten::kCacheFileHeader)};
    dns::Digest digest;
    if (dns::sha_digest(dns::DigestAlg::sha256, parts, digest)) {
      std::memcpy(bytes.data() + flatten::kCacheFileHeader - 32, digest.bytes.data(), 32);
      read(bytes);
    }
  }
  return 0;
}

#include "flatten/cache_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dns/dnssec.h"
#include "dns/rrtype.h"

namespace flatns::flatten {

namespace {

constexpr uint8_t kMagic[8] = {'F', 'L', 'A', 'T', 'N', 'S', 'A', 'C'};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { u8(static_cast<uint8_t>(v >> 8)), u8(static_cast<uint8_t>(v)); }
  void u32(uint32_t v) { u16(static_cast<uint16_t>(v >> 16)), u16(static_cast<uint16_t>(v)); }
  void u64(uint64_t v) { u32(static_cast<uint32_t>(v >> 32)), u32(static_cast<uint32_t>(v)); }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

 private:
  std::vector<uint8_t>& out_;
};

// Every read checks what is left first; after a failed read ok() stays false.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::size_t offset() const { return at_; }
  [[nodiscard]] std::size_t left() const { return in_.size() - at_; }
  std::span<const uint8_t> take(std::size_t n) {
    if (!ok_ || n > left()) {
      ok_ = false;
      return {};
    }
    auto out = in_.subspan(at_, n);
    at_ += n;
    return out;
  }
  uint64_t number(std::size_t octets) {
    uint64_t v = 0;
    for (uint8_t b : take(octets)) v = v << 8 | b;
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(number(1)); }
  uint16_t u16() { return static_cast<uint16_t>(number(2)); }
  uint32_t u32() { return static_cast<uint32_t>(number(4)); }
  uint64_t u64() { return number(8); }

 private:
  std::span<const uint8_t> in_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

// SHA-256 over the header's fields before it and the body.
bool body_digest(std::span<const uint8_t> header, std::span<const uint8_t> body, dns::Digest& out) {
  const std::span<const uint8_t> parts[] = {header, body};
  return dns::sha_digest(dns::DigestAlg::sha256, parts, out) && out.size == 32;
}

uint32_t seconds_left(const CachedAnswer& e, uint64_t now_ms) {
  return e.fresh(now_ms) ? static_cast<uint32_t>((e.expires_ms() - now_ms) / 1000) : 0;
}

void encode_entry(Writer& w, const CachedAnswer& e, CacheClocks now) {
  const uint64_t age_ms = now.flatten_ms > e.validated_ms ? now.flatten_ms - e.validated_ms : 0;
  w.u8(e.name_length);
  w.bytes({e.name, e.name_length});
  w.u16(e.qtype);
  w.u8(static_cast<uint8_t>(e.kind));
  w.u8(e.secure ? 1 : 0);
  w.u64(now.wall_ms > age_ms ? now.wall_ms - age_ms : 0);
  w.u32(e.ttl_s);
  w.u32(std::min(seconds_left(e, now.flatten_ms), e.ttl_s));
  const uint8_t count = e.kind == AnswerKind::Addresses ? e.address_count : 0;
  w.u8(count);
  for (uint8_t i = 0; i < count; ++i) w.bytes(e.address(i));
}

bool persistable(const CachedAnswer& e) {
  // Only validated answers: an entry that only ever failed has kind None.
  if (e.kind == AnswerKind::None || e.name_length == 0) return false;
  if (e.zero_ttl) return false;  // never served stale, gone before any restart
  if (e.qtype != dns::rrtype::A && e.qtype != dns::rrtype::AAAA) return false;
  const uint8_t size = e.qtype == dns::rrtype::A ? 4 : 16;
  return e.kind != AnswerKind::Addresses ||
         (e.address_size == size && e.address_count > 0 && e.address_count <= kMaxCachedAddresses);
}

std::vector<uint8_t> finish(std::vector<uint8_t> body, uint32_t count, CacheClocks now) {
  std::vector<uint8_t> out;
  out.reserve(kCacheFileHeader + body.size());
  Writer w(out);
  w.bytes(kMagic);
  w.u32(kCacheFileVersion);
  w.u64(now.wall_ms);
  w.u32(count);
  w.u32(static_cast<uint32_t>(body.size()));
  dns::Digest digest;
  if (!body_digest(out, body, digest)) digest.bytes.fill(0);  // OpenSSL failed: the reader rejects it
  w.bytes({digest.bytes.data(), 32});
  w.bytes(body);
  return out;
}

// One entry; false with `error` naming what is wrong.
bool decode_entry(Reader& r, CacheClocks now, CachedAnswer& e, std::string& error) {
  const std::size_t start = r.offset();
  const uint8_t length = r.u8();
  const auto name = r.take(length);
  dns::Name parsed;
  if (!r.ok() || length == 0 || !dns::Name::from_wire(name, parsed) || parsed.size() != length) {
    error = "bad target name in the entry at octet " + std::to_string(start);
    return false;
  }
  const uint16_t qtype = r.u16();
  const uint8_t kind = r.u8();
  const uint8_t verdict = r.u8();
  const uint64_t validated_wall = r.u64();
  const uint32_t ttl = r.u32();
  const uint32_t left = r.u32();
  const uint8_t count = r.u8();
  const uint8_t size = qtype == dns::rrtype::AAAA ? 16 : 4;
  if (!r.ok() || (qtype != dns::rrtype::A && qtype != dns::rrtype::AAAA) || kind < 1 || kind > 3 || verdict > 1 ||
      left > ttl || count > kMaxCachedAddresses ||
      (count > 0) != (kind == static_cast<uint8_t>(AnswerKind::Addresses))) {
    error = "bad fields in the entry at octet " + std::to_string(start);
    return false;
  }
  e = CachedAnswer{};
  e.set_key(name, qtype);
  e.kind = static_cast<AnswerKind>(kind);
  e.secure = verdict == 1;
  e.ttl_s = ttl;
  e.address_size = size;
  e.address_count = count;
  for (uint8_t i = 0; i < count; ++i) {
    const auto address = r.take(size);
    if (!r.ok()) {
      error = "entry at octet " + std::to_string(start) + " ends early";
      return false;
    }
    std::memcpy(e.addresses[i], address.data(), size);
  }
  // Its age on the wall clock, placed on the flatten clock: the TTL and the
  // stale window count from when it was validated, not from the restart. A
  // validation time in the future (the wall clock went back) counts as now.
  const uint64_t age_ms = now.wall_ms > validated_wall ? now.wall_ms - validated_wall : 0;
  e.validated_ms = now.flatten_ms > age_ms ? now.flatten_ms - age_ms : 0;
  return true;
}

std::string system_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::vector<uint8_t> encode_cache_file(std::span<const CachedAnswer> entries, CacheClocks now) {
  std::vector<uint8_t> body;
  Writer w(body);
  uint32_t count = 0;
  for (const auto& e : entries) {
    if (!persistable(e)) continue;
    encode_entry(w, e, now);
    ++count;
  }
  return finish(std::move(body), count, now);
}

std::vector<uint8_t> encode_cache_file(const FlattenCache& cache, CacheClocks now) {
  std::vector<uint8_t> body;
  Writer w(body);
  uint32_t count = 0;
  cache.for_each([&](const CachedAnswer& e) {
    if (!persistable(e)) return;
    encode_entry(w, e, now);
    ++count;
  });
  return finish(std::move(body), count, now);
}

bool decode_cache_file(std::span<const uint8_t> bytes, CacheClocks now, CacheFileContents& out, std::string& error) {
  out = CacheFileContents{};
  Reader r(bytes);
  const auto magic = r.take(sizeof kMagic);
  if (!r.ok() || !std::equal(magic.begin(), magic.end(), kMagic)) {
    error = bytes.empty() ? "empty file" : "not a flatns cache file (no FLATNSAC header)";
    return false;
  }
  const uint32_t version = r.u32();
  if (r.ok() && version != kCacheFileVersion) {
    error = "written in format version " + std::to_string(version) + ", this flatns reads version " +
            std::to_string(kCacheFileVersion);
    return false;
  }
  out.saved_wall_ms = r.u64();
  const uint32_t count = r.u32();
  const uint32_t body_length = r.u32();
  const auto checksum = r.take(32);
  if (!r.ok()) {
    error = "truncated in its header (" + std::to_string(bytes.size()) + " octets)";
    return false;
  }
  if (body_length != r.left()) {
    error = "the header says " + std::to_string(body_length) + " octets of entries, the file has " +
            std::to_string(r.left()) + " (truncated or appended to)";
    return false;
  }
  const auto body = bytes.subspan(r.offset());
  dns::Digest digest;
  if (!body_digest(bytes.first(kCacheFileHeader - 32), body, digest) || !std::equal(checksum.begin(), checksum.end(), digest.bytes.begin())) {
    error = "checksum mismatch";
    return false;
  }
  // Each entry takes at least 25 octets: a count beyond that is a lie.
  if (count > body.size() / 25) {
    error = "the header says " + std::to_string(count) + " entries, more than " + std::to_string(body.size()) +
            " octets can hold";
    return false;
  }
  out.entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    CachedAnswer e;
    if (!decode_entry(r, now, e, error)) {
      out.entries.clear();
      return false;
    }
    out.entries.push_back(e);
  }
  if (r.left() != 0) {
    error = std::to_string(r.left()) + " octets after the last entry";
    out.entries.clear();
    return false;
  }
  return true;
}

bool write_cache_file(const std::string& path, std::span<const uint8_t> bytes, std::string& error) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = system_error("cannot create", temporary);
    return false;
  }
  // A file left by an older run with wider permissions is narrowed too.
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t written = 0;
  while (ok && written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else written += static_cast<std::size_t>(n);
  }
  if (ok) ok = ::fsync(fd) == 0;
  if (!ok) error = system_error("cannot write", temporary);
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = system_error("cannot write", temporary);
  }
  if (ok && ::rename(temporary.c_str(), path.c_str()) != 0) {
    ok = false;
    error = system_error("cannot rename " + temporary + " to", path);
  }
  if (!ok) {
    ::unlink(temporary.c_str());
    return false;
  }
  // The rename itself is durable once the folder is synced.
  std::string folder = std::filesystem::path(path).parent_path().string();
  if (folder.empty()) folder = ".";
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return true;
}

bool read_cache_file(const std::string& path, std::size_t max_bytes, std::vector<uint8_t>& bytes, bool& missing,
                     std::string& error) {
  bytes.clear();
  missing = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    missing = errno == ENOENT;
    error = system_error("cannot open", path);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    error = path + ": " + std::to_string(st.st_size) + " octets, more than " + std::to_string(max_bytes) +
            " that flatten.cache_entries can need";
    ::close(fd);
    return false;
  }
  bytes.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = system_error("cannot read", path);
      ::close(fd);
      return false;
    }
    if (n == 0) break;  // shrank meanwhile: the checksum will say so
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  ::close(fd);
  return true;
}

}  // namespace flatns::flatten

#include "zones/zone_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flatns::zones {
namespace {

constexpr uint64_t kMultiplier = 0x9e3779b97f4a7c15ull;

uint64_t mix(uint64_t h, uint64_t word) {
  h = (h ^ word) * kMultiplier;
  return h ^ (h >> 29);
}

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

bool same_content(const SourceFile& source) {
  const int fd = ::open(source.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::vector<char> text;
  char chunk[65536];
  bool ok = true;
  while (true) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) ok = false;
    if (got <= 0) break;
    text.insert(text.end(), chunk, chunk + got);
  }
  ::close(fd);
  return ok && text.size() == source.size &&
         content_hash(std::string_view(text.data(), text.size())) == source.content_hash;
}

}  // namespace

uint64_t content_hash(std::string_view octets) {
  uint64_t h = kMultiplier ^ octets.size();
  std::size_t i = 0;
  for (; i + 8 <= octets.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, octets.data() + i, 8);
    h = mix(h, word);
  }
  uint64_t tail = 0;
  if (i < octets.size()) std::memcpy(&tail, octets.data() + i, octets.size() - i);
  return mix(mix(h, tail), octets.size());
}

bool sources_unchanged(const std::vector<SourceFile>& sources) {
  if (sources.empty()) return false;
  for (const SourceFile& source : sources) {
    struct stat st {};
    if (::stat(source.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    if (static_cast<uint64_t>(st.st_size) == source.size && mtime_ns(st) == source.mtime_ns &&
        static_cast<uint64_t>(st.st_ino) == source.inode) {
      continue;
    }
    if (!same_content(source)) return false;
  }
  return true;
}

}  // namespace flatns::zones

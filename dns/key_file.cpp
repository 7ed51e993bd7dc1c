// BIND-format key files (see key_file.h).
#include "dns/key_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>

#include "dns/encoding.h"

namespace flatns::dns {

namespace {

// File contents that are wiped when dropped (the private file is read here).
class FileText {
 public:
  ~FileText() { secure_wipe(text_.data(), text_.size()); }
  std::string_view view() const { return text_; }
  std::string& text() { return text_; }

 private:
  std::string text_;
};

bool read_file(const std::string& path, FileText& out, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64 * 1024) {
    ::close(fd);
    error = path + ": not a regular key file of at most 64 KiB";
    return false;
  }
  // Sized once so the secret never lands in a buffer that is then reallocated.
  out.text().assign(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.text().size()) {
    const ssize_t n = ::read(fd, out.text().data() + got, out.text().size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.text().resize(got);
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(static_cast<uint8_t>(x)) == ascii_lower(static_cast<uint8_t>(y));
         });
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    f(line, ++line_no);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// YYYYMMDDHHMMSS (UTC) -> seconds since the epoch; false when malformed.
bool parse_time(std::string_view s, int64_t& out) {
  s = trim(s);
  if (s.size() != 14 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  out = static_cast<int64_t>(::timegm(&tm));
  return true;
}

std::string format_time(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

std::string strip_extension(const std::string& path) {
  for (const char* ext : {".private", ".key"}) {
    const std::size_t n = std::strlen(ext);
    if (path.size() > n && path.compare(path.size() - n, n, ext) == 0) {
      return path.substr(0, path.size() - n);
    }
  }
  return path;
}

// The DNSKEY line of a .key file.
bool parse_public(std::string_view text, const std::string& path, KeyPair& out,
                  std::string& error) {
  bool found = false;
  for_each_line(text, [&](std::string_view line, std::size_t line_no) {
    if (found || !error.empty()) return;
    const std::size_t semi = line.find(';');
    if (semi != std::string_view::npos) line = line.substr(0, semi);
    std::vector<std::string_view> tokens;
    std::size_t pos = 0;
    while (pos < line.size()) {
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r' ||
                                   line[pos] == '(' || line[pos] == ')')) {
        ++pos;
      }
      const std::size_t start = pos;
      while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t' && line[pos] != '\r' &&
             line[pos] != '(' && line[pos] != ')') {
        ++pos;
      }
      if (pos > start) tokens.push_back(line.substr(start, pos - start));
    }
    if (tokens.empty()) return;
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    auto it = std::find_if(tokens.begin(), tokens.end(),
                           [](std::string_view t) { return iequal(t, "DNSKEY"); });
    if (it == tokens.end() || tokens.end() - it < 5) {
      error = where + "expected one DNSKEY record (owner DNSKEY flags 3 algorithm key)";
      return;
    }
    std::string name_error;
    if (tokens[0].empty() || tokens[0].back() != '.' ||
        !Name::from_text(tokens[0], nullptr, out.owner, name_error)) {
      error = where + "the DNSKEY owner must be an absolute name" +
              (name_error.empty() ? "" : ": " + name_error);
      return;
    }
    const int flags = std::atoi(std::string(it[1]).c_str());
    const int protocol = std::atoi(std::string(it[2]).c_str());
    const int algorithm = std::atoi(std::string(it[3]).c_str());
    std::string b64;
    for (auto k = it + 4; k != tokens.end(); ++k) b64.append(*k);
    std::vector<uint8_t> key;
    if (flags < 0 || flags > 0xFFFF || protocol != kDnskeyProtocol || algorithm <= 0 ||
        algorithm > 255 || !base64_decode(b64, key) || key.empty()) {
      error = where + "malformed DNSKEY (flags, protocol 3, algorithm, base64 key)";
      return;
    }
    out.flags = static_cast<uint16_t>(flags);
    out.dnskey = dnskey_rdata(out.flags, static_cast<uint8_t>(algorithm), key);
    out.tag = key_tag(out.dnskey);
    found = true;
  });
  if (!found && error.empty()) error = path + ": no DNSKEY record";
  return found && error.empty();
}

bool parse_private(std::string_view text, const std::string& path, KeyPair& out,
                   std::string& error) {
  int algorithm = -1;
  bool have_key = false;
  SecretBytes secret;
  for_each_line(text, [&](std::string_view line, std::size_t line_no) {
    if (!error.empty()) return;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view field = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    if (iequal(field, "Algorithm")) {
      algorithm = std::atoi(std::string(value.substr(0, value.find(' '))).c_str());
    } else if (iequal(field, "PrivateKey")) {
      std::vector<uint8_t> decoded;
      decoded.reserve(value.size());
      const bool ok = base64_decode(value, decoded);
      if (ok) {
        secret.resize(decoded.size());
        std::memcpy(secret.data(), decoded.data(), decoded.size());
      }
      secure_wipe(decoded.data(), decoded.size());
      if (!ok) error = where + "PrivateKey is not base64";
      have_key = ok;
    } else {
      int64_t* slot = iequal(field, "Created")    ? &out.timing.created
                      : iequal(field, "Publish")  ? &out.timing.publish
                      : iequal(field, "Activate") ? &out.timing.activate
                      : iequal(field, "Inactive") ? &out.timing.inactive
                      : iequal(field, "Delete")   ? &out.timing.remove
                                                  : nullptr;
      if (slot && !parse_time(value, *slot)) {
        error = where + std::string(field) + " is not a YYYYMMDDHHMMSS time";
      }
    }
  });
  if (!error.empty()) return false;
  if (algorithm < 0 || !have_key) {
    error = path + ": Algorithm or PrivateKey missing";
    return false;
  }
  if (!signing_algorithm_supported(static_cast<uint8_t>(algorithm))) {
    error = path + ": algorithm " + std::to_string(algorithm) +
            " is not supported for signing (13, 14, 15 or 16)";
    return false;
  }
  std::string key_error;
  if (!PrivateKey::from_secret(static_cast<uint8_t>(algorithm), secret.view(), out.key,
                               key_error)) {
    error = path + ": PrivateKey: " + key_error;
    return false;
  }
  return true;
}

bool write_file(const std::string& path, std::string_view text, mode_t mode, std::string& error) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    error = tmp + ": " + std::strerror(errno);
    return false;
  }
  ::fchmod(fd, mode);  // whatever the umask
  std::size_t done = 0;
  bool ok = true;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  if (!ok) error = tmp + ": " + std::strerror(errno);
  ::close(fd);
  if (ok && ::link(tmp.c_str(), path.c_str()) != 0) {  // link: never replaces a file
    error = path + ": " + std::strerror(errno);
    ok = false;
  }
  ::unlink(tmp.c_str());
  return ok;
}

}  // namespace

std::string key_file_base(const Name& zone, uint8_t algorithm, uint16_t tag) {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "+%03u+%05u", algorithm, tag);
  std::string name = zone.lowercased().to_text();
  return "K" + name + suffix;
}

bool read_public_key(const std::string& path, KeyPair& out, std::string& error) {
  error.clear();
  FileText text;
  if (!read_file(path, text, error)) return false;
  return parse_public(text.view(), path, out, error);
}

bool read_key_pair(const std::string& base_path, KeyPair& out, std::string& error) {
  const std::string base = strip_extension(base_path);
  if (!read_public_key(base + ".key", out, error)) return false;
  const std::string private_path = base + ".private";
  FileText text;
  if (!read_file(private_path, text, error)) return false;
  error.clear();
  if (!parse_private(text.view(), private_path, out, error)) return false;
  DnskeyRdata pub;
  if (!parse_dnskey(out.dnskey, pub) || pub.algorithm != out.key.algorithm() ||
      !std::equal(pub.public_key.begin(), pub.public_key.end(), out.key.public_key().begin(),
                  out.key.public_key().end())) {
    error = private_path + ": the private key does not match the DNSKEY in " + base + ".key";
    out.key = PrivateKey();
    return false;
  }
  out.path = private_path;
  return true;
}

bool write_key_pair(const std::string& dir, KeyPair& pair, std::string& error) {
  const uint8_t alg = pair.key.algorithm();
  const std::string base =
      (dir.empty() ? std::string() : dir + "/") + key_file_base(pair.owner, alg, pair.tag);
  DnskeyRdata pub;
  if (!parse_dnskey(pair.dnskey, pub)) {
    error = base + ".key: no DNSKEY to write";
    return false;
  }
  const std::string owner = pair.owner.lowercased().to_text();
  std::string key_text = "; This is a " +
                         std::string(pair.sep() ? "key-signing key (or CSK)" : "zone-signing key") +
                         ", keyid " + std::to_string(pair.tag) + ", for " + owner + "\n; Created: " +
                         format_time(pair.timing.created) + "\n" + owner + " IN DNSKEY " +
                         std::to_string(pair.flags) + " 3 " + std::to_string(alg) + " " +
                         base64_encode(pub.public_key) + "\n";
  if (!write_file(base + ".key", key_text, 0644, error)) return false;

  SecretBytes secret;
  if (!pair.key.secret(secret)) {
    error = base + ".private: the private key cannot be exported";
    return false;
  }
  FileText text;
  std::string& t = text.text();
  t.reserve(512);  // one allocation: the secret is never copied by a regrowth
  t += "Private-key-format: v1.3\nAlgorithm: ";
  t += std::to_string(alg) + " (" + signing_algorithm_mnemonic(alg) + ")\nPrivateKey: ";
  std::string b64 = base64_encode(secret.view());
  t += b64;
  secure_wipe(b64.data(), b64.size());
  t += "\n";
  const std::pair<const char*, int64_t> times[] = {
      {"Created", pair.timing.created},   {"Publish", pair.timing.publish},
      {"Activate", pair.timing.activate}, {"Inactive", pair.timing.inactive},
      {"Delete", pair.timing.remove}};
  for (const auto& [field, when] : times) {
    if (when) t += std::string(field) + ": " + format_time(when) + "\n";
  }
  if (!write_file(base + ".private", t, 0600, error)) {
    ::unlink((base + ".key").c_str());
    return false;
  }
  pair.path = base + ".private";
  return true;
}

bool generate_key_pair(const Name& zone, uint8_t algorithm, uint16_t flags, int64_t now,
                       KeyPair& out, std::string& error) {
  if (!PrivateKey::generate(algorithm, out.key, error)) return false;
  out.owner = zone;
  out.flags = flags;
  out.dnskey = dnskey_rdata(flags, algorithm, out.key.public_key());
  out.tag = key_tag(out.dnskey);
  out.timing = KeyTiming{now, now, now, 0, 0};
  return true;
}

bool list_key_files(const std::string& dir, std::vector<std::string>& files, std::string& error) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    error = dir + ": " + std::strerror(errno);
    return false;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name.size() > 9 && name[0] == 'K' && name.ends_with(".private")) {
      files.push_back(dir + "/" + std::string(name));
    }
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return true;
}

}  // namespace flatns::dns

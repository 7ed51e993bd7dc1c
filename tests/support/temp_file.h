// Test helpers for temporary files: every one is made under $TMPDIR (or /tmp
// when it is unset), as mkstemp(3) users are expected to, so a test run on a
// machine whose /tmp is small or shared can be pointed elsewhere.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace flatns::testing {

// "$TMPDIR/<prefix>-XXXXXX", a template for mkstemp/mkdtemp.
inline std::string temp_template(const std::string& prefix) {
  const char* dir = std::getenv("TMPDIR");
  std::string base = dir != nullptr && *dir != '\0' ? dir : "/tmp";
  return base + "/" + prefix + "-XXXXXX";
}

// A folder made with mkdtemp under $TMPDIR; its path (not removed: tests that
// use it keep their files for a look after a failure).
inline std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = temp_template(prefix);
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
  return tmpl;
}

// A file with the given contents, removed when the object goes out of scope
// (zone files for load and answer tests).
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    std::string tmpl = temp_template("flatns-test");
    const int fd = mkstemp(tmpl.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed for " + tmpl);
    ::close(fd);
    path_ = tmpl;
    std::ofstream(path_) << contents;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace flatns::testing

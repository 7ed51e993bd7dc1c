// The master-file scanner (RFC 1035 §5.1, RFC 2308 §4 $TTL, BIND's $GENERATE).
//
// It only scans: each record is handed to a callback in file order, with the
// file and line it came from; building a zone from them is zone_builder's job.
// Errors carry file:line and what was expected, and scanning goes on after
// an error so that check-zone can report every problem in one run.
//
// Behaviour where the RFCs leave room, as BIND reads files:
//  - an omitted TTL is $TTL; without $TTL, the previous record's TTL; for the
//    very first record, the SOA MINIMUM when it is the SOA, else default_ttl;
//  - TTL and class may come in either order; only class IN is accepted;
//    a TTL above 2^31-1 becomes 0 (RFC 2181 §8), one above 2^32-1 is an error;
//  - $INCLUDE paths are relative to the including file's folder; the included
//    file starts with the given (or current) origin and no previous owner, and
//    neither leaks back; $TTL set inside it stays in force;
//  - $GENERATE substitutes $ and ${offset,width,base} in the owner and the
//    right-hand side, which is then read as RDATA text;
//  - RDATA tokens go to dns::rdata_from_text with their escapes intact.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"

namespace flatns::zones {

struct ParsedRecord {
  dns::Name owner;
  uint16_t type = 0;
  uint16_t rclass = 1;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;  // uncompressed wire form
  std::string file;            // the file it came from ($INCLUDE aware)
  std::size_t line = 0;        // line where the record starts
};

struct ZoneFileError {
  std::string file;
  std::size_t line = 0;
  std::string message;
  // "file:line: message"
  std::string to_string() const;
};

// One file a zone was read from, as it was when read. A reload compares it
// with the file on disk (zones/zone_source.h) to skip zones that did not change.
struct SourceFile {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;       // st_mtim in nanoseconds
  uint64_t inode = 0;         // a file renamed into place is another file
  uint64_t content_hash = 0;  // zones::content_hash of the octets read
};

struct ZoneFileOptions {
  dns::Name origin;              // initial $ORIGIN, also the zone apex
  uint32_t default_ttl = 3600;   // used until $TTL or the SOA sets one
  int max_include_depth = 10;
  std::size_t max_errors = 1000;  // scanning stops after this many errors
  std::vector<SourceFile>* sources = nullptr;  // when set, each file read ($INCLUDEs too) is added
};

// TTL in seconds or with units (RFC 1035 numbers; BIND's "1w2d3h4m5s",
// case-insensitive; a trailing number without unit counts as seconds).
// False, with `error` saying why, on bad syntax or above 2^32-1.
[[nodiscard]] bool ttl_from_text(std::string_view text, uint32_t& ttl, std::string& error);

using RecordSink = std::function<void(ParsedRecord&&)>;

// A scanned record without copies: the views point into the scanner's
// buffers and are valid only during the sink call. The zone builder loads
// from these, so that loading allocates nothing per record.
struct RecordView {
  dns::NameView owner;
  uint16_t type = 0;
  uint16_t rclass = 1;
  uint32_t ttl = 0;
  std::span<const uint8_t> rdata;
  const std::string* file = nullptr;  // the file it came from ($INCLUDE aware)
  std::size_t line = 0;
};

using RecordViewSink = std::function<void(const RecordView&)>;

// Scans the file at `path`. Returns true when no error was found.
[[nodiscard]] bool scan_zone_file(const std::string& path, const ZoneFileOptions& options,
                                  const RecordSink& sink, std::vector<ZoneFileError>& errors);
// Scans text held in memory; `file_name` is used in errors and to resolve
// $INCLUDE paths relative to its folder.
[[nodiscard]] bool scan_zone_text(std::string_view text, std::string_view file_name,
                                  const ZoneFileOptions& options, const RecordSink& sink,
                                  std::vector<ZoneFileError>& errors);
// The same scans, handing records to the sink as views.
[[nodiscard]] bool scan_zone_file_views(const std::string& path, const ZoneFileOptions& options,
                                        const RecordViewSink& sink,
                                        std::vector<ZoneFileError>& errors);
[[nodiscard]] bool scan_zone_text_views(std::string_view text, std::string_view file_name,
                                        const ZoneFileOptions& options, const RecordViewSink& sink,
                                        std::vector<ZoneFileError>& errors);

}  // namespace flatns::zones

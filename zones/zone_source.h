// Whether the files a zone was loaded from changed since (issue 16: a reload
// re-reads only what changed, as NSD and Knot compare a zone file's mtime).
//
// A file is unchanged when its size, modification time (nanoseconds) and
// inode are those recorded when it was read (a file written beside and
// renamed into place is a new inode, even within one clock tick of the
// last write); when any differs it is read again and unchanged if its
// content hash is the same (a file rewritten with the same text, e.g. by a
// deployment tool, is not reparsed). The hash finds edits, not attacks:
// whoever can write the zone file decides what it serves. An edit in place
// that keeps the size within one tick of the file system's clock (a few
// milliseconds) is not seen, as with NSD's and Knot's mtime check.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "zones/zone_file.h"

namespace flatns::zones {

// A 64-bit hash of `octets` (8 octets a step).
[[nodiscard]] uint64_t content_hash(std::string_view octets);

// True when every file in `sources` is as recorded (see above). A file that
// cannot be read counts as changed, so that loading it reports the error.
[[nodiscard]] bool sources_unchanged(const std::vector<SourceFile>& sources);

}  // namespace flatns::zones

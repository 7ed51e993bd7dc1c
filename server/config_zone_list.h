// A fast reader for the `zones:` list of a config file (issue 16): with
// 100,000 zones yaml-cpp took seconds to build its node tree (1M zones: half
// a minute), NSD and Knot read the same list in a fraction of that.
//
// It reads only the plain block shape every generated config has:
//
//   zones:
//     - name: example.com        # comments and blank lines anywhere
//       file: zones/example.com.zone
//       flatten: apex
//
// i.e. one top-level `zones:` line, entries "- key: value" at one indentation
// (one or more spaces) with their other keys two columns further, keys name,
// file and flatten at most once each, values plain scalars of a conservative
// set of characters. Everything else (quotes, flow style, anchors, tags,
// other keys, an invalid name or mode, a duplicate zone, a document marker)
// makes it decline, and yaml-cpp reads the whole file as before, so every
// error keeps its one wording, file:line and key path. When it accepts, the
// lines of the list are blanked in `rest` (line numbers are kept) and
// yaml-cpp reads the other sections from that.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"

namespace flatns::server {

struct SimpleZoneList {
  std::vector<ZoneEntry> zones;  // config.file as written (not yet relative to the config's folder)
  std::string rest;              // the text with the list's lines blanked
};

[[nodiscard]] std::optional<SimpleZoneList> read_simple_zone_list(std::string_view text);

}  // namespace flatns::server

// `flatns keygen ZONE DIR [--algorithm A]` and `flatns ds -c FILE ZONE
// [--digest 2|4]`: making a zone's key pair by hand (BIND format, the
// .private file mode 0600) and printing the DS records to give the parent
// (RFC 4034 §5, digest 2 = SHA-256 per RFC 4509, 4 = SHA-384 per RFC 6605).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace flatns::server {

[[nodiscard]] int keygen_command(const std::vector<std::string>& args, std::ostream& out,
                                 std::ostream& err);
[[nodiscard]] int ds_command(const std::vector<std::string>& args, std::ostream& out,
                             std::ostream& err);

}  // namespace flatns::server

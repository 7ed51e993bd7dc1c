// Response codes (RFC 1035 §4.1.1, the IANA "DNS RCODEs" registry of RFC 6895
// §2.3): the 4-bit header RCODE, extended to 12 bits by the OPT record (RFC
// 6891 §6.1.3), and the TSIG error values (RFC 8945 §5.3) that share its
// numbers. One name per number; text for logs and `flatns resolve`.
#pragma once

#include <cstdint>
#include <string>

namespace flatns::dns {

namespace rcode {
inline constexpr uint16_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4,
                          REFUSED = 5, YXDOMAIN = 6, YXRRSET = 7, NXRRSET = 8, NOTAUTH = 9,
                          NOTZONE = 10, DSOTYPENI = 11;
// 16 is BADVERS in an OPT record and BADSIG in a TSIG error field (RFC 6895 §2.3).
inline constexpr uint16_t BADVERS = 16, BADSIG = 16, BADKEY = 17, BADTIME = 18, BADMODE = 19,
                          BADNAME = 20, BADALG = 21, BADTRUNC = 22, BADCOOKIE = 23;
}  // namespace rcode

// "NOERROR", "SERVFAIL", ..., "BADCOOKIE" (16 is "BADVERS"); an unassigned
// code is printed as its number, "rcode 12", never as another code's name.
[[nodiscard]] std::string rcode_to_text(uint16_t rcode);

}  // namespace flatns::dns

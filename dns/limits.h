// Limits that more than one layer applies to the same protocol feature, kept
// here (the one library every layer depends on) so that the zones' answer
// path, the flattener and the resolver client stop at the same point.
#pragma once

namespace flatns::dns {

// CNAME (and ALIAS/ANAME) links followed from one query name, whether the
// chain is chased in served zones, by the flattener or by the resolver
// client (RFC 1034 §3.6.2 sets none; Unbound and Knot stop near 10-20).
inline constexpr unsigned kMaxCnameChain = 12;

}  // namespace flatns::dns

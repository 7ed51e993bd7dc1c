// NOTIFY (RFC 1996): the message a primary sends its secondaries when a
// zone's serial changes, and the check of their answer. The sending, with
// retries, lives in the daemon (server/transfer_notify.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/tsig.h"
#include "transfer/outgoing.h"
#include "zones/zone.h"

namespace flatns::transfer {

// A NOTIFY for `zone` (opcode 4, AA, question <origin> SOA IN, the SOA in the
// answer section as RFC 1996 §3.7 allows), signed with `key` when given.
// `request_mac` receives the MAC to check the answer with.
[[nodiscard]] std::vector<uint8_t> make_notify(const zones::Zone& zone, uint16_t id, const dns::TsigKey* key,
                                               uint64_t now, std::vector<uint8_t>& request_mac);

enum class NotifyReply : uint8_t { Acknowledged, NotOurs, Malformed, Error };

// Checks an answer: `NotOurs` when it is not a reply to this NOTIFY (other ID,
// not a response, other question), to be ignored; `Error` (with `detail`)
// when the secondary refused or its signature fails.
[[nodiscard]] NotifyReply check_notify_reply(std::span<const uint8_t> reply, uint16_t id, dns::NameView origin,
                                             const dns::TsigKey* key, std::span<const uint8_t> request_mac,
                                             uint64_t now, std::string& detail);

struct NotifyAnswer {
  std::size_t length = 0;  // the response in `out` (0: drop)
  bool accepted = false;   // from a listed primary: refresh `zone`
  dns::Name zone;
  bool warn = false;  // log at warning level (a refusal)
  std::string log;
};

// Answers a NOTIFY received by a secondary (RFC 1996 §3.7-3.10): NOERROR
// when it comes from one of the zone's primaries (with its TSIG key when
// one is configured), REFUSED from anyone else or for a zone that is not a
// secondary here, NOTAUTH for a bad signature, FORMERR for a malformed one
// or a class other than IN.
[[nodiscard]] NotifyAnswer answer_notify(const TransferPolicy& policy, const TransferRequest& request,
                                         std::span<uint8_t> out);

}  // namespace flatns::transfer

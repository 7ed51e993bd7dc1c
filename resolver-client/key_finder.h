// Key finding for one Iteration: which keys validate the responses of the
// zone whose servers are asked, as Unbound's validator finds keys before it
// validates (RFC 4035 §5: a trust anchor or a validated DS, then the zone's
// DNSKEY RRset validated against it; an unsigned delegation ends the chain
// as insecure).
//
//   Ready ──zone entered, DS secure, keys not cached──▶ FetchDnskey
//   FetchDnskey ── DNSKEY validated against the DS ──▶ Ready (or the walk's next step)
//
// Keys for a zone no referral revealed ("needs keys", the chain walk): when a
// response is signed by a zone below the one whose keys are held (the same
// servers serve parent and child; or forward mode, where nothing is a
// referral), the chain of trust is built label by label from the keys held
// down to the signer (or, for unsigned data, down to the owner name):
//
//   FetchDs (DS at the next label) ─ signed DS ─▶ FetchDnskey of that zone
//                      ├ NODATA, NSEC/NSEC3 shows NS: unsigned delegation, insecure: walk ends
//                      └ NODATA, no cut there: FetchDs one label further down
//
// then the Iteration validates the response it held again with the keys
// found. DS, DNSKEY and "no cut here" are cached, so the next resolution
// below the same zones starts where this one ended.
//
// The finder decides what to ask and what a reply means (a Step); the
// Iteration (iteration.h) asks the zone's servers and acts on the Step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dns/message_parser.h"
#include "dns/name.h"
#include "resolver-client/val_context.h"
#include "resolver-client/val_keyset.h"
#include "resolver-client/verdict.h"

namespace flatns::resolver {

class Resolver;

// The zone whose keys validate `response` to a question for `qname`: the
// signer of its RRSIGs over the answer at qname (or over the SOA/NSEC/NSEC3
// of a denial); for unsigned data the owner (or the SOA's owner), whose
// ancestors' DS records then tell whether it may be unsigned.
[[nodiscard]] dns::Name response_zone(const dns::Message& response, const dns::Name& qname);

class KeyFinder {
 public:
  enum class State : uint8_t {
    Ready,        // keys() validate the zone's responses (or say why they cannot)
    FetchDnskey,  // the DNSKEY RRset of ds().zone is asked
    FetchDs,      // the DS RRset at the next label of the walk is asked
  };
  // What the Iteration does next.
  struct Step {
    enum class Kind : uint8_t {
      Ask,           // ask the zone's servers question_name() / question_type()
      KeysReady,     // the zone's keys are known: ask the question
      WalkEnded,     // the walk's keys are known: validate the held response again
      ServerFailed,  // this server's reply was unusable (`why`): try another
      Bogus,         // this server's reply failed validation (`verdict`)
    } kind = Kind::Ask;
    std::string why;
    Verdict verdict;
  };

  // `checking_disabled`: the resolution asked for no validation
  // (ResolveOptions): every zone gets insecure keys, nothing is fetched.
  // `negative_anchor`: the name asked lies at or below this negative trust
  // anchor (RFC 7646): the same, with that reason.
  KeyFinder(Resolver& resolver, bool checking_disabled, const dns::Name* negative_anchor = nullptr)
      : resolver_(resolver), checking_disabled_(checking_disabled), negative_anchor_(negative_anchor) {}

  // The Iteration enters `zone`, whose DS set (or trust anchor) is `ds`:
  // cached keys, insecure keys, or FetchDnskey. `forwarded`: its servers
  // are forwarders (no referral shows a cut: walks start from the anchors).
  void enter_zone(const dns::Name& zone, const DsSet* ds, bool forwarded);

  // Starts a chain walk from the keys held down to `target` (Ask or
  // WalkEnded), or Bogus when no chain of trust can lead there.
  [[nodiscard]] Step start_walk(const dns::Name& target);
  // True when the last walk ended at `target` (it is not walked again).
  [[nodiscard]] bool walked_to(const dns::Name& target) const {
    return walk_done_for_ && target == *walk_done_for_;
  }

  // A reply to question_name() / question_type() in FetchDnskey or FetchDs.
  [[nodiscard]] Step on_reply(const dns::Message& msg, ValidationContext ctx);

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] const ZoneKeys& keys() const { return keys_; }
  [[nodiscard]] const dns::Name& question_name() const;
  [[nodiscard]] uint16_t question_type() const;

 private:
  Step on_dnskey(const dns::Message& msg, ValidationContext& ctx);
  Step on_ds(const dns::Message& msg, ValidationContext& ctx);
  Step walk_step();
  Step end_walk();
  Step ask(State state);
  static Step failed(std::string why);
  static Step bogus(Verdict verdict);

  Resolver& resolver_;
  bool checking_disabled_ = false;
  const dns::Name* negative_anchor_ = nullptr;  // in settings().insecure_domains
  State state_ = State::Ready;
  bool forwarded_ = false;
  ZoneKeys keys_;
  DsSet ds_;           // FetchDnskey: the DS set the DNSKEY is validated against
  dns::Name ds_name_;  // FetchDs: the name whose DS is asked
  // The chain walk.
  std::optional<dns::Name> walk_target_;
  dns::Name walk_at_;  // deepest name whose cut status is known
  unsigned walks_ = 0;
  std::optional<dns::Name> walk_done_for_;  // the last walk's target
};

}  // namespace flatns::resolver

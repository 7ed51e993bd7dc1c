#include "server/transfer_glue.h"

#include <netinet/in.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "flatten/cache_file.h"
#include "server/log.h"
#include "server/transfer_expand.h"
#include "server/transfer_secondary.h"
#include "transfer/journal_file.h"
#include "transfer/notify.h"
#include "zones/zone.h"

namespace flatns::server {
namespace {

transfer::TransferAnswer answer(const zones::ZoneSet& zones, const transfer::TransferPolicy& policy,
                                std::span<const uint8_t> query, const sockaddr* client, bool tcp,
                                std::span<uint8_t> out) {
  const std::string client_text = client ? dns::ServerAddress::from_sockaddr(client).to_string() : "?";
  transfer::TransferRequest request;
  request.query = query;
  request.client = client;
  request.client_text = client_text;
  request.tcp = tcp;
  request.now = static_cast<uint64_t>(std::time(nullptr));
  transfer::TransferAnswer a = transfer::answer_transfer(zones, policy, request, out);
  switch (a.log_level) {
    case transfer::TransferAnswer::LogLevel::Info: log_info("transfer: " + a.log); break;
    case transfer::TransferAnswer::LogLevel::Warn: log_warn("transfer: " + a.log); break;
    case transfer::TransferAnswer::LogLevel::None: break;
  }
  return a;
}

// The journal file of a zone: beside its zone file (transfer/journal_file.h).
std::string journal_path(const zones::Zone& zone) {
  return zone.file().empty() ? std::string() : zone.file() + ".ixfr-journal";
}

// The journal kept in the zone's journal file when it ends at `zone` as
// served; null (a line naming the file says why) otherwise.
std::shared_ptr<const transfer::Journal> load_journal(const zones::Zone& zone, const transfer::JournalLimits& limits) {
  const std::string path = journal_path(zone);
  if (path.empty()) return nullptr;
  std::vector<uint8_t> bytes;
  bool missing = false;
  std::string error;
  if (!flatten::read_cache_file(path, limits.max_bytes * 2 + (1u << 20), bytes, missing, error)) {
    if (!missing) log_warn("zone " + zone.origin().to_text() + ": IXFR journal not read: " + error);
    return nullptr;
  }
  auto journal = transfer::decode_journal_file(bytes, zone, transfer::zone_digest(zone), limits, error);
  if (!journal) {
    log_warn("zone " + zone.origin().to_text() + ": IXFR journal " + path + " ignored: " + error +
             "; clients older than serial " + std::to_string(zone.serial()) + " get the whole zone");
    return nullptr;
  }
  log_info("zone " + zone.origin().to_text() + ": IXFR journal " + path + " read: " +
           std::to_string(journal->diffs().size()) + " versions, from serial " +
           std::to_string(journal->diffs().front()->from));
  return journal;
}

// Writes the journal file after a change (atomically); removes it when
// there is no journal any more, so that an old one is never read back.
void save_journal(const zones::Zone& zone, const transfer::Journal* journal) {
  const std::string path = journal_path(zone);
  if (path.empty()) return;
  if (!journal) {
    (void)std::remove(path.c_str());
    return;
  }
  const auto bytes = transfer::encode_journal_file(zone.origin(), *journal, transfer::zone_digest(zone));
  std::string error;
  if (!flatten::write_cache_file(path, bytes, error)) {
    log_warn("zone " + zone.origin().to_text() + ": IXFR journal not saved (a restart starts it afresh): " + error);
  }
}

}  // namespace

void ZoneJournals::update(const Config& config, const zones::ZoneSet* previous, const zones::ZoneSet& next) {
  std::map<dns::Name, std::shared_ptr<const transfer::Journal>> kept;
  for (const auto& entry : config.zones) {
    const dns::Name& origin = entry.config.origin;
    if (entry.transfer.allow_transfer.empty() || entry.transfer.journal.max_depth == 0) continue;
    const auto now = next.find_exact(origin);
    if (!now) continue;
    auto journal = find(origin);
    const auto before = previous ? previous->find_exact(origin) : nullptr;
    // First seen (at start, or newly configured): the history saved beside it.
    if (!journal && !before) journal = load_journal(*now, entry.transfer.journal);
    if (before && before != now) {
      std::string why;
      auto diff = transfer::diff_zones(*before, *now, why);
      if (!diff) {
        log_warn("zone " + origin.to_text() + ": IXFR journal started afresh: " + why +
                 "; clients older than serial " + std::to_string(now->serial()) + " get the whole zone");
        journal.reset();
      } else {
        const std::size_t removed = diff->removed_count, added = diff->added_count;
        journal = transfer::Journal::append(journal.get(), std::move(diff), entry.transfer.journal);
        log_info("zone " + origin.to_text() + ": IXFR journal: serial " + std::to_string(before->serial()) +
                 " -> " + std::to_string(now->serial()) + ", " + std::to_string(removed) + " records removed, " +
                 std::to_string(added) + " added; " +
                 (journal ? std::to_string(journal->diffs().size()) + " versions, " +
                                std::to_string(journal->bytes()) + " octets kept"
                          : std::string("larger than journal_size, not kept")));
      }
      save_journal(*now, journal.get());
    }
    if (journal) kept.emplace(origin, std::move(journal));
  }
  journals_ = std::move(kept);
}

std::shared_ptr<const transfer::Journal> ZoneJournals::find(const dns::Name& origin) const {
  const auto it = journals_.find(origin);
  return it == journals_.end() ? nullptr : it->second;
}

std::shared_ptr<const transfer::TransferPolicy> make_transfer_policy(const Config& config, const zones::ZoneSet& zones,
                                                                     const std::vector<dns::Name>& expired,
                                                                     const ZoneJournals* journals,
                                                                     const ExpandedZones* expanded) {
  auto policy = std::make_shared<transfer::TransferPolicy>();
  for (const auto& origin : expired) {
    if (const auto zone = zones.find_exact(origin)) policy->expired.push_back(zone.get());
  }
  policy->keys = config.keys;
  policy->max_outgoing = config.transfer.max_outgoing;
  policy->message_size = config.transfer.message_size;
  if (journals) policy->outgoing = journals->outgoing();
  for (const auto& zone : config.zones) {
    transfer::ZoneTransferPolicy z{zone.config.origin, zone.transfer.allow_transfer, {}, nullptr, nullptr};
    if (journals) z.journal = journals->find(zone.config.origin);
    if (expanded) z.expanded = expanded->find(zone.config.origin);
    policy->any_expanded = policy->any_expanded || z.expanded != nullptr;
    for (const auto& primary : zone.transfer.primaries) {
      transfer::AclEntry from;  // the primary's address alone, any port
      from.prefix.family = primary.address.family();
      if (from.prefix.family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(primary.address.sockaddr_ptr());
        std::memcpy(from.prefix.bytes.data(), &sin->sin_addr, 4);
        from.prefix.length = 32;
      } else {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(primary.address.sockaddr_ptr());
        std::memcpy(from.prefix.bytes.data(), &sin6->sin6_addr, 16);
        from.prefix.length = 128;
      }
      from.key = primary.key;
      z.notify_from.push_back(std::move(from));
    }
    policy->zones.push_back(std::move(z));
  }
  return policy;
}

std::size_t answer_transfer_udp(const zones::ZoneSet& zones, const transfer::TransferPolicy& policy,
                                std::span<const uint8_t> query, const sockaddr* client, std::span<uint8_t> out) {
  return answer(zones, policy, query, client, false, out).length;
}

std::size_t answer_transfer_tcp(const zones::ZoneSet& zones, const transfer::TransferPolicy& policy,
                                std::span<const uint8_t> query, const sockaddr* client, std::span<uint8_t> out,
                                std::unique_ptr<transfer::TransferStream>& stream) {
  transfer::TransferAnswer a = answer(zones, policy, query, client, true, out);
  stream = std::move(a.stream);
  return stream ? 0 : a.length;
}

std::size_t answer_signed_query(const zones::ZoneSet& zones, const transfer::TransferPolicy& policy,
                                std::span<const uint8_t> query, std::span<uint8_t> out, const QueryContext& ctx) {
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  const dns::TsigRequestCheck check = dns::verify_tsig_request(query, policy.keys, now);
  std::size_t n = 0;
  if (check.status == dns::TsigStatus::Ok) {
    QueryContext inner = ctx;
    inner.transfer = nullptr;  // answered as an unsigned query, then signed here
    inner.signed_policy = &policy;
    inner.signed_by = &check.key->name;
    n = answer_query(zones, query, out, inner);
    if (n == 0) return 0;
  } else {
    dns::Query q;
    if (dns::parse_query(query, q) == dns::QueryStatus::Drop) return 0;
    dns::ResponseBuilder rb(out);
    rb.start(q, 512);
    rb.set_rcode(check.status == dns::TsigStatus::FormErr ? dns::rcode::FORMERR : dns::rcode::NOTAUTH);
    n = rb.finish();
    const std::string client = ctx.client ? dns::ServerAddress::from_sockaddr(ctx.client).to_string() : "a TCP client";
    log_warn("signed query from " + client + " refused: " + std::string(dns::tsig_status_text(check.status)) +
             (check.status == dns::TsigStatus::FormErr ? "" : " (key " + dns::name_to_text(check.record.key_name) + ")"));
  }
  return transfer::finish_signed_response(out, n, check, now);
}

std::size_t answer_notify_udp(const transfer::TransferPolicy& policy, NotifyTarget* target,
                              std::span<const uint8_t> query, const sockaddr* client, std::span<uint8_t> out) {
  const std::string client_text = client ? dns::ServerAddress::from_sockaddr(client).to_string() : "?";
  transfer::TransferRequest request;
  request.query = query;
  request.client = client;
  request.client_text = client_text;
  request.now = static_cast<uint64_t>(std::time(nullptr));
  transfer::NotifyAnswer a = transfer::answer_notify(policy, request, out);
  if (!a.log.empty()) {
    if (a.warn) {
      log_warn(a.log);
    } else {
      log_info(a.log);
    }
  }
  if (a.accepted && target) target->notified(a.zone);
  return a.length;
}

}  // namespace flatns::server

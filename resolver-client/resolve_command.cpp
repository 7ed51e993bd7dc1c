#include "resolver-client/resolve_command.h"

#include <uv.h>

#include <memory>
#include <optional>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver-client/clock.h"
#include "resolver-client/resolver.h"
#include "resolver-client/uv_transport.h"

namespace flatns::resolver {

namespace {

void print(const Result& r, std::ostream& out) {
  for (const auto& rr : r.cname_chain) out << rr.to_text() << "\n";
  for (const auto& rr : r.answer) out << rr.to_text() << "\n";
  out << ";; status: " << dns::rcode_to_text(r.rcode);
  if (r.rcode == dns::rcode::NOERROR && r.answer.empty()) out << " (NODATA)";
  out << ", ttl " << r.ttl << "\n";
  out << ";; verdict: " << to_string(r.verdict.security) << "\n";
  if (r.malformed_removed > 0) {
    out << ";; removed " << r.malformed_removed << " record(s) with malformed RDATA (EDE 0), first "
        << r.malformed_example << "\n";
  }
  if (r.verdict.is_bogus()) {
    out << ";; reason: " << to_string(r.verdict.reason);
    if (auto ede = r.verdict.ede_code()) out << " (EDE " << *ede << ")";
    out << "\n;; zone: " << r.verdict.zone.to_text() << "\n";
    out << ";; server: " << (r.verdict.server.empty() ? "unknown" : r.verdict.server) << "\n";
  } else if (r.verdict.is_insecure() && r.verdict.insecure_reason != InsecureReason::None) {
    out << ";; insecure because: " << to_string(r.verdict.insecure_reason) << " (zone "
        << r.verdict.zone.to_text() << ")\n";
  }
  if (!r.verdict.detail.empty() && !r.verdict.is_secure()) out << ";; detail: " << r.verdict.detail << "\n";
  if (!r.failure.empty()) out << ";; failure: " << r.failure << "\n";
  std::string servers;
  for (const auto& s : r.stats.servers_tried) servers += (servers.empty() ? "" : " ") + s;
  out << ";; queries: " << r.stats.queries_sent << ", time: " << r.stats.elapsed_ms
      << " ms, servers: " << (servers.empty() ? "(cache)" : servers) << "\n";
}

}  // namespace

int run_resolve_command(const ResolverSettings& settings_in, const std::string& name_text,
                        const std::string& type_text, uint32_t deadline_ms, std::ostream& out,
                        std::ostream& err) {
  dns::Name name;
  std::string error;
  dns::Name root = dns::Name::root();
  if (!dns::Name::from_text(name_text, &root, name, error)) {
    err << "flatns resolve: '" << name_text << "' is not a domain name: " << error << "\n";
    return 2;
  }
  uint16_t type = dns::rrtype::A;
  if (!type_text.empty() && !dns::type_from_text(type_text, type)) {
    err << "flatns resolve: '" << type_text << "' is not an RR type\n";
    return 2;
  }
  if (settings_in.mode == ResolverMode::Forward && settings_in.forwarders.empty()) {
    err << "flatns resolve: resolver.mode is forward but resolver.forwarders is empty\n";
    return 1;
  }
  ResolverSettings settings = settings_in;
  if (!settings.log) {
    settings.log = [&err](LogLevel level, std::string_view text) {
      if (level <= LogLevel::Warn) err << ";; " << text << "\n";
    };
  }

  uv_loop_t loop;
  if (const int rc = uv_loop_init(&loop); rc != 0) {
    err << "flatns resolve: cannot make an event loop: " << uv_strerror(rc) << "\n";
    return 1;
  }
  std::optional<Result> result;
  {
    UvClock clock(&loop);
    UvTransport transport(&loop, settings.limits.max_response_size);
    Resolver resolver(settings, transport, clock);
    if (!resolver.init(error)) {
      err << "flatns resolve: trust anchors: " << error << "\n";
    } else {
      out << ";; " << name.to_text() << " " << dns::type_to_text(type) << ", deadline "
          << deadline_ms << " ms\n";
      resolver.resolve(name, type, deadline_ms, [&](Result&& r) {
        result = std::move(r);
        uv_stop(&loop);
      });
      (void)uv_run(&loop, UV_RUN_DEFAULT);
    }
  }
  (void)uv_run(&loop, UV_RUN_DEFAULT);  // lets the closed handles finish; nothing else is left
  if (const int rc = uv_loop_close(&loop); rc != 0) {
    err << ";; the event loop did not close: " << uv_strerror(rc) << "\n";
  }
  if (!result) return 1;
  print(*result, out);
  bool ok = result->verdict.usable() &&
            (result->rcode == dns::rcode::NOERROR || result->rcode == dns::rcode::NXDOMAIN);
  return ok ? 0 : 1;
}

}  // namespace flatns::resolver

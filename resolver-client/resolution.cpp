#include "resolver-client/resolution.h"

#include <algorithm>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "resolver-client/root_hints.h"

namespace flatns::resolver {

// ---- Resolver ----

Resolver::Resolver(ResolverSettings settings, Transport& transport, Clock& clock)
    : settings_(std::move(settings)),
      transport_(transport),
      clock_(clock),
      cache_(settings_.cache_max_bytes, settings_.limits.max_cache_ttl_s,
             settings_.limits.max_negative_ttl_s),
      health_(settings_.limits) {
  root_servers_ = settings_.mode == ResolverMode::Forward ? settings_.forwarders
                  : settings_.root_hints.empty()          ? builtin_root_hints()
                                                          : settings_.root_hints;
}

Resolver::~Resolver() {
  // Outstanding resolutions end silently: their owner is going away.
  auto active = std::move(active_);
  for (auto& [id, r] : active) r->abandon();
}

bool Resolver::init(std::string& error) {
  anchors_ = TrustAnchors{};
  if (!settings_.validate) return true;
  if (!settings_.trust_anchors_text.empty()) {
    return anchors_.add_text(settings_.trust_anchors_text, "resolver.trust_anchors", error);
  }
  if (!settings_.trust_anchors_file.empty()) {
    return anchors_.load_file(settings_.trust_anchors_file, error);
  }
  anchors_ = TrustAnchors::builtin();
  return true;
}

const ConfiguredZone* Resolver::configured_zone(const dns::Name& name) const {
  const ConfiguredZone* best = nullptr;
  for (const auto& z : settings_.zones) {
    if (name.is_subdomain_of(z.zone) && (best == nullptr || z.zone.labels() > best->zone.labels())) best = &z;
  }
  return best;
}

const dns::Name* Resolver::negative_anchor(const dns::Name& name) const {
  const dns::Name* best = nullptr;
  for (const auto& n : settings_.insecure_domains) {
    if (name.is_subdomain_of(n) && (best == nullptr || n.labels() > best->labels())) best = &n;
  }
  return best;
}

void Resolver::log(LogLevel level, const std::string& text) const {
  if (settings_.log) settings_.log(level, text);
}

void Resolver::resolve(const dns::Name& name, uint16_t qtype, uint32_t deadline_ms,
                       ResultCallback done) {
  resolve(name, qtype, deadline_ms, ResolveOptions{}, std::move(done));
}

void Resolver::resolve(const dns::Name& name, uint16_t qtype, uint32_t deadline_ms,
                       ResolveOptions options, ResultCallback done) {
  uint64_t id = next_id_++;
  // The resolution leaves active_ just before its caller hears of it.
  ResultCallback finished = [this, id, done = std::move(done)](Result&& result) {
    active_.erase(id);
    if (done) done(std::move(result));
  };
  auto r = std::make_shared<Resolution>(*this, name, qtype, deadline_ms, std::move(finished));
  r->options = options;
  active_[id] = r;
  // Started from a zero-delay timer so the callback never runs inside resolve().
  std::weak_ptr<Resolution> weak = r;
  const TimerId started = clock_.start_timer(0, [weak] {
    if (auto res = weak.lock()) res->start();
  });
  if (started == kNoTimer) {
    // Nothing could call back later, and calling back now would run the
    // callback inside resolve(): the resolution is dropped, loudly (libuv
    // documents that a timer cannot fail to arm).
    active_.erase(id);
    log(LogLevel::Error, "resolver: no timer could be armed; the resolution of " +
                             name.to_text() + " " + dns::type_to_text(qtype) + " is dropped");
  }
}

// ---- Resolution ----

namespace {
// The deadline timer fires this much early so that, with the loop's own
// latency, the callback still runs within the caller's deadline.
constexpr uint64_t kDeadlineMarginMs = 10;
}  // namespace

Resolution::Resolution(Resolver& r, dns::Name qname, uint16_t qtype, uint32_t deadline_ms,
                       ResultCallback done)
    : resolver(r), deadline_ms_(deadline_ms), done_(std::move(done)) {
  result.qname = std::move(qname);
  result.qtype = qtype;
  result.final_name = result.qname;
  started_ms_ = r.clock().now_ms();
  deadline_at_ms_ = started_ms_ + deadline_ms;
}

void Resolution::start() {
  if (finished_) return;
  std::weak_ptr<Resolution> weak = weak_from_this();
  uint64_t fire_in = remaining_ms() > kDeadlineMarginMs ? remaining_ms() - kDeadlineMarginMs : 0;
  deadline_timer_ = resolver.clock().start_timer(fire_in, [weak] {
    if (auto res = weak.lock()) res->on_deadline();
  });
  if (deadline_timer_ == kNoTimer) {
    resolver.log(LogLevel::Error, "resolver: no deadline timer could be armed for " +
                                      result.qname.to_text() +
                                      "; only the upstream timeouts and limits bound it");
  }
  step(result.qname);
}

uint64_t Resolution::remaining_ms() const {
  uint64_t now = resolver.clock().now_ms();
  return now >= deadline_at_ms_ ? 0 : deadline_at_ms_ - now;
}

ValidationContext Resolution::validation_context() {
  ValidatorOptions options;
  options.accept_dsa = resolver.settings().accept_dsa;
  options.max_nsec3_iterations = resolver.settings().limits.max_nsec3_iterations;
  return ValidationContext{resolver.clock().wall_seconds(), budget_, options};
}

void Resolution::note_server(const dns::ServerAddress& a) {
  auto text = a.to_string();
  auto& tried = result.stats.servers_tried;
  if (std::find(tried.begin(), tried.end(), text) == tried.end()) tried.push_back(text);
}

QueryHandle Resolution::send(const UpstreamQuery& q, ReplyCallback cb) {
  ++result.stats.queries_sent;
  note_server(q.server);
  QueryHandle h = resolver.transport().send(q, std::move(cb));
  if (h != kQueryNotStarted) outstanding_.insert(h);
  return h;
}

Iteration* Resolution::make_iteration(const dns::Name& qname, uint16_t qtype, unsigned depth,
                                      Iteration::Done done) {
  iterations_.push_back(std::make_unique<Iteration>(*this, qname, qtype, depth, std::move(done)));
  return iterations_.back().get();
}

void Resolution::step(const dns::Name& name) {
  auto key = name.lowercased().to_text();
  if (!seen_names_.insert(key).second) {
    result.rcode = dns::rcode::SERVFAIL;
    result.verdict = Verdict::indeterminate("CNAME loop at " + name.to_text());
    result.failure = "CNAME loop: " + name.to_text() + " is reached twice";
    finish(std::move(result));
    return;
  }
  result.final_name = name;
  Iteration* it = make_iteration(name, result.qtype, 0,
                                 [this](IterationOutcome&& o) { on_outcome(std::move(o)); });
  it->start();
}

void Resolution::on_outcome(IterationOutcome&& o) {
  if (finished_) return;
  using Kind = IterationOutcome::Kind;
  auto take_ttl = [&](uint32_t ttl) {
    result.ttl = ttl_set_ ? std::min(result.ttl, ttl) : ttl;
    ttl_set_ = true;
  };
  if (o.kind == Kind::Bogus || o.kind == Kind::Failed) {
    result.rcode = dns::rcode::SERVFAIL;
    result.verdict = o.kind == Kind::Bogus ? o.verdict : combine(result.verdict, o.verdict);
    result.failure = o.failure;
    finish(std::move(result));
    return;
  }
  result.verdict = first_step_ ? o.verdict : combine(result.verdict, o.verdict);
  first_step_ = false;
  // The CNAMEs on the way from the name asked, in chain order. A name that
  // holds the qtype RRset ends the chain: a CNAME beside other data there
  // (RFC 2181 §10.1 forbids it) is passed over, as Unbound does. ANY takes
  // the name's RRsets as they are, a CNAME among them (RFC 1034 §4.3.2).
  const bool any = result.qtype == dns::rrtype::ANY;
  dns::Name last = result.final_name;
  auto at_last = [&](uint16_t type) {
    return std::find_if(o.answer.begin(), o.answer.end(), [&](const dns::ResourceRecord& rr) {
      return rr.type == type && dns::name_equal(rr.owner.wire(), last.wire());
    });
  };
  for (std::size_t hops = 0; result.qtype != dns::rrtype::CNAME && !any && hops < o.answer.size();
       ++hops) {
    if (at_last(result.qtype) != o.answer.end()) break;
    auto cname = at_last(dns::rrtype::CNAME);
    dns::Name target;
    if (cname == o.answer.end()) break;
    auto wire = dns::rdata_target_name(cname->type, cname->rdata);
    if (!wire || !dns::Name::from_wire(*wire, target)) break;
    // Each CNAME once: a loop ends here, and step() reports it.
    const bool again = std::any_of(result.cname_chain.begin(), result.cname_chain.end(),
                                   [&](const dns::ResourceRecord& rr) { return rr.owner == last; });
    if (again) break;
    take_ttl(cname->ttl);
    result.cname_chain.push_back(*cname);
    last = std::move(target);
  }
  if (result.cname_chain.size() > resolver.settings().limits.max_cname_chain) {
    result.rcode = dns::rcode::SERVFAIL;
    result.verdict = Verdict::indeterminate("CNAME chain longer than " +
                                            std::to_string(resolver.settings().limits.max_cname_chain));
    result.failure = "CNAME chain from " + result.qname.to_text() + " is longer than " +
                     std::to_string(resolver.settings().limits.max_cname_chain) + " links";
    finish(std::move(result));
    return;
  }
  switch (o.kind) {
    case Kind::CnameExit:
      step(o.next_name);
      return;
    case Kind::Answer:
      result.rcode = dns::rcode::NOERROR;
      result.final_name = last;
      for (auto& rr : o.answer) {
        if ((any || rr.type == result.qtype) && dns::name_equal(rr.owner.wire(), last.wire())) {
          take_ttl(rr.ttl);
          result.answer.push_back(std::move(rr));
        }
      }
      break;
    case Kind::NxDomain:
      result.rcode = dns::rcode::NXDOMAIN;
      result.final_name = last;
      take_ttl(o.ttl);
      break;
    case Kind::NoData:
      result.rcode = dns::rcode::NOERROR;
      result.final_name = last;
      take_ttl(o.ttl);
      break;
    default:
      break;
  }
  finish(std::move(result));
}

void Resolution::on_deadline() {
  deadline_timer_ = kNoTimer;
  if (finished_) return;
  Result r = std::move(result);
  r.rcode = dns::rcode::SERVFAIL;
  r.deadline_reached = true;
  std::string tried;
  for (const auto& s : r.stats.servers_tried) tried += (tried.empty() ? "" : ", ") + s;
  r.failure = "deadline of " + std::to_string(deadline_ms_) + " ms reached after " +
              std::to_string(r.stats.queries_sent) + " queries; servers tried: " +
              (tried.empty() ? "none" : tried);
  for (const auto& f : all_failures) r.failure += "; " + f;
  r.verdict = combine(r.verdict, Verdict::indeterminate(r.failure));
  r.verdict.security = Security::Indeterminate;
  finish(std::move(r));
}

void Resolution::abandon() {
  done_ = nullptr;
  finish(Result{});
}

void Resolution::finish(Result&& r) {
  if (finished_) return;
  finished_ = true;
  if (deadline_timer_ != kNoTimer) resolver.clock().cancel_timer(deadline_timer_);
  for (QueryHandle h : outstanding_) resolver.transport().cancel(h);
  outstanding_.clear();
  r.stats.elapsed_ms = static_cast<uint32_t>(resolver.clock().now_ms() - started_ms_);
  auto self = shared_from_this();  // keep alive while the callback runs
  if (done_) {
    auto done = std::move(done_);
    done(std::move(r));
  }
}

}  // namespace flatns::resolver

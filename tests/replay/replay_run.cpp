// The replay driver (see replay_run.h).
#include "tests/replay/replay_run.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <unordered_map>

#include <sys/socket.h>

#include "dns/ede.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "flatten/answer_cache.h"
#include "flatten/defaults.h"
#include "flatten/flattener.h"
#include "flatten/service.h"
#include "resolver-client/resolver.h"
#include "tests/replay/replay_config.h"
#include "tests/replay/replay_view.h"
#include "tests/support/fake_network.h"

namespace flatns::replay {

namespace {

using resolver::Protocol;
using resolver::QueryHandle;
using resolver::ReplyCallback;
using resolver::UpstreamQuery;
using resolver::UpstreamReply;

constexpr uint32_t kDeadlineMs = 20000;  // per STEP QUERY; testbound has none
constexpr uint32_t kLatencyMs = 0;  // testbound answers at once, its clock stands still
constexpr int kMaxRounds = 20000;

class Run final : public resolver::Transport {
 public:
  Run(const Scenario& s, const std::vector<Difference>& diffs,
      const std::function<void(resolver::ResolverSettings&)>& adjust)
      : s_(s), diffs_(diffs), adjust_(adjust) {
    net_.serve_others([this](const UpstreamQuery&) { return std::exchange(next_answer_, std::nullopt); },
                      kLatencyMs);
  }

  Outcome go() {
    const std::string base = s_.file.substr(s_.file.find_last_of('/') + 1);
    for (const auto& d : diffs_) {
      if (d.file == base && d.not_run) {
        return {Outcome::Status::Skip, "documented difference: " + d.reason, {d.line}};
      }
    }
    ReplayConfig cfg;
    std::string skip;
    if (!map_config(s_, cfg, skip)) return {Outcome::Status::Skip, skip, {}};
    for (const auto& st : s_.steps) {
      if (st.kind != Step::Kind::Query) continue;
      const auto& m = st.entry->message;
      if (m.qclass != dns::rrclass::IN) return {Outcome::Status::Skip, "qclass not IN", {}};
    }
    ede_ = cfg.ede;
    stale_ = cfg.stale;
    if (stale_) stale_cache_ = std::make_unique<flatten::FlattenCache>(64);
    do_ip6_ = cfg.do_ip6;
    do_ip4_ = cfg.do_ip4;
    prefetch_ = cfg.prefetch;
    if (adjust_) adjust_(cfg.settings);
    if (cfg.wall_seconds) net_.set_wall(*cfg.wall_seconds);
    resolver_ = std::make_unique<resolver::Resolver>(cfg.settings, *this, net_);
    std::string error;
    if (!resolver_->init(error)) return {Outcome::Status::Fail, "init: " + error, {}};
    drive();
    Outcome o;
    o.differences_used = used_;
    if (!failure_.empty()) {
      o.status = Outcome::Status::Fail;
      o.text = failure_;
    } else {
      o.status = Outcome::Status::Pass;
    }
    resolver_.reset();
    return o;
  }

  QueryHandle send(const UpstreamQuery& q, ReplyCallback done) override {
    const QueryHandle h = next_handle_++;
    if (trace_) {
      std::cerr << "  step " << step_number() << ": " << q.server.to_string() << " "
                << (q.protocol == Protocol::Tcp ? "TCP " : "") << q.qname.to_text() << " "
                << dns::type_to_text(q.qtype) << " -> "
                << (range_entry(q) ? "entry line " + std::to_string(range_entry(q)->line) : "no match")
                << "\n";
    }
    // A CHECK_OUT_QUERY for a query we do not send by design (not-asked)
    // is passed over before this query is matched against the next one.
    while (cur_ < s_.steps.size() && s_.steps[cur_].kind == Step::Kind::CheckOutQuery) {
      const Difference* d = difference_for(s_.steps[cur_]);
      if (d == nullptr || !d->not_asked) break;
      used_.push_back(d->line);
      ++cur_;
    }
    if (cur_ < s_.steps.size() && s_.steps[cur_].kind == Step::Kind::CheckOutQuery &&
        out_query_matches(s_.steps[cur_], q)) {
      ++cur_;
    }
    if ((!do_ip6_ && q.server.family() == AF_INET6) || (!do_ip4_ && q.server.family() == AF_INET)) {
      net_.start_timer(0, [done = std::move(done), v6 = q.server.family() == AF_INET6] {
        UpstreamReply r;
        r.status = resolver::ReplyStatus::NetworkError;
        r.error = v6 ? "network unreachable (do-ip6: no)" : "network unreachable (do-ip4: no)";
        done(std::move(r));
      });
      return h;
    }
    const Entry* e = range_entry(q);
    if (e != nullptr || !(may_wait() || later_range_answers(q))) {
      to_network(h, q, e ? delivered(*e) : std::nullopt, std::move(done));
    } else {
      waiting_.push_back({h, q, std::move(done)});
    }
    return h;
  }

  void cancel(QueryHandle h) override {
    if (auto it = on_net_.find(h); it != on_net_.end()) {
      net_.cancel(it->second);
      on_net_.erase(it);
      return;
    }
    std::erase_if(waiting_, [h](const Waiting& w) { return w.handle == h; });
  }

 private:
  struct Waiting {
    QueryHandle handle;
    UpstreamQuery query;
    ReplyCallback done;
  };
  struct Answer {
    dns::Name qname;
    uint16_t qtype;
    bool dnssec_ok, ad_asked;
    resolver::Result result;
    std::optional<View> stale;  // the flatten layer served stale data
  };

  int step_number() const {
    if (cur_ < s_.steps.size()) return s_.steps[cur_].number;
    return s_.steps.empty() ? 0 : s_.steps.back().number;
  }

  // A later REPLY, TIMEOUT or ERROR moment can still answer a waiting query.
  bool may_wait() const {
    for (std::size_t i = cur_; i < s_.steps.size(); ++i) {
      auto k = s_.steps[i].kind;
      if (k == Step::Kind::Reply || k == Step::Kind::Timeout || k == Step::Kind::Error) return true;
    }
    return false;
  }

  // testbound keeps a query no range answers pending, and matches it again
  // at each later moment: one a range answers at a later STEP waits for it.
  bool later_range_answers(const UpstreamQuery& q) const {
    for (std::size_t i = cur_; i < s_.steps.size(); ++i) {
      if (range_entry(q, s_.steps[i].number) != nullptr) return true;
    }
    return false;
  }

  const Entry* range_entry(const UpstreamQuery& q) const { return range_entry(q, step_number()); }

  const Entry* range_entry(const UpstreamQuery& q, int now) const {
    // testbound keeps its ranges in reverse file order: the last one wins.
    for (auto it = s_.ranges.rbegin(); it != s_.ranges.rend(); ++it) {
      const Range& r = *it;
      if (now < r.start || now > r.end) continue;
      if (r.address && !(*r.address == q.server)) continue;
      for (const auto& e : r.entries) {
        if (query_matches_entry(e, q)) return &e;
      }
    }
    return nullptr;
  }

  static bool out_query_matches(const Step& st, const UpstreamQuery& q) {
    if (st.address && !(*st.address == q.server)) return false;
    return query_matches_entry(*st.entry, q);
  }

  // The answer an entry gives, as our transport would take it: one without
  // a question section (and no copy_query) fails response_matches in the
  // real transport (uv_transport.cpp), which drops it: the query times out
  // (the fake network would fill the question in).
  static std::optional<dns::Message> delivered(const Entry& e) {
    if (e.hex_unparseable) return std::nullopt;
    if (!e.message.has_question && !e.copy_query) return std::nullopt;
    return e.message;
  }

  void to_network(QueryHandle h, const UpstreamQuery& q, std::optional<dns::Message> answer,
                  ReplyCallback done) {
    next_answer_ = std::move(answer);
    on_net_[h] = net_.send(q, [this, h, done = std::move(done)](UpstreamReply&& r) {
      on_net_.erase(h);
      done(std::move(r));
    });
  }

  // Runs the event loop until only a script moment can make progress.
  void settle() {
    for (;;) {
      while (auto t = net_.next_event_ms()) {
        if (!waiting_.empty() && on_net_.empty()) break;
        net_.run(*t);
      }
      // Waiting queries a range answers now (the moment may have moved).
      bool moved = false;
      for (std::size_t i = 0; i < waiting_.size(); ++i) {
        if (const Entry* e = range_entry(waiting_[i].query)) {
          Waiting w = std::move(waiting_[i]);
          waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(i));
          to_network(w.handle, w.query, delivered(*e), std::move(w.done));
          moved = true;
          break;
        }
      }
      if (!moved) return;
    }
  }

  void fail(const Step& st, const std::string& what) {
    if (failure_.empty()) failure_ = "STEP " + std::to_string(st.number) + " " + st.kind_text + ": " + what;
  }

  void drive() {
    int rounds = 0;
    while (cur_ < s_.steps.size() && failure_.empty()) {
      if (++rounds > kMaxRounds) {
        fail(s_.steps[cur_], "the scenario loops");
        return;
      }
      settle();
      if (cur_ >= s_.steps.size()) break;
      const Step& st = s_.steps[cur_];
      switch (st.kind) {
        case Step::Kind::Nothing:
        case Step::Kind::Traffic:
        case Step::Kind::Other:
          ++cur_;
          break;
        case Step::Kind::Query:
          ++cur_;
          ask(st);
          break;
        case Step::Kind::CheckAnswer:
          check_answer(st);
          ++cur_;
          break;
        case Step::Kind::CheckOutQuery:
          check_out_query(st);
          break;
        case Step::Kind::Reply:
        case Step::Kind::Timeout:
        case Step::Kind::Error:
          reply(st);
          ++cur_;
          break;
        case Step::Kind::InfraRtt:
          // An answer's RTT measurement; the type only matters for timeout
          // streaks, which the scenarios set this way have none of yet.
          resolver_->health().record_answer(*st.address, st.rtt_ms, dns::rrtype::A);
          ++cur_;
          break;
        case Step::Kind::TimePasses: {
          const uint64_t target = net_.now_ms() + static_cast<uint64_t>(st.elapse_s * 1000 + 0.5);
          net_.run(target);
          if (net_.now_ms() < target) net_.advance(target - net_.now_ms());
          ++cur_;
          break;
        }
      }
    }
    if (failure_.empty()) settle();
  }

  void ask(const Step& st) {
    const dns::Message& m = st.entry->message;
    Answer a{m.qname, m.qtype, st.entry->do_bit, (m.flags & dns::flag::AD) != 0, {}, std::nullopt};
    const bool flattened = stale_ && (m.qtype == dns::rrtype::A || m.qtype == dns::rrtype::AAAA);
    const uint32_t deadline = flattened ? flatten::resolution_deadline_ms(stale_->deadline_ms) : kDeadlineMs;
    resolver::ResolveOptions options;
    options.checking_disabled = (m.flags & dns::flag::CD) != 0;
    // The flattener's rules for an expired entry (flattener.h answer_external).
    flatten::CachedAnswer cached;
    const uint64_t now = net_.now_ms();
    const bool expired = flattened && stale_cache_->lookup(a.qname.wire(), a.qtype, cached) && !cached.fresh(now);
    if (expired && cached.failure_fresh(now)) {
      // A recent failure is answered at once, as in a final call: nothing
      // is asked upstream until failure_ttl_s has passed.
      a.stale = final_view(a, cached);
      answers_.push_back(std::move(a));
      return;
    }
    const bool stale_ready = expired && flatten::stale_usable(flattener_settings(), cached, now);
    if (stale_ready && stale_->client_timeout_ms == 0) {
      // The stale answer at once; the refresh goes on in the background
      // and only updates the cache.
      a.stale = final_view(a, cached);
      answers_.push_back(a);
      resolver_->resolve(m.qname, m.qtype, deadline, options, [this, a](resolver::Result&& r) mutable {
        a.result = std::move(r);
        (void)through_flatten_cache(a);
      });
      return;
    }
    // With a stale answer ready the query is held only the client timeout
    // (at most the deadline), then answered from the cache as it is then.
    auto answered = std::make_shared<bool>(false);
    if (stale_ready && stale_->client_timeout_ms < stale_->deadline_ms) {
      net_.start_timer(stale_->client_timeout_ms, [this, a, answered]() mutable {
        if (*answered) return;
        *answered = true;
        flatten::CachedAnswer entry;
        if (!stale_cache_->lookup(a.qname.wire(), a.qtype, entry)) return;
        a.stale = final_view(a, entry);
        answers_.push_back(std::move(a));
      });
    }
    resolver_->resolve(m.qname, m.qtype, deadline, options,
                       [this, a, flattened, answered](resolver::Result&& r) mutable {
      a.result = std::move(r);
      if (flattened) a.stale = through_flatten_cache(a);
      if (prefetch_) maybe_prefetch(a.qname, a.qtype, a.result);
      if (*answered) return;
      *answered = true;
      answers_.push_back(std::move(a));
    });
  }

  flatten::FlattenerSettings flattener_settings() const {
    flatten::FlattenerSettings f;
    f.stale_max_s = stale_->stale_max_s;
    f.stale_reply_ttl_s = stale_->reply_ttl_s;
    f.stale_client_timeout_ms = stale_->client_timeout_ms;
    return f;
  }

  // The flatten layer's prefetch (flattener.cpp, answer from a fresh
  // entry): an A/AAAA answer served from the cache in the last tenth of its
  // TTL is refreshed in the background, once per stored answer; a refresh
  // asks the servers again (ResolveOptions::refresh). One that fails is
  // tried again after flatten.failure_ttl_s, as the flattener does.
  struct PrefetchEntry {
    uint32_t ttl = 0;  // as first answered
    bool claimed = false;
    uint64_t retry_after_ms = 0;  // a failed prefetch: not again before (flatten.failure_ttl_s)
  };
  void maybe_prefetch(const dns::Name& qname, uint16_t qtype, const resolver::Result& r) {
    if ((qtype != dns::rrtype::A && qtype != dns::rrtype::AAAA) || r.rcode == dns::rcode::SERVFAIL) return;
    const std::string key = lower(qname.to_text()) + "/" + std::to_string(qtype);
    if (r.stats.queries_sent > 0) {
      prefetch_entries_[key] = PrefetchEntry{r.ttl, false, 0};
      return;
    }
    auto it = prefetch_entries_.find(key);
    if (it == prefetch_entries_.end() || it->second.claimed || uint64_t{r.ttl} * 10 > it->second.ttl ||
        net_.now_ms() < it->second.retry_after_ms) {
      return;
    }
    it->second.claimed = true;
    resolver::ResolveOptions refresh;
    refresh.refresh = true;
    resolver_->resolve(qname, qtype, kDeadlineMs, refresh, [this, key](resolver::Result&& fresh) {
      if (fresh.rcode != dns::rcode::SERVFAIL) {
        prefetch_entries_[key] = PrefetchEntry{fresh.ttl, false, 0};
        return;
      }
      PrefetchEntry& e = prefetch_entries_[key];
      e.claimed = false;
      e.retry_after_ms = net_.now_ms() + uint64_t{flatten::kDefaultFailureTtlS} * 1000;
    });
  }

  // What the flatten service and flattener make of the result
  // (flatten/service.h entry_from_result, flattener.h answer_final): the
  // cache entry is updated; a failure with a validated answer that expired
  // less than stale_max_s ago is answered from it (stale_usable, stale_ttl), EDE 3.
  std::optional<View> through_flatten_cache(const Answer& a) {
    const uint64_t now = net_.now_ms();
    flatten::CachedAnswer previous;
    const bool had = stale_cache_->lookup(a.qname.wire(), a.qtype, previous);
    const flatten::CachedAnswer entry = flatten::entry_from_result(
        a.qname.wire(), a.qtype, a.result, had ? &previous : nullptr, now, stale_->failure_ttl_s);
    stale_cache_->store(entry);
    if (!entry.failed) return std::nullopt;
    return final_view(a, entry);
  }

  // The flattener's final call on an expired entry (answer_final): its
  // stale answer while stale_usable, else SERVFAIL with the failure's EDE
  // (22 when nothing failed yet: the deadline). A stale NXDOMAIN shows as
  // NXDOMAIN, as the fresh one does (the resolver's answer is compared;
  // flattening turns both into NODATA alike).
  View final_view(const Answer& a, const flatten::CachedAnswer& entry) const {
    const uint64_t now = net_.now_ms();
    View v;
    if (!flatten::stale_usable(flattener_settings(), entry, now)) {
      v.rcode = dns::rcode::SERVFAIL;
      v.ede = entry.failed ? entry.failure_ede : dns::ede::NoReachableAuthority;
      return v;
    }
    v.rcode = entry.kind == flatten::AnswerKind::NxDomain ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
    v.ad = entry.secure && (a.dnssec_ok || a.ad_asked);
    v.ede = dns::ede::StaleAnswer;
    if (entry.kind == flatten::AnswerKind::Addresses) {
      const uint32_t ttl = flatten::stale_ttl(flattener_settings(), entry);
      for (std::size_t i = 0; i < entry.address_count; ++i) {
        dns::ResourceRecord rr{a.qname, a.qtype, dns::rrclass::IN, ttl, {}};
        const auto addr = entry.address(i);
        rr.rdata.assign(addr.begin(), addr.end());
        v.answer.push_back(record_key(rr, true));
      }
    }
    return v;
  }

  void check_out_query(const Step& st) {
    if (const Difference* d = difference_for(st); d != nullptr && d->not_asked) {
      used_.push_back(d->line);
      ++cur_;
      return;
    }
    for (std::size_t i = 0; i < waiting_.size(); ++i) {
      if (!out_query_matches(st, waiting_[i].query)) continue;
      ++cur_;
      if (st.entry->copy_id) {
        Waiting w = std::move(waiting_[i]);
        waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(i));
        to_network(w.handle, w.query, delivered(*st.entry), std::move(w.done));
      }
      return;
    }
    std::string sent;
    for (const auto& w : waiting_) sent += " " + w.query.qname.to_text() + "/" + dns::type_to_text(w.query.qtype);
    const auto& m = st.entry->message;
    fail(st, "no query for " + m.qname.to_text() + " " + dns::type_to_text(m.qtype) +
                 " was sent (waiting:" + (sent.empty() ? " none" : sent) + ")");
  }

  void reply(const Step& st) {
    if (waiting_.empty() && st.kind != Step::Kind::Reply) {
      const std::string base = s_.file.substr(s_.file.find_last_of('/') + 1);
      for (const auto& d : diffs_) {
        if (d.file == base && d.surplus_timeouts) {
          if (std::find(used_.begin(), used_.end(), d.line) == used_.end()) used_.push_back(d.line);
          return;
        }
      }
    }
    if (waiting_.empty()) {
      fail(st, "no query is waiting for this moment");
      return;
    }
    Waiting w = std::move(waiting_.back());
    waiting_.pop_back();
    if (st.kind == Step::Kind::Reply) {
      to_network(w.handle, w.query, delivered(*st.entry), std::move(w.done));
    } else if (st.kind == Step::Kind::Timeout) {
      to_network(w.handle, w.query, std::nullopt, std::move(w.done));
    } else {
      auto done = std::move(w.done);
      net_.start_timer(0, [done] {
        UpstreamReply r;
        r.status = resolver::ReplyStatus::NetworkError;
        r.error = "connection closed (STEP ERROR)";
        done(std::move(r));
      });
    }
  }

  static View got_view(const Answer& a, bool with_ttl) {
    if (a.stale) {
      View v = *a.stale;
      if (!with_ttl) {
        for (auto& k : v.answer) k = k.substr(0, k.rfind(" ttl="));
      }
      std::sort(v.answer.begin(), v.answer.end());
      return v;
    }
    View v;
    v.rcode = a.result.rcode;
    if (v.rcode != dns::rcode::SERVFAIL) {
      v.ad = a.result.verdict.is_secure() && (a.dnssec_ok || a.ad_asked);
      std::vector<dns::ResourceRecord> all = a.result.cname_chain;
      all.insert(all.end(), a.result.answer.begin(), a.result.answer.end());
      v.answer = answer_keys(all, with_ttl, a.qtype);
    }
    v.ede = a.result.ede_code();
    return v;
  }

  const Difference* difference_for(const Step& st) const {
    std::string base = s_.file.substr(s_.file.find_last_of('/') + 1);
    for (const auto& d : diffs_) {
      if (d.file == base && (d.step == st.number || d.step == -1)) return &d;
    }
    return nullptr;
  }

  void check_answer(const Step& st) {
    const Entry& e = *st.entry;
    const bool whole = e.match_all;
    bool with_ttl = e.match_ttl;
    View want;
    want.rcode = e.flags & 0xF;
    want.ad = (e.flags & dns::flag::AD) != 0;
    const uint16_t qtype = e.message.has_question ? e.message.qtype : 0;
    want.answer = answer_keys(e.message.answer, with_ttl, qtype);
    const bool check_rcode = whole || e.match_rcode;
    const bool check_answer = whole || e.match_answer;
    bool check_ede = ede_ && e.match_ede.has_value();
    if (check_ede && *e.match_ede >= 0) want.ede = static_cast<uint16_t>(*e.match_ede);
    bool any_ede = check_ede && *e.match_ede < 0;
    if (const Difference* d = difference_for(st)) {
      if (d->rcode) want.rcode = *d->rcode;
      if (d->ad) want.ad = *d->ad;
      if (d->ignore_ttl) {
        with_ttl = false;
        want.answer = answer_keys(e.message.answer, false, qtype);
      }
      if (d->answer_empty) want.answer.clear();
      if (d->ede) {
        check_ede = true;
        any_ede = false;
        want.ede = *d->ede < 0 ? std::nullopt : std::optional<uint16_t>(*d->ede);
      }
      used_.push_back(d->line);
    }
    // Which answer the step is about: as testbound's find_match, only by
    // what MATCH names (an entry without qname or qtype takes any answer).
    const bool by_name = whole || e.match_question || e.match_qname;
    const bool by_type = whole || e.match_question || e.match_qtype;
    std::string first_got;
    for (std::size_t i = 0; i < answers_.size(); ++i) {
      const Answer& a = answers_[i];
      if (e.message.has_question && ((by_name && !(a.qname == e.message.qname)) ||
                                     (by_type && a.qtype != e.message.qtype))) {
        continue;
      }
      const View got = got_view(a, with_ttl);
      bool ok = true;
      if (check_rcode && got.rcode != want.rcode) ok = false;
      if (whole && got.ad != want.ad) ok = false;
      if (check_answer && got.answer != want.answer) ok = false;
      if (check_ede && (any_ede ? !got.ede.has_value() : got.ede != want.ede)) ok = false;
      if (ok) {
        answers_.erase(answers_.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
      if (first_got.empty()) {
        first_got = view_text(got, check_ede);
        first_got += std::string(a.stale ? " [stale, flatten layer;" : " [") + a.result.verdict.to_text() +
                     (a.result.failure.empty() ? "" : "; " + a.result.failure) + "]";
      }
    }
    fail(st, "expected " + view_text(want, check_ede) + " got " +
                 (first_got.empty() ? std::string("no answer") : first_got));
  }

  const Scenario& s_;
  const std::vector<Difference>& diffs_;
  const std::function<void(resolver::ResolverSettings&)>& adjust_;
  testutil::FakeNetwork net_;
  std::unique_ptr<resolver::Resolver> resolver_;
  std::size_t cur_ = 0;
  QueryHandle next_handle_ = 1;
  std::optional<dns::Message> next_answer_;
  std::unordered_map<QueryHandle, QueryHandle> on_net_;  // ours -> the FakeNetwork's
  std::vector<Waiting> waiting_;                          // back: the most recent
  std::vector<Answer> answers_;
  std::string failure_;
  std::vector<int> used_;
  bool ede_ = false;
  bool do_ip6_ = true;
  bool do_ip4_ = true;
  std::optional<FlattenStale> stale_;
  std::unique_ptr<flatten::FlattenCache> stale_cache_;
  bool prefetch_ = false;
  std::unordered_map<std::string, PrefetchEntry> prefetch_entries_;
  bool trace_ = std::getenv("FLATNS_REPLAY_TRACE") != nullptr;
};

}  // namespace

Outcome run_scenario(const Scenario& s, const std::vector<Difference>& differences,
                     const std::function<void(resolver::ResolverSettings&)>& adjust) {
  Run run(s, differences, adjust);
  return run.go();
}

}  // namespace flatns::replay

// A fake network and clock for resolver tests and fuzz targets, in the
// spirit of Unbound's testbound: virtual time, servers that are functions from
// query to response (or silence), and a log of every query sent. Each answer
// gets the query's ID, QR bit and question, as the real transport only accepts
// such answers (RFC 5452).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "resolver-client/clock.h"
#include "dns/server_address.h"
#include "resolver-client/transport.h"

namespace flatns::testutil {

using dns::ServerAddress;

inline dns::ServerAddress address(const std::string& text) {
  dns::ServerAddress a;
  std::string error;
  if (!dns::ServerAddress::parse(text, 53, a, error)) throw std::runtime_error(error);
  return a;
}

class FakeNetwork final : public resolver::Transport, public resolver::Clock {
 public:
  // nullopt: the server stays silent (the query times out).
  using Handler = std::function<std::optional<dns::Message>(const resolver::UpstreamQuery&)>;
  struct Sent {
    dns::ServerAddress server;
    resolver::Protocol protocol;
    dns::Name qname;
    uint16_t qtype;
    uint64_t at_ms;
    uint32_t timeout_ms;
    bool rd, cd;
  };

  void serve(const std::string& addr, Handler h, uint32_t latency_ms = 10) {
    servers_[address(addr).to_string()] = {std::move(h), latency_ms};
  }
  // The handler of every address that has none of its own.
  void serve_others(Handler h, uint32_t latency_ms = 10) { others_ = Server{std::move(h), latency_ms}; }

  resolver::QueryHandle send(const resolver::UpstreamQuery& q, resolver::ReplyCallback done) override {
    sent.push_back({q.server, q.protocol, q.qname, q.qtype, now_, q.timeout_ms, q.recursion_desired,
                    q.checking_disabled});
    resolver::QueryHandle h = next_handle_++;
    std::optional<dns::Message> msg;
    uint32_t latency = 0;
    auto it = servers_.find(q.server.to_string());
    const Server* server = it != servers_.end() ? &it->second : others_ ? &*others_ : nullptr;
    if (server != nullptr) {
      msg = server->handler(q);
      latency = server->latency_ms;
    }
    if (!msg || latency >= q.timeout_ms) {
      queries_[h] = schedule(q.timeout_ms, [this, h, done] {
        queries_.erase(h);
        resolver::UpstreamReply r;
        r.status = resolver::ReplyStatus::Timeout;
        r.rtt_ms = 0;
        done(std::move(r));
      });
      return h;
    }
    msg->id = 0;
    msg->flags |= dns::flag::QR;
    msg->has_question = true;
    msg->qname = q.qname;
    msg->qtype = q.qtype;
    msg->qclass = dns::rrclass::IN;
    queries_[h] = schedule(latency, [this, h, done, m = std::move(*msg), latency]() mutable {
      queries_.erase(h);
      resolver::UpstreamReply r;
      r.status = resolver::ReplyStatus::Answer;
      r.message = std::move(m);
      r.rtt_ms = latency;
      done(std::move(r));
    });
    return h;
  }
  void cancel(resolver::QueryHandle h) override {
    auto it = queries_.find(h);
    if (it == queries_.end()) return;
    events_.erase(it->second);
    queries_.erase(it);
  }

  uint64_t now_ms() const override { return now_; }
  int64_t wall_seconds() const override { return wall_base_ + static_cast<int64_t>(now_ / 1000); }
  resolver::TimerId start_timer(uint64_t delay_ms, std::function<void()> fn) override {
    resolver::TimerId id = next_timer_++;
    timers_[id] = schedule(delay_ms, [this, id, fn = std::move(fn)] {
      timers_.erase(id);
      fn();
    });
    return id;
  }
  void cancel_timer(resolver::TimerId id) override {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    events_.erase(it->second);
    timers_.erase(it);
  }

  // Runs events in time order until none is left (or virtual time passes `limit_ms`).
  void run(uint64_t limit_ms = 3600 * 1000) {
    while (!events_.empty() && events_.begin()->first.first <= limit_ms) {
      auto it = events_.begin();
      now_ = it->first.first;
      auto fn = std::move(it->second);
      events_.erase(it);
      fn();
    }
  }
  // The virtual time of the next event, or nullopt when nothing is scheduled
  // (lets a driver run one moment at a time, as the replay harness does).
  [[nodiscard]] std::optional<uint64_t> next_event_ms() const {
    if (events_.empty()) return std::nullopt;
    return events_.begin()->first.first;
  }
  void advance(uint64_t ms) { now_ += ms; }
  void set_wall(int64_t seconds) { wall_base_ = seconds - static_cast<int64_t>(now_ / 1000); }

  [[nodiscard]] int count_to(const std::string& addr) const {
    int n = 0;
    for (const auto& s : sent) n += s.server == address(addr) ? 1 : 0;
    return n;
  }

  std::vector<Sent> sent;

 private:
  using Key = std::pair<uint64_t, uint64_t>;
  Key schedule(uint64_t delay, std::function<void()> fn) {
    Key k{now_ + delay, seq_++};
    events_[k] = std::move(fn);
    return k;
  }
  struct Server {
    Handler handler;
    uint32_t latency_ms;
  };
  uint64_t now_ = 1000;
  int64_t wall_base_ = 1700000000;
  uint64_t seq_ = 0;
  resolver::QueryHandle next_handle_ = 1;
  resolver::TimerId next_timer_ = 1;
  std::map<Key, std::function<void()>> events_;
  std::unordered_map<resolver::QueryHandle, Key> queries_;
  std::unordered_map<resolver::TimerId, Key> timers_;
  std::unordered_map<std::string, Server> servers_;
  std::optional<Server> others_;
};

}  // namespace flatns::testutil

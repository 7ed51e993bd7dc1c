// The libuv transport against small loopback responders (127.0.0.1:24001..):
// responses are matched on address, port, ID and question (RFC 5452), TCP
// framing works, and silence ends in a timeout.
#include <uv.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver-client/uv_transport.h"

using namespace flatns;
using namespace flatns::resolver;

namespace {

dns::ServerAddress addr(const char* text) {
  dns::ServerAddress a;
  std::string error;
  REQUIRE(dns::ServerAddress::parse(text, 53, a, error));
  return a;
}

// A response to `query` with one A record 192.0.2.7 for its qname.
std::vector<uint8_t> answer_to(std::span<const uint8_t> query) {
  dns::Query q;
  REQUIRE(dns::parse_query(query, q) == dns::QueryStatus::Ok);
  std::vector<uint8_t> out(512);
  dns::ResponseBuilder b(out);
  b.start(q, out.size());
  const uint8_t a[4] = {192, 0, 2, 7};
  REQUIRE(b.add(dns::Section::Answer, q.qname.view(), dns::rrtype::A, dns::rrclass::IN, 300, a));
  out.resize(b.finish());
  return out;
}

// A UDP responder that, for each query, first sends the given bad variants
// and then the right answer (unless `silent`).
struct UdpResponder {
  uv_udp_t sock{};
  uv_udp_t other_port{};  // sends a correct answer from a different port
  bool silent = false;
  bool send_wrong_id = true, send_wrong_question = true, send_from_other_port = true;
  int queries = 0;
  std::vector<uint8_t> rx = std::vector<uint8_t>(2048);

  UdpResponder(uv_loop_t* loop, const char* address, const char* other_address) {
    dns::ServerAddress a = addr(address), o = addr(other_address);
    uv_udp_init(loop, &sock);
    uv_udp_init(loop, &other_port);
    sock.data = this;
    REQUIRE(uv_udp_bind(&sock, a.sockaddr_ptr(), 0) == 0);
    REQUIRE(uv_udp_bind(&other_port, o.sockaddr_ptr(), 0) == 0);
    uv_udp_recv_start(
        &sock,
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          auto* self = static_cast<UdpResponder*>(h->data);
          *buf = uv_buf_init(reinterpret_cast<char*>(self->rx.data()), 2048);
        },
        [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
          if (n <= 0 || from == nullptr) return;
          auto* self = static_cast<UdpResponder*>(h->data);
          self->on_query({reinterpret_cast<uint8_t*>(buf->base), static_cast<size_t>(n)}, from);
        });
  }
  void send(uv_udp_t* s, std::vector<uint8_t> data, const sockaddr* to) {
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
    REQUIRE(uv_udp_try_send(s, &b, 1, to) == static_cast<int>(data.size()));
  }
  void on_query(std::span<const uint8_t> query, const sockaddr* from) {
    ++queries;
    if (silent) return;
    auto good = answer_to(query);
    if (send_wrong_id) {
      auto bad = good;
      bad[0] ^= 0x5a;
      send(&sock, bad, from);
    }
    if (send_wrong_question) {
      auto bad = good;
      bad[12 + 1] ^= 0x01;  // first letter of the qname changes
      send(&sock, bad, from);
    }
    if (send_from_other_port) send(&other_port, good, from);
    send(&sock, good, from);
  }
  void close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&sock), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&other_port), nullptr);
  }
};

UpstreamQuery query_for(const dns::ServerAddress& server, Protocol p, uint32_t timeout_ms) {
  UpstreamQuery q;
  q.server = server;
  q.protocol = p;
  q.qname = dns::Name::parse("www.example.");
  q.qtype = dns::rrtype::A;
  q.timeout_ms = timeout_ms;
  return q;
}

}  // namespace

TEST_CASE("UDP: only the answer from the queried address, port, ID and question is accepted",
          "[transport]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    UdpResponder responder(&loop, "127.0.0.1:24001", "127.0.0.1:24002");
    UvTransport transport(&loop);
    std::optional<UpstreamReply> got;
    transport.send(query_for(addr("127.0.0.1:24001"), Protocol::Udp, 2000),
                   [&](UpstreamReply&& r) { got = std::move(r); responder.close(); });
    uv_run(&loop, UV_RUN_DEFAULT);
    REQUIRE(got);
    CHECK(got->status == ReplyStatus::Answer);
    REQUIRE(got->message.answer.size() == 1);
    CHECK(got->message.qname == dns::Name::parse("www.example."));
    CHECK(got->message.answer[0].rdata == std::vector<uint8_t>{192, 0, 2, 7});
    // wrong ID, wrong question and wrong source port were all seen and ignored
    CHECK(transport.counters().ignored_mismatch == 3);
    CHECK(responder.queries == 1);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("UDP: queries carry EDNS 1232 with DO=1, fresh IDs and source ports", "[transport]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    UdpResponder responder(&loop, "127.0.0.1:24003", "127.0.0.1:24004");
    responder.silent = true;
    // The responder closes once it has read all 8 queries and all 8 timed out:
    // on a loaded machine the timeouts can fire before the queries are read.
    // The guard timer ends the test if a datagram never arrives.
    struct Seen {
      std::vector<dns::Query> queries;
      std::vector<std::string> sources;
      int timeouts = 0;
      bool closed = false;
      UdpResponder* responder = nullptr;
      uv_timer_t guard{};
      void maybe_close(bool give_up = false) {
        if (closed || (!give_up && (timeouts < 8 || queries.size() < 8))) return;
        closed = true;
        responder->close();
        uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
      }
    } seen;
    seen.responder = &responder;
    uv_timer_init(&loop, &seen.guard);
    seen.guard.data = &seen;
    uv_timer_start(
        &seen.guard, [](uv_timer_t* t) { static_cast<Seen*>(t->data)->maybe_close(true); }, 10000,
        0);
    uv_udp_recv_stop(&responder.sock);
    uv_udp_recv_start(
        &responder.sock,
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          auto* self = static_cast<UdpResponder*>(h->data);
          *buf = uv_buf_init(reinterpret_cast<char*>(self->rx.data()), 2048);
        },
        [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
          if (n <= 0 || from == nullptr) return;
          auto* ctx = static_cast<Seen*>(h->loop->data);
          dns::Query q;
          REQUIRE(dns::parse_query({reinterpret_cast<uint8_t*>(buf->base), static_cast<size_t>(n)},
                                   q) == dns::QueryStatus::Ok);
          ctx->queries.push_back(q);
          ctx->sources.push_back(dns::ServerAddress::from_sockaddr(from).to_string());
          ctx->maybe_close();
        });
    loop.data = &seen;
    UvTransport transport(&loop);
    for (int i = 0; i < 8; ++i) {
      auto q = query_for(addr("127.0.0.1:24003"), Protocol::Udp, 150);
      q.checking_disabled = (i == 0);
      transport.send(q, [&](UpstreamReply&& r) {
        if (r.status == ReplyStatus::Timeout) ++seen.timeouts;
        seen.maybe_close();
      });
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(seen.timeouts == 8);
    REQUIRE(seen.queries.size() == 8);
    for (const auto& q : seen.queries) {
      CHECK(q.edns.present);
      CHECK(q.edns.udp_size == 1232);
      CHECK(q.edns.dnssec_ok);
    }
    CHECK((seen.queries[0].flags & dns::flag::CD) != 0);
    CHECK((seen.queries[1].flags & dns::flag::CD) == 0);
    auto& sources = seen.sources;
    std::sort(sources.begin(), sources.end());
    CHECK(std::unique(sources.begin(), sources.end()) == sources.end());  // 8 distinct ports
    std::vector<uint16_t> ids;
    for (const auto& q : seen.queries) ids.push_back(q.id);
    std::sort(ids.begin(), ids.end());
    // 8 random 16-bit IDs: a repeat has probability < 0.05%
    CHECK(std::unique(ids.begin(), ids.end()) == ids.end());
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

namespace {

// A TCP responder answering each length-prefixed query, first with a wrong-ID
// message on the same stream.
struct TcpResponder {
  uv_tcp_t server{};
  uv_tcp_t client{};
  std::vector<uint8_t> in;
  std::array<char, 4096> chunk{};
  std::vector<std::vector<uint8_t>> outgoing;

  TcpResponder(uv_loop_t* loop, const char* address) {
    uv_tcp_init(loop, &server);
    server.data = this;
    REQUIRE(uv_tcp_bind(&server, addr(address).sockaddr_ptr(), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&server), 4, [](uv_stream_t* s, int) {
              auto* self = static_cast<TcpResponder*>(s->data);
              uv_tcp_init(s->loop, &self->client);
              self->client.data = self;
              REQUIRE(uv_accept(s, reinterpret_cast<uv_stream_t*>(&self->client)) == 0);
              uv_read_start(
                  reinterpret_cast<uv_stream_t*>(&self->client),
                  [](uv_handle_t* h, size_t, uv_buf_t* buf) {
                    auto* me = static_cast<TcpResponder*>(h->data);
                    *buf = uv_buf_init(me->chunk.data(), 4096);
                  },
                  [](uv_stream_t* c, ssize_t n, const uv_buf_t* buf) {
                    auto* me = static_cast<TcpResponder*>(c->data);
                    if (n <= 0) return;
                    me->in.insert(me->in.end(), buf->base, buf->base + n);
                    if (me->in.size() < 2) return;
                    std::size_t len = me->in[0] << 8 | me->in[1];
                    if (me->in.size() < 2 + len) return;
                    auto good = answer_to({me->in.data() + 2, len});
                    auto bad = good;
                    bad[1] ^= 0x33;
                    for (auto* m : {&bad, &good}) {
                      std::vector<uint8_t> framed = {static_cast<uint8_t>(m->size() >> 8),
                                                     static_cast<uint8_t>(m->size())};
                      framed.insert(framed.end(), m->begin(), m->end());
                      me->outgoing.push_back(framed);
                      uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(me->outgoing.back().data()),
                                               static_cast<unsigned>(framed.size()));
                      REQUIRE(uv_try_write(c, &b, 1) == static_cast<int>(framed.size()));
                    }
                  });
            }) == 0);
  }
  void close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&server), nullptr);
    if (client.loop) uv_close(reinterpret_cast<uv_handle_t*>(&client), nullptr);
  }
};

}  // namespace

TEST_CASE("TCP: framed query and answer, a wrong-ID message on the stream is skipped",
          "[transport]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    TcpResponder responder(&loop, "127.0.0.1:24005");
    UvTransport transport(&loop);
    std::optional<UpstreamReply> got;
    transport.send(query_for(addr("127.0.0.1:24005"), Protocol::Tcp, 2000),
                   [&](UpstreamReply&& r) { got = std::move(r); responder.close(); });
    uv_run(&loop, UV_RUN_DEFAULT);
    REQUIRE(got);
    CHECK(got->status == ReplyStatus::Answer);
    REQUIRE(got->message.answer.size() == 1);
    CHECK(transport.counters().ignored_mismatch == 1);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("TCP: a refused connection is a network error, reported after send returns",
          "[transport]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    UvTransport transport(&loop);
    std::optional<UpstreamReply> got;
    bool returned = false;
    transport.send(query_for(addr("127.0.0.1:24006"), Protocol::Tcp, 2000),
                   [&](UpstreamReply&& r) {
                     CHECK(returned);
                     got = std::move(r);
                   });
    returned = true;
    uv_run(&loop, UV_RUN_DEFAULT);
    REQUIRE(got);
    CHECK(got->status == ReplyStatus::NetworkError);
    CHECK(got->error.find("127.0.0.1:24006") != std::string::npos);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("a cancelled query never calls back and leaves nothing open", "[transport]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    UvTransport transport(&loop);
    bool called = false;
    auto h = transport.send(query_for(addr("127.0.0.1:24007"), Protocol::Udp, 5000),
                            [&](UpstreamReply&&) { called = true; });
    transport.cancel(h);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_FALSE(called);
  }
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("UDP: the traffic observer hears the query sent and the one response accepted", "[transport]") {
  struct Recorder final : TrafficObserver {
    std::vector<std::vector<uint8_t>> queries, responses;
    std::vector<std::string> servers, zones;
    WallTime sent_at, received_at;
    void query_sent(const UpstreamExchange& e, std::span<const uint8_t> query) override {
      queries.emplace_back(query.begin(), query.end());
      servers.push_back(e.server.to_string());
      zones.push_back(dns::name_to_text(e.zone));
      sent_at = e.query_time;
    }
    void response_received(const UpstreamExchange& e, WallTime at, std::span<const uint8_t> response) override {
      responses.emplace_back(response.begin(), response.end());
      servers.push_back(e.server.to_string());
      zones.push_back(dns::name_to_text(e.zone));
      CHECK(e.query_time.sec == sent_at.sec);
      CHECK(e.query_time.nsec == sent_at.nsec);
      received_at = at;
    }
  };
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    // Ports 27300-27301 (the ops range of the dnstap resolver test).
    UdpResponder responder(&loop, "127.0.0.1:27300", "127.0.0.1:27301");
    auto recorder = std::make_shared<Recorder>();
    UvTransport transport(&loop, dns::kMaxMessageSize, recorder);
    std::optional<UpstreamReply> got;
    auto q = query_for(addr("127.0.0.1:27300"), Protocol::Udp, 2000);
    q.zone = dns::Name::parse("example.");
    transport.send(q, [&](UpstreamReply&& r) { got = std::move(r); responder.close(); });
    uv_run(&loop, UV_RUN_DEFAULT);
    REQUIRE(got);
    CHECK(got->status == ReplyStatus::Answer);
    REQUIRE(recorder->queries.size() == 1);
    REQUIRE(recorder->responses.size() == 1);  // the three mismatches are not reported
    dns::Query sent;
    REQUIRE(dns::parse_query(recorder->queries[0], sent) == dns::QueryStatus::Ok);
    CHECK(dns::name_to_text(sent.qname.view()) == "www.example.");
    CHECK(recorder->responses[0] == answer_to(recorder->queries[0]));
    CHECK(recorder->servers == std::vector<std::string>{"127.0.0.1:27300", "127.0.0.1:27300"});
    CHECK(recorder->zones == std::vector<std::string>{"example.", "example."});
    CHECK(recorder->sent_at.sec > 1600000000);
    CHECK((recorder->received_at.sec > recorder->sent_at.sec ||
           (recorder->received_at.sec == recorder->sent_at.sec && recorder->received_at.nsec >= recorder->sent_at.nsec)));
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

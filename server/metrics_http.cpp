#include "server/metrics_http.h"

#include <microhttpd.h>

#include <cstring>

namespace flatns::server {

namespace {

MHD_Result reply(MHD_Connection* connection, unsigned status, const std::string& body, const char* type) {
  MHD_Response* response =
      MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  const MHD_Result result = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return result;
}

MHD_Result on_request(void* context, MHD_Connection* connection, const char* url, const char* method,
                      const char*, const char*, std::size_t* upload_size, void** state) {
  // The first call only announces the request; answer on the second, once
  // any body has been read (and ignored).
  if (*state == nullptr) {
    *state = reinterpret_cast<void*>(1);
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0;
    return MHD_YES;
  }
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n", "text/plain");
  }
  if (std::strcmp(url, "/metrics") != 0) {
    return reply(connection, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", "text/plain");
  }
  const auto& render = *static_cast<const MetricsHttp::Render*>(context);
  return reply(connection, MHD_HTTP_OK, render(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

MetricsHttp::~MetricsHttp() { stop(); }

bool MetricsHttp::start(const dns::ServerAddress& address, std::string& error) {
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO;
  if (address.family() == AF_INET6) flags |= MHD_USE_IPv6;
  daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &on_request, &render_,
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&address.storage),
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(kMaxConnections),
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(kIdleTimeoutS),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<std::size_t>(kConnectionMemory),
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u,
      MHD_OPTION_END);
  if (!daemon_) {
    error = "server.metrics: cannot listen on " + address.to_string() + " (in use, or not an address of this host)";
    return false;
  }
  return true;
}

void MetricsHttp::stop() {
  if (daemon_) MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

}  // namespace flatns::server

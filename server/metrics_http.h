// The Prometheus endpoint's HTTP side (server.metrics): GNU libmicrohttpd
// (Debian's libmicrohttpd-dev) on its own thread with epoll, so no worker
// ever waits on an HTTP client. It serves GET /metrics (text exposition
// format 0.0.4) and 404 for any other path, 405 for other methods.
//
// Against slow and hostile clients: at most kMaxConnections connections
// (so 1000 idle ones still leave room for the scraper), each closed after
// kIdleTimeoutS without progress (slowloris), each with a kConnectionMemory
// octet pool that bounds the request line and headers (a 1 MB header gets
// 431/413 and the connection closed); malformed requests get 400.
#pragma once

#include <functional>
#include <string>

#include "dns/server_address.h"

struct MHD_Daemon;

namespace flatns::server {

class MetricsHttp {
 public:
  static constexpr unsigned kMaxConnections = 2048;
  static constexpr unsigned kIdleTimeoutS = 10;
  static constexpr std::size_t kConnectionMemory = 16 * 1024;

  // Called on the HTTP thread for each scrape; returns the exposition text.
  using Render = std::function<std::string()>;

  explicit MetricsHttp(Render render) : render_(std::move(render)) {}
  ~MetricsHttp();
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  [[nodiscard]] bool start(const dns::ServerAddress& address, std::string& error);
  void stop();

 private:
  Render render_;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace flatns::server

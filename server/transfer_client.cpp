#include "server/transfer_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <random>

#include "dns/rrtype.h"
#include "transfer/journal.h"
#include "zones/zone.h"

namespace flatns::server {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

uint16_t random_id() {
  static thread_local std::mt19937 random{std::random_device{}()};
  return static_cast<uint16_t>(random());
}

uint64_t now_s() { return static_cast<uint64_t>(std::time(nullptr)); }

// Waits in short slices so that a stopping daemon is not held up.
bool wait_for(int fd, short events, int timeout_ms, const std::atomic<bool>* cancel) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!(cancel && *cancel)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 200)));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
  return false;
}

// Reads exactly `n` octets, each wait bounded by the idle timeout and the deadline.
bool read_exact(int fd, uint8_t* out, std::size_t n, const TransferLimits& limits,
                std::chrono::steady_clock::time_point deadline, std::string& error) {
  std::size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      error = "transfer took longer than " + std::to_string(limits.max_time_s) + " s";
      return false;
    }
    const int wait = static_cast<int>(std::min<int64_t>(left.count(), limits.idle_timeout_ms));
    if (!wait_for(fd, POLLIN, wait, limits.cancel)) {
      error = "no data for " + std::to_string(wait) + " ms (stalled)";
      return false;
    }
    const ssize_t r = ::recv(fd, out + got, n - got, 0);
    if (r == 0) {
      error = "connection closed after " + std::to_string(got) + " of " + std::to_string(n) + " octets";
      return false;
    }
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      error = std::string("receive: ") + std::strerror(errno);
      return false;
    }
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

bool query_primary_serial(const PrimaryServer& primary, const dns::Name& origin, const TransferLimits& limits,
                          uint32_t& serial, std::string& error) {
  const dns::TsigKey* key = primary.key ? &*primary.key : nullptr;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Fd fd(::socket(primary.address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0 || ::connect(fd.get(), primary.address.sockaddr_ptr(), primary.address.length) != 0) {
      error = std::string("socket: ") + std::strerror(errno);
      return false;
    }
    const uint16_t id = random_id();
    std::vector<uint8_t> mac;
    const auto q = transfer::make_transfer_query(origin, dns::rrtype::SOA, id, key, now_s(), mac);
    if (::send(fd.get(), q.data(), q.size(), 0) < 0) {
      error = std::string("send: ") + std::strerror(errno);
      continue;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.soa_timeout_ms);
    std::vector<uint8_t> buffer(65535);
    error = "no answer to the SOA query within " + std::to_string(limits.soa_timeout_ms) + " ms";
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0 || !wait_for(fd.get(), POLLIN, static_cast<int>(left), limits.cancel)) break;
      const ssize_t n = ::recv(fd.get(), buffer.data(), buffer.size(), 0);
      if (n < 12) continue;
      if ((static_cast<uint16_t>(buffer[0] << 8 | buffer[1])) != id) continue;  // not ours: keep waiting
      return transfer::check_soa_answer({buffer.data(), static_cast<std::size_t>(n)}, origin, id, key, mac, now_s(),
                                        serial, error);
    }
  }
  return false;
}

namespace {

// Sends `query` over TCP and feeds the answer's messages to `receiver`
// until it is done or fails.
bool stream_transfer(const PrimaryServer& primary, const std::vector<uint8_t>& query, const TransferLimits& limits,
                     transfer::AxfrReceiver& receiver, std::string& error) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits.max_time_s);
  Fd fd(::socket(primary.address.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (::connect(fd.get(), primary.address.sockaddr_ptr(), primary.address.length) != 0 && errno != EINPROGRESS) {
    error = std::string("connect: ") + std::strerror(errno);
    return false;
  }
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (!wait_for(fd.get(), POLLOUT, static_cast<int>(limits.soa_timeout_ms * 2), limits.cancel) ||
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
    error = std::string("connect: ") + (so_error ? std::strerror(so_error) : "timed out");
    return false;
  }
  std::vector<uint8_t> framed = {static_cast<uint8_t>(query.size() >> 8), static_cast<uint8_t>(query.size())};
  framed.insert(framed.end(), query.begin(), query.end());
  if (::send(fd.get(), framed.data(), framed.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(framed.size())) {
    error = std::string("send: ") + std::strerror(errno);
    return false;
  }
  std::vector<uint8_t> message;
  while (receiver.state() == transfer::AxfrReceiver::State::More) {
    uint8_t prefix[2];
    if (!read_exact(fd.get(), prefix, 2, limits, deadline, error)) {
      error = "truncated stream: " + error;
      return false;
    }
    message.resize(static_cast<std::size_t>(prefix[0]) << 8 | prefix[1]);
    if (!read_exact(fd.get(), message.data(), message.size(), limits, deadline, error)) {
      error = "truncated stream: " + error;
      return false;
    }
    receiver.add(message, now_s());
  }
  if (receiver.state() != transfer::AxfrReceiver::State::Done) {
    error = receiver.error();
    return false;
  }
  return true;
}

}  // namespace

bool transfer_zone(const PrimaryServer& primary, const dns::Name& origin, const TransferLimits& limits,
                   std::vector<dns::ResourceRecord>& records, uint32_t& serial, std::string& error) {
  const dns::TsigKey* key = primary.key ? &*primary.key : nullptr;
  const uint16_t id = random_id();
  std::vector<uint8_t> mac;
  const auto q = transfer::make_transfer_query(origin, dns::rrtype::AXFR, id, key, now_s(), mac);
  transfer::AxfrReceiver receiver(origin, id, key, mac, limits.sizes);
  if (!stream_transfer(primary, q, limits, receiver, error)) return false;
  records = receiver.records();
  serial = receiver.serial();
  return true;
}

IxfrOutcome ixfr_zone(const PrimaryServer& primary, const zones::Zone& current, const TransferLimits& limits,
                      std::vector<dns::ResourceRecord>& records, uint32_t& serial, std::string& error) {
  const dns::TsigKey* key = primary.key ? &*primary.key : nullptr;
  const uint16_t id = random_id();
  std::vector<uint8_t> mac;
  std::vector<dns::ResourceRecord> now = transfer::zone_records(current);
  const auto q = transfer::make_ixfr_query(current.origin(), now.front().rdata, id, key, now_s(), mac);
  transfer::AxfrReceiver receiver(current.origin(), id, key, mac, limits.sizes);
  receiver.expect_ixfr(current.serial());
  if (!stream_transfer(primary, q, limits, receiver, error)) return IxfrOutcome::Failed;
  serial = receiver.serial();
  if (receiver.up_to_date()) return IxfrOutcome::UpToDate;
  if (!receiver.incremental()) {
    records = receiver.records();
    return IxfrOutcome::Whole;
  }
  if (!transfer::apply_differences(now, receiver.differences(), records, error)) return IxfrOutcome::Failed;
  return IxfrOutcome::Incremental;
}

}  // namespace flatns::server

#include "server/dnstap_sink.h"

#include <fcntl.h>
#include <fstrm.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace flatns::server {

// The file descriptor under libfstrm's writer (its rdwr object).
struct FrameStreamSink::Transport {
  bool socket = false;
  std::string path;
  int fd = -1;
  bool truncate = true;  // a file is truncated once, by init(); a reopen appends
  bool broken = false;   // a direct write failed: STOP is not attempted on it

  ~Transport() { close(); }
  bool open() {
    close();  // a failed handshake (content type refused) leaves it open
    broken = false;
    if (!socket) {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND), 0666);
      truncate = false;
      return fd >= 0;
    }
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const timeval timeout{std::chrono::duration_cast<std::chrono::seconds>(kIoTimeout).count(), 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());  // init() checked the length
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      close();
      return false;
    }
    return true;
  }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  bool read(void* data, std::size_t count) {
    auto* at = static_cast<uint8_t*>(data);
    while (count > 0) {
      const ssize_t n = ::read(fd, at, count);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;  // closed, error or kIoTimeout
      at += n;
      count -= static_cast<std::size_t>(n);
    }
    return true;
  }
  // All of iov, resuming after short writes.
  bool write(iovec* iov, int count) {
    if (broken || fd < 0) return false;
    while (count > 0) {
      msghdr message{};
      message.msg_iov = iov;
      message.msg_iovlen = static_cast<std::size_t>(count);
      const ssize_t n = socket ? sendmsg(fd, &message, MSG_NOSIGNAL) : writev(fd, iov, count);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken = true;
        return false;
      }
      auto done = static_cast<std::size_t>(n);
      while (count > 0 && done >= iov->iov_len) {
        done -= iov->iov_len;
        ++iov;
        --count;
      }
      if (count > 0) {
        iov->iov_base = static_cast<uint8_t*>(iov->iov_base) + done;
        iov->iov_len -= done;
      }
    }
    return true;
  }
};

namespace {
using Transport = FrameStreamSink::Transport;
fstrm_res op_open(void* obj) { return static_cast<Transport*>(obj)->open() ? fstrm_res_success : fstrm_res_failure; }
fstrm_res op_close(void* obj) {
  static_cast<Transport*>(obj)->close();
  return fstrm_res_success;
}
fstrm_res op_read(void* obj, void* data, size_t count) {
  return static_cast<Transport*>(obj)->read(data, count) ? fstrm_res_success : fstrm_res_failure;
}
fstrm_res op_write(void* obj, const iovec* iov, int count) {
  // libfstrm's control frames (one iovec each); copied, since write() advances them.
  if (count <= 0) return fstrm_res_success;
  std::vector<iovec> copy(iov, iov + count);
  return static_cast<Transport*>(obj)->write(copy.data(), count) ? fstrm_res_success : fstrm_res_failure;
}
}  // namespace

FrameStreamSink::FrameStreamSink(DnstapSettings::Sink kind, std::string path)
    : transport_(std::make_unique<Transport>()) {
  transport_->socket = kind == DnstapSettings::Sink::Socket;
  transport_->path = std::move(path);
}

FrameStreamSink::~FrameStreamSink() {
  close();
  if (writer_) fstrm_writer_destroy(&writer_);
}

bool FrameStreamSink::init(const std::string& content_type, std::string& error) {
  const std::string& path = transport_->path;
  if (transport_->socket) {
    if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      error = "server.dnstap.socket: " + path + ": the path must be 1 to " +
              std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes";
      return false;
    }
  } else {
    // Fail now, with the path, rather than in the writer thread later.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
      error = "server.dnstap.file: cannot open " + path + ": " + std::strerror(errno);
      return false;
    }
    ::close(fd);
    transport_->truncate = false;
  }
  fstrm_rdwr* rdwr = fstrm_rdwr_init(transport_.get());
  fstrm_rdwr_set_open(rdwr, op_open);
  fstrm_rdwr_set_close(rdwr, op_close);
  fstrm_rdwr_set_write(rdwr, op_write);
  // A read operation is what makes libfstrm's writer do the bidirectional handshake.
  if (transport_->socket) fstrm_rdwr_set_read(rdwr, op_read);
  fstrm_writer_options* options = fstrm_writer_options_init();
  fstrm_writer_options_add_content_type(options, content_type.data(), content_type.size());
  writer_ = fstrm_writer_init(options, &rdwr);
  fstrm_writer_options_destroy(&options);
  if (!writer_) {
    if (rdwr) fstrm_rdwr_destroy(&rdwr);
    error = "server.dnstap: cannot set up a Frame Streams writer for " + path;
    return false;
  }
  return true;
}

bool FrameStreamSink::ready() {
  if (opened_) return true;
  if (!writer_) return false;
  if (tried_ && std::chrono::steady_clock::now() - last_attempt_ < kReopenInterval) return false;
  opened_ = fstrm_writer_open(writer_) == fstrm_res_success;
  if (!opened_) transport_->close();  // a handshake that failed half-way
  // Counted from the end of the attempt: a collector that never answers the
  // handshake holds the writer kIoTimeout, then it drops for kReopenInterval.
  tried_ = true;
  last_attempt_ = std::chrono::steady_clock::now();
  return opened_;
}

bool FrameStreamSink::write(std::span<const uint8_t> frames) {
  if (!opened_) return false;
  iovec iov{const_cast<uint8_t*>(frames.data()), frames.size()};
  if (transport_->write(&iov, 1)) return true;
  close();  // the transport is broken: STOP is not attempted, the descriptor is closed
  return false;
}

void FrameStreamSink::close() {
  if (!opened_) return;
  opened_ = false;
  fstrm_writer_close(writer_);
}

}  // namespace flatns::server

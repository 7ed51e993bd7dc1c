// Where dnstap's Frame Streams go (https://github.com/farsightsec/fstrm,
// "Frame Streams" protocol): a file, or the Unix socket of a collector
// (fstrm_capture, a dnstap-reading tool). libfstrm's writer does the control
// frames: START (and STOP) for a file; the bidirectional handshake READY /
// ACCEPT / START (and STOP / FINISH) for a socket. Data frames are written
// here, a whole batch at a time, straight on the file descriptor the writer
// opened through this module's transport (libfstrm's rdwr interface): one
// system call for hundreds of frames, where the writer's own writev takes
// 128 frames and its file transport one fwrite per frame.
//
// A socket has send and receive timeouts (kIoTimeout): a collector that
// stops reading, or never answers the handshake, fails the write or the
// open instead of blocking the dnstap writer thread for good, so shutdown
// never hangs on it. After a failure the sink is closed and opened again
// (reconnect) no sooner than kReopenInterval later; what arrives meanwhile is
// dropped by the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "server/config_ops.h"

struct fstrm_writer;

namespace flatns::server {

class FrameStreamSink {
 public:
  static constexpr auto kIoTimeout = std::chrono::seconds(1);
  static constexpr auto kReopenInterval = std::chrono::seconds(1);

  FrameStreamSink(DnstapSettings::Sink kind, std::string path);
  ~FrameStreamSink();
  FrameStreamSink(const FrameStreamSink&) = delete;
  FrameStreamSink& operator=(const FrameStreamSink&) = delete;

  // Checks what can be checked now, with the key and path in the error: a
  // file is created (truncated) here; a socket path must fit sockaddr_un.
  [[nodiscard]] bool init(const std::string& content_type, std::string& error);

  // Opened and started, or opens now if the last attempt is kReopenInterval
  // old (the first attempt is immediate).
  [[nodiscard]] bool ready();

  // Writes data frames already laid out as Frame Streams (a big-endian
  // 32-bit length before each payload). False: the sink failed and is
  // closed (the frames are lost; ready() reopens it later).
  [[nodiscard]] bool write(std::span<const uint8_t> frames);

  // STOP (and, on a socket, FINISH from the collector), then closes.
  void close();

  struct Transport;

 private:
  std::unique_ptr<Transport> transport_;
  fstrm_writer* writer_ = nullptr;
  bool opened_ = false;
  bool tried_ = false;
  std::chrono::steady_clock::time_point last_attempt_{};
};

}  // namespace flatns::server

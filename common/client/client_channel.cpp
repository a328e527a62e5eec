// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/client_channel.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "smbta/aead_frame.h"
#include "smbta/net.h"
#include "smbta/v2_codec.h"

namespace smbta::client {

std::optional<ClientTransport> parse_client_transport(std::string_view word) {
  if (word == "legacy") return ClientTransport::kLegacy;
  if (word == "authenticated") return ClientTransport::kAuthenticated;
  return std::nullopt;
}

ClientChannel::ClientChannel(int fd, std::optional<AesKey> key, ClientTransport transport,
                             std::size_t max_body)
    : fd_(fd), transport_(transport), decoder_(DecoderLimits{max_body}, key) {
  if (transport == ClientTransport::kAuthenticated) {
    if (!key)
      throw std::invalid_argument(
          "the authenticated transport needs the key smbtad uses for clients (-k)");
    const AeadRandom mine = make_aead_random();
    std::string hello;
    append_aead_hello(hello, mine);
    decoder_.expect_server_hello(mine);
    net::write_all(fd_, hello.data(), hello.size());
  } else if (key) {
    cipher_.emplace(*key);
  }
}

namespace {

// Milliseconds until `deadline` for poll(): -1 (forever) without one, else at least 0.
int poll_wait(std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (!deadline) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      *deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

std::optional<std::chrono::steady_clock::time_point> deadline_in(int timeout_ms) {
  if (timeout_ms < 0) return std::nullopt;
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
}

}  // namespace

void ClientChannel::send(std::string_view body, int handshake_timeout_ms) {
  std::string frame;
  if (transport_ == ClientTransport::kAuthenticated) {
    // smbtad answers the hello before anything else; the keys exist only from then on.
    const auto deadline = deadline_in(handshake_timeout_ms <= 0 ? -1 : handshake_timeout_ms);
    while (decoder_.sealer() == nullptr) {
      std::string_view early;
      if (take_frame(early)) throw std::runtime_error("smbtad sent a frame before its hello");
      if (decoder_.sealer() != nullptr) break;
      if (!read_some(poll_wait(deadline)))
        throw std::runtime_error(
            "smbtad did not answer the authenticated transport's hello (timeout)");
    }
    decoder_.sealer()->seal(body, frame);
  } else {
    frame = frame_body(body, cipher_ ? &*cipher_ : nullptr);
  }
  net::write_all(fd_, frame.data(), frame.size());
}

bool ClientChannel::receive(std::string_view& body, int timeout_ms) {
  const auto deadline = deadline_in(timeout_ms);
  // The socket is read at least once, so that a timeout of 0 (or one that has run out by the
  // time it is converted to whole milliseconds) still takes what has already arrived.
  for (bool polled = false;; polled = true) {
    if (take_frame(body)) return true;
    const int wait = poll_wait(deadline);
    if (wait == 0 && polled) return false;
    if (!read_some(wait) && deadline && polled) return false;
  }
}

bool ClientChannel::take_frame(std::string_view& body) {
  switch (decoder_.next_body(body)) {
    case StreamDecoder::Status::kRecord:
      return true;
    case StreamDecoder::Status::kNeedMore:
    case StreamDecoder::Status::kBadRecord:  // next_body never drops a frame
      return false;
    case StreamDecoder::Status::kFatal:
      break;
  }
  switch (decoder_.error()) {
    case ProtocolError::kEncryptedWithoutKey:
      throw std::runtime_error("smbtad sent an encrypted reply; give the key (-k)");
    case ProtocolError::kAeadRequired:
      throw std::runtime_error(
          "smbtad answered in the legacy transport: it has no key (-k), or it is an SMBTA "
          "1.2.x smbtad (use --transport legacy)");
    case ProtocolError::kAeadAuthFailed:
      throw std::runtime_error(
          "smbtad's reply failed authentication: the key differs from smbtad's (-k must name a "
          "file with the key smbtad uses for clients: its -K, else its -k), or the stream was "
          "changed on the way");
    default:
      throw std::runtime_error(
          fmt::format("smbtad sent a malformed stream: {}", describe(decoder_.error())));
  }
}

bool ClientChannel::read_some(int timeout_ms) {
  constexpr std::size_t kChunk = 64 * 1024;
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    const int r = ::poll(&pfd, 1, timeout_ms);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
    }
    const auto buf = decoder_.prepare(kChunk);
    const ssize_t got = ::read(fd_, buf.data(), buf.size());
    if (got == 0) throw std::runtime_error("smbtad closed the connection");
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw std::runtime_error(fmt::format("read from smbtad: {}", std::strerror(errno)));
    }
    decoder_.commit(static_cast<std::size_t>(got));
    return true;
  }
}

}  // namespace smbta::client

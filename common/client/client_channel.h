// SPDX-License-Identifier: GPL-3.0-or-later
// One connection to smbtad's client port, in the transport it was opened with.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "smbta/legacy_cipher.h"
#include "smbta/stream_decoder.h"

namespace smbta::client {

// Which framing a client speaks (docs/protocol.md): the 1.2.x frames (clear, or AES-128-ECB
// with -k), or the authenticated transport (AES-256-GCM, keys per connection from the key file).
enum class ClientTransport { kLegacy, kAuthenticated };

// "legacy" or "authenticated"; nullopt for anything else (the caller names its option).
std::optional<ClientTransport> parse_client_transport(std::string_view word);

// Why: the authenticated transport's keys belong to a connection, not to a request: smbtaquery's
// queries, a monitor's registrations and the stream that follows all share one handshake and one
// sequence per direction. One class that frames, seals and opens keeps smbtaquery, smbtamonitor
// and rrddriver from each doing it their own way (the legacy framing already lived in two places).
class ClientChannel {
 public:
  // Borrows `fd`, a connected blocking socket, for the channel's life. kAuthenticated needs the
  // key (std::invalid_argument otherwise) and sends its hello at once; the server's hello is
  // awaited by the first send(). `max_body` bounds a reply body.
  ClientChannel(int fd, std::optional<AesKey> key, ClientTransport transport,
                std::size_t max_body = DecoderLimits{}.max_body);

  // Sends one request body: sealed (authenticated), AES-128-ECB (legacy with a key) or clear.
  // Throws std::runtime_error when the handshake fails or times out (`handshake_timeout_ms`,
  // <= 0: wait forever) or the socket breaks.
  void send(std::string_view body, int handshake_timeout_ms = 30'000);

  // The next frame body: true with `body` set (valid until the next call), false when nothing
  // complete arrived within `timeout_ms` (0: only what has already arrived; < 0: wait forever).
  // Throws std::runtime_error when smbtad closed the connection or sent a malformed, unauthentic
  // or wrongly framed stream; the message says which.
  bool receive(std::string_view& body, int timeout_ms);

  // Whether the last body came in a legacy encrypted frame: such a body that does not parse
  // means a key mismatch, which the callers say in their own terms.
  bool last_encrypted() const { return decoder_.last_header().encrypted; }
  ClientTransport transport() const { return transport_; }
  int fd() const { return fd_; }

 private:
  // The next complete frame's body if one is buffered (false if not); throws for a fatal stream
  // error with a message for the user. Also completes the handshake on the server's hello.
  bool take_frame(std::string_view& body);
  // Reads what has arrived, waiting up to `timeout_ms` for poll() (-1: forever); false on
  // timeout.
  bool read_some(int timeout_ms);

  int fd_;
  ClientTransport transport_;
  std::optional<LegacyCipher> cipher_;
  StreamDecoder decoder_;
};

}  // namespace smbta::client

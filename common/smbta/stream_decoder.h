// SPDX-License-Identifier: GPL-3.0-or-later
// Incremental V2 stream decoder: bytes in, in any chunking; typed records out.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smbta/aead_frame.h"
#include "smbta/legacy_cipher.h"
#include "smbta/protocol_error.h"
#include "smbta/record.h"
#include "smbta/v2_codec.h"

namespace smbta {

struct DecoderLimits {
  // Bodies larger than this close the connection. 64 KiB holds two PATH_MAX paths many times
  // over; a legitimate module never comes near it.
  std::uint64_t max_body = 64 * 1024;
};

// Why: a network read can end anywhere, even inside a length field. This class owns the bytes of
// at most one partial frame plus one read, never reads past what it holds, and turns each
// complete frame into a Record or a precise ProtocolError. One decoder per connection.
class StreamDecoder {
 public:
  enum class Status {
    kNeedMore,   // no complete frame buffered
    kRecord,     // `out` holds the next record
    kBadRecord,  // one frame was dropped (see error()); the stream goes on
    kFatal,      // the stream is unusable (see error()); close the connection
  };

  explicit StreamDecoder(DecoderLimits limits = {}, std::optional<AesKey> key = std::nullopt);

  // The authenticated transport (docs/protocol.md). As the receiving side of a connection
  // (smbtad), a hello from the peer is answered (take_reply()) and every later frame must be
  // sealed; with `require` set, the first frame must be a hello. Needs the key.
  void require_authenticated(bool require) { require_aead_ = require; }
  // As the connecting side (a client that sent a hello with `client_random`): the peer's hello
  // completes the handshake, after which sealer() seals requests and replies are opened.
  void expect_server_hello(const AeadRandom& client_random);
  // Tests and fuzzing: where the server's hello random comes from (default: the CSPRNG).
  void set_random_source(std::function<AeadRandom()> source) { random_ = std::move(source); }
  // Seals frames to the peer once the handshake is done; nullptr before (and in legacy mode).
  AeadSealer* sealer() { return sealer_ ? &*sealer_ : nullptr; }
  bool authenticated() const { return opener_.has_value(); }
  // Bytes to send to the peer (a server's hello), handed over once.
  std::string take_reply() { return std::exchange(reply_, {}); }

  void feed(std::string_view bytes);
  // Zero-copy path for socket reads: write up to n bytes into the span, then commit what arrived.
  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n);

  Status next(Record& out);
  // The next complete frame's body, decrypted, without parsing it as a record (the client
  // channel carries monitor requests and queries). Valid until the next feed/prepare/next.
  Status next_body(std::string_view& body);
  // At end of stream: kNeedMore when it ended on a frame boundary, kFatal (truncated) otherwise.
  Status finish();

  // Frees the buffer when nothing is pending, so thousands of idle connections hold no memory.
  void release_if_idle();

  ProtocolError error() const { return error_; }
  const FrameHeader& last_header() const { return header_; }
  std::size_t buffered() const { return end_ - begin_; }
  std::uint64_t frames() const { return frames_; }

 private:
  Status fatal(ProtocolError e);
  void compact();
  ProtocolError check_transport(const FrameHeader& h) const;
  ProtocolError take_hello(std::string_view header, std::string_view body);

  DecoderLimits limits_;
  std::optional<LegacyCipher> cipher_;
  std::vector<char> buf_;  // bytes [begin_, end_) are unread; the rest is spare capacity
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  FrameHeader header_;
  bool have_header_ = false;
  ProtocolError error_ = ProtocolError::kNone;
  bool dead_ = false;
  std::uint64_t frames_ = 0;
  std::string plain_;  // decrypted body scratch, reused
  std::optional<AesKey> psk_;
  bool require_aead_ = false;
  bool client_side_ = false;
  std::string own_hello_;  // client side: the hello this side sent
  std::function<AeadRandom()> random_;
  std::optional<AeadOpener> opener_;
  std::optional<AeadSealer> sealer_;
  std::string reply_;
};

}  // namespace smbta

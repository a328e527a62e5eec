// SPDX-License-Identifier: GPL-3.0-or-later
// Incremental V2 stream decoder: bytes in, in any chunking; typed records out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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
};

}  // namespace smbta

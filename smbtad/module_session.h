// SPDX-License-Identifier: GPL-3.0-or-later
// One connection from a Samba VFS module: bytes in, decoded records out to the ingest sink.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "event_loop.h"
#include "record_clock.h"
#include "smbta/stream_decoder.h"
#include "smbta/unique_fd.h"

namespace smbtad {

class ModuleSession;

// Why: the session knows framing and the connection's life, the sink knows what a record is for
// (monitors, cache, store); the interface keeps that one-way, so a session needs nothing of the
// server.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void on_record(ModuleSession& from, const smbta::Record& r) = 0;
  virtual void on_close(ModuleSession& s) = 0;
};

class ModuleSession : public EventHandler {
 public:
  using Clock = std::chrono::steady_clock;

  // `require_key`: with a key, a record in clear text closes the connection (without it, such
  // a record is accepted and said once per connection).
  // `require_authenticated`: only the authenticated transport (--transport authenticated).
  ModuleSession(smbta::UniqueFd fd, std::string peer, smbta::DecoderLimits limits,
                std::optional<smbta::AesKey> key, RecordSink& sink, std::span<char> read_buffer,
                bool require_key = false, bool require_authenticated = false);

  void on_events(std::uint32_t events) override;
  // True when a record has been arriving for `timeout` or longer, counted from its first byte
  // however its bytes are spaced (the caller closes).
  bool idle_for(Clock::time_point now, std::chrono::seconds timeout) const;

  // Frees the receive buffer of a connection that has been quiet since `since`: busy
  // connections keep theirs (no allocation per read), idle ones hold no memory.
  void release_buffer_if_quiet(Clock::time_point since) {
    if (last_data_ < since) decoder_.release_if_idle();
  }
  // Restarts the record's clock (after reading was paused for the database).
  void touch(Clock::time_point now) {
    last_data_ = now;
    record_clock_.restart(now);
  }
  int fd() const { return fd_.get(); }
  const std::string& peer() const { return peer_; }
  bool closed() const { return closed_; }
  // Closed by smbtad for a reason (bad framing, idle inside a record), not by the peer.
  bool closed_on_error() const { return closed_on_error_; }
  bool first_record_seen() const { return records_ > 0; }
  int subrelease() const { return decoder_.last_header().subrelease; }
  std::uint64_t records() const { return records_; }
  std::uint64_t bad_records() const { return bad_records_; }
  // Bad records since the previous call: the metrics count them while the connection lasts.
  std::uint64_t take_new_bad_records() {
    const std::uint64_t n = bad_records_ - bad_records_taken_;
    bad_records_taken_ = bad_records_;
    return n;
  }
  void close(std::string_view reason);

 private:
  smbta::UniqueFd fd_;
  std::string peer_;
  smbta::StreamDecoder decoder_;
  RecordSink& sink_;
  std::span<char> read_buffer_;  // shared by all sessions of the thread
  smbta::Record record_;         // reused: keeps string capacity across records
  Clock::time_point last_data_;
  RecordClock record_clock_;  // since the first byte of the record not yet complete
  std::uint64_t records_ = 0;
  std::uint64_t bad_records_ = 0;
  std::uint64_t bad_records_taken_ = 0;
  bool closed_ = false;
  bool closed_on_error_ = false;
  bool has_key_ = false;
  bool require_key_ = false;
  bool plaintext_logged_ = false;
  // A record in clear text on an smbtad with a key: false when the connection was closed.
  bool accept_plaintext();
  // Sends the decoder's handshake reply, if any: false when the connection was closed.
  bool send_reply();
};

}  // namespace smbtad

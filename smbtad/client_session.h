// SPDX-License-Identifier: GPL-3.0-or-later
// One client connection (smbtamonitor, rrddriver, smbtaquery): requests in, bounded replies out.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "event_loop.h"
#include "monitor_hub.h"
#include "record_clock.h"
#include "smbta/stream_decoder.h"
#include "smbta/unique_fd.h"

namespace smbtad {

class ClientSession;

// `s` in quotes, with quotes, backslashes, control bytes and every non-ASCII byte as \xNN, cut
// after about `max` characters: how peer-supplied text goes into smbtad's log (no forged lines,
// no terminal escapes).
std::string printable(std::string_view s, std::size_t max = 200);

// What the server provides to client sessions.
class ClientHost {
 public:
  virtual ~ClientHost() = default;
  virtual MonitorHub& monitors() = 0;
  virtual EventLoop& loop() = 0;
  // Runs a query request body ("QQ"...) asynchronously; the answer arrives through
  // ClientSession::push. Returns an error message when it cannot be queued, else empty.
  virtual std::string submit_query(ClientSession& from, std::string body) = 0;
  virtual void on_client_close(ClientSession& s) = 0;
  // True when unencrypted requests must be refused.
  virtual bool require_key() const = 0;
  // True when only the authenticated transport is accepted (--transport authenticated).
  virtual bool require_authenticated() const { return false; }
  // How long one request may take to arrive, from its first byte to its last.
  virtual std::chrono::seconds request_timeout() const { return std::chrono::seconds(60); }
};

// Why: the 1.2.6 daemon sent monitor results with blocking writes from its only thread, so one
// client that stopped reading froze ingest and, through the modules, the file server. Here each
// client has a send queue with a byte bound; when it is full the oldest results are dropped and
// counted, and sending happens only when the socket is writable.
class ClientSession : public EventHandler, public MonitorSink {
 public:
  static constexpr std::size_t kMaxQueuedBytes = 4 * 1024 * 1024;

  ClientSession(smbta::UniqueFd fd, std::string peer, std::optional<smbta::AesKey> key,
                ClientHost& host);
  ~ClientSession() override;

  void on_events(std::uint32_t events) override;
  void push(std::string_view body) override;
  void push_error(std::string_view message);

  int fd() const { return fd_.get(); }
  // Unique for the life of the process (fds are reused; serials are not).
  std::uint64_t serial() const { return serial_; }
  const std::string& peer() const { return peer_; }
  std::uint64_t dropped() const { return dropped_; }
  bool closed() const { return closed_; }
  void close(std::string_view reason);
  // Closes the session when a request has been arriving for longer than the host's
  // request_timeout() (the host calls it periodically; reads check it too). True when closed.
  bool close_if_overdue(RecordClock::Clock::time_point now);
  // When the client last sent, read or was answered: the host closes clients idle too long.
  std::chrono::steady_clock::time_point last_activity() const { return last_activity_; }
  void touch(std::chrono::steady_clock::time_point now) { last_activity_ = now; }

 private:
  void handle(std::string_view body);
  // Logs, once per connection and within a process-wide budget, that the keys seem to differ.
  void report_key_mismatch(std::string_view what);
  void flush();
  void update_interest();

  smbta::UniqueFd fd_;
  std::uint64_t serial_;
  std::string peer_;
  smbta::StreamDecoder decoder_;
  std::optional<smbta::LegacyCipher> cipher_;
  bool encrypt_replies_ = false;  // the client's last request was encrypted
  ClientHost& host_;
  // Frames to send. With the authenticated transport, entries from wire_ready_ on are still
  // plain bodies: each is sealed only when it is about to be sent, so the results dropped at
  // the bound never leave a gap in the sequence numbers the client checks.
  std::deque<std::string> out_;
  std::size_t wire_ready_ = 0;
  std::size_t out_bytes_ = 0;
  std::size_t out_offset_ = 0;  // bytes of out_.front() already sent
  std::uint64_t dropped_ = 0;
  bool want_write_ = false;
  bool key_mismatch_logged_ = false;
  std::uint64_t refusals_ = 0;  // monitors refused at a limit (the first one is logged)
  bool closed_ = false;
  std::string send_error_;  // set by flush(); the session closes at its next event
  RecordClock request_clock_;
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
};

}  // namespace smbtad

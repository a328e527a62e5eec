// SPDX-License-Identifier: GPL-3.0-or-later
// The network side of the real-time tools: connect to smbtad, register monitors, reconnect.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "client/monitor_client.h"
#include "client/realtime_options.h"
#include "client/traffic.h"

namespace smbta::client {

using Clock = std::chrono::steady_clock;

// Why: a monitor that gives up when smbtad restarts is useless on a console left running for
// days; delays double from `first` up to `max` so a dead host is not hammered, and reset once a
// connection works.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
      : first_(first), max_(max), next_(first) {}
  // The delay before the next attempt; doubles the one after.
  std::chrono::milliseconds next();
  void reset() { next_ = first_; }

 private:
  std::chrono::milliseconds first_, max_, next_;
};

// Why: the screen, --batch and rrddriver react differently to the same events; the feed reports
// them through this interface and knows nothing of its owner.
class FeedListener {
 public:
  virtual ~FeedListener() = default;
  virtual void on_connected(const std::string& endpoint) = 0;
  // `why` is the error; the next attempt follows after `retry_in`.
  virtual void on_unreachable(const std::string& why, std::chrono::milliseconds retry_in) = 0;
  virtual void on_second(const Traffic& t) = 0;
  virtual void on_log(const LogEntry& e) = 0;
};

// Why: smbtamonitor's screen, its --batch mode and rrddriver all need the same thing from smbtad
// (per-second read/write bytes for one object, optionally the log) and the same reconnect policy;
// the owner keeps its own poll loop and calls in when the fd is readable or a retry is due.
class MonitorFeed {
 public:
  MonitorFeed(RealtimeOptions options, std::optional<AesKey> key, bool want_log,
              Backoff backoff = Backoff(std::chrono::seconds(1), std::chrono::seconds(10)));
  ~MonitorFeed();

  bool connected() const { return conn_ != nullptr; }
  // The socket to poll for input, -1 while disconnected.
  int fd() const;
  // When the next connection attempt is due (only meaningful while disconnected).
  Clock::time_point next_attempt() const { return next_attempt_; }
  // Connects and registers the monitors; on failure reports and schedules the next attempt.
  void try_connect(FeedListener& l);
  // Handles everything that has arrived; on a lost connection reports and schedules a retry.
  void drain(FeedListener& l);
  // With legacy monitors the feed sums per-operation bytes itself and reports them once a
  // second: the owner includes next_tick() in its poll deadline and calls tick() after each
  // wake-up. Without them, next_tick() is never and tick() does nothing.
  Clock::time_point next_tick() const;
  void tick(FeedListener& l);

 private:
  void fail(FeedListener& l, const std::string& why);

  RealtimeOptions options_;
  std::optional<AesKey> key_;
  bool want_log_;
  Backoff backoff_;
  std::unique_ptr<MonitorConnection> conn_;
  std::uint32_t throughput_id_ = 0, log_id_ = 0;
  std::uint32_t read_id_ = 0, write_id_ = 0;  // legacy monitors
  Traffic pending_;                           // legacy: bytes since the last tick
  Clock::time_point next_tick_ = Clock::time_point::max();
  Clock::time_point next_attempt_ = Clock::now();
};

}  // namespace smbta::client

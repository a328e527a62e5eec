// SPDX-License-Identifier: GPL-3.0-or-later
// Where the burst detector's alerts go: the log, monitor clients, the database, a command and
// a webhook configured by the administrator.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "burst_detector.h"
#include "store/event_store.h"

namespace smbtad {

// The delivery options (--alert-command, --alert-webhook, --alert-timeout).
struct AlertDelivery {
  std::string command;  // run by /bin/sh -c with the alert as JSON on stdin and in SMBTA_ALERT_*
  std::string webhook;  // http:// or https:// URL that receives the JSON by POST
  int timeout_s = 10;   // for the command and for the webhook request
  std::optional<smbta::store::DbParams> db;  // stores alerts when smbtad keeps a database
};

// The alert as JSON (the webhook's body, the command's stdin; docs/guide.md shows it).
std::string alert_json(const BurstEvent& e);
// One line of the log for it.
std::string alert_log_line(const BurstEvent& e);
// Bytes of a name (user, domain, share, sample file) in the JSON and the command's environment.
inline constexpr std::size_t kMaxJsonField = 2048;

// Why: an alert must reach the administrator at once, but storing it, running a command and
// posting to a webhook can each take seconds; none of that may run on the network thread,
// which feeds the database and every monitor. raise() logs and hands the event to the monitors
// there and queues the rest for a thread of its own, with a bounded queue (alerts beyond it are
// logged as not delivered), a timeout on the command and the request, and every failure logged.
class AlertSink {
 public:
  static constexpr std::size_t kMaxQueued = 256;
  // `monitors` gets every event on the calling thread (the monitor hub).
  AlertSink(AlertDelivery delivery, std::function<void(const BurstEvent&)> monitors);
  ~AlertSink();
  AlertSink(const AlertSink&) = delete;
  AlertSink& operator=(const AlertSink&) = delete;

  // Network thread: logs `e`, gives it to the monitors and queues its delivery.
  void raise(const BurstEvent& e);
  // Finishes the delivery under way (bounded by the timeouts), stores what is queued in the
  // database, logs what the command and the webhook will not get, and ends the thread.
  void stop();

  std::uint64_t raised() const { return raised_; }

 private:
  void run();
  void deliver(const BurstEvent& e, bool stopping);
  void store(const BurstEvent& e);
  void run_command(const BurstEvent& e, const std::string& json);
  void post_webhook(const std::string& json);

  AlertDelivery delivery_;
  std::function<void(const BurstEvent&)> monitors_;
  std::uint64_t raised_ = 0;
  std::uint64_t dropped_ = 0;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<BurstEvent> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace smbtad

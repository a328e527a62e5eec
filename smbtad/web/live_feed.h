// SPDX-License-Identifier: GPL-3.0-or-later
// Live traffic for the dashboard (Server-Sent Events), fed by smbtad's real-time monitors.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor_hub.h"
#include "smbta/unique_fd.h"

namespace smbtad::web {

// The object of a live view: "global", "domain:NAME", "share:NAME", "user:NAME", "file:NAME" as
// the monitor filter it stands for; nullopt for anything else.
std::optional<MonitorSpec> parse_live_object(std::string_view text);

// Why: one browser's live view. It is a MonitorSink like a smbtamonitor connection, so the hub
// matches records and sums throughput exactly as it does for smbtamonitor; what the hub pushes
// (on the network thread) is turned into SSE event text and queued, bounded, for the web thread
// that streams it. A slow browser loses activity lines (counted and reported), never memory.
class LiveStream : public MonitorSink {
 public:
  static constexpr std::size_t kMaxQueued = 256;
  static constexpr unsigned kMaxActivityPerSecond = 50;

  explicit LiveStream(MonitorSpec filter) : filter_(std::move(filter)) {}
  const MonitorSpec& filter() const { return filter_; }

  // Network thread: the ids the hub gave the stream's THROUGHPUT and LOG monitors, or why it
  // refused them.
  void registered(std::uint32_t throughput_id, std::uint32_t log_id);
  void refused(std::string why);
  void push(std::string_view body) override;

  // Web thread: waits up to `timeout` for events; appends them as SSE text to `out`. False once
  // the stream is over (refused, or the feed stops).
  bool wait(std::string& out, std::chrono::milliseconds timeout);
  void finish();

 private:
  void queue(std::string event);

  MonitorSpec filter_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> events_;
  std::uint32_t throughput_id_ = 0, log_id_ = 0;
  std::uint64_t dropped_ = 0;  // activity lines not queued since the last report
  std::int64_t second_ = 0;    // for the per-second activity limit
  unsigned in_second_ = 0;
  bool over_ = false;
};

// Why: the hub belongs to the network thread; web threads ask for streams here and the network
// thread adds them to (and removes them from) the hub when the eventfd wakes it, so the hub
// needs no lock and ingest pays nothing while nobody watches. At most `max_streams` run at once:
// each holds a web thread for as long as the browser watches.
class LiveFeed {
 public:
  explicit LiveFeed(std::size_t max_streams);
  ~LiveFeed();
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // Web thread. nullptr when max_streams run already (or the feed stopped).
  std::shared_ptr<LiveStream> open(MonitorSpec filter);
  void close(const std::shared_ptr<LiveStream>& s);

  // Network thread: the eventfd to watch, and what to do when it is readable.
  int wake_fd() const { return wake_fd_.get(); }
  void apply(MonitorHub& hub);
  // Network thread, at shutdown: every stream ends and leaves the hub.
  void stop(MonitorHub& hub);

 private:
  void wake();

  std::size_t max_streams_;
  smbta::UniqueFd wake_fd_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<LiveStream>> to_add_, to_remove_, active_;
  std::size_t open_ = 0;
  bool stopped_ = false;
};

}  // namespace smbtad::web

// SPDX-License-Identifier: GPL-3.0-or-later
#include "app.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>

#include "client/monitor_feed.h"
#include "client/signal_pipe.h"
#include "view.h"

namespace smbta::realtime {
namespace {

using client::Clock;
using client::FeedListener;
using client::MonitorFeed;
using client::SignalPipe;
using std::chrono::milliseconds;

milliseconds until(Clock::time_point t) {
  const auto d = std::chrono::duration_cast<milliseconds>(t - Clock::now());
  return d.count() < 0 ? milliseconds(0) : d;
}

// Waits for input on any of `fds` (entries < 0 are skipped) for at most `timeout`; returns the
// revents per entry. EINTR (SIGWINCH, for one) is an ordinary wake-up.
std::vector<short> wait_for(const std::vector<int>& fds, milliseconds timeout) {
  std::vector<pollfd> p;
  for (int fd : fds) p.push_back(pollfd{fd, POLLIN, 0});
  const int r = ::poll(p.data(), p.size(), static_cast<int>(timeout.count()));
  std::vector<short> out(fds.size(), 0);
  if (r > 0)
    for (std::size_t i = 0; i < p.size(); ++i) out[i] = p[i].revents;
  return out;
}

std::string seconds_text(milliseconds d) {
  return fmt::format("{} s", (d.count() + 999) / 1000);
}

}  // namespace

std::string local_time_text() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

int run_batch(const MonitorOptions& o) {
  // Why a listener class: the feed reports events; batch mode counts and tells stderr.
  struct Listener : FeedListener {
    TrafficModel model{60, 0};
    std::string object;
    bool gap = false;  // smbtad was unreachable at some time during the current interval
    void on_connected(const std::string& endpoint) override {
      std::fprintf(stderr, "smbtamonitor: connected to smbtad at %s, monitoring %s\n",
                   endpoint.c_str(), object.c_str());
    }
    void on_unreachable(const std::string& why, milliseconds retry_in) override {
      model.mark_gap();
      gap = true;
      std::fprintf(stderr, "smbtamonitor: smbtad not reachable: %s; retrying in %s\n", why.c_str(),
                   seconds_text(retry_in).c_str());
    }
    void on_second(const Traffic& t) override { model.add_second(t); }
    void on_log(const LogEntry&) override {}
  } l;
  l.object = o.conn.describe_object();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  SignalPipe signals;
  MonitorFeed feed(o.conn, client::load_key(o.conn), false);
  const auto interval = std::chrono::seconds(o.interval_s);
  auto next_line = Clock::now() + interval;
  Traffic previous;
  long lines = 0;
  for (;;) {
    if (!feed.connected() && Clock::now() >= feed.next_attempt()) feed.try_connect(l);
    auto deadline = std::min(next_line, feed.next_tick());
    if (!feed.connected()) deadline = std::min(deadline, feed.next_attempt());
    const auto ev = wait_for({signals.fd(), feed.fd()}, until(deadline));
    if (ev[0] != 0 && signals.take() != 0) return 0;
    if (ev[1] != 0) feed.drain(l);
    feed.tick(l);
    if (Clock::now() >= next_line) {
      const Traffic now = l.model.totals();
      const Traffic delta{now.read - previous.read, now.write - previous.write};
      const bool connected_throughout = feed.connected() && !l.gap;
      std::printf("%s\n", format_batch_line(local_time_text(), now, delta,
                                            static_cast<double>(o.interval_s), connected_throughout)
                              .c_str());
      l.gap = !feed.connected();
      previous = now;
      next_line += interval;
      if (o.count > 0 && ++lines >= o.count) return 0;
    }
  }
}

int run_screen(const MonitorOptions& o) {
  struct Listener : FeedListener {
    TrafficModel model;
    ViewStatus status;
    void on_connected(const std::string&) override {
      status.connected = true;
      status.connection = "connected";
      status.connected_since = local_time_text();
      // Totals count from the first registration on.
      if (status.started.empty()) status.started = status.connected_since;
    }
    void on_unreachable(const std::string& why, milliseconds retry_in) override {
      model.mark_gap();
      status.connected = false;
      status.connection = fmt::format("smbtad not reachable at {}: {} - retrying in {}",
                                      status.endpoint, why, seconds_text(retry_in));
    }
    void on_second(const Traffic& t) override { model.add_second(t); }
    void on_log(const LogEntry& e) override { model.add_log(e); }
  } l;
  l.status.object = o.conn.describe_object();
  l.status.endpoint = o.conn.endpoint();
  l.status.connection = "connecting to " + o.conn.endpoint() + " ...";

  // Before the Screen: ncurses leaves SIGINT/SIGTERM alone when a handler is already installed,
  // so these end the loop below and the Screen's destructor restores the terminal.
  SignalPipe signals;
  MonitorFeed feed(o.conn, client::load_key(o.conn), true);
  Screen screen;
  std::optional<TrafficModel> frozen;  // what the paused display shows
  const milliseconds tick(250);
  for (;;) {
    screen.draw(frozen ? *frozen : l.model, l.status);
    if (!feed.connected() && Clock::now() >= feed.next_attempt()) {
      feed.try_connect(l);
      continue;  // draw the outcome at once
    }
    auto timeout = tick;
    if (!feed.connected()) timeout = std::min(timeout, until(feed.next_attempt()));
    if (feed.connected()) timeout = std::min(timeout, until(feed.next_tick()));
    const auto ev = wait_for({signals.fd(), STDIN_FILENO, feed.fd()}, timeout);
    if (ev[0] != 0 && signals.take() != 0) return 0;
    if (ev[2] != 0) feed.drain(l);
    feed.tick(l);
    for (int k = screen.key(); k != -1; k = screen.key()) {
      if (k == 'q' || k == 'Q') return 0;
      if (k == 'p' || k == 'P' || k == ' ') {
        l.status.paused = !l.status.paused;
        if (l.status.paused)
          frozen = l.model;
        else
          frozen.reset();
      }
      // KEY_RESIZE needs nothing: the next draw uses the new LINES and COLS.
    }
  }
}

}  // namespace smbta::realtime

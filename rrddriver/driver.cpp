// SPDX-License-Identifier: GPL-3.0-or-later
#include "driver.h"

#include <poll.h>

#include <chrono>
#include <cstdio>

#include "client/monitor_feed.h"
#include "client/signal_pipe.h"
#include "rrd_file.h"
#include "smbta/log.h"

namespace smbta::realtime {
namespace {

using client::Clock;
using client::FeedListener;
using client::LogEntry;
using client::MonitorFeed;
using client::SignalPipe;
using client::Traffic;
using std::chrono::milliseconds;

// Why a listener class: the feed reports events; the driver sums bytes until the next update.
struct Accumulator : FeedListener {
  Traffic pending;
  std::string object;
  void on_connected(const std::string& endpoint) override {
    std::fprintf(stderr, "rrddriver: connected to smbtad at %s, monitoring %s\n", endpoint.c_str(),
                 object.c_str());
  }
  void on_unreachable(const std::string& why, milliseconds retry_in) override {
    std::fprintf(stderr, "rrddriver: smbtad not reachable: %s; retrying in %lld s\n", why.c_str(),
                 static_cast<long long>((retry_in.count() + 999) / 1000));
  }
  void on_second(const Traffic& t) override {
    pending.read += t.read;
    pending.write += t.write;
  }
  void on_log(const LogEntry&) override {}
};

}  // namespace

int run_graphs(const DriverOptions& o) {
  for (const auto& g : render_graphs(o.database, o.graph_prefix, o.title)) {
    std::printf("%s\n", g.file.c_str());
    for (const auto& l : g.legends) smbta::log::debug(1, "{}: legend \"{}\"", g.file, l);
  }
  return 0;
}

int run_driver(const DriverOptions& o) {
  if (create_rrd_if_missing(o.database, o.timer_s, o.setup)) {
    smbta::log::notice("created {} with step {} s", o.database, o.timer_s);
  } else {
    const RrdInfo info = read_rrd_info(o.database);
    if (info.step != static_cast<unsigned long>(o.timer_s))
      smbta::log::warning("{} has a step of {} s but -t is {} s; updates follow -t", o.database,
                          info.step, o.timer_s);
  }
  Accumulator acc;
  acc.object = o.conn.describe_object();
  SignalPipe signals;
  MonitorFeed feed(o.conn, client::load_key(o.conn), false);
  const auto step = std::chrono::seconds(o.timer_s);
  auto next_update = Clock::now() + step;
  bool connected_in_interval = false;
  // Unknown is better than zero while smbtad is away: only intervals with a connection (or bytes
  // from before it was lost) are written; RRD marks the rest unknown after the heartbeat.
  const auto flush = [&] {
    if (!connected_in_interval && acc.pending.rw() == 0) return;
    update_rrd(o.database, acc.pending);
    smbta::log::debug(2, "update: read {} write {}", acc.pending.read, acc.pending.write);
    acc.pending = {};
    connected_in_interval = feed.connected();
  };
  for (;;) {
    if (!feed.connected() && Clock::now() >= feed.next_attempt()) feed.try_connect(acc);
    connected_in_interval = connected_in_interval || feed.connected();
    auto deadline = std::min(next_update, feed.next_tick());
    if (!feed.connected()) deadline = std::min(deadline, feed.next_attempt());
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    pollfd p[2] = {{signals.fd(), POLLIN, 0}, {feed.fd(), POLLIN, 0}};
    const int r = ::poll(p, 2, static_cast<int>(std::max<long long>(left.count(), 0)));
    if (r > 0 && (p[0].revents & POLLIN) != 0 && signals.take() != 0) {
      // The bytes counted so far still belong in the RRD.
      flush();
      return 0;
    }
    if (r > 0 && p[1].revents != 0) feed.drain(acc);
    feed.tick(acc);
    const auto now = Clock::now();
    if (now >= next_update) {
      flush();
      // After a stall (suspend, a slow disk) do not fire a burst of catch-up updates.
      while (next_update <= now) next_update += step;
    }
  }
}

}  // namespace smbta::realtime

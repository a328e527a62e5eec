// SPDX-License-Identifier: GPL-3.0-or-later
#include "driver.h"

#include <poll.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "monitor_feed.h"
#include "rrd_file.h"
#include "signal_pipe.h"
#include "smbta/log.h"

namespace smbta::realtime {
namespace {

enum LongOnly : int { kGraph = 3001, kTitle };

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

ParseOutcome parse_driver_options(int argc, char** argv, DriverOptions& out) {
  const std::vector<ExtraOption> extra = {{"timer", true, 't'},
                                          {"database", true, 'b'},
                                          {"rrdtool-setup", true, 'r'},
                                          {"graph", true, kGraph},
                                          {"title", true, kTitle}};
  const auto outcome =
      parse_command_line(argc, argv, out.conn, extra, [&](int opt, const std::string& arg) {
        switch (opt) {
          case 't':
            out.timer_s = static_cast<int>(parse_number(arg, 1, 86400, "-t/--timer"));
            break;
          case 'b':
            if (arg.empty()) throw UsageError("-b/--database: the file name must not be empty");
            out.database = arg;
            break;
          case 'r':
            out.setup = arg;
            break;
          case kGraph:
            if (arg.empty()) throw UsageError("--graph: the prefix must not be empty");
            out.graph_prefix = arg;
            break;
          case kTitle:
            out.title = arg;
            break;
        }
      });
  if (outcome != ParseOutcome::kRun) return outcome;
  if (out.graph_prefix.empty()) require_object(out.conn);
  if (out.setup.empty()) out.setup = default_rrd_setup(out.timer_s);
  if (out.title.empty())
    out.title = out.conn.object == ObjectKind::kNone
                    ? "Throughput (" + std::filesystem::path(out.database).filename().string() + ")"
                    : "Throughput of " + out.conn.describe_object();
  return outcome;
}

std::string driver_help() {
  return "Usage: rrddriver [options] -u USER | -s SHARE | -f FILE | -D DOMAIN | -g\n"
         "       rrddriver --graph PREFIX [-b FILE] [--title TEXT]\n"
         "Feeds an RRD with the bytes read, written and both of one object, per interval, as\n"
         "smbtad sees them live; or renders that RRD as PNG graphs.\n\n" +
         common_help() +
         R"(RRD:
  -t, --timer SECONDS        RRD step and update interval (default 10)
  -b, --database FILE        the RRD (default database_rrd); created when missing
  -r, --rrdtool-setup DEFS   DS and RRA definitions for a new RRD, separated by spaces;
                             data sources must be named readwrite, read and write
                             (default: three ABSOLUTE sources, heartbeat max(3 steps, 60 s),
                             AVERAGE archives of 1 day at full resolution, 35 days of
                             5 minutes, 2 years of hours)
      --graph PREFIX         render PREFIX-hour.png, PREFIX-day.png, PREFIX-week.png
                             (bytes per second, write with read stacked on top) and exit
      --title TEXT           graph title
)";
}

int run_graphs(const DriverOptions& o) {
  for (const auto& f : render_graphs(o.database, o.graph_prefix, o.title))
    std::printf("%s\n", f.c_str());
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
  MonitorFeed feed(o.conn, load_key(o.conn), false);
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

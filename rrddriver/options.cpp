// SPDX-License-Identifier: GPL-3.0-or-later
#include "options.h"

#include <filesystem>

#include "cli/parse_integer.h"
#include "cli/usage_error.h"
#include "rrd_file.h"

namespace smbta::realtime {
namespace {

enum LongOnly : int { kGraph = 3001, kTitle };

}  // namespace

ParseOutcome parse_driver_options(int argc, char** argv, DriverOptions& out) {
  const std::vector<client::ExtraOption> extra = {{"timer", true, 't'},
                                                  {"database", true, 'b'},
                                                  {"rrdtool-setup", true, 'r'},
                                                  {"graph", true, kGraph},
                                                  {"title", true, kTitle}};
  const auto outcome =
      client::parse_command_line(argc, argv, out.conn, extra, [&](int opt, const std::string& arg) {
        switch (opt) {
          case 't':
            out.timer_s = static_cast<int>(cli::parse_integer(arg, 1, 86400, "-t/--timer"));
            break;
          case 'b':
            if (arg.empty())
              throw cli::UsageError("-b/--database: the file name must not be empty");
            out.database = arg;
            break;
          case 'r':
            out.setup = arg;
            break;
          case kGraph:
            if (arg.empty()) throw cli::UsageError("--graph: the prefix must not be empty");
            out.graph_prefix = arg;
            break;
          case kTitle:
            out.title = arg;
            break;
        }
      });
  if (outcome != ParseOutcome::kRun) return outcome;
  if (out.graph_prefix.empty()) client::require_object(out.conn);
  if (out.setup.empty()) out.setup = default_rrd_setup(out.timer_s);
  if (out.title.empty())
    out.title = out.conn.object == client::ObjectKind::kNone
                    ? "Throughput (" + std::filesystem::path(out.database).filename().string() + ")"
                    : "Throughput of " + out.conn.describe_object();
  return outcome;
}

std::string driver_help() {
  return "Usage: rrddriver [options] -u USER | -s SHARE | -f FILE | -D DOMAIN | -g\n"
         "       rrddriver --graph PREFIX [-b FILE] [--title TEXT]\n"
         "Feeds an RRD with the bytes read, written and both of one object, per interval, as\n"
         "smbtad sees them live; or renders that RRD as PNG graphs.\n\n" +
         client::common_help() +
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

}  // namespace smbta::realtime

// SPDX-License-Identifier: GPL-3.0-or-later
#include "options.h"

#include "cli/parse_integer.h"
#include "cli/usage_error.h"

namespace smbta::realtime {
namespace {

enum LongOnly : int { kBatch = 2001, kInterval, kCount };

}  // namespace

ParseOutcome parse_monitor_options(int argc, char** argv, MonitorOptions& out) {
  const std::vector<client::ExtraOption> extra = {
      {"batch", false, kBatch}, {"interval", true, kInterval}, {"count", true, kCount}};
  bool interval_given = false, count_given = false;
  const auto outcome =
      client::parse_command_line(argc, argv, out.conn, extra, [&](int opt, const std::string& arg) {
        switch (opt) {
          case kBatch:
            out.batch = true;
            break;
          case kInterval:
            out.interval_s = static_cast<int>(cli::parse_integer(arg, 1, 86400, "--interval"));
            interval_given = true;
            break;
          case kCount:
            out.count = static_cast<long>(cli::parse_integer(arg, 0, 1L << 40, "--count"));
            count_given = true;
            break;
        }
      });
  if (outcome != ParseOutcome::kRun) return outcome;
  client::require_object(out.conn);
  if ((interval_given || count_given) && !out.batch)
    throw cli::UsageError("--interval and --count only apply to --batch");
  return outcome;
}

std::string monitor_help() {
  return "Usage: smbtamonitor [options] -u USER | -s SHARE | -f FILE | -D DOMAIN | -g\n"
         "Shows the live traffic of one object as smbtad sees it: totals since start, current\n"
         "and peak throughput, a throughput graph and the activity log. Keys: q quits, p or\n"
         "space pauses the display (data keeps being counted).\n\n" +
         client::common_help() +
         R"(Line mode for scripts:
      --batch                one line per interval on stdout instead of the screen:
                             "<time> read R write W rw RW read/s r write/s w rw/s x"
                             (totals in bytes since start, rates in bytes per second)
      --interval N           seconds per line (default 1)
      --count N              exit after N lines (default 0: run until interrupted)
)";
}

}  // namespace smbta::realtime

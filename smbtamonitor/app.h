// SPDX-License-Identifier: GPL-3.0-or-later
// smbtamonitor's options and its two front ends: the ncurses screen and the --batch line mode.
#pragma once

#include <string>

#include "realtime_options.h"

namespace smbta::realtime {

// Why: main() stays a dispatcher; the options are testable without a terminal or a daemon.
struct MonitorOptions {
  ConnectionOptions conn;
  bool batch = false;
  int interval_s = 1;
  long count = 0;  // --batch lines before exiting; 0 = until interrupted
};

// Throws UsageError; kHelp/kVersion leave `out` unspecified.
ParseOutcome parse_monitor_options(int argc, char** argv, MonitorOptions& out);
std::string monitor_help();

// Both return the process exit status.
int run_screen(const MonitorOptions& o);
int run_batch(const MonitorOptions& o);

// Local wall-clock time "YYYY-MM-DD hh:mm:ss".
std::string local_time_text();

}  // namespace smbta::realtime

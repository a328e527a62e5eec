// SPDX-License-Identifier: GPL-3.0-or-later
// smbtamonitor's command line: the shared real-time options plus its --batch line mode.
#pragma once

#include <string>

#include "client/realtime_options.h"

namespace smbta::realtime {

using client::ParseOutcome;

// Why: main() stays a dispatcher; the options are testable without a terminal or a daemon.
struct MonitorOptions {
  client::RealtimeOptions conn;
  bool batch = false;
  int interval_s = 1;
  long count = 0;  // --batch lines before exiting; 0 = until interrupted
};

// Throws cli::UsageError; kHelp/kVersion leave `out` unspecified.
ParseOutcome parse_monitor_options(int argc, char** argv, MonitorOptions& out);
std::string monitor_help();

}  // namespace smbta::realtime

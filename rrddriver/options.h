// SPDX-License-Identifier: GPL-3.0-or-later
// rrddriver's command line: the shared real-time options plus the RRD and graph options.
#pragma once

#include <string>

#include "client/realtime_options.h"

namespace smbta::realtime {

using client::ParseOutcome;

// Why: main() stays a dispatcher; the options are testable without smbtad or an RRD.
struct DriverOptions {
  client::RealtimeOptions conn;
  int timer_s = 10;                       // -t: RRD step and update interval
  std::string database = "database_rrd";  // -b
  std::string setup;                      // -r; empty: default_rrd_setup(timer_s)
  std::string graph_prefix;               // --graph: render PNGs and exit
  std::string title;                      // --title for the graphs
};

// Throws cli::UsageError; kHelp/kVersion leave `out` unspecified.
ParseOutcome parse_driver_options(int argc, char** argv, DriverOptions& out);
std::string driver_help();

}  // namespace smbta::realtime

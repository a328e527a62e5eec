// SPDX-License-Identifier: GPL-3.0-or-later
// rrddriver's options and main loop: live per-interval bytes from smbtad into an RRD.
#pragma once

#include <string>

#include "realtime_options.h"

namespace smbta::realtime {

// Why: main() stays a dispatcher; the options are testable without smbtad or an RRD.
struct DriverOptions {
  ConnectionOptions conn;
  int timer_s = 10;                       // -t: RRD step and update interval
  std::string database = "database_rrd";  // -b
  std::string setup;                      // -r; empty: default_rrd_setup(timer_s)
  std::string graph_prefix;               // --graph: render PNGs and exit
  std::string title;                      // --title for the graphs
};

ParseOutcome parse_driver_options(int argc, char** argv, DriverOptions& out);
std::string driver_help();

// Creates the RRD if needed and feeds it until SIGINT/SIGTERM; returns the exit status.
int run_driver(const DriverOptions& o);
// --graph: renders the hour/day/week PNGs; returns the exit status.
int run_graphs(const DriverOptions& o);

}  // namespace smbta::realtime

// SPDX-License-Identifier: GPL-3.0-or-later
// rrddriver's main loops: live per-interval bytes from smbtad into an RRD, and its graphs.
#pragma once

#include "options.h"

namespace smbta::realtime {

// Creates the RRD if needed and feeds it until SIGINT/SIGTERM; returns the exit status.
int run_driver(const DriverOptions& o);
// --graph: renders the hour/day/week PNGs; returns the exit status.
int run_graphs(const DriverOptions& o);

}  // namespace smbta::realtime

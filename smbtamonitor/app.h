// SPDX-License-Identifier: GPL-3.0-or-later
// smbtamonitor's two front ends: the ncurses screen and the --batch line mode.
#pragma once

#include <string>

#include "options.h"

namespace smbta::realtime {

// Both return the process exit status.
int run_screen(const MonitorOptions& o);
int run_batch(const MonitorOptions& o);

// Local wall-clock time "YYYY-MM-DD hh:mm:ss".
std::string local_time_text();

}  // namespace smbta::realtime

// SPDX-License-Identifier: GPL-3.0-or-later
// A whole smbtatorture run from parsed options: source, recording, sessions, report, exit code.
#pragma once

#include "options.h"

namespace smbta::torture {

// Exit code: 0 the run completed (or was stopped by a signal), 1 an SMB call failed, 2 the
// record or replay file could not be used. The report is printed in every case.
int run_app(const Options& o);

}  // namespace smbta::torture

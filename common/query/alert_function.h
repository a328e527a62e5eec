// SPDX-License-Identifier: GPL-3.0-or-later
// The `alerts` function: the burst alerts smbtad raised, from the smbta_alerts table.
#pragma once

#include <string>

#include "query/exec_context.h"
#include "query/plan.h"
#include "query/resolve.h"
#include "query/result.h"

namespace smbta::query {

// Alerts whose episode started in the step's time range, of the users (and domains) and shares
// the filter selects, newest first. File objects do not narrow them (an alert belongs to a user
// and a share). A database without the table (an smbtad older than alerts) has none. The
// signature is that of functions.h, for executor.cpp's std::visit.
ResultTable run_function(ExecContext& ctx, const Alerts& fn, const Resolved& r,
                         const std::string& phrase);

}  // namespace smbta::query

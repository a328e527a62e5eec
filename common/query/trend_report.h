// SPDX-License-Identifier: GPL-3.0-or-later
// The trend function: bytes per day, growth and the busiest hour of the week, for capacity
// planning.
#pragma once

#include <string>

#include "query/exec_context.h"
#include "query/plan.h"
#include "query/resolve.h"
#include "query/result.h"

namespace smbta::query {

// One row per day (day, read, written, total) of the last fn.days days up to today (or up to
// the end of the object's time range), from the hourly rollup for whole hours. Notes: growth
// (least-squares slope of the daily totals, bytes per day and percent of the daily mean) and the
// busiest hour of the week (weekday and hour with the most bytes over the days shown).
ResultTable run_function(ExecContext& ctx, const Trend& fn, const Resolved& r,
                         const std::string& phrase);

}  // namespace smbta::query

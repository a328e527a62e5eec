// SPDX-License-Identifier: GPL-3.0-or-later
// The latency functions: percentiles of the operations' latency, and objects ranked by them.
#pragma once

#include <string>

#include "query/exec_context.h"
#include "query/plan.h"
#include "query/resolve.h"
#include "query/result.h"

namespace smbta::query {

// One row: the number of timed operations of fn.mode that `r` selects and their p50, p95, p99
// and max in microseconds (or the one percentile asked for). Whole days come from the latency
// rollup (per share) when installed, the partial days at the range edges and every query naming
// users, domains or files from the events; both through the same buckets, so the answers are
// equal.
ResultTable run_function(ExecContext& ctx, const Latency& fn, const Resolved& r,
                         const std::string& phrase);
// The N users, shares or files with the highest percentile (ties: more operations first).
// Users and files are ranked from the events (the rollup has neither), shares from the rollup.
ResultTable run_function(ExecContext& ctx, const TopSlowest& fn, const Resolved& r,
                         const std::string& phrase);

}  // namespace smbta::query

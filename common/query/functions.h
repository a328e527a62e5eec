// SPDX-License-Identifier: GPL-3.0-or-later
// The data functions of a query step: total, top, usage, throughput, list, search, last_activity.
#pragma once

#include <string>

#include "query/exec_context.h"
#include "query/plan.h"
#include "query/resolve.h"
#include "query/result.h"

namespace smbta::query {

// Each computes one ResultTable from what `r` selects; `phrase` (filter_phrase) goes into the
// title. One overload per function of the plan, so that executor.cpp can std::visit.
// traffic_functions.cpp: byte sums of the R/W events.
ResultTable run_function(ExecContext& ctx, const Total& fn, const Resolved& r,
                         const std::string& phrase);
ResultTable run_function(ExecContext& ctx, const Top& fn, const Resolved& r,
                         const std::string& phrase);
ResultTable run_function(ExecContext& ctx, const Usage& fn, const Resolved& r,
                         const std::string& phrase);
ResultTable run_function(ExecContext& ctx, const Throughput& fn, const Resolved& r,
                         const std::string& phrase);
// listing_functions.cpp: names and events, bounded by QueryOptions::max_rows (list, search)
// or by the function's own count (last_activity).
ResultTable run_function(ExecContext& ctx, const List& fn, const Resolved& r,
                         const std::string& phrase);
ResultTable run_function(ExecContext& ctx, const Search& fn, const Resolved& r,
                         const std::string& phrase);
ResultTable run_function(ExecContext& ctx, const LastActivity& fn, const Resolved& r,
                         const std::string& phrase);

}  // namespace smbta::query

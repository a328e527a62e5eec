// SPDX-License-Identifier: GPL-3.0-or-later
// The status reports: smbtad-report (smbtad's running configuration) and self-check (versions).
#pragma once

#include <string>

#include "query/exec_context.h"
#include "query/plan.h"
#include "query/resolve.h"
#include "query/result.h"

namespace smbta::query {

// Both read what smbtad notes (the status table; self-check also the modules table), not the
// traffic: the filter does not change them (it is resolved all the same, so identification
// errors are reported for every step). The signature is that of functions.h, for executor.cpp's
// std::visit.
ResultTable run_function(ExecContext& ctx, const Report& fn, const Resolved& r,
                         const std::string& phrase);
ResultTable run_function(ExecContext& ctx, const SelfCheck& fn, const Resolved& r,
                         const std::string& phrase);

}  // namespace smbta::query

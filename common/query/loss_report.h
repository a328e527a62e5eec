// SPDX-License-Identifier: GPL-3.0-or-later
// The loss report: per Samba server, records received, stored, replayed, duplicated, dropped,
// missing.
#pragma once

#include <string>

#include "query/exec_context.h"
#include "query/plan.h"
#include "query/resolve.h"
#include "query/result.h"

namespace smbta::query {

// Reads smbtad's loss ledger (table smbta_loss, store/loss_ledger.h). The filter's time range
// selects the senders (module processes) last heard of within it; the counters are each
// sender's totals. The signature is that of functions.h, for executor.cpp's std::visit.
ResultTable run_function(ExecContext& ctx, const Loss& fn, const Resolved& r,
                         const std::string& phrase);

}  // namespace smbta::query

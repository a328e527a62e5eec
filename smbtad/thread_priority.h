// SPDX-License-Identifier: GPL-3.0-or-later
// Report threads (web API, client queries) run at a lower CPU priority than ingest.
#pragma once

namespace smbtad {

// The nice value the report threads add to smbtad's own.
inline constexpr int kReportNiceness = 10;

// Why: on a small server the report threads and ingest share the cores. 20 dashboard clients
// asking without pause cut the ingest into a 10-million-event database from 12,474 to 2,979
// records/s (bench/web_bench.sh, 2 cores): a query can wait, a record waits in the module's
// bounded queue and is then dropped. At +10 the scheduler gives ingest about nine tenths of a
// contended core, and the reports all the idle time. Linux keeps a nice value per thread; the
// call affects the calling thread only. Best effort: a failure leaves the thread as it was.
void lower_report_thread_priority();

}  // namespace smbtad

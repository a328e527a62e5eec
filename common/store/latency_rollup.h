// SPDX-License-Identifier: GPL-3.0-or-later
// The latency rollup: per day, share and kind of operation, a log-bucket histogram of the
// operations' latencies, kept exact by SQL triggers like the byte rollups (rollup.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/dbi_connection.h"

namespace smbta::store::latency {

// Why: a percentile over months of events would sort every timed event (minutes at 100 million
// rows); a histogram per day, share and kind answers it from a few hundred rows per share and
// day, whatever the event count:
//   smbta_rollup_latency(day = ts / 86400000, share_id, kind (0 read, 1 write, 2 any other
//     operation), bucket, ops)
// An event counts `merged` operations in the bucket of its mean latency (latency_us / merged).
// Not per hour and user: with up to 80 buckets a user-hour rarely holds two events in one cell,
// and a histogram per hour, share, user and operation had as many rows as the events it summed
// (9.7 M rows for 10 M events in bench/query_bench). Users and files are answered from the
// events.
// Buckets: a value below 16 µs is its own bucket; above, each power of two is cut into 8 equal
// buckets, so a bucket [lo, lo + w) has w <= lo / 8 and its middle is within 1/16 (6.25 %) of
// every value in it.
inline constexpr std::string_view kTable = "smbta_rollup_latency";
inline constexpr int kMaxBucket = 311;  // the bucket of 2^40 µs (kMaxLatencyUs)
// The largest relative error of a value reported as its bucket's middle, in percent.
inline constexpr std::string_view kErrorBoundPercent = "6.25";

// The SQL bucket of the integer expression `x` (>= 0), in the dialect of `db`.
std::string bucket_sql(const DbiConnection& db, std::string_view x);
// The value a bucket stands for: exact below 16, else the middle of its range.
std::int64_t bucket_value(int bucket);
// The bucket of a value, as bucket_sql computes it (for tests).
int bucket_of(std::uint64_t x);

// Whether the table and its three triggers exist.
bool installed(DbiConnection& db);
// Creates the missing table and triggers and fills a new table from the events. Runs inside
// the caller's transaction (install_rollups).
void install(DbiConnection& db);
// PostgreSQL partition drop (rollup.h forget_days): forgets the days in [lo_ms, hi_ms).
void forget(DbiConnection& db, std::optional<std::int64_t> lo_ms, std::int64_t hi_ms);
// Drops the triggers and the table (inside the caller's transaction).
void drop(DbiConnection& db);

}  // namespace smbta::store::latency

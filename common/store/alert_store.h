// SPDX-License-Identifier: GPL-3.0-or-later
// The smbta_alerts table: the burst alerts smbtad raised, for smbtaquery's `alerts`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/dbi_connection.h"

namespace smbta::store {

// One alert as stored: an episode of a burst detected by smbtad (smbtad/burst_detector.h). The
// row is written when the episode starts and completed (ended, events) when it ends.
struct StoredAlert {
  std::int64_t started_ms = 0;           // naive local ms of the record that crossed
  std::optional<std::int64_t> ended_ms;  // empty while the episode lasts
  std::string kind;                      // "ransomware" or "exfiltration"
  std::string user, domain, share;
  std::int64_t events = 0;     // events of the kind during the episode (so far)
  std::int64_t rate = 0;       // events in the minute that crossed the threshold
  std::int64_t threshold = 0;  // the threshold in force (events per minute)
  std::int64_t baseline = 0;   // the user's own per-minute baseline then, rounded
  std::string sample;          // a file of the burst (the one that crossed)
  bool operator==(const StoredAlert&) const = default;
};

// Why: alerts are few and written outside the event path (smbtad's alert thread has a connection
// of its own), so they have a table and functions of their own rather than a place in
// EventStore. Every function names the table's columns in one place.
namespace alerts {

inline constexpr std::string_view kTable = "smbta_alerts";

// CREATE TABLE IF NOT EXISTS for the connection's driver; schema::create calls it too.
std::string create_sql(const DbiConnection& db);
void create_table(DbiConnection& db);
// Inserts `a` (creating the table when missing). Throws StoreError.
void insert(DbiConnection& db, const StoredAlert& a);
// Sets ended_ms and events of the row of `a`'s episode (started_ms, kind, user, domain, share).
void finish(DbiConnection& db, const StoredAlert& a);

}  // namespace alerts
}  // namespace smbta::store

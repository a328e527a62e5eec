// SPDX-License-Identifier: GPL-3.0-or-later
// The smbta_loss table: per module process, what arrived, what was kept and what is missing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/dbi_connection.h"

namespace smbta::store {

// Why: end-to-end loss accounting (docs/protocol.md, "Sequence numbers") must survive a smbtad
// restart, both to report and to recognise a record sent again; one row per sender holds the
// counters and the numbers not yet seen, written after the sender's rows are kept.
struct SenderLoss {
  std::string server;            // the host part of the sender; a 1.2.x module: its peer address
  std::string sender;            // "host:pid:random"; empty: records without sequence numbers
  std::string peer;              // where it connected from (IP or "unix")
  std::uint64_t received = 0;    // records that arrived, duplicates included
  std::uint64_t stored = 0;      // kept: in the database or in smbtad's spool
  std::uint64_t replayed = 0;    // of those, sent from the module's spool
  std::uint64_t duplicates = 0;  // arrived again and were not stored again
  std::uint64_t dropped = 0;     // the module's drop notices: records it could not keep
  std::uint64_t highest = 0;     // highest sequence number seen
  // Numbers below `highest` not received, as closed ranges in ascending order.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
  std::uint64_t floor = 0;        // numbers up to here are settled (gaps given up count as missing)
  std::uint64_t given_up = 0;     // numbers in gaps too old to be tracked any more
  std::int64_t last_seen_ms = 0;  // naive local ms of the last change
  // Not stored. Non-zero: this state started blank, not from the table (the sender was evicted
  // from smbtad's memory, or the table was unreachable at start), so it holds only what
  // arrived since; saving adds it to what the table holds instead of replacing that. Each blank
  // start has its own number.
  std::uint64_t incarnation = 0;

  std::uint64_t open_gaps() const;
  // Numbers never received and not explained by a drop notice.
  std::uint64_t missing() const;
  std::string key() const { return server + "|" + sender; }
};

// "a-b,c-d" and back; a malformed text gives no gaps.
std::string format_gaps(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& gaps);
std::vector<std::pair<std::uint64_t, std::uint64_t>> parse_gaps(std::string_view text);

// `stored` (the table's row) and `fresh` (a state that started blank after it) as one:
// counters added, `fresh`'s view of the numbers after its first one, `stored`'s before.
SenderLoss merged(const SenderLoss& stored, const SenderLoss& fresh);

namespace loss_ledger {

inline constexpr std::string_view kTable = "smbta_loss";

// What the table held for a sender whose state started blank (SenderLoss::incarnation): read
// once per incarnation, before its first save, so that a later save (a retry, the next pass,
// a reconnect) adds to the same base and never counts a save of its own twice. Kept by the
// caller, across connections.
struct Base {
  std::uint64_t incarnation = 0;
  std::optional<SenderLoss> stored;
  std::int64_t used_ms = 0;  // steady ms of its last save
};
struct Bases : std::unordered_map<std::string, Base> {};

void create_table(DbiConnection& db);
// Upserts every sender in one transaction. Senders with an incarnation are merged with their
// base (read into `bases` the first time).
void save(DbiConnection& db, const std::vector<SenderLoss>& senders, Bases& bases);
void save(DbiConnection& db, const std::vector<SenderLoss>& senders);
// Every sender, oldest first (empty when the table does not exist).
std::vector<SenderLoss> load(DbiConnection& db);
// One sender by its key (SenderLoss::key()); the table exists.
std::optional<SenderLoss> load_one(DbiConnection& db, const std::string& key);
// Forgets senders not seen since cutoff_ms; returns how many.
std::uint64_t purge_older_than(DbiConnection& db, std::int64_t cutoff_ms);

}  // namespace loss_ledger
}  // namespace smbta::store

// SPDX-License-Identifier: GPL-3.0-or-later
// On-disk spool of rows that could not be stored yet (database down or too slow).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/event_store.h"

namespace smbtad {

// Why: "nothing is lost" must hold when PostgreSQL restarts or the disk of the database is
// slow; rows wait here in FIFO order, one segment file per batch, and a segment is deleted
// only after the transaction that stored it committed. Used by the writer thread only.
//
// Each process spools under a generation of its own (a random id in the segment names), and the
// writer records in the database, in the transaction that stores a segment, how far the replay
// of that generation got (store::ReplayMark). A segment whose file survives its replay (removal
// failed, or smbtad died between commit and unlink) is therefore recognised and not stored twice;
// a new process never matches an old generation's mark, so its segments are never skipped.
// Segment format (docs/protocol.md, "Spool segments"): magic, row count, rows, CRC-32 of all
// before it; a truncated or damaged segment is refused as a whole.
class Spool {
 public:
  // One segment read back: its place in the queue and its rows.
  struct Segment {
    std::uint64_t seq = 0;
    std::string generation;  // empty for segments of smbta 2.0.0, which had none
    std::vector<smbta::store::Row> rows;
  };

  // `replayed`: segments found at start are announced as pending (false for the rejected-rows
  // store, which is only kept for inspection).
  explicit Spool(std::filesystem::path dir, bool replayed = true);

  // Appends rows as one new segment (fsync'd before returning). Throws std::runtime_error when
  // the disk refuses.
  void append(std::span<const smbta::store::Row> rows);
  bool empty() const { return segments_.empty(); }
  std::size_t segments() const { return segments_.size(); }
  std::uint64_t rows() const { return rows_; }
  const std::filesystem::path& dir() const { return dir_; }

  // The oldest segment, or nullopt when empty. Unreadable segments are moved aside to
  // `<name>.corrupt` with a log line and skipped.
  std::optional<Segment> front();
  // Deletes the oldest segment once its rows are stored. It leaves the queue either way; false
  // (and an error logged) when its file could not be removed: the replay mark keeps it from
  // being stored again.
  bool pop_front();

  static std::string serialize(std::span<const smbta::store::Row> rows);
  static bool deserialize(std::string_view data, std::vector<smbta::store::Row>& out);

 private:
  struct Entry {
    std::filesystem::path path;
    std::uint64_t seq;
    std::string generation;
    std::size_t rows;  // 0 until read for segments of an earlier run; rows() counts this run's
  };
  std::filesystem::path dir_;
  std::string generation_;       // this process's
  std::vector<Entry> segments_;  // oldest first
  std::uint64_t next_seq_ = 0;
  std::uint64_t rows_ = 0;
};

}  // namespace smbtad

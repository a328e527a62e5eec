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
class Spool {
 public:
  // `replayed`: segments found at start are announced as pending (false for the rejected-rows
  // store, which is only kept for inspection).
  explicit Spool(std::filesystem::path dir, bool replayed = true);

  // Appends rows as one new segment (fsync'd before returning). Throws std::runtime_error when
  // the disk refuses.
  void append(std::span<const smbta::store::Row> rows);
  bool empty() const { return segments_.empty(); }
  std::size_t segments() const { return segments_.size(); }
  std::uint64_t rows() const { return rows_; }

  // The oldest segment's rows, or nullopt when empty. Unreadable segments are moved aside to
  // `<name>.corrupt` with a log line and skipped.
  std::optional<std::vector<smbta::store::Row>> front();
  // Deletes the oldest segment once its rows are stored.
  void pop_front();

  static std::string serialize(std::span<const smbta::store::Row> rows);
  static bool deserialize(std::string_view data, std::vector<smbta::store::Row>& out);

 private:
  std::filesystem::path dir_;
  std::vector<std::filesystem::path> segments_;  // oldest first
  std::uint64_t next_seq_ = 0;
  std::uint64_t rows_ = 0;
  std::vector<std::size_t> counts_;  // rows per segment, for rows_
};

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
// What smbtamonitor shows, independent of the screen: totals, rates, history and the event log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "client/traffic.h"

namespace smbta::realtime {

using client::LogEntry;
using client::Traffic;

// Why: the numbers on the screen and in --batch lines must be right whatever the terminal does;
// keeping them in a plain value that is fed one second (or one log event) at a time makes them
// testable and lets the view freeze a copy while paused.
class TrafficModel {
 public:
  explicit TrafficModel(std::size_t history_seconds = 3600, std::size_t log_backlog = 200);

  // One THROUGHPUT report: the bytes of one second.
  void add_second(Traffic t);
  void add_log(LogEntry e);
  // The connection was lost: the current rate is unknown until the next report.
  void mark_gap() { have_current_ = false; }

  const Traffic& totals() const { return totals_; }
  // The last second's bytes; zero before the first report and after a gap.
  Traffic current() const { return have_current_ ? last_ : Traffic{}; }
  // The second with the most read+write bytes so far (ties: the first).
  const Traffic& peak() const { return peak_; }
  std::uint64_t peak_read() const { return peak_read_; }
  std::uint64_t peak_write() const { return peak_write_; }
  std::uint64_t seconds() const { return seconds_; }
  // At most `n` newest per-second samples, oldest first.
  std::vector<Traffic> recent(std::size_t n) const;
  // Newest first.
  const std::deque<LogEntry>& log() const { return log_; }
  std::uint64_t log_count() const { return log_count_; }

 private:
  std::size_t history_capacity_;
  std::size_t log_capacity_;
  std::vector<Traffic> ring_;  // circular once full; next_ is the slot to overwrite
  std::size_t next_ = 0;
  std::deque<LogEntry> log_;
  Traffic totals_, last_, peak_;
  std::uint64_t peak_read_ = 0, peak_write_ = 0;
  std::uint64_t seconds_ = 0, log_count_ = 0;
  bool have_current_ = false;
};

// Binary units with one decimal: "512 B", "1.5 KiB", "10.0 MiB", "3.2 GiB", "1.0 TiB".
std::string human_bytes(std::uint64_t bytes);

// The classic smbtamonitor sentence for a log entry (smbtamonitor-rrddriver.md §2.3), extended
// to the operations the original ignored and, when smbtad sends them, with the bytes of reads,
// writes and copies: "<ts>: User u read 4.0 KiB (4096 B) from file f on share s (d)."
std::string format_log_line(const LogEntry& e);

// One --batch line: "<time> read R write W rw RW read/s r write/s w rw/s rw" where the totals
// are since the start and the rates are the interval's bytes divided by its length. When smbtad
// was not reachable for part of the interval the rates are unknown, not zero: they are printed
// as "-" and the line ends with "(not connected)", so a script cannot read an outage as silence.
std::string format_batch_line(std::string_view local_time, const Traffic& totals,
                              const Traffic& interval, double interval_seconds,
                              bool connected_throughout = true);

}  // namespace smbta::realtime

// SPDX-License-Identifier: GPL-3.0-or-later
#include "traffic_model.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "smbta/record.h"

namespace smbta::realtime {

TrafficModel::TrafficModel(std::size_t history_seconds, std::size_t log_backlog)
    : history_capacity_(history_seconds == 0 ? 1 : history_seconds), log_capacity_(log_backlog) {
  ring_.reserve(history_capacity_);
}

void TrafficModel::add_second(Traffic t) {
  totals_.read += t.read;
  totals_.write += t.write;
  last_ = t;
  have_current_ = true;
  ++seconds_;
  if (t.rw() > peak_.rw()) peak_ = t;
  if (t.read > peak_read_) peak_read_ = t.read;
  if (t.write > peak_write_) peak_write_ = t.write;
  if (ring_.size() < history_capacity_) {
    ring_.push_back(t);
  } else {
    ring_[next_] = t;
    next_ = (next_ + 1) % history_capacity_;
  }
}

void TrafficModel::add_log(LogEntry e) {
  ++log_count_;
  if (log_capacity_ == 0) return;
  log_.push_front(std::move(e));
  if (log_.size() > log_capacity_) log_.pop_back();
}

std::vector<Traffic> TrafficModel::recent(std::size_t n) const {
  const std::size_t have = ring_.size();
  if (n > have) n = have;
  std::vector<Traffic> out;
  out.reserve(n);
  // Oldest sample sits at next_ once the ring has wrapped, at 0 before.
  const std::size_t oldest = have < history_capacity_ ? 0 : next_;
  for (std::size_t i = have - n; i < have; ++i) out.push_back(ring_[(oldest + i) % have]);
  return out;
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes) / 1024.0;
  std::size_t u = 0;
  // Switch units before printing would round up to "1024.0".
  while (v >= 1023.95 && u + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, kUnits[u]);
}

namespace {

// " 4.0 KiB (4096 B)" or " 512 B"; empty when smbtad sent no byte count.
std::string amount(const std::optional<std::uint64_t>& bytes) {
  if (!bytes) return {};
  if (*bytes < 1024) return " " + human_bytes(*bytes);
  return fmt::format(" {} ({} B)", human_bytes(*bytes), *bytes);
}

}  // namespace

std::string format_log_line(const LogEntry& e) {
  const std::string where = fmt::format("on share {} ({}).", e.share, e.domain);
  const auto op = op_from_int(e.op);
  std::string what;
  if (!op) {
    what = fmt::format("did operation {}", e.op);
  } else {
    switch (*op) {
      case Op::kRead:
      case Op::kPread:
        what = "read" + amount(e.bytes) + " from file " + e.file;
        break;
      case Op::kWrite:
      case Op::kPwrite:
        what = "wrote" + amount(e.bytes) + " to file " + e.file;
        break;
      case Op::kOpen:
        what = "opened file " + e.file;
        break;
      case Op::kClose:
        what = "closed file " + e.file;
        break;
      case Op::kUnlink:
        what = "deleted file " + e.file;
        break;
      case Op::kCopy:
        what = "copied" + amount(e.bytes) + (e.bytes ? " of file " : " file ") + e.file;
        break;
      // smbtad's LOG monitor carries no path for directory operations (" " in the file field).
      case Op::kMkdir:
        what = "created a directory";
        break;
      case Op::kRmdir:
        what = "removed a directory";
        break;
      case Op::kRename:
        what = "renamed a file or directory";
        break;
      case Op::kChdir:
        what = "changed directory";
        break;
      case Op::kTruncate:
      case Op::kAllocate:
        what = "changed the size of file " + e.file;
        break;
      case Op::kChmod:
      case Op::kChown:
      case Op::kSetAcl:
      case Op::kSetAttr:
      case Op::kSetTimes:
        what = "changed the metadata of file " + e.file;
        break;
      case Op::kConnect:
        what = "connected";
        break;
      case Op::kDropNotice:  // smbtad does not pass drop notices to monitors
        what = "reported undelivered records";
        break;
    }
  }
  return fmt::format("{}: User {} {} {}", e.timestamp, e.user, what, where);
}

std::string format_batch_line(std::string_view local_time, const Traffic& totals,
                              const Traffic& interval, double interval_seconds,
                              bool connected_throughout) {
  if (!connected_throughout)
    return fmt::format("{} read {} write {} rw {} read/s - write/s - rw/s - (not connected)",
                       local_time, totals.read, totals.write, totals.rw());
  const auto rate = [&](std::uint64_t bytes) {
    return interval_seconds > 0 ? static_cast<std::uint64_t>(
                                      std::llround(static_cast<double>(bytes) / interval_seconds))
                                : bytes;
  };
  return fmt::format("{} read {} write {} rw {} read/s {} write/s {} rw/s {}", local_time,
                     totals.read, totals.write, totals.rw(), rate(interval.read),
                     rate(interval.write), rate(interval.rw()));
}

}  // namespace smbta::realtime

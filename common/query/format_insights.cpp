// SPDX-License-Identifier: GPL-3.0-or-later
// The summary sentences of the latency and trend results, shared by the text and HTML formats.
#include <fmt/format.h>

#include "query/format.h"

namespace smbta::query {

std::string trend_summary(const ResultTable& t) {
  const std::int64_t growth = note_int(t, "growth_per_day");
  const std::string* busiest = t.note("busiest_hour");
  return fmt::format(
      "Total: {} read, {} written; on average {} per day, growth {}{}/day ({}{:.2f}% of the "
      "daily mean per day); busiest hour of the week: {}{}",
      human_bytes(note_int(t, "read")), human_bytes(note_int(t, "written")),
      human_bytes(note_int(t, "mean_per_day")), growth >= 0 ? "+" : "", human_bytes(growth),
      note_double(t, "growth_percent") >= 0 ? "+" : "", note_double(t, "growth_percent"),
      busiest ? *busiest : std::string("none"),
      busiest && *busiest != "none"
          ? fmt::format(" ({})", human_bytes(note_int(t, "busiest_hour_bytes")))
          : std::string());
}

std::string latency_summary(const ResultTable& t) {
  const std::string* bound = t.note("error_bound");
  const std::string* source = t.note("source");
  return fmt::format(
      "Latency in microseconds as the VFS module timed each operation; percentiles are read "
      "from log buckets and are within {}% of the true value{}.",
      bound ? *bound : std::string("6.25"), source ? fmt::format(" ({})", *source) : "");
}

}  // namespace smbta::query

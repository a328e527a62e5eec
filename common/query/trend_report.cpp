// SPDX-License-Identifier: GPL-3.0-or-later
// trend: the daily read/write series of an object with its growth and weekly peak.
#include "query/trend_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "query/sql_source.h"
#include "smbta/timestamp.h"

namespace smbta::query {
namespace {

constexpr std::array<const char*, 7> kWeekdays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                  "Friday", "Saturday", "Sunday"};

// Weekday of a day index since 1970-01-01 (a Thursday), Monday = 0.
int weekday(std::int64_t day) {
  return static_cast<int>(((day + 3) % 7 + 7) % 7);
}

// (hour index since the epoch, bytes) of the traffic of `r` in mode `m`.
std::vector<std::pair<std::int64_t, std::int64_t>> hourly(ExecContext& ctx, const Resolved& r,
                                                          Mode m) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  store::DbiResult res = ctx.query(fmt::format("SELECT s.h, {} FROM ({}) s GROUP BY s.h",
                                               ctx.int64("SUM(s.bytes)"), byte_source(r, m, ctx)));
  while (res.next()) out.emplace_back(res.get_int(1).value_or(0), res.get_int(2).value_or(0));
  return out;
}

}  // namespace

ResultTable run_function(ExecContext& ctx, const Trend& fn, const Resolved& r,
                         const std::string& t) {
  // The last day shown: today, or the day holding the end of the object's range.
  const std::int64_t end_ms = std::min(r.range.to, ctx.now() + 1);
  const std::int64_t last_day = floor_div(end_ms - 1, kDayMs);
  const std::int64_t first_day = last_day - static_cast<std::int64_t>(fn.days) + 1;
  Resolved window = r;
  window.range.from = std::max(r.range.from, first_day * kDayMs);
  window.range.to = std::min(r.range.to, (last_day + 1) * kDayMs);

  ResultTable out;
  out.function = "trend";
  out.title = fmt::format("Bytes read and written per day {} over the {} days to {}.", t, fn.days,
                          format_timestamp(last_day * kDayMs).substr(0, 10));
  out.columns = {{"day", "Day", ColumnType::kText},
                 {"read", "Read", ColumnType::kBytes},
                 {"written", "Written", ColumnType::kBytes},
                 {"bytes", "Total", ColumnType::kBytes}};
  std::vector<std::int64_t> rd(fn.days, 0), wr(fn.days, 0);
  std::array<std::array<std::int64_t, 24>, 7> week{};
  if (window.range.from < window.range.to && !r.empty) {
    for (Mode m : {Mode::kRead, Mode::kWrite}) {
      for (const auto& [h, b] : hourly(ctx, window, m)) {
        const std::int64_t day = floor_div(h, 24);
        if (day < first_day || day > last_day) continue;
        (m == Mode::kRead ? rd : wr)[static_cast<std::size_t>(day - first_day)] += b;
        week[static_cast<std::size_t>(weekday(day))][static_cast<std::size_t>(h - day * 24)] += b;
      }
    }
  }
  std::int64_t total_r = 0, total_w = 0;
  for (std::uint32_t i = 0; i < fn.days; ++i) {
    total_r += rd[i];
    total_w += wr[i];
    out.rows.push_back(
        {format_timestamp((first_day + i) * kDayMs).substr(0, 10), rd[i], wr[i], rd[i] + wr[i]});
  }
  // Least-squares slope of the daily totals over the day number.
  const double n = fn.days;
  const double mean_x = (n - 1) / 2.0;
  const double mean_y = static_cast<double>(total_r + total_w) / n;
  double sxy = 0, sxx = 0;
  for (std::uint32_t i = 0; i < fn.days; ++i) {
    const double dx = i - mean_x;
    sxy += dx * (static_cast<double>(rd[i] + wr[i]) - mean_y);
    sxx += dx * dx;
  }
  const double slope = sxx > 0 ? sxy / sxx : 0.0;
  int best_d = -1, best_h = 0;
  std::int64_t best = 0;
  for (int d = 0; d < 7; ++d)
    for (int h = 0; h < 24; ++h)
      if (week[d][h] > best) {
        best = week[d][h];
        best_d = d;
        best_h = h;
      }
  out.notes.emplace_back("days", std::to_string(fn.days));
  out.notes.emplace_back("read", std::to_string(total_r));
  out.notes.emplace_back("written", std::to_string(total_w));
  out.notes.emplace_back("total", std::to_string(total_r + total_w));
  out.notes.emplace_back("mean_per_day", std::to_string(static_cast<std::int64_t>(mean_y)));
  out.notes.emplace_back("growth_per_day", std::to_string(std::llround(slope)));
  out.notes.emplace_back("growth_percent",
                         fmt::format("{:.2f}", mean_y > 0 ? slope * 100.0 / mean_y : 0.0));
  out.notes.emplace_back(
      "busiest_hour",
      best_d < 0 ? std::string("none")
                 : fmt::format("{} {:02}:00-{:02}:00", kWeekdays[static_cast<std::size_t>(best_d)],
                               best_h, best_h + 1));
  out.notes.emplace_back("busiest_hour_bytes", std::to_string(best));
  return out;
}

}  // namespace smbta::query

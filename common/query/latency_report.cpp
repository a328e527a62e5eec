// SPDX-License-Identifier: GPL-3.0-or-later
// latency and top ... slowest: histograms of bucketed latencies, read into percentiles here.
#include "query/latency_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <vector>

#include "query/sql_source.h"
#include "store/latency_rollup.h"

namespace smbta::query {
namespace {

using store::DbiResult;
namespace lat = store::latency;

// The operations of `m` in the rollup (kind 0 read, 1 write, 2 the others).
std::string rollup_kind(LatencyMode m) {
  switch (m) {
    case LatencyMode::kRead:
      return "r.kind = 0";
    case LatencyMode::kWrite:
      return "r.kind = 1";
    case LatencyMode::kReadWrite:
      return "r.kind <= 1";
    case LatencyMode::kOps:
      break;
  }
  return "1 = 1";
}

// The operations of `m` on alias `a`.
std::string op_kind(LatencyMode m, std::string_view a) {
  switch (m) {
    case LatencyMode::kRead:
      return fmt::format("{}.vfs_id IN (0, 1)", a);
    case LatencyMode::kWrite:
      return fmt::format("{}.vfs_id IN (2, 3)", a);
    case LatencyMode::kReadWrite:
      return fmt::format("{}.vfs_id <= 3", a);
    case LatencyMode::kOps:
      break;
  }
  return "1 = 1";
}

std::string what_ops(LatencyMode m) {
  switch (m) {
    case LatencyMode::kRead:
      return "reads";
    case LatencyMode::kWrite:
      return "writes";
    case LatencyMode::kReadWrite:
      return "reads and writes";
    case LatencyMode::kOps:
      break;
  }
  return "all timed operations";
}

// How the histogram is grouped: one group, or per user, share or (share, file).
enum class Group : std::uint8_t { kNone, kUser, kShare, kFile };

// A derived table (g1, g2, b, n): the operations of `m` that `r` selects, by group and bucket.
std::string histogram_source(const ExecContext& ctx, const Resolved& r, LatencyMode m, Group g) {
  const auto group_cols = [&](std::string_view a) {
    switch (g) {
      case Group::kNone:
        return std::string("0 AS g1, 0 AS g2");
      case Group::kUser:
        return fmt::format("{}.user_id AS g1, 0 AS g2", a);
      case Group::kShare:
        return fmt::format("{}.share_id AS g1, 0 AS g2", a);
      case Group::kFile:
        break;
    }
    return fmt::format("{0}.share_id AS g1, COALESCE({0}.file_id, 0) AS g2", a);
  };
  const auto raw = [&](std::int64_t from, std::int64_t to) {
    return fmt::format(
        "SELECT {}, {} AS b, e.merged AS n FROM smbta_events e WHERE e.latency_us IS NOT NULL "
        "AND {}{}{}",
        group_cols("e"), lat::bucket_sql(ctx.db(), ctx.idiv("e.latency_us", "e.merged")),
        op_kind(m, "e"), id_conditions(r, "e", true), raw_time(from, to));
  };
  // The rollup has neither users nor files.
  if (!ctx.rollups().latency || r.users || r.files || r.empty || g == Group::kUser ||
      g == Group::kFile)
    return raw(r.range.from, r.range.to);
  // Whole days from the rollup, the partial days at the edges from the events.
  std::string rollup =
      fmt::format("SELECT {}, r.bucket AS b, r.ops AS n FROM {} r WHERE {}{}", group_cols("r"),
                  lat::kTable, rollup_kind(m), id_conditions(r, "r", false));
  return split_range(r, kDayMs, "day", std::move(rollup), raw);
}

// One group's histogram, buckets ascending.
struct Histogram {
  std::vector<std::pair<int, std::int64_t>> buckets;
  std::int64_t ops = 0;

  // Nearest rank: the smallest bucket holding at least ceil(q * ops) operations.
  std::int64_t at(double q) const {
    const auto rank = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil(q * static_cast<double>(ops))));
    std::int64_t seen = 0;
    for (const auto& [b, n] : buckets) {
      seen += n;
      if (seen >= rank) return lat::bucket_value(b);
    }
    return buckets.empty() ? 0 : lat::bucket_value(buckets.back().first);
  }
  std::int64_t value(Percentile p) const {
    switch (p) {
      case Percentile::kP50:
        return at(0.50);
      case Percentile::kP95:
        return at(0.95);
      case Percentile::kP99:
        return at(0.99);
      case Percentile::kMax:
      case Percentile::kAll:
        break;
    }
    return buckets.empty() ? 0 : lat::bucket_value(buckets.back().first);
  }
};

std::map<std::pair<std::int64_t, std::int64_t>, Histogram> histograms(ExecContext& ctx,
                                                                      const Resolved& r,
                                                                      LatencyMode m, Group g) {
  std::map<std::pair<std::int64_t, std::int64_t>, Histogram> out;
  if (r.empty) return out;
  DbiResult res = ctx.query(fmt::format(
      "SELECT s.g1, s.g2, s.b, {} FROM ({}) s GROUP BY s.g1, s.g2, s.b ORDER BY s.g1, s.g2, s.b",
      ctx.int64("SUM(s.n)"), histogram_source(ctx, r, m, g)));
  while (res.next()) {
    const std::int64_t n = res.get_int(4).value_or(0);
    if (n <= 0) continue;
    Histogram& h = out[{res.get_int(1).value_or(0), res.get_int(2).value_or(0)}];
    h.buckets.emplace_back(static_cast<int>(res.get_int(3).value_or(0)), n);
    h.ops += n;
  }
  return out;
}

constexpr Percentile kAllFour[] = {Percentile::kP50, Percentile::kP95, Percentile::kP99,
                                   Percentile::kMax};

Column percentile_column(Percentile p) {
  const std::string name(percentile_name(p));
  return {name + "_us", name + " (us)", ColumnType::kCount};
}

void common_notes(ResultTable& out, Percentile p, LatencyMode m) {
  out.notes.emplace_back("percentile", std::string(percentile_name(p)));
  out.notes.emplace_back("mode", std::string(latency_mode_name(m)));
  out.notes.emplace_back("unit", "microseconds");
  out.notes.emplace_back("error_bound", std::string(lat::kErrorBoundPercent));
}

}  // namespace

ResultTable run_function(ExecContext& ctx, const Latency& fn, const Resolved& r,
                         const std::string& t) {
  ResultTable out;
  out.function = "latency";
  out.title = fmt::format(
      "Latency of {} {}{}.", what_ops(fn.mode), t,
      fn.pct == Percentile::kAll ? std::string() : fmt::format(" ({})", percentile_name(fn.pct)));
  out.columns = {{"ops", "Operations", ColumnType::kCount}};
  std::vector<Percentile> shown;
  if (fn.pct == Percentile::kAll)
    shown.assign(std::begin(kAllFour), std::end(kAllFour));
  else
    shown.push_back(fn.pct);
  for (Percentile p : shown) out.columns.push_back(percentile_column(p));
  const auto hs = histograms(ctx, r, fn.mode, Group::kNone);
  // No timed operation: the percentiles are unknown (NULL), not 0.
  std::vector<Cell> row(shown.size() + 1);
  row[0] = std::int64_t{0};
  if (!hs.empty()) {
    const Histogram& h = hs.begin()->second;
    row[0] = h.ops;
    for (std::size_t i = 0; i < shown.size(); ++i) row[i + 1] = h.value(shown[i]);
  }
  out.rows.push_back(std::move(row));
  common_notes(out, fn.pct, fn.mode);
  return out;
}

ResultTable run_function(ExecContext& ctx, const TopSlowest& fn, const Resolved& r,
                         const std::string& t) {
  ResultTable out;
  out.function = "top_slowest";
  out.title = fmt::format("The {} slowest {} {} by {} latency of {}.", fn.n,
                          dimension_name(fn.what), t, percentile_name(fn.pct), what_ops(fn.mode));
  const Group g = fn.what == Dimension::kUsers    ? Group::kUser
                  : fn.what == Dimension::kShares ? Group::kShare
                                                  : Group::kFile;
  const auto hs = histograms(ctx, r, fn.mode, g);
  // (value, ops, key): highest value first, then more operations, then the lower ids.
  std::vector<std::tuple<std::int64_t, std::int64_t, std::pair<std::int64_t, std::int64_t>>> rank;
  for (const auto& [key, h] : hs) rank.emplace_back(h.value(fn.pct), h.ops, key);
  std::sort(rank.begin(), rank.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) > std::get<1>(b);
    return std::get<2>(a) < std::get<2>(b);
  });
  if (rank.size() > fn.n) rank.resize(fn.n);
  std::vector<std::int64_t> ids;
  for (const auto& [v, n, key] : rank) {
    ids.push_back(key.first);
    if (g == Group::kFile) ids.push_back(key.second);
  }
  std::map<std::int64_t, std::vector<std::string>> names;
  if (!ids.empty()) {
    DbiResult res = ctx.query(
        g == Group::kUser
            ? fmt::format("SELECT id, username, domain, usersid FROM smbta_users WHERE id IN ({})",
                          id_list(ids))
            : fmt::format("SELECT id, value FROM smbta_strings WHERE id IN ({})", id_list(ids)));
    while (res.next()) {
      auto& n = names[res.get_int(1).value_or(0)];
      n = {res.get_text(2).value_or(""), "", ""};
      if (g == Group::kUser) n = {n[0], res.get_text(3).value_or(""), res.get_text(4).value_or("")};
    }
  }
  auto name = [&](std::int64_t id, std::size_t i) {
    auto it = names.find(id);
    return it == names.end() ? std::string() : it->second[i];
  };
  out.columns = {{"pos", "Pos", ColumnType::kCount}};
  if (g == Group::kUser)
    out.columns.insert(out.columns.end(), {{"username", "User", ColumnType::kText},
                                           {"domain", "Domain", ColumnType::kText},
                                           {"sid", "SID", ColumnType::kText}});
  else if (g == Group::kShare)
    out.columns.push_back({"sharename", "Share", ColumnType::kText});
  else
    out.columns.insert(out.columns.end(), {{"filename", "File", ColumnType::kText},
                                           {"sharename", "Share", ColumnType::kText}});
  out.columns.push_back({"ops", "Operations", ColumnType::kCount});
  out.columns.push_back(percentile_column(fn.pct));
  std::int64_t pos = 0;
  for (const auto& [v, n, key] : rank) {
    std::vector<Cell> row{++pos};
    if (g == Group::kUser) {
      row.insert(row.end(), {name(key.first, 0), name(key.first, 1), name(key.first, 2)});
    } else if (g == Group::kShare) {
      row.emplace_back(name(key.first, 0));
    } else {
      row.emplace_back(key.second == 0 ? std::string() : name(key.second, 0));
      row.emplace_back(name(key.first, 0));
    }
    row.emplace_back(n);
    row.emplace_back(v);
    out.rows.push_back(std::move(row));
  }
  out.notes.emplace_back("dimension", std::string(dimension_name(fn.what)));
  common_notes(out, fn.pct, fn.mode);
  return out;
}

}  // namespace smbta::query

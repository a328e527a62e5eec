// SPDX-License-Identifier: GPL-3.0-or-later
// Where the functions read R/W traffic from: raw events, rollups, or both split at unit edges.
#include "query/sql_source.h"

#include <fmt/format.h>

namespace smbta::query {
namespace {

std::string raw_bytes(const ExecContext& ctx, const Resolved& r, Mode m, std::int64_t from,
                      std::int64_t to) {
  return fmt::format(
      "SELECT {} AS h, e.user_id AS user_id, e.share_id AS share_id, e.length AS bytes, "
      "e.merged AS recs FROM smbta_events e WHERE {}{}{}",
      ctx.idiv("e.ts", std::to_string(kHourMs)), raw_kind(m), id_conditions(r, "e", true),
      raw_time(from, to));
}

std::string raw_files(const Resolved& r, Mode m, std::int64_t from, std::int64_t to) {
  return fmt::format(
      "SELECT COALESCE(e.file_id, 0) AS file_id, e.share_id AS share_id, e.user_id AS user_id, "
      "e.length AS bytes FROM smbta_events e WHERE {}{}{}",
      raw_kind(m), id_conditions(r, "e", true), raw_time(from, to));
}

const char* rollup_kind(Mode m) {
  return m == Mode::kRead ? "r.kind = 0" : m == Mode::kWrite ? "r.kind = 1" : "1 = 1";
}

}  // namespace

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string split_range(const Resolved& r, std::int64_t unit, const char* col, std::string rollup,
                        const std::function<std::string(std::int64_t, std::int64_t)>& raw) {
  const bool lo = r.range.from != kNoLowerBound, hi = r.range.to != kNoUpperBound;
  const std::int64_t u1 = lo ? floor_div(r.range.from + unit - 1, unit) : 0;
  const std::int64_t u2 = hi ? floor_div(r.range.to, unit) : 0;
  if (lo && hi && u1 >= u2) return raw(r.range.from, r.range.to);
  if (lo) rollup += fmt::format(" AND r.{} >= {}", col, u1);
  if (hi) rollup += fmt::format(" AND r.{} < {}", col, u2);
  if (lo && r.range.from < u1 * unit) rollup += " UNION ALL " + raw(r.range.from, u1 * unit);
  if (hi && u2 * unit < r.range.to) rollup += " UNION ALL " + raw(u2 * unit, r.range.to);
  return rollup;
}

std::string raw_kind(Mode m) {
  return m == Mode::kRead    ? "e.vfs_id IN (0, 1)"
         : m == Mode::kWrite ? "e.vfs_id IN (2, 3)"
                             : "e.vfs_id <= 3";
}

std::string id_conditions(const Resolved& r, std::string_view a, bool with_files) {
  std::string out;
  if (r.empty) return " AND 1 = 0";
  if (r.users) out += fmt::format(" AND {}.user_id IN ({})", a, id_list(*r.users));
  if (r.shares) out += fmt::format(" AND {}.share_id IN ({})", a, id_list(*r.shares));
  if (with_files && r.files) out += fmt::format(" AND {}.file_id IN ({})", a, id_list(*r.files));
  return out;
}

std::string raw_time(std::int64_t from, std::int64_t to) {
  std::string out;
  if (from != kNoLowerBound) out += fmt::format(" AND e.ts >= {}", from);
  if (to != kNoUpperBound) out += fmt::format(" AND e.ts < {}", to);
  return out;
}

std::string byte_source(const Resolved& r, Mode m, const ExecContext& ctx) {
  const store::RollupSet& rollups = ctx.rollups();
  // The hourly rollup has no file column.
  if (!rollups.hourly || r.files || r.empty) return raw_bytes(ctx, r, m, r.range.from, r.range.to);
  return split_range(
      r, kHourMs, "hour",
      fmt::format(
          "SELECT r.hour AS h, r.user_id AS user_id, r.share_id AS share_id, r.bytes AS bytes, "
          "r.records AS recs FROM smbta_rollup_hourly r WHERE {}{}",
          rollup_kind(m), id_conditions(r, "r", false)),
      [&](std::int64_t from, std::int64_t to) { return raw_bytes(ctx, r, m, from, to); });
}

std::string file_source(const Resolved& r, Mode m, const ExecContext& ctx) {
  const store::RollupSet& rollups = ctx.rollups();
  if (!rollups.files || r.empty) return raw_files(r, m, r.range.from, r.range.to);
  return split_range(
      r, kDayMs, "day",
      fmt::format(
          "SELECT r.file_id AS file_id, r.share_id AS share_id, r.user_id AS user_id, r.bytes "
          "AS bytes FROM smbta_rollup_files r WHERE {}{}",
          rollup_kind(m), id_conditions(r, "r", true)),
      [&](std::int64_t from, std::int64_t to) { return raw_files(r, m, from, to); });
}

bool file_totals_answer(const Resolved& r, const ExecContext& ctx) {
  return ctx.rollups().file_totals && !r.empty && !r.users && r.range.from == kNoLowerBound &&
         r.range.to == kNoUpperBound;
}

std::string file_totals_where(const Resolved& r, Mode m) {
  return fmt::format("t.kind = {}{}",
                     m == Mode::kRead    ? 0
                     : m == Mode::kWrite ? 1
                                         : 2,
                     id_conditions(r, "t", true));
}

std::string file_pair_source(const Resolved& r, const ExecContext& ctx) {
  if (!file_totals_answer(r, ctx)) return file_source(r, Mode::kReadWrite, ctx);
  return fmt::format(
      "SELECT t.file_id AS file_id, t.share_id AS share_id FROM smbta_rollup_file_totals t "
      "WHERE {}",
      file_totals_where(r, Mode::kReadWrite));
}

std::string id_list(const std::vector<std::int64_t>& ids) {
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

}  // namespace smbta::query

// SPDX-License-Identifier: GPL-3.0-or-later
#include "query/alert_function.h"

#include <fmt/format.h>

#include "query/sql_source.h"
#include "store/alert_store.h"
#include "store/schema.h"

namespace smbta::query {
ResultTable run_function(ExecContext& ctx, const Alerts& fn, const Resolved& r,
                         const std::string& phrase) {
  ResultTable out;
  out.function = "alerts";
  out.title = fmt::format("Burst alerts {}", phrase);
  out.columns = {
      {"started", "Started", ColumnType::kTimestamp}, {"ended", "Ended", ColumnType::kTimestamp},
      {"alert", "Alert", ColumnType::kText},          {"username", "User", ColumnType::kText},
      {"domain", "Domain", ColumnType::kText},        {"share", "Share", ColumnType::kText},
      {"events", "Events", ColumnType::kCount},       {"rate", "Per minute", ColumnType::kCount},
      {"threshold", "Threshold", ColumnType::kCount}, {"baseline", "Baseline", ColumnType::kCount},
      {"sample", "Sample file", ColumnType::kText}};
  const std::uint32_t lim = fn.n > 0 ? fn.n : ctx.row_limit();
  if (r.empty || (r.users && r.users->empty()) || (r.shares && r.shares->empty())) return out;
  if (!store::schema::has_table(ctx.db(), store::alerts::kTable)) return out;
  std::string where = "1 = 1";
  if (r.range.from != kNoLowerBound) where += fmt::format(" AND a.started >= {}", r.range.from);
  if (r.range.to != kNoUpperBound) where += fmt::format(" AND a.started < {}", r.range.to);
  if (r.users)
    where += fmt::format(
        " AND EXISTS (SELECT 1 FROM smbta_users u WHERE u.id IN ({}) AND u.username = "
        "a.username AND u.domain = a.domain)",
        id_list(*r.users));
  if (r.shares)
    where += fmt::format(
        " AND EXISTS (SELECT 1 FROM smbta_strings s WHERE s.id IN ({}) AND s.value = a.share)",
        id_list(*r.shares));
  const std::string sql = fmt::format(
      "SELECT a.started, a.ended, a.kind, a.username, a.domain, a.share, a.events, a.rate, "
      "a.threshold, a.baseline, a.sample FROM smbta_alerts a WHERE {} ORDER BY a.started DESC, "
      "{}, {}, {}, {} LIMIT {}",
      where, ctx.ordered("a.kind"), ctx.ordered("a.username"), ctx.ordered("a.domain"),
      ctx.ordered("a.share"), lim + 1);
  store::DbiResult res = ctx.query(sql);
  while (res.next()) {
    std::vector<Cell> row;
    for (unsigned c = 1; c <= 11; ++c) {
      const ColumnType type = out.columns[c - 1].type;
      if (type == ColumnType::kText) {
        if (auto v = res.get_text(c))
          row.emplace_back(std::move(*v));
        else
          row.emplace_back();
      } else if (auto n = res.get_int(c)) {
        row.emplace_back(*n);
      } else {
        row.emplace_back();
      }
    }
    out.rows.push_back(std::move(row));
  }
  if (out.rows.size() > lim) {
    out.rows.resize(lim);
    out.notes.emplace_back("truncated", std::to_string(lim));
  }
  return out;
}

}  // namespace smbta::query

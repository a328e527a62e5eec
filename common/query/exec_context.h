// SPDX-License-Identifier: GPL-3.0-or-later
// What every statement of one query run shares: the connection, options, clock and rollups.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "query/engine.h"
#include "smbta/timestamp.h"
#include "store/dbi_connection.h"
#include "store/rollup.h"
#include "store/sql_dialect.h"

namespace smbta::query {

// Why: all statements of one run share the connection, the options, the clock and whether the
// rollups can be used, and every statement must pass one place that shows it (-d). The
// functions build SQL only from quoted literals and integers.
class ExecContext {
 public:
  ExecContext(store::DbiConnection& db, const QueryOptions& opts, store::RollupSet rollups)
      : db_(db), opts_(opts), now_(opts.now_ms ? opts.now_ms : local_now_ms()), rollups_(rollups) {}

  store::DbiConnection& db() const { return db_; }
  const QueryOptions& options() const { return opts_; }
  // "now" of the query: throughput's last interval ends here, search notes it.
  std::int64_t now() const { return now_; }
  // The rollups the statements may read (none when QueryOptions::use_rollups is off).
  const store::RollupSet& rollups() const { return rollups_; }

  store::DbiResult query(const std::string& sql) const {
    if (opts_.on_sql) opts_.on_sql(sql);
    return db_.query(sql);
  }
  // Text ordering must not depend on the server's locale: byte order on every driver (the
  // MySQL text columns are utf8mb4_bin).
  std::string ordered(std::string_view expr) const {
    return db_.is_pgsql() ? fmt::format("{} COLLATE \"C\"", expr) : std::string(expr);
  }
  // Case-insensitive LIKE, as an operator between the text and the pattern. MySQL: the
  // columns compare byte-wise, so the match takes a case-insensitive collation (which also
  // folds some accents).
  std::string like() const {
    return db_.is_pgsql() ? "ILIKE" : db_.is_mysql() ? "COLLATE utf8mb4_general_ci LIKE" : "LIKE";
  }
  // `expr` read as a 64-bit integer, and integer division (store/sql_dialect.h).
  std::string int64(std::string_view expr) const { return store::dialect::as_int64(db_, expr); }
  std::string idiv(std::string_view a, std::string_view b) const {
    return store::dialect::int_div(db_, a, b);
  }
  // Rows a list or search may return (at least one).
  std::uint32_t row_limit() const { return std::max<std::uint32_t>(1, opts_.max_rows); }

 private:
  store::DbiConnection& db_;
  const QueryOptions& opts_;
  std::int64_t now_;
  store::RollupSet rollups_;
};

}  // namespace smbta::query

// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a QueryPlan step by step: resolve the step's objects, then compute its function.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "query/alert_function.h"
#include "query/engine.h"
#include "query/exec_context.h"
#include "query/functions.h"
#include "query/latency_report.h"
#include "query/loss_report.h"
#include "query/parser.h"
#include "query/resolve.h"
#include "query/status_reports.h"
#include "query/trend_report.h"
#include "smbta/timestamp.h"
#include "smbta/version.h"
#include "store/schema.h"

namespace smbta::query {

std::string_view engine_version() {
  return SMBTA_VERSION;
}

std::vector<ResultTable> execute(const QueryPlan& plan, store::DbiConnection& db,
                                 const QueryOptions& opts) {
  try {
    if (!store::schema::ready(db))
      throw QueryError(QueryError::Kind::kDatabase,
                       fmt::format("{} holds no smbta schema: no smbtad has used this database "
                                   "(smbtad creates the schema at its first start, or run smbtad "
                                   "-T); is it the database smbtad was given?",
                                   db.location()));
    ExecContext ctx(db, opts, opts.use_rollups ? store::installed_rollups(db) : store::RollupSet{});
    std::vector<ResultTable> out;
    for (const Step& step : plan.steps) {
      const Resolved r = resolve(ctx, step.filter);
      const std::string phrase = filter_phrase(step.filter);
      out.push_back(
          std::visit([&](const auto& fn) { return run_function(ctx, fn, r, phrase); }, step.fn));
    }
    return out;
  } catch (const store::StoreError& e) {
    throw QueryError(QueryError::Kind::kDatabase, e.what());
  }
}

std::vector<ResultTable> run(std::string_view text, store::DbiConnection& db,
                             const QueryOptions& opts) {
  const std::int64_t now = opts.now_ms ? opts.now_ms : local_now_ms();
  QueryPlan plan;
  try {
    plan = parse(text, now);
  } catch (const ParseError& e) {
    throw QueryError(QueryError::Kind::kSyntax, describe(e, text));
  }
  QueryOptions pinned = opts;
  pinned.now_ms = now;
  return execute(plan, db, pinned);
}

}  // namespace smbta::query

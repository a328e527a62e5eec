// SPDX-License-Identifier: GPL-3.0-or-later
// Entry point of the query engine: query text in, typed result tables out (direct DB or smbtad).
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "query/plan.h"
#include "query/result.h"
#include "store/dbi_connection.h"

namespace smbta::query {

// Why: the caller must tell "your query is wrong" from "the object is not there" from "the
// database failed" (distinct exit codes, distinct replies on smbtad's client port).
class QueryError : public std::runtime_error {
 public:
  enum class Kind : std::uint8_t {
    kSyntax = 1,        // the text does not parse (message carries column and caret)
    kDatabase = 2,      // the database failed or holds no smbta schema
    kNoSuchObject = 3,  // identification: the named user/share/file/domain is not stored
    kAmbiguous = 4,     // identification: the name denotes several users (say which by SID)
  };
  QueryError(Kind kind, std::string message)
      : std::runtime_error(std::move(message)), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Why: everything that changes a query's answer besides its text, in one value that smbtad can
// fill per client and tests can pin (the clock above all).
struct QueryOptions {
  // Naive local milliseconds used for now/today/yesterday, throughput and titles; 0 = the clock.
  std::int64_t now_ms = 0;
  // -I: check that named objects exist and that a user name denotes one user (else an error
  // listing the candidates with their SIDs). Off: names match whatever is stored, possibly
  // nothing or several users.
  bool identify = true;
  // Read the rollups (store/rollup.h) that are installed. Off only for comparisons.
  bool use_rollups = true;
  // Bound of rows for list/search output (a `list files` over years must not exhaust memory);
  // a truncated table carries the note "truncated".
  std::uint32_t max_rows = 100'000;
  // -d: called with every SQL statement before it runs.
  std::function<void(std::string_view)> on_sql;
};

// Parses and runs `text` against the smbta schema on `db`, one ResultTable per function in
// query order. Only reads. Throws QueryError (kSyntax carries the formatted position: the
// message is parser.h describe()'s text). Safe to call from any thread with a connection used
// by that thread only. This is what smbtad runs for a "QQ" request on its client port:
// smbtad/query_service.cpp calls result_codec.h serve_query_body, which wraps it in the reply
// format (smbtad frames and encrypts the reply itself).
std::vector<ResultTable> run(std::string_view text, store::DbiConnection& db,
                             const QueryOptions& opts);

// Runs an already parsed plan (the parser's now and opts.now_ms should agree).
std::vector<ResultTable> execute(const QueryPlan& plan, store::DbiConnection& db,
                                 const QueryOptions& opts);

// The version reported by self-check and the formatters' footers.
std::string_view engine_version();

}  // namespace smbta::query

// SPDX-License-Identifier: GPL-3.0-or-later
// A database filled with known records for the query tests, on sqlite3, PostgreSQL or MariaDB.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "query/engine.h"
#include "store/event_store.h"
#include "support/store_fixture.h"

namespace smbta::query::testing {

// 2011-07-18 18:00:00, the "now" of every test query.
std::int64_t test_now();

// The known records: two domains with a user "holger" each, shares pool and data, names with
// quotes, blanks, separators and UTF-8, one aggregated row (merged = 3), one record of the day
// before, metadata operations including a failed one. Every row but the failed mkdir carries
// the latency the module timed (the merged row: the sum over its three records).
std::vector<store::Row> known_rows();

// Bytes of the known rows: mode 'r', 'w' or 'b' (both), optionally only one user name / share.
std::int64_t known_bytes(char mode, const std::string& user = {}, const std::string& share = {});

// Why: every engine test needs the same filled database on each driver, with or without the
// rollup table (which must give identical answers).
struct Param {
  std::string driver;
  bool rollups;
};

class QueryTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override;
  std::vector<ResultTable> q(std::string_view text, bool identify = true);

  std::unique_ptr<store::testing::TestDb> db_;
  std::unique_ptr<store::DbiConnection> conn_;
};

std::string param_name(const ::testing::TestParamInfo<Param>& i);

// 1.2.x tools read the `data` view with the 1.2.6 query shapes (smbtaquery.md: quoted and
// unquoted numbers, LIKE, ORDER BY timestamp, the window sums of top): checks them on `db`
// against the engine's totals of the same database.
void expect_126_view_shapes(store::DbiConnection& db);

#define SMBTA_QUERY_PARAMS(suite)                                                              \
  INSTANTIATE_TEST_SUITE_P(Drivers, suite,                                                     \
                           ::testing::Values(::smbta::query::testing::Param{"sqlite3", false}, \
                                             ::smbta::query::testing::Param{"sqlite3", true},  \
                                             ::smbta::query::testing::Param{"pgsql", false},   \
                                             ::smbta::query::testing::Param{"pgsql", true},    \
                                             ::smbta::query::testing::Param{"mysql", false},   \
                                             ::smbta::query::testing::Param{"mysql", true}),   \
                           ::smbta::query::testing::param_name)

}  // namespace smbta::query::testing

// SPDX-License-Identifier: GPL-3.0-or-later
// The latency reports: buckets within the stated error bound and alike in C++ and every SQL
// dialect, exact answers on the known rows, the rollup exact after growth and purge, and clear
// errors for bad arguments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "query/engine.h"
#include "query/parser.h"
#include "query/query_fixture.h"
#include "smbta/timestamp.h"
#include "store/latency_rollup.h"
#include "store/rollup.h"

namespace smbta::query::testing {
namespace {

namespace lat = store::latency;

std::int64_t as_value(std::uint64_t us) {
  return lat::bucket_value(lat::bucket_of(us));
}

TEST(LatencyBuckets, EveryValueIsWithinTheStatedBound) {
  std::vector<std::uint64_t> xs;
  for (std::uint64_t x = 0; x < 200'000; ++x) xs.push_back(x);
  for (int k = 17; k <= 40; ++k)
    for (std::uint64_t d : {0ULL, 1ULL, 7ULL, 1000ULL})
      for (std::uint64_t base : {1ULL << k, (1ULL << (k + 1)) - 1, 3ULL << (k - 1)})
        xs.push_back(base - std::min(base, d));
  int prev = -1;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::uint64_t x = xs[i];
    const int b = lat::bucket_of(x);
    ASSERT_LE(b, lat::kMaxBucket) << x;
    if (i < 200'000) {
      ASSERT_GE(b, prev) << "buckets must grow with the value, at " << x;
      prev = b;
    }
    const auto v = static_cast<double>(lat::bucket_value(b));
    EXPECT_LE(std::fabs(v - static_cast<double>(x)), static_cast<double>(x) * 0.0625) << x;
    if (x < 16) {
      EXPECT_EQ(v, static_cast<double>(x));
    }
  }
}

class LatencyTest : public QueryTest {};

TEST_P(LatencyTest, SqlBucketsEqualTheCppBuckets) {
  for (std::uint64_t x : {0ULL, 1ULL, 15ULL, 16ULL, 17ULL, 18ULL, 31ULL, 32ULL, 1000ULL, 1023ULL,
                          1024ULL, 65535ULL, 123456789ULL, (1ULL << 40) - 1, 1ULL << 40}) {
    store::DbiResult r = conn_->query("SELECT " + lat::bucket_sql(*conn_, std::to_string(x)));
    ASSERT_TRUE(r.next());
    EXPECT_EQ(r.get_int(1).value_or(-1), lat::bucket_of(x)) << x;
  }
}

std::int64_t cell(const ResultTable& t, std::size_t row, std::size_t col) {
  return std::get<std::int64_t>(t.rows.at(row).at(col));
}

TEST_P(LatencyTest, PercentilesOfTheKnownRows) {
  // Timed reads and writes: 7, 90, 150, 220, 640, 800, 3 x 1200 (the merged row's mean), 5300,
  // 48000: eleven operations; nearest rank.
  auto t = q("global, latency; latency max ops; global since today, latency p50 r;");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(cell(t[0], 0, 0), 11);
  EXPECT_EQ(cell(t[0], 0, 1), as_value(800));    // rank 6
  EXPECT_EQ(cell(t[0], 0, 2), as_value(48000));  // rank 11
  EXPECT_EQ(cell(t[0], 0, 3), as_value(48000));
  EXPECT_EQ(cell(t[0], 0, 4), as_value(48000));
  // Every timed operation: the open, close and rename too; the failed mkdir was not timed.
  EXPECT_EQ(cell(t[1], 0, 0), 14);
  EXPECT_EQ(cell(t[1], 0, 1), as_value(48000));
  // Today's reads: 90, 220, 800, 3 x 1200 -> rank 3 of 6.
  EXPECT_EQ(cell(t[2], 0, 0), 6);
  EXPECT_EQ(cell(t[2], 0, 1), as_value(800));

  t = q("global, top 2 shares slowest max rw, top 1 users slowest p50 ops;");
  ASSERT_EQ(t[0].rows.size(), 2u);
  EXPECT_EQ(std::get<std::string>(t[0].rows[0][1]), "pool");
  EXPECT_EQ(cell(t[0], 0, 3), as_value(48000));
  EXPECT_EQ(std::get<std::string>(t[0].rows[1][1]), "data");
  EXPECT_EQ(cell(t[0], 1, 3), as_value(5300));

  // Nothing timed: no percentile rather than 0.
  t = q("global from 2011-01-01 to 2011-01-02, latency;");
  EXPECT_EQ(cell(t[0], 0, 0), 0);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t[0].rows[0][1]));
}

TEST_P(LatencyTest, RollupFollowsGrowthAndPurge) {
  store::install_rollups(*conn_, {true, false});
  auto store = db_->open();
  // A late record of holger's merged read at 09:10 grows its row: 4 operations, 3600 + 400 us.
  store::Row grow = known_rows()[2];
  grow.rec.length = 5;
  grow.rec.latency_us = 400;
  grow.merged = 1;
  grow.accumulate = true;
  grow.bucket_start_ms = grow.rec.timestamp_ms;
  grow.bucket_ms = 5000;
  store->insert(std::span(&grow, 1));
  store->purge_older_than(*parse_timestamp("2011-07-18 00:00:00"));
  QueryOptions with, without;
  with.now_ms = without.now_ms = test_now();
  without.use_rollups = false;
  for (const char* text :
       {"global, latency;", "global, latency ops;", "share pool since 09:30, latency r;",
        "global, top 5 users slowest p99 ops;", "global, top 5 shares slowest;",
        "global, top 5 files slowest max;"})
    EXPECT_EQ(run(text, *conn_, with), run(text, *conn_, without)) << text;
  const auto t = run("global, latency rw;", *conn_, with);
  // Yesterday's read is gone; the merged row now counts 4 operations at 1000 us.
  EXPECT_EQ(std::get<std::int64_t>(t[0].rows[0][0]), 11 - 1 + 1);
  store::DbiResult r =
      conn_->query("SELECT SUM(ops) FROM smbta_rollup_latency WHERE kind <= 1 AND bucket = " +
                   std::to_string(lat::bucket_of(1000)));
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.get_int(1).value_or(0), 4);
}

SMBTA_QUERY_PARAMS(LatencyTest);

std::string error_text(std::string_view text) {
  try {
    parse(text, *parse_timestamp("2011-07-18 18:00:00"));
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

TEST(LatencyParser, ArgumentsAndErrors) {
  const std::int64_t now = *parse_timestamp("2011-07-18 18:00:00");
  auto p = parse("latency; latency p99; latency max ops; top 3 files slowest; trend 7 days", now);
  ASSERT_EQ(p.steps.size(), 5u);
  EXPECT_EQ(std::get<Latency>(p.steps[0].fn), (Latency{Percentile::kAll, LatencyMode::kReadWrite}));
  EXPECT_EQ(std::get<Latency>(p.steps[1].fn), (Latency{Percentile::kP99, LatencyMode::kReadWrite}));
  EXPECT_EQ(std::get<Latency>(p.steps[2].fn), (Latency{Percentile::kMax, LatencyMode::kOps}));
  EXPECT_EQ(std::get<TopSlowest>(p.steps[3].fn),
            (TopSlowest{3, Dimension::kFiles, Percentile::kP95, LatencyMode::kReadWrite}));
  EXPECT_EQ(std::get<Trend>(p.steps[4].fn).days, 7u);
  EXPECT_EQ(std::get<Trend>(parse("trend", now).steps[0].fn).days, 30u);

  EXPECT_NE(error_text("latency p90")
                .find("expected a percentile ('p50', 'p95', 'p99' or "
                      "'max'), a mode ('r', 'w', 'rw' or 'ops')"),
            std::string::npos);
  EXPECT_NE(error_text("latency p90").find("did you mean 'p"), std::string::npos)
      << error_text("latency p90");
  // The percentile comes before the mode.
  EXPECT_NE(error_text("latency rw p95").find("unexpected 'p95'"), std::string::npos);
  EXPECT_NE(error_text("top 3 domains slowest").find("ranks users, shares or files"),
            std::string::npos);
  EXPECT_NE(error_text("trend 0 days").find("a whole number from 1 to 3660"), std::string::npos);
  EXPECT_NE(error_text("trend 5 weeks").find("expected the unit of the trend"), std::string::npos);
  EXPECT_NE(error_text("trend 5").find("expected the unit of the trend"), std::string::npos);
}

}  // namespace
}  // namespace smbta::query::testing

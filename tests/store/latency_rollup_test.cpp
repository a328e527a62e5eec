// SPDX-License-Identifier: GPL-3.0-or-later
// The latency column and histogram rollup on every driver: an older database gets the column,
// and the histogram equals the one computed from the events after inserts, growth of aggregated
// rows and retention (on PostgreSQL: dropped day partitions and a trimmed edge day).
#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

#include "smbta/timestamp.h"
#include "store/latency_rollup.h"
#include "store/rollup.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbta::store::testing {
namespace {

using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

class LatencyRollupTest : public StoreWithSchemaTest {
 protected:
  // (day, share, kind, bucket) -> operations, as the rollup holds it.
  std::map<Key, std::int64_t> rollup() {
    std::map<Key, std::int64_t> out;
    for (DbiResult r =
             raw_->query("SELECT day, share_id, kind, bucket, ops FROM smbta_rollup_latency");
         r.next();)
      out[{r.get_int(1).value_or(0), r.get_int(2).value_or(0), r.get_int(3).value_or(0),
           r.get_int(4).value_or(0)}] += r.get_int(5).value_or(0);
    return out;
  }
  // The same, computed here from the stored events.
  std::map<Key, std::int64_t> from_events() {
    std::map<Key, std::int64_t> out;
    for (DbiResult r = raw_->query("SELECT ts, share_id, user_id, vfs_id, latency_us, merged FROM "
                                   "smbta_events WHERE latency_us IS NOT NULL");
         r.next();) {
      const auto merged = r.get_int(6).value_or(1);
      const auto mean = static_cast<std::uint64_t>(r.get_int(5).value_or(0) / merged);
      const auto op = r.get_int(4).value_or(0);
      const std::int64_t kind = op <= 1 ? 0 : op <= 3 ? 1 : 2;
      out[{r.get_int(1).value_or(0) / 86'400'000, r.get_int(2).value_or(0), kind,
           latency::bucket_of(mean)}] += merged;
    }
    return out;
  }
};

Row timed(Op op, std::int64_t ts, std::uint64_t latency, std::string file) {
  Record r = smbta::testing::example_record(op);
  r.timestamp_ms = ts;
  r.path = std::move(file);
  r.latency_us = latency;
  return Row{r, 1};
}

TEST_P(LatencyRollupTest, HistogramStaysExactThroughGrowthAndRetention) {
  install_rollups(*raw_, {true, false});
  ASSERT_TRUE(installed_rollups(*raw_).latency);
  const std::int64_t day = local_now_ms() / 86'400'000 - 10;
  std::vector<Row> rows;
  for (int d = 0; d < 4; ++d)
    for (int i = 0; i < 48; ++i)
      rows.push_back(timed(i % 4 == 0 ? Op::kOpen
                           : i % 3    ? Op::kWrite
                                      : Op::kRead,
                           (day + d) * 86'400'000 + i * 1'800'000,
                           static_cast<std::uint64_t>(7 + i * i * 37 + d * 1000),
                           "f" + std::to_string(i % 5)));
  // One untimed record: counted nowhere.
  Row untimed = timed(Op::kRead, day * 86'400'000 + 5, 0, "u");
  untimed.rec.latency_us.reset();
  rows.push_back(untimed);
  store_->insert(rows);
  EXPECT_EQ(rollup(), from_events());
  // A late record grows an aggregated write: its mean latency moves to another bucket.
  Row grow = rows[1];
  grow.rec.latency_us = 90'000;
  grow.accumulate = true;
  grow.bucket_start_ms = grow.rec.timestamp_ms;
  grow.bucket_ms = 5000;
  store_->insert(std::span(&grow, 1));
  EXPECT_EQ(rollup(), from_events());
  std::int64_t ops = 0;
  for (const auto& [k, n] : rollup()) ops += n;
  EXPECT_EQ(ops, 4 * 48 + 1);
  // Days 0 and 1 wholly, day 2 until 06:00.
  const std::int64_t cutoff = (day + 2) * 86'400'000 + 6 * 3'600'000;
  store_->purge_older_than(cutoff);
  EXPECT_EQ(rollup(), from_events());
  ops = 0;
  for (const auto& [k, n] : rollup()) ops += n;
  EXPECT_EQ(ops, 48 + 36);
}

TEST_P(LatencyRollupTest, AnOlderDatabaseGetsTheLatencyColumn) {
  raw_->exec("ALTER TABLE smbta_events DROP COLUMN latency_us");
  store_ = db_->open();
  store_->create_schema();
  store_->insert(std::vector<Row>{timed(Op::kRead, 1'000'000, 1234, "f")});
  DbiResult r = raw_->query("SELECT latency_us FROM smbta_events");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.get_int(1).value_or(0), 1234);
}

SMBTA_STORE_DRIVERS(LatencyRollupTest);

}  // namespace
}  // namespace smbta::store::testing

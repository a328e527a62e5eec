// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "smbta/timestamp.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbta::store::testing {
namespace {

// One row of the 1.2.6 `data` view, as text/integers.
struct DataRow {
  std::int64_t vfs_id = 0;
  std::string username, usersid, share, domain, timestamp;
  std::optional<std::string> string1;
  std::optional<std::int64_t> length, result;
  std::optional<std::string> string2;
  bool operator==(const DataRow&) const = default;
};

std::string abbrev(const std::string& v) {
  return v.size() > 40 ? v.substr(0, 40) + "..." : v;
}

std::ostream& operator<<(std::ostream& os, const DataRow& r) {
  auto opt = [](const auto& v) {
    if (!v) return std::string("NULL");
    if constexpr (std::is_same_v<std::decay_t<decltype(*v)>, std::string>)
      return "'" + abbrev(*v) + "'";
    else
      return std::to_string(*v);
  };
  return os << "{" << r.vfs_id << ", " << abbrev(r.username) << ", " << abbrev(r.usersid) << ", "
            << abbrev(r.share) << ", " << abbrev(r.domain) << ", " << r.timestamp << ", "
            << opt(r.string1) << ", " << opt(r.length) << ", " << opt(r.result) << ", "
            << opt(r.string2) << "}";
}

// What SMBTA 1.2.6 would have stored for `rec` (smbtad.md §5.1), plus the smbta additions:
// rmdir, unlink and copy rows; failed R/W/copy store 0 bytes.
DataRow expected(const Record& rec) {
  DataRow d;
  d.vfs_id = rec.op == Op::kPread ? 0 : rec.op == Op::kPwrite ? 2 : static_cast<int>(rec.op);
  d.username = rec.user;
  d.usersid = rec.sid;
  d.share = rec.share;
  d.domain = rec.domain;
  d.timestamp = format_timestamp(rec.timestamp_ms);
  d.string1 = rec.path;
  switch (shape_of(rec.op)) {
    case OpShape::kFileLength:
      d.length = rec.length == kFailedResult ? 0 : static_cast<std::int64_t>(rec.length);
      break;
    case OpShape::kTwoPathsLength:  // a failed copy moved no bytes either
      d.length = rec.length == kFailedResult ? 0 : static_cast<std::int64_t>(rec.length);
      d.string2 = rec.path2;
      break;
    case OpShape::kPathModeResult:
    case OpShape::kFileModeResult:
      d.result = static_cast<std::int64_t>(rec.result);
      d.string2 = std::to_string(rec.mode);
      break;
    case OpShape::kPathResult:
      d.result = static_cast<std::int64_t>(rec.result);
      break;
    case OpShape::kTwoPathsResult:
      d.result = static_cast<std::int64_t>(rec.result);
      d.string2 = rec.path2;
      break;
    case OpShape::kPathSizeResult:  // the size is no transfer: stored as the op's argument
      d.result = static_cast<std::int64_t>(rec.result);
      d.string2 = std::to_string(rec.length);
      break;
    case OpShape::kCounts:  // drop notices are logged by smbtad, never stored
      break;
  }
  return d;
}

std::vector<DataRow> read_data(DbiConnection& db, const std::string& where = "") {
  DbiResult r = db.query("SELECT vfs_id, username, usersid, share, domain, " +
                         data_timestamp_expr(db) + ", string1, length, result, string2 FROM data " +
                         where + " ORDER BY timestamp, vfs_id, string1");
  std::vector<DataRow> out;
  while (r.next()) {
    DataRow d;
    d.vfs_id = r.get_int(1).value();
    d.username = r.get_text(2).value();
    d.usersid = r.get_text(3).value();
    d.share = r.get_text(4).value();
    d.domain = r.get_text(5).value();
    d.timestamp = r.get_text(6).value();
    d.string1 = r.get_text(7);
    d.length = r.get_int(8);
    d.result = r.get_int(9);
    d.string2 = r.get_text(10);
    out.push_back(std::move(d));
  }
  return out;
}

std::int64_t count(DbiConnection& db, const std::string& table) {
  DbiResult r = db.query("SELECT count(*) FROM " + table);
  EXPECT_TRUE(r.next());
  return r.get_int(1).value_or(-1);
}

// Records with strings that break naive SQL building, one per op, at distinct times.
std::vector<Row> hostile_rows() {
  const std::string big(10 * 1024, 'x');
  const std::vector<std::string> names = {
      "it's",
      "''",
      "100%_done",
      "a;b; DROP TABLE smbta_events; --",
      "Überweisung ☃ 日本",
      "back\\slash\\",
      "\"double\"",
      big + "'" + big,
      "trailing space ",
      "",
  };
  std::vector<Row> rows;
  std::int64_t ts = *parse_timestamp("2012-05-11 16:01:47.042");
  for (int op = 0; op <= kMaxKnownOp; ++op) {
    for (std::size_t n = 0; n < names.size(); ++n) {
      Record r = smbta::testing::example_record(static_cast<Op>(op));
      r.timestamp_ms = ts++;
      r.path = names[n];
      r.path2 = names[(n + 3) % names.size()];
      r.share = names[(n + 1) % names.size()];
      r.user = names[(n + 2) % names.size()];
      r.domain = names[(n + 5) % names.size()];
      r.sid = n % 2 ? "S-1-5-21-1-2-3-500" : names[(n + 7) % names.size()];
      r.length = n % 3 == 0 ? kFailedResult : 4096 * n;
      r.mode = 0755;
      r.result = n % 2 ? kFailedResult : 0;
      if (n % 4 == 0) {  // 6-block record of an old module: no client IP
        r.common_blocks = 6;
        r.client_ip.clear();
      }
      rows.push_back(Row{r, 1});
    }
  }
  return rows;
}

class InsertTest : public StoreWithSchemaTest {};

TEST_P(InsertTest, EveryOpRoundTripsThroughDataView) {
  const auto rows = hostile_rows();
  store_->insert(rows);
  const auto got = read_data(*raw_);
  ASSERT_EQ(got.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(got[i], expected(rows[i].rec)) << "row " << i << " op " << int(rows[i].rec.op);
  // Dictionaries hold each distinct string once.
  EXPECT_LE(count(*raw_, "smbta_strings"), 11);
}

TEST_P(InsertTest, RandomRecordsRoundTrip) {
  std::mt19937_64 rng(42);
  std::vector<Row> rows;
  for (int i = 0; i < 1500; ++i) {
    Record r = smbta::testing::random_record(rng);
    r.timestamp_ms = *parse_timestamp("2013-01-01 00:00:00.000") + i * 1001;
    rows.push_back(Row{r, 1});
  }
  // Two batches: the second mostly hits the id cache.
  store_->insert(std::span(rows).first(700));
  store_->insert(std::span(rows).subspan(700));
  const auto got = read_data(*raw_);
  ASSERT_EQ(got.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    ASSERT_EQ(got[i], expected(rows[i].rec)) << "row " << i;
}

TEST_P(InsertTest, PreadAndPwriteAreStoredAsReadAndWrite) {
  std::vector<Row> rows;
  for (Op op : {Op::kRead, Op::kPread, Op::kWrite, Op::kPwrite}) {
    Record r = smbta::testing::example_record(op);
    r.length = 100;
    rows.push_back(Row{r, 3});
  }
  store_->insert(rows);
  DbiResult r = raw_->query(
      "SELECT vfs_id, count(*), sum(length) FROM data GROUP BY vfs_id "
      "ORDER BY vfs_id");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.get_int(1), 0);
  EXPECT_EQ(r.get_int(2), 2);
  EXPECT_EQ(r.get_int(3), 200);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.get_int(1), 2);
  EXPECT_EQ(r.get_int(2), 2);
  EXPECT_FALSE(r.next());
  // The real op ids and the merge count stay in smbta_events.
  DbiResult e = raw_->query("SELECT vfs_id, merged FROM smbta_events ORDER BY vfs_id");
  for (int op = 0; op < 4; ++op) {
    ASSERT_TRUE(e.next());
    EXPECT_EQ(e.get_int(1), op);
    EXPECT_EQ(e.get_int(2), 3);
  }
}

TEST_P(InsertTest, TimestampTextIsExactToTheMillisecond) {
  std::mt19937_64 rng(7);
  std::vector<Row> rows;
  const std::int64_t lo = *parse_timestamp("1999-12-31 23:59:59.000");
  const std::int64_t hi = *parse_timestamp("2038-01-19 03:14:08.000");
  for (int i = 0; i < 3000; ++i) {
    Record r = smbta::testing::example_record(Op::kClose);
    // Every millisecond remainder at least once, plus random dates.
    r.timestamp_ms = i < 1000 ? lo + i * 1001 : lo + static_cast<std::int64_t>(rng() % (hi - lo));
    r.path = "f" + std::to_string(i);
    rows.push_back(Row{r, 1});
  }
  store_->insert(rows);
  DbiResult r = raw_->query("SELECT string1, " + data_timestamp_expr(*raw_) + " FROM data");
  std::size_t n = 0;
  while (r.next()) {
    const auto i = std::stoul(r.get_text(1).value().substr(1));
    ASSERT_EQ(r.get_text(2), format_timestamp(rows.at(i).rec.timestamp_ms));
    ++n;
  }
  EXPECT_EQ(n, rows.size());
}

TEST_P(InsertTest, TimeRangeQueryOnViewCompares) {
  std::vector<Row> rows;
  for (const char* t : {"2012-05-11 16:01:47.042", "2012-05-11 16:01:48.000"}) {
    Record r = smbta::testing::example_record(Op::kOpen);
    r.timestamp_ms = *parse_timestamp(t);
    rows.push_back(Row{r, 1});
  }
  store_->insert(rows);
  // The shape of smbtaquery 1.2.6's time filters.
  EXPECT_EQ(read_data(*raw_, "WHERE timestamp > '2012-05-11 16:01:47.500'").size(), 1u);
}

TEST_P(InsertTest, FailedBatchCommitsNothingAndIsForgotten) {
  const auto rows = hostile_rows();
  store_->insert(std::span(rows).first(10));
  // Break the event table so that the batch fails after its new strings were inserted.
  raw_->exec("ALTER TABLE smbta_events RENAME TO smbta_events_away");
  EXPECT_THROW(store_->insert(std::span(rows).subspan(10)), StoreError);
  raw_->exec("ALTER TABLE smbta_events_away RENAME TO smbta_events");
  EXPECT_EQ(count(*raw_, "smbta_events"), 10);

  // Strings created in the rolled-back transaction must not be served from the cache: first
  // let other new strings take their (reusable) ids, then insert the failed batch again.
  std::vector<Row> others;
  for (int i = 0; i < 50; ++i) {
    Record r = smbta::testing::example_record(Op::kMkdir);
    r.path = "other" + std::to_string(i);
    r.share = "othershare" + std::to_string(i);
    r.user = "otheruser" + std::to_string(i);
    r.timestamp_ms = 0;  // sorts first
    others.push_back(Row{r, 1});
  }
  store_->insert(others);
  store_->insert(std::span(rows).subspan(10));

  auto got = read_data(*raw_, "WHERE string1 NOT LIKE 'other%'");
  ASSERT_EQ(got.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(got[i], expected(rows[i].rec)) << "row " << i;
  EXPECT_EQ(count(*raw_, "smbta_events"), static_cast<std::int64_t>(rows.size() + others.size()));
}

TEST_P(InsertTest, LargeBatchInOneTransaction) {
  const auto recs = smbta::testing::realistic_mix(5000, 1);
  std::vector<Row> rows;
  for (const auto& r : recs) rows.push_back(Row{r, 1});
  store_->insert(rows);
  EXPECT_EQ(count(*raw_, "smbta_events"), 5000);
  EXPECT_EQ(count(*raw_, "data"), 5000);
}

TEST_P(InsertTest, EmptyBatchIsNoOp) {
  store_->insert({});
  EXPECT_EQ(count(*raw_, "smbta_events"), 0);
}

// Precision > 0: a bucket's row is inserted at the first flush and grown by later ones.
TEST_P(InsertTest, AccumulatingRowsGrowTheirBucketRow) {
  auto row = [](std::string file, std::int64_t ts, std::uint64_t len, std::uint32_t merged,
                bool accumulate) {
    Record r = smbta::testing::example_record(Op::kRead);
    r.path = std::move(file);
    r.timestamp_ms = ts;
    r.length = len;
    Row out{r, merged};
    out.accumulate = accumulate;
    out.bucket_start_ms = ts / 5000 * 5000;
    out.bucket_ms = 5000;
    return out;
  };
  // First flush inserts; the same batch may already grow it (coalesced flushes).
  store_->insert(std::vector<Row>{row("a", 1000100, 10, 2, false), row("a", 1000100, 5, 1, true)});
  // A later flush grows it; a row for a bucket without a row is inserted; a late record (own
  // first timestamp, same bucket) finds the bucket's row by range.
  store_->insert(std::vector<Row>{row("a", 1000100, 100, 3, true), row("b", 1001000, 7, 1, true),
                                  row("a", 1004999, 1000, 1, true), row("a", 1005000, 1, 1, true)});
  auto res = raw_->query(
      "SELECT s.value, e.ts, e.length, e.merged FROM smbta_events e JOIN smbta_strings s ON "
      "s.id = e.file_id ORDER BY s.value, e.ts");
  std::vector<std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t>> got;
  while (res.next())
    got.emplace_back(*res.get_text(1), *res.get_int(2), *res.get_int(3), *res.get_int(4));
  using T = std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t>;
  EXPECT_EQ(got, (std::vector<T>{T{"a", 1000100, 1115, 7}, T{"a", 1005000, 1, 1},
                                 T{"b", 1001000, 7, 1}}));
}

SMBTA_STORE_DRIVERS(InsertTest);

}  // namespace
}  // namespace smbta::store::testing

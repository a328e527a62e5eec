// SPDX-License-Identifier: GPL-3.0-or-later
// The aggregation cache on its own: bucket keys, first write vs. growth, forgetting.
#include "aggregation_cache.h"

#include <gtest/gtest.h>

#include "support/test_records.h"

namespace smbtad {
namespace {

using smbta::Op;
using smbta::Record;
using smbta::store::Row;
using Clock = AggregationCache::Clock;
constexpr auto kDelay = AggregationCache::kWriteDelay;

Record rw(Op op, std::string file, std::int64_t ts, std::uint64_t len) {
  Record r = smbta::testing::example_record(op);
  r.path = std::move(file);
  r.timestamp_ms = ts;
  r.length = len;
  return r;
}

TEST(AggregationCache, MergesOnlyIdenticalKeysOfOneBucket) {
  AggregationCache c(5, 1000);
  const auto now = Clock::now();
  c.add(rw(Op::kRead, "f", 10000, 1), now);
  c.add(rw(Op::kPread, "f", 14999, 2), now);     // same kind, same bucket: merged
  c.add(rw(Op::kRead, "f", 15000, 4), now);      // next bucket
  c.add(rw(Op::kRead, "f.bak", 10001, 8), now);  // other file (1.2.6 merged prefixes)
  c.add(rw(Op::kWrite, "f", 10002, 16), now);    // other kind
  c.add(rw(Op::kRead, "f", 10003, smbta::kFailedResult), now);  // a failed read moves 0 bytes
  c.add(rw(Op::kMkdir, "d", 10004, 0), now);                    // not R/W: stored as is
  std::vector<Row> rows;
  c.flush(rows, now);
  ASSERT_EQ(rows.size(), 1u) << "R/W buckets wait kWriteDelay for more records";
  c.flush(rows, now + kDelay);
  ASSERT_EQ(rows.size(), 5u);
  std::uint64_t total = 0;
  for (const auto& r : rows) {
    total += r.rec.length;
    EXPECT_FALSE(r.accumulate) << "first write of every bucket inserts";
    if (r.rec.path == "f" && r.rec.op == Op::kRead && r.rec.timestamp_ms == 10000) {
      EXPECT_EQ(r.rec.length, 3u);
      EXPECT_EQ(r.merged, 3u);
    }
  }
  EXPECT_EQ(total, 1u + 2 + 4 + 8 + 16);
}

// The latency report reads a merged row's mean: latency_us must be the sum over its records, and
// a row of untimed records must stay untimed.
TEST(AggregationCache, MergedRowsCarryTheSumOfTheirLatencies) {
  AggregationCache c(5, 1000);
  const auto now = Clock::now();
  for (std::uint64_t us : {100u, 250u, 40u}) {
    Record r = rw(Op::kRead, "f", 10000, 1);
    r.latency_us = us;
    c.add(r, now);
  }
  Record untimed = rw(Op::kWrite, "f", 10000, 1);
  untimed.latency_us.reset();
  c.add(untimed, now);
  std::vector<Row> rows;
  c.flush(rows, now + kDelay);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    if (r.rec.op == Op::kRead) {
      EXPECT_EQ(r.merged, 3u);
      EXPECT_EQ(r.rec.latency_us, std::optional<std::uint64_t>(390));
    } else {
      EXPECT_FALSE(r.rec.latency_us);
    }
  }
  // The next flush of the same bucket carries only the new records' sum.
  Record late = rw(Op::kRead, "f", 11000, 1);
  late.latency_us = 7;
  c.add(late, now + kDelay);
  rows.clear();
  c.flush(rows, now + 2 * kDelay);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].accumulate);
  EXPECT_EQ(rows[0].rec.latency_us, std::optional<std::uint64_t>(7));
}

TEST(AggregationCache, LaterFlushesGrowTheSameRow) {
  AggregationCache c(5, 1000);
  const auto now = Clock::now();
  c.add(rw(Op::kWrite, "f", 10000, 1), now);
  std::vector<Row> rows;
  c.flush(rows, now + kDelay);
  c.add(rw(Op::kWrite, "f", 12000, 2), now + kDelay);
  c.flush(rows, now + kDelay);
  ASSERT_EQ(rows.size(), 1u) << "growth waits kWriteDelay too";
  c.flush(rows, now + 2 * kDelay);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].accumulate);
  EXPECT_TRUE(rows[1].accumulate);
  EXPECT_EQ(rows[1].rec.timestamp_ms, 10000) << "identifies the row by its first timestamp";
  EXPECT_EQ(rows[1].rec.length, 2u);
  EXPECT_EQ(rows[1].bucket_start_ms, 10000);
  EXPECT_EQ(rows[1].bucket_ms, 5000);
}

TEST(AggregationCache, StragglerAfterForgettingGrowsTheForgottenRow) {
  AggregationCache c(5, 1000);
  const auto t0 = Clock::now();
  c.add(rw(Op::kRead, "f", 10000, 1), t0);
  std::vector<Row> rows;
  c.flush(rows, t0 + kDelay);
  c.flush(rows, t0 + std::chrono::seconds(8));  // bucket over: entry forgotten
  EXPECT_EQ(c.entries(), 0u);
  c.add(rw(Op::kRead, "f", 14000, 5), t0 + std::chrono::seconds(9));  // late, same bucket
  c.add(rw(Op::kRead, "g", 14000, 7), t0 + std::chrono::seconds(9));  // new key: plain insert
  rows.clear();
  c.flush(rows, t0 + std::chrono::seconds(9) + kDelay);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    if (r.rec.path == "f") {
      EXPECT_TRUE(r.accumulate);
      EXPECT_EQ(r.rec.timestamp_ms, 10000);
    } else {
      EXPECT_FALSE(r.accumulate);
    }
  }
}

TEST(AggregationCache, CapacityBoundsTheEntries) {
  AggregationCache c(60, 100);
  const auto now = Clock::now();
  std::vector<Row> rows;
  for (int i = 0; i < 1000; ++i) {
    c.add(rw(Op::kRead, "f" + std::to_string(i), 10000, 1), now);
    if (i % 50 == 0) c.flush(rows, now);
    EXPECT_LE(c.entries(), 100u) << "bounded between flushes too";
  }
  c.flush(rows, now + kDelay);
  EXPECT_LE(c.entries(), 100u);
  std::uint64_t total = 0;
  for (const auto& r : rows) total += r.merged;
  EXPECT_EQ(total, 1000u);
}

// A file copied in 16 chunks within the write delay costs one inserted row and no growth:
// writing each bucket at the next flush made most merged records an UPDATE.
TEST(AggregationCache, ChunksWithinTheWriteDelayBecomeOneInsert) {
  AggregationCache c(5, 1000);
  const auto t0 = Clock::now();
  std::vector<Row> rows;
  for (int i = 0; i < 16; ++i) {
    const auto t = t0 + std::chrono::milliseconds(50 * i);
    c.add(rw(Op::kRead, "big.iso", 10000 + 50 * i, 65536), t);
    c.flush(rows, t);
  }
  EXPECT_TRUE(rows.empty());
  c.flush(rows, t0 + kDelay);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].accumulate);
  EXPECT_EQ(rows[0].merged, 16u);
  EXPECT_EQ(rows[0].rec.length, 16u * 65536);
  EXPECT_EQ(rows[0].rec.timestamp_ms, 10000);
}

// A bucket receiving records for longer than the delay is written when its first record is
// kWriteDelay old and then grown at most once per kWriteDelay; every record reaches a row
// within kWriteDelay plus the walk granularity (flushes every 100 ms here).
TEST(AggregationCache, LongBucketsGrowAtMostOncePerDelayAndStayVisible) {
  AggregationCache c(10, 1000);
  const auto t0 = Clock::now();
  std::vector<Row> rows;
  std::vector<Clock::time_point> added;
  for (int i = 0; i < 80; ++i) {  // 8 s of one file
    const auto t = t0 + std::chrono::milliseconds(100 * i);
    c.add(rw(Op::kWrite, "log", 10000 + 100 * i, 1), t);
    added.push_back(t);
    c.flush(rows, t);
    std::uint32_t in_rows = 0;
    for (const auto& r : rows) in_rows += r.merged;
    for (std::size_t k = 0; k < added.size(); ++k)
      if (t - added[k] > kDelay + kDelay / 4 + std::chrono::milliseconds(100)) {
        EXPECT_GT(in_rows, k) << "record " << k << " not written by " << i;
      }
  }
  c.flush(rows, t0 + std::chrono::seconds(20));
  std::uint32_t merged = 0;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    merged += rows[k].merged;
    EXPECT_EQ(rows[k].accumulate, k > 0);
    EXPECT_EQ(rows[k].rec.timestamp_ms, 10000);
  }
  EXPECT_EQ(merged, 80u);
  EXPECT_LE(rows.size(), 9u) << "about one write per second of records";
}

TEST(AggregationCache, PrecisionZeroStoresEveryRecord) {
  AggregationCache c(0, 1000);
  const auto now = Clock::now();
  for (int i = 0; i < 3; ++i) c.add(rw(Op::kRead, "f", 10000, 1), now);
  std::vector<Row> rows;
  c.flush(rows, now);
  EXPECT_EQ(rows.size(), 3u);
}

}  // namespace
}  // namespace smbtad

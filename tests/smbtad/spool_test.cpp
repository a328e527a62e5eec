// SPDX-License-Identifier: GPL-3.0-or-later
// The spool, smbta's only on-disk format: damaged segments, replay order, nothing stored twice.
#include "spool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "smbtad/db_rows.h"
#include "store/dbi_connection.h"
#include "store_writer.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::store::Row;
using smbta::testing::read_file;
using smbta::testing::write_file;

std::vector<Row> some_rows(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Row> rows;
  for (std::size_t i = 0; i < n; ++i) rows.push_back({smbta::testing::random_record(rng)});
  return rows;
}

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir,
                                            std::string_view extension) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == extension) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool same_records(const std::vector<Row>& a, const std::vector<Row>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i].rec == b[i].rec)) return false;
  return true;
}

TEST(Spool, SegmentsComeBackInOrderAcrossRuns) {
  TempDir dir;
  const auto first = some_rows(10, 1), second = some_rows(7, 2);
  {
    Spool s(dir.path());
    s.append(first);
    s.append(second);
    EXPECT_EQ(s.rows(), 17u);
  }
  Spool again(dir.path());
  ASSERT_EQ(again.segments(), 2u);
  auto a = again.front();
  ASSERT_TRUE(a);
  EXPECT_TRUE(same_records(a->rows, first));
  EXPECT_TRUE(again.pop_front());
  auto b = again.front();
  ASSERT_TRUE(b);
  EXPECT_TRUE(same_records(b->rows, second));
  EXPECT_GT(b->seq, a->seq);
  EXPECT_TRUE(again.pop_front());
  EXPECT_TRUE(again.empty());
  EXPECT_TRUE(files_in(dir.path(), ".spool").empty()) << "a replayed segment is removed";
  // A new run numbers its segments after what it found, under its own generation.
  Spool third(dir.path());
  third.append(first);
  ASSERT_EQ(files_in(dir.path(), ".spool").size(), 1u);
  EXPECT_NE(files_in(dir.path(), ".spool")[0].filename().string().find('-'), std::string::npos);
}

// ninja-style: a segment cut at any byte is refused whole (never read as fewer rows), moved
// aside, and the segment after it still replays.
TEST(Spool, ASegmentTruncatedAtEveryByteIsRefusedAndTheNextStillReplays) {
  const auto rows = some_rows(3, 3), next = some_rows(2, 4);
  TempDir made;
  {
    Spool s(made.path());
    s.append(rows);
    s.append(next);
  }
  const auto files = files_in(made.path(), ".spool");
  ASSERT_EQ(files.size(), 2u);
  const std::string full = read_file(files[0]), intact = read_file(files[1]);
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    TempDir dir;
    const auto damaged = dir.path() / files[0].filename();
    write_file(damaged, std::string_view(full).substr(0, cut));
    write_file(dir.path() / files[1].filename(), intact);
    Spool s(dir.path());
    auto seg = s.front();
    ASSERT_TRUE(seg) << "cut at " << cut;
    ASSERT_TRUE(same_records(seg->rows, next)) << "cut at " << cut << " read as a valid segment";
    EXPECT_TRUE(std::filesystem::exists(damaged.string() + ".corrupt")) << cut;
    EXPECT_TRUE(s.pop_front());
    EXPECT_FALSE(s.front());
  }
}

TEST(Spool, AFlippedByteIsRefused) {
  const auto rows = some_rows(4, 5);
  const std::string full = Spool::serialize(rows);
  std::vector<Row> out;
  ASSERT_TRUE(Spool::deserialize(full, out));
  for (std::size_t i = 0; i < full.size(); ++i) {
    std::string bad = full;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    out.clear();
    EXPECT_FALSE(Spool::deserialize(bad, out)) << "byte " << i;
  }
}

TEST(Spool, StrayFilesDoNotStopIt) {
  TempDir dir;
  write_file(dir.path() / "notes.spool", "an administrator's notes");
  write_file(dir.path() / "0000000000000001.spool.tmp", "half written");
  Spool s(dir.path());
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "notes.spool")) << "not ours: left alone";
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "0000000000000001.spool.tmp"));
}

// A 2.0.0 segment (no count, no checksum, no generation in its name) is still replayed.
TEST(Spool, ReadsTheFirstFormat) {
  TempDir dir;
  const auto rows = some_rows(3, 6);
  std::string v1 = Spool::serialize(rows);
  // Version 1 = magic 1, the rows, nothing else: drop the count and the checksum.
  v1 = "SMBTASPOOL1\n" + v1.substr(12 + 8, v1.size() - 12 - 8 - 4);
  write_file(dir.path() / "0000000000000007.spool", v1);
  Spool s(dir.path());
  auto seg = s.front();
  ASSERT_TRUE(seg);
  EXPECT_TRUE(seg->generation.empty());
  EXPECT_EQ(seg->seq, 7u);
  EXPECT_TRUE(same_records(seg->rows, rows));
}

class SpoolReplay : public ::testing::Test {
 protected:
  WriterConfig config() {
    WriterConfig wc;
    wc.db.driver = "sqlite3";
    wc.db.sqlite_dbdir = (home_.path() / "db").string();
    wc.db.name = "staddb";
    wc.spool_dir = home_.path() / "spool";
    wc.rollups = false;
    return wc;
  }
  std::uint64_t stored() {
    smbta::store::DbiConnection db(config().db);
    return count_rows(db);
  }
  // One writer run: start (replays the spool), stop.
  void run_writer() {
    StoreWriter w(config());
    w.start();
    w.stop();
  }
  TempDir home_;
};

// The state a failed removal leaves behind (the segment file is still there after its rows were
// committed) must not store those rows again at the next start.
TEST_F(SpoolReplay, ASegmentLeftAfterItsReplayIsNotStoredTwice) {
  const auto rows = some_rows(50, 7), more = some_rows(30, 8);
  std::vector<std::pair<std::filesystem::path, std::string>> copies;
  {
    Spool s(config().spool_dir);
    s.append(rows);
    s.append(more);
  }
  for (const auto& f : files_in(config().spool_dir, ".spool")) copies.emplace_back(f, read_file(f));
  ASSERT_EQ(copies.size(), 2u);
  run_writer();
  EXPECT_EQ(stored(), 80u);
  EXPECT_TRUE(files_in(config().spool_dir, ".spool").empty());
  for (const auto& [path, data] : copies) write_file(path, data);  // as if removal had failed
  run_writer();
  EXPECT_EQ(stored(), 80u) << "replayed segments were stored again";
  EXPECT_TRUE(files_in(config().spool_dir, ".spool").empty()) << "and are removed now";
  // Only the first survived: still not stored twice, and a newer run's segments are stored.
  write_file(copies[0].first, copies[0].second);
  {
    Spool s(config().spool_dir);
    s.append(more);
  }
  run_writer();
  EXPECT_EQ(stored(), 110u);
}

}  // namespace
}  // namespace smbtad::testing

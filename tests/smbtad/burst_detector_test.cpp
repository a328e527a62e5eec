// SPDX-License-Identifier: GPL-3.0-or-later
// The burst detector on record streams: one alert per episode, none for normal work.
#include "burst_detector.h"

#include <gtest/gtest.h>

#include "support/test_records.h"

namespace smbtad {
namespace {

using smbta::Op;
using smbta::Record;

constexpr std::int64_t kT0 = 1'600'000'000'000;  // any record time

Record rec(Op op, std::string user, std::string path, std::int64_t ts) {
  Record r = smbta::testing::example_record(op, std::move(user), "data", std::move(path), 4096);
  r.timestamp_ms = ts;
  return r;
}

// Feeds `records`, the steady clock following the record time; returns the events.
std::vector<BurstEvent> feed(BurstDetector& d, const std::vector<Record>& records) {
  std::vector<BurstEvent> out;
  for (const auto& r : records) d.on_record(r, r.timestamp_ms - kT0, out);
  return out;
}

// `n` rounds of rename + write + unlink of distinct files by `user`, evenly over `span_ms`.
std::vector<Record> ransomware(const std::string& user, int n, std::int64_t start,
                               std::int64_t span_ms) {
  std::vector<Record> v;
  for (int i = 0; i < n; ++i) {
    const std::int64_t ts = start + span_ms * i / n;
    const std::string f = "docs/file" + std::to_string(i);
    v.push_back(rec(Op::kWrite, user, f + ".locked", ts));
    v.push_back(rec(Op::kRename, user, f, ts));
    v.push_back(rec(Op::kUnlink, user, f, ts));
  }
  return v;
}

int starts(const std::vector<BurstEvent>& v) {
  int n = 0;
  for (const auto& e : v) n += e.start ? 1 : 0;
  return n;
}

TEST(BurstDetector, OneRansomwareRunIsOneAlert) {
  BurstDetector d({});
  const auto events = feed(d, ransomware("mallory", 3000, kT0, 60'000));
  ASSERT_EQ(starts(events), 1);
  const BurstEvent& e = events.at(0);
  EXPECT_EQ(e.kind, BurstKind::kDestructive);
  EXPECT_EQ(burst_kind_name(e.kind), "ransomware");
  EXPECT_EQ(e.user, "mallory");
  EXPECT_EQ(e.share, "data");
  EXPECT_EQ(e.rate, 600u);  // the event that reached the default threshold
  EXPECT_EQ(e.threshold, 600u);
  EXPECT_LT(e.started_ms, kT0 + 10'000);
  std::vector<BurstEvent> end;
  d.finish(end);
  ASSERT_EQ(end.size(), 1u);
  EXPECT_FALSE(end[0].start);
  EXPECT_EQ(end[0].events, 9000u);  // every event of the run, those before the crossing too
}

TEST(BurstDetector, AQuietPeriodSeparatesEpisodes) {
  BurstConfig c;
  c.quiet_seconds = 120;
  BurstDetector d(c);
  auto v = ransomware("mallory", 3000, kT0, 60'000);
  // A trickle below half the threshold keeps nothing alive; the second run is a new episode.
  for (int i = 0; i < 20; ++i)
    v.push_back(rec(Op::kUnlink, "mallory", "x", kT0 + 70'000 + i * 6000));
  const auto second = ransomware("mallory", 3000, kT0 + 400'000, 30'000);
  v.insert(v.end(), second.begin(), second.end());
  const auto events = feed(d, v);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0].start);
  EXPECT_FALSE(events[1].start);
  EXPECT_TRUE(events[2].start);
  EXPECT_GE(events[2].started_ms, kT0 + 400'000);
}

TEST(BurstDetector, ALongAttackIsOneEpisode) {
  BurstDetector d({});
  // An hour at 600 destructive operations per minute.
  EXPECT_EQ(starts(feed(d, ransomware("mallory", 12'000, kT0, 3'600'000))), 1);
}

TEST(BurstDetector, TheTickEndsTheEpisodeOfAUserWhoFellSilent) {
  BurstConfig c;
  c.quiet_seconds = 60;
  BurstDetector d(c);
  auto events = feed(d, ransomware("mallory", 1000, kT0, 10'000));
  ASSERT_EQ(starts(events), 1);
  events.clear();
  d.on_tick(30'000, events);
  EXPECT_TRUE(events.empty());
  d.on_tick(71'000, events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].start);
  EXPECT_EQ(events[0].events, 3000u);
}

TEST(BurstDetector, NormalTrafficOfTheLoadGeneratorRaisesNone) {
  BurstDetector d({});
  // The load generator's mix (50 users, 8 shares), at 40 records per second for an hour.
  auto v = smbta::testing::realistic_mix(144'000, 7);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i].timestamp_ms = kT0 + static_cast<std::int64_t>(i) * 25;
  EXPECT_EQ(feed(d, v).size(), 0u);
  EXPECT_GT(d.keys(), 100u);
}

TEST(BurstDetector, OneBigFileIsNotABurst) {
  BurstDetector d({});
  std::vector<Record> v;
  for (int i = 0; i < 20'000; ++i) {
    v.push_back(rec(Op::kWrite, "anna", "video.mkv", kT0 + i));
    v.push_back(rec(Op::kRead, "anna", "source.mkv", kT0 + i));
  }
  EXPECT_EQ(feed(d, v).size(), 0u);
}

TEST(BurstDetector, MassReadsAreExfiltration) {
  BurstDetector d({});
  std::vector<Record> v;
  for (int i = 0; i < 5000; ++i)
    v.push_back(rec(Op::kRead, "eve", "f" + std::to_string(i), kT0 + i * 10));
  const auto events = feed(d, v);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(burst_kind_name(events[0].kind), "exfiltration");
  EXPECT_EQ(events[0].user, "eve");
}

TEST(BurstDetector, TheUsersOwnBaselineRaisesTheBar) {
  BurstConfig c;
  c.destructive_per_minute = 300;
  c.baseline_factor = 5;
  BurstDetector d(c);
  // Two hours at 200 per minute (below the threshold): the baseline becomes about 200.
  auto v = ransomware("batch", 8000, kT0, 7'200'000);  // 3 events per round: 200 per minute
  auto events = feed(d, v);
  EXPECT_EQ(events.size(), 0u);
  // 600 per minute passes the threshold but not 5 x the baseline: no alert.
  events = feed(d, ransomware("batch", 2000, kT0 + 7'200'000, 600'000));
  EXPECT_EQ(events.size(), 0u);
  // 6,000 per minute passes both.
  events = feed(d, ransomware("batch", 2000, kT0 + 7'800'000, 60'000));
  EXPECT_EQ(starts(events), 1);
  // A user without history on the same share is held to the threshold only.
  events = feed(d, ransomware("new", 250, kT0 + 7'800'000, 60'000));
  EXPECT_EQ(starts(events), 1);
}

TEST(BurstDetector, OtherUsersAndSharesAreCountedApart) {
  BurstDetector d({});
  std::vector<Record> v;
  // 30 users with 300 destructive operations each in one minute: none alone reaches 600.
  for (int i = 0; i < 300; ++i)
    for (int u = 0; u < 30; ++u)
      v.push_back(
          rec(Op::kUnlink, "u" + std::to_string(u), "f" + std::to_string(i), kT0 + i * 200));
  EXPECT_EQ(feed(d, v).size(), 0u);
}

TEST(BurstDetector, ARecordFromTheFutureDoesNotPileUpTheRest) {
  BurstDetector d({});
  std::vector<Record> v{rec(Op::kUnlink, "anna", "x", kT0 + 100LL * 365 * 86'400'000)};
  // 300 per minute for ten minutes: each minute alone stays below 600.
  for (int i = 0; i < 3000; ++i)
    v.push_back(rec(Op::kUnlink, "anna", "f" + std::to_string(i), kT0 + i * 200));
  EXPECT_EQ(feed(d, v).size(), 0u);
}

TEST(BurstDetector, RecordsBefore1970AreCountedInTheirOwnBuckets) {
  // The V2 decoder takes years from 0000: a record time may be negative. A bucket index
  // rounded towards zero and a negative slot used to index outside the meter.
  constexpr std::int64_t k1900 = -2'208'988'800'000;
  BurstDetector d({});
  auto events = feed(d, ransomware("mallory", 3000, k1900, 60'000));
  ASSERT_EQ(starts(events), 1);
  EXPECT_LT(events[0].started_ms, k1900 + 10'000);
  // Across the epoch: 300 a minute from 1969 into 1970 stays below the threshold (the ten
  // seconds either side of 0 are two buckets, not one).
  BurstDetector across({});
  std::vector<Record> v;
  for (int i = 0; i < 3000; ++i)
    v.push_back(rec(Op::kUnlink, "anna", "f" + std::to_string(i), -300'000 + i * 200));
  EXPECT_EQ(feed(across, v).size(), 0u);
}

TEST(BurstDetector, AReplayedSpoolRaisesNoAlert) {
  BurstDetector d({});
  const std::int64_t now = kT0 + 3'600'000;
  // Live work, then a module's spool of the last nine minutes replayed at once: 5,000 records
  // (about 550 a minute: below the threshold in their own time).
  auto v = ransomware("anna", 10, now, 1000);
  auto old = ransomware("anna", 1700, now - 540'000, 540'000);
  for (auto& r : old) r.replayed = true;
  v.insert(v.end(), old.begin(), old.end());
  EXPECT_EQ(feed(d, v).size(), 0u);
}

TEST(BurstDetector, AQueueSentAfterAReconnectNextToLiveRecordsRaisesNoAlert) {
  BurstDetector d({});
  const std::int64_t now = kT0 + 3'600'000;
  // One smbd's queue of the last nine minutes (450 a minute) arrives within seconds, between
  // the live records of another connection of the same user: neither reaches 600 a minute.
  std::vector<Record> v;
  for (int i = 0; i < 4050; ++i) {
    v.push_back(rec(Op::kUnlink, "anna", "old" + std::to_string(i), now - 540'000 + i * 133));
    v.push_back(rec(Op::kUnlink, "anna", "live" + std::to_string(i), now + i * 133));
  }
  EXPECT_EQ(feed(d, v).size(), 0u);
}

TEST(BurstDetector, DisabledSeesNothing) {
  BurstConfig c;
  c.enabled = false;
  BurstDetector d(c);
  EXPECT_EQ(feed(d, ransomware("mallory", 3000, kT0, 60'000)).size(), 0u);
  EXPECT_EQ(d.keys(), 0u);
}

}  // namespace
}  // namespace smbtad

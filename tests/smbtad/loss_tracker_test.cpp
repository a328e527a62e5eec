// SPDX-License-Identifier: GPL-3.0-or-later
// LossTracker: each sequence number admitted once, gaps filled by late numbers, bounds held.
#include "loss_tracker.h"

#include <gtest/gtest.h>

namespace smbtad {
namespace {

smbta::Record numbered(std::uint64_t seq, std::string sender = "fs1:1:aa") {
  smbta::Record r;
  r.sequence = seq;
  r.sender = std::move(sender);
  return r;
}

TEST(LossTracker, AdmitsEachNumberOnceAndFillsGapsLate) {
  LossTracker t;
  for (std::uint64_t s : {1, 2, 3, 7, 8}) EXPECT_TRUE(t.admit("10.0.0.1", numbered(s), 1));
  EXPECT_FALSE(t.admit("10.0.0.1", numbered(2), 2)) << "a duplicate";
  const auto* s = t.find("fs1", "fs1:1:aa");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->open_gaps(), 3u);  // 4-6
  EXPECT_TRUE(t.admit("10.0.0.1", numbered(5), 3)) << "late, fills the middle of the gap";
  EXPECT_FALSE(t.admit("10.0.0.1", numbered(5), 3));
  EXPECT_EQ(s->gaps, (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{4, 4}, {6, 6}}));
  EXPECT_TRUE(t.admit("10.0.0.1", numbered(4), 3));
  EXPECT_TRUE(t.admit("10.0.0.1", numbered(6), 3));
  EXPECT_TRUE(s->gaps.empty());
  EXPECT_EQ(s->received, 10u);
  EXPECT_EQ(s->stored, 8u);
  EXPECT_EQ(s->duplicates, 2u);
  EXPECT_EQ(s->missing(), 0u);
}

TEST(LossTracker, DropNoticesExplainGapsAndAreCountedOnce) {
  LossTracker t;
  EXPECT_TRUE(t.admit("p", numbered(1), 1));
  smbta::Record notice = numbered(2);
  notice.op = smbta::Op::kDropNotice;
  notice.result = 3;
  EXPECT_TRUE(t.note_drops("p", notice, 1));
  EXPECT_FALSE(t.note_drops("p", notice, 1));  // sent twice: same drops
  EXPECT_TRUE(t.admit("p", numbered(6), 1));
  const auto* s = t.find("fs1", "fs1:1:aa");
  EXPECT_EQ(s->dropped, 3u);
  EXPECT_EQ(s->open_gaps(), 3u);
  EXPECT_EQ(s->missing(), 0u);
}

TEST(LossTracker, RecordsWithoutNumbersAreCountedPerPeer) {
  LossTracker t;
  smbta::Record old;
  EXPECT_TRUE(t.admit("192.0.2.7", old, 1));
  EXPECT_TRUE(t.admit("192.0.2.7", old, 1)) << "no number, no duplicate detection";
  const auto* s = t.find("192.0.2.7", "");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->stored, 2u);
  auto changed = t.take_changed();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_TRUE(t.take_changed().empty()) << "handed over once";
}

TEST(LossTracker, GapsAndSendersAreBounded) {
  LossTracker t(3);
  for (std::uint64_t s = 1; s <= 2 * (LossTracker::kMaxGaps + 10) + 1; s += 2)
    t.admit("p", numbered(s), 1);
  const auto* s = t.find("fs1", "fs1:1:aa");
  EXPECT_EQ(s->gaps.size(), LossTracker::kMaxGaps);
  EXPECT_EQ(s->given_up, 10u);
  EXPECT_EQ(s->missing(), LossTracker::kMaxGaps + 10);
  EXPECT_FALSE(t.admit("p", numbered(2), 1)) << "given up: never stored late";
  t.take_changed();
  for (int i = 0; i < 10; ++i) {
    t.admit("p", numbered(1, "h:" + std::to_string(i) + ":x"), 10 + i);
    t.take_changed();
  }
  EXPECT_LE(t.senders(), 3u);
  EXPECT_NE(t.find("h", "h:9:x"), nullptr) << "the most recent stays";
}

TEST(LossTracker, ASenderNotInMemoryStartsAtItsFirstNumberWithoutAGap) {
  // The table was unreachable at start (nothing loaded): fs1 may have a row there already.
  LossTracker blank;
  EXPECT_TRUE(blank.admit("p", numbered(500), 1));
  const auto* s = blank.find("fs1", "fs1:1:aa");
  EXPECT_EQ(s->open_gaps(), 0u) << "1-499 are not missing: the table knows them";
  EXPECT_NE(s->incarnation, 0u) << "saved as an addition to the table's row";
  EXPECT_FALSE(blank.admit("p", numbered(3), 1)) << "earlier numbers arrived before";
  EXPECT_TRUE(blank.admit("p", numbered(502), 1));
  EXPECT_EQ(s->open_gaps(), 1u);

  // Loaded: a sender not in the table is new, and its first numbers not seen are missing.
  LossTracker loaded(2);
  loaded.load({});
  EXPECT_TRUE(loaded.admit("p", numbered(5), 1));
  EXPECT_EQ(loaded.find("fs1", "fs1:1:aa")->open_gaps(), 4u);
  EXPECT_EQ(loaded.find("fs1", "fs1:1:aa")->incarnation, 0u);
  loaded.take_changed();
  // ...until one is evicted: whoever comes back blank may be it.
  for (int i = 0; i < 2; ++i) {
    loaded.admit("p", numbered(1, "h:" + std::to_string(i) + ":x"), 10 + i);
    loaded.take_changed();
  }
  ASSERT_EQ(loaded.find("fs1", "fs1:1:aa"), nullptr) << "evicted";
  EXPECT_TRUE(loaded.admit("p", numbered(9), 20));
  EXPECT_EQ(loaded.find("fs1", "fs1:1:aa")->open_gaps(), 0u);
  EXPECT_NE(loaded.find("fs1", "fs1:1:aa")->incarnation, 0u);
}

TEST(LossTracker, ABlankStateAddsToTheStoredRow) {
  smbta::store::SenderLoss stored;
  stored.server = "fs1";
  stored.sender = "fs1:1:aa";
  stored.received = 100;
  stored.stored = 90;
  stored.duplicates = 10;
  stored.dropped = 2;
  stored.highest = 95;
  stored.gaps = {{10, 12}, {40, 41}};
  smbta::store::SenderLoss fresh = stored;
  fresh.received = 7;
  fresh.stored = 7;
  fresh.duplicates = 0;
  fresh.dropped = 0;
  fresh.floor = 95;  // first number 96
  fresh.highest = 104;
  fresh.gaps = {{100, 101}};
  fresh.incarnation = 1;
  const auto m = smbta::store::merged(stored, fresh);
  EXPECT_EQ(m.received, 107u);
  EXPECT_EQ(m.stored, 97u);
  EXPECT_EQ(m.duplicates, 10u);
  EXPECT_EQ(m.dropped, 2u);
  EXPECT_EQ(m.highest, 104u);
  EXPECT_EQ(m.floor, 0u);
  EXPECT_EQ(m.gaps,
            (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{10, 12}, {40, 41}, {100, 101}}));
  // One that came back blank and was first sent an old number: its view wins from there on.
  fresh.floor = 40;  // first number 41 (it filled the table's gap 41)
  fresh.gaps = {};
  fresh.highest = 60;
  EXPECT_EQ(smbta::store::merged(stored, fresh).gaps,
            (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{10, 12}, {40, 40}}));
}

TEST(LossTracker, InterleavedSendersAreCountedApartAndEachHandedOverOnce) {
  LossTracker t;
  for (std::uint64_t n = 1; n <= 3; ++n) {
    EXPECT_TRUE(t.admit("p", numbered(n, "fs1:1:aa"), 1));
    EXPECT_TRUE(t.admit("p", numbered(n, "fs1:2:bb"), 1));
    EXPECT_TRUE(t.admit("q", smbta::Record{}, 1)) << "without a number: a 1.2.x peer";
  }
  EXPECT_FALSE(t.admit("p", numbered(2, "fs1:2:bb"), 1));
  EXPECT_EQ(t.find("fs1", "fs1:1:aa")->stored, 3u);
  EXPECT_EQ(t.find("fs1", "fs1:2:bb")->stored, 3u);
  EXPECT_EQ(t.find("fs1", "fs1:2:bb")->duplicates, 1u);
  EXPECT_EQ(t.find("q", "")->stored, 3u);
  EXPECT_EQ(t.take_changed().size(), 3u);
  EXPECT_TRUE(t.take_changed().empty());
  EXPECT_TRUE(t.admit("p2", numbered(4, "fs1:1:aa"), 2));
  const auto again = t.take_changed();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].peer, "p2");
}

TEST(LossTracker, GapTextRoundTrips) {
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> g{{4, 4}, {6, 90}};
  EXPECT_EQ(smbta::store::format_gaps(g), "4-4,6-90");
  EXPECT_EQ(smbta::store::parse_gaps("4-4,6-90"), g);
  EXPECT_TRUE(smbta::store::parse_gaps("6-4").empty());
  EXPECT_TRUE(smbta::store::parse_gaps("4-9,5-6").empty());
}

}  // namespace
}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
// LogThrottle: the first line at once, repeats at most once per interval with a count.
#include "log_throttle.h"

#include <gtest/gtest.h>

#include <string>

namespace smbtad {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottle, RepeatsAreHeldBackAndCounted) {
  LogThrottle t(30s);
  const auto t0 = LogThrottle::Clock::time_point{} + 1h;
  std::uint64_t held = 99;
  EXPECT_TRUE(t.allow("spool", held, t0));
  EXPECT_EQ(held, 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(t.allow("spool", held, t0 + 1s));
  // Another topic is independent.
  EXPECT_TRUE(t.allow("store", held, t0 + 1s));
  EXPECT_TRUE(t.allow("spool", held, t0 + 31s));
  EXPECT_EQ(held, 1000u);
  EXPECT_EQ(LogThrottle::held_back_note(held), " (1000 similar lines held back)");
  EXPECT_EQ(LogThrottle::held_back_note(0), "");
  EXPECT_FALSE(t.allow("spool", held, t0 + 32s));
  // Once the fault is over, the next one is reported at once.
  t.clear("spool");
  EXPECT_TRUE(t.allow("spool", held, t0 + 33s));
  EXPECT_EQ(held, 0u);
}

TEST(LogThrottle, ManyPeersKeepTheTableBounded) {
  LogThrottle t(10s, 8);
  const auto t0 = LogThrottle::Clock::time_point{} + 1h;
  std::uint64_t held = 0;
  // A flood of distinct peers within one interval: the first 8 are told apart, the rest share
  // one topic, so only one line about them is written per interval.
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(t.allow("peer " + std::to_string(i), held, t0));
  EXPECT_TRUE(t.allow("peer 8", held, t0));
  for (int i = 9; i < 1000; ++i) EXPECT_FALSE(t.allow("peer " + std::to_string(i), held, t0));
  EXPECT_LE(t.topics(), 9u);
  // An interval later the quiet topics are forgotten and new peers get their own again.
  EXPECT_TRUE(t.allow("peer 2000", held, t0 + 11s));
  EXPECT_EQ(held, 0u);
  EXPECT_TRUE(t.allow("peer 2001", held, t0 + 11s));
  EXPECT_LE(t.topics(), 9u);
  // A peer still within its interval stays held back after the pruning.
  EXPECT_FALSE(t.allow("peer 2000", held, t0 + 12s));
}

}  // namespace
}  // namespace smbtad

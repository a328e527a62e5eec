// SPDX-License-Identifier: GPL-3.0-or-later
// Login rate limiting: free failures, growing delays, forgetting, bounded memory.
#include <gtest/gtest.h>

#include "web/rate_limiter.h"

namespace smbtad::web {
namespace {

using namespace std::chrono_literals;
using Clock = LoginRateLimiter::Clock;

TEST(WebRateLimiter, FreeFailuresThenGrowingDelays) {
  LoginRateLimiter l({.free_failures = 5, .base_delay = 2s, .max_delay = 300s});
  const auto t0 = Clock::now();
  for (int i = 0; i < 4; ++i) {
    l.failure("u:holger", t0);
    EXPECT_EQ(l.retry_after("u:holger", t0), 0s) << i;
  }
  l.failure("u:holger", t0);  // the fifth
  EXPECT_EQ(l.retry_after("u:holger", t0), 2s);
  EXPECT_EQ(l.retry_after("u:holger", t0 + 1500ms), 1s);  // rounded up
  EXPECT_EQ(l.retry_after("u:holger", t0 + 2s), 0s);
  l.failure("u:holger", t0 + 2s);
  EXPECT_EQ(l.retry_after("u:holger", t0 + 2s), 4s);
  l.failure("u:holger", t0 + 6s);
  EXPECT_EQ(l.retry_after("u:holger", t0 + 6s), 8s);
  // Capped.
  for (int i = 0; i < 30; ++i) l.failure("u:holger", t0 + 20s);
  EXPECT_EQ(l.retry_after("u:holger", t0 + 20s), 300s);
  // Other keys are not affected.
  EXPECT_EQ(l.retry_after("u:other", t0 + 20s), 0s);
}

TEST(WebRateLimiter, SuccessAndQuietTimeStartAfresh) {
  LoginRateLimiter l({.free_failures = 2, .base_delay = 2s, .forget_after = 15min});
  const auto t0 = Clock::now();
  l.failure("k", t0);
  l.failure("k", t0);
  EXPECT_GT(l.retry_after("k", t0), 0s);
  l.success("k");
  EXPECT_EQ(l.retry_after("k", t0), 0s);
  l.failure("k", t0);
  l.failure("k", t0);
  EXPECT_GT(l.retry_after("k", t0), 0s);
  EXPECT_EQ(l.retry_after("k", t0 + 15min), 0s);
  EXPECT_EQ(l.size(), 0u);  // forgotten, not just unlocked
  l.failure("k", t0 + 16min);
  EXPECT_EQ(l.retry_after("k", t0 + 16min), 0s);  // counting from one again
}

TEST(WebRateLimiter, MemoryIsBoundedUnderAFloodOfNames) {
  LoginRateLimiter l({.free_failures = 1, .base_delay = 60s, .max_keys = 100});
  const auto t0 = Clock::now();
  l.failure("a:10.0.0.1", t0);
  for (int i = 0; i < 10000; ++i) {
    l.failure("u:made-up-" + std::to_string(i), t0);
    // The address that keeps failing stays the most recent: it is never the one forgotten.
    if (i % 50 == 0) l.failure("a:10.0.0.1", t0);
  }
  EXPECT_LE(l.size(), 100u);
  EXPECT_GT(l.retry_after("a:10.0.0.1", t0), 0s);
}

}  // namespace
}  // namespace smbtad::web

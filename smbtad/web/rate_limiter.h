// SPDX-License-Identifier: GPL-3.0-or-later
// Login rate limiting per user name and per client address, in bounded memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace smbtad::web {

struct RateLimits {
  unsigned free_failures = 5;          // failures before the first delay
  std::chrono::seconds base_delay{2};  // then 2 s, 4 s, 8 s ... per further failure
  std::chrono::seconds max_delay{300};
  std::chrono::seconds forget_after{15 * 60};  // no failure this long: the key starts afresh
  std::size_t max_keys = 4096;
};

// Why: a password guesser must be slowed whether it tries many passwords on one user or one
// password on many users, from one address or many. Each key ("u:NAME", "a:ADDR") counts its
// failures and is locked out for a growing delay; the table holds at most max_keys entries
// (the least recently failing key is forgotten first), so a flood of made-up names cannot grow
// memory. Times are passed in, so tests need no sleeps.
class LoginRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginRateLimiter(RateLimits limits = {}) : limits_(limits) {}

  // Seconds the caller must wait before `key` may try again (0: it may try now).
  std::chrono::seconds retry_after(std::string_view key, Clock::time_point now);
  void failure(std::string_view key, Clock::time_point now);
  void success(std::string_view key);
  std::size_t size() const;

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point last_failure;
    Clock::time_point locked_until;
    std::list<std::string>::iterator lru;
  };

  RateLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front: most recent failure
};

}  // namespace smbtad::web

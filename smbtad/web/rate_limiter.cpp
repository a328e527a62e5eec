// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/rate_limiter.h"

#include <algorithm>

namespace smbtad::web {

std::chrono::seconds LoginRateLimiter::retry_after(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return std::chrono::seconds(0);
  if (now - it->second.last_failure >= limits_.forget_after) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
    return std::chrono::seconds(0);
  }
  if (now >= it->second.locked_until) return std::chrono::seconds(0);
  // Rounded up: a client that waits what it is told is let in.
  const auto left = it->second.locked_until - now;
  return std::chrono::ceil<std::chrono::seconds>(left);
}

void LoginRateLimiter::failure(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) {
    if (entries_.size() >= limits_.max_keys) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.emplace_front(key);
    it = entries_.emplace(std::string(key), Entry{}).first;
    it->second.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    if (now - it->second.last_failure >= limits_.forget_after) it->second.failures = 0;
  }
  Entry& e = it->second;
  ++e.failures;
  e.last_failure = now;
  if (e.failures >= limits_.free_failures) {
    const unsigned shift = std::min(e.failures - limits_.free_failures, 16u);
    const auto delay =
        std::min<std::chrono::seconds>(limits_.base_delay * (1LL << shift), limits_.max_delay);
    e.locked_until = now + delay;
  }
}

void LoginRateLimiter::success(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

std::size_t LoginRateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace smbtad::web

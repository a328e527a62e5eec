// SPDX-License-Identifier: GPL-3.0-or-later
#include "log_throttle.h"

#include <fmt/format.h>

namespace smbtad {

bool LogThrottle::prune(Clock::time_point now) {
  // A quiet topic's held-back count is dropped with it: its last line is an interval old, and
  // the count would only have been appended to the next line about it.
  std::erase_if(topics_, [&](const auto& entry) { return now - entry.second.last >= interval_; });
  return topics_.size() < max_topics_;
}

bool LogThrottle::allow(std::string_view topic, std::uint64_t& held_back, Clock::time_point now) {
  auto it = topics_.find(topic);
  if (it == topics_.end() && topics_.size() >= max_topics_ && !prune(now)) {
    topic = kOverflowTopic;
    it = topics_.find(topic);
  }
  if (it == topics_.end()) {
    topics_.emplace(std::string(topic), State{now, 0});
    held_back = 0;
    return true;
  }
  if (now - it->second.last < interval_) {
    ++it->second.held_back;
    return false;
  }
  held_back = it->second.held_back;
  it->second = State{now, 0};
  return true;
}

void LogThrottle::clear(std::string_view topic) {
  if (auto it = topics_.find(topic); it != topics_.end()) topics_.erase(it);
}

std::string LogThrottle::held_back_note(std::uint64_t held_back) {
  if (held_back == 0) return {};
  return fmt::format(" ({} similar line{} held back)", held_back, held_back == 1 ? "" : "s");
}

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
// Holds back log lines that repeat while a fault persists.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace smbtad {

// Why: a fault that lasts (a full disk, a database that is down) fails every retry the same way;
// one line per retry buries the log (2,200 lines in 12 s were seen). The first line about a
// topic is written at once, later ones at most once per interval, with the number held back.
// Topics name peers too (one per module address), so the table is bounded: topics quiet for an
// interval are forgotten when it fills, and while every slot is busy, new topics share one.
class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kDefaultMaxTopics = 4096;
  // The topic that stands for all new ones while the table is full.
  static constexpr std::string_view kOverflowTopic = "(other peers)";
  explicit LogThrottle(Clock::duration interval, std::size_t max_topics = kDefaultMaxTopics)
      : interval_(interval), max_topics_(max_topics) {}

  // Whether a line about `topic` may be written at `now`. When it may, `held_back` is the number
  // of lines about it suppressed since the last one written.
  bool allow(std::string_view topic, std::uint64_t& held_back,
             Clock::time_point now = Clock::now());
  // The topic's fault is over: its next line is written at once.
  void clear(std::string_view topic);

  // ", N similar lines held back" or "" (to append to a line that allow() let through).
  static std::string held_back_note(std::uint64_t held_back);

  std::size_t topics() const { return topics_.size(); }

 private:
  // Forgets the topics that were quiet for an interval; true when that made room.
  bool prune(Clock::time_point now);

  struct State {
    Clock::time_point last;
    std::uint64_t held_back = 0;
  };
  Clock::duration interval_;
  std::size_t max_topics_;
  std::map<std::string, State, std::less<>> topics_;
};

}  // namespace smbtad

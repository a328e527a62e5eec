// SPDX-License-Identifier: GPL-3.0-or-later
// Web login sessions: random tokens, CSRF tokens, idle and absolute expiry, a bounded table.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "web/users_file.h"

namespace smbtad::web {

struct Session {
  std::string user;
  Role role = Role::kViewer;
  std::string csrf;  // sent by the page in X-CSRF-Token on every state change
  std::chrono::steady_clock::time_point created, last_used;
};

struct SessionLimits {
  std::chrono::seconds idle{30 * 60};        // unused this long: gone
  std::chrono::seconds absolute{12 * 3600};  // whatever the use: gone (log in again)
  std::size_t max_sessions = 1024;
};

// Why: the cookie is the only credential after login, so it is 256 random bits (RAND_bytes)
// compared as a whole, never derived from the user; the table is bounded so that a login loop
// cannot grow smbtad's memory (the oldest session gives way), and sessions expire both when
// idle and after a fixed lifetime. Times are passed in, so tests need no sleeps.
class SessionTable {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SessionTable(SessionLimits limits = {}) : limits_(limits) {}

  // A new session; returns its token (64 hex digits).
  std::string create(std::string user, Role role, Clock::time_point now);
  // The session of `token`, refreshed, or nullopt when unknown or expired (then removed).
  std::optional<Session> use(std::string_view token, Clock::time_point now);
  void remove(std::string_view token);
  // Ends every session of `user` (removed or password changed by an admin).
  void remove_user(std::string_view user);
  std::size_t size() const;
  const SessionLimits& limits() const { return limits_; }

  // Constant-time comparison of a CSRF token sent by the client with the session's.
  static bool csrf_matches(const Session& s, std::string_view sent);

 private:
  bool expired(const Session& s, Clock::time_point now) const;

  SessionLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace smbtad::web

// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/sessions.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace smbtad::web {

bool SessionTable::expired(const Session& s, Clock::time_point now) const {
  return now - s.last_used >= limits_.idle || now - s.created >= limits_.absolute;
}

std::string SessionTable::create(std::string user, Role role, Clock::time_point now) {
  std::string token = random_hex(32);
  Session s{std::move(user), role, random_hex(32), now, now};
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= limits_.max_sessions) {
    std::erase_if(sessions_, [&](const auto& kv) { return expired(kv.second, now); });
    if (sessions_.size() >= limits_.max_sessions) {
      // Still full: the least recently used session gives way.
      auto oldest = std::min_element(
          sessions_.begin(), sessions_.end(),
          [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
      sessions_.erase(oldest);
    }
  }
  sessions_.insert_or_assign(token, std::move(s));
  return token;
}

std::optional<Session> SessionTable::use(std::string_view token, Clock::time_point now) {
  // Tokens are 64 hex digits: anything else is not looked up (and not hashed by the map).
  if (token.size() != 64) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(token));
  if (it == sessions_.end()) return std::nullopt;
  if (expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second;
}

void SessionTable::remove(std::string_view token) {
  std::lock_guard lock(mutex_);
  sessions_.erase(std::string(token));
}

void SessionTable::remove_user(std::string_view user) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.user == user; });
}

std::size_t SessionTable::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool SessionTable::csrf_matches(const Session& s, std::string_view sent) {
  return sent.size() == s.csrf.size() && !sent.empty() &&
         CRYPTO_memcmp(sent.data(), s.csrf.data(), sent.size()) == 0;
}

}  // namespace smbtad::web

// SPDX-License-Identifier: GPL-3.0-or-later
// Web sessions: tokens, CSRF tokens, idle and absolute expiry, the bounded table.
#include <gtest/gtest.h>

#include <set>

#include "web/sessions.h"

namespace smbtad::web {
namespace {

using namespace std::chrono_literals;
using Clock = SessionTable::Clock;

TEST(WebSessions, TokensAreLongRandomAndLookUpTheirSession) {
  SessionTable t;
  const auto now = Clock::now();
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string token = t.create("holger", Role::kViewer, now);
    EXPECT_EQ(token.size(), 64u);  // 256 bits as hex
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(seen.insert(token).second);
  }
  const std::string token = t.create("admin", Role::kAdmin, now);
  const auto s = t.use(token, now);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user, "admin");
  EXPECT_EQ(s->role, Role::kAdmin);
  EXPECT_EQ(s->csrf.size(), 64u);
  EXPECT_NE(s->csrf, token);
  // A token that differs in one digit, a prefix, or nothing at all is no session.
  std::string other = token;
  other[10] = other[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(t.use(other, now));
  EXPECT_FALSE(t.use(token.substr(0, 63), now));
  EXPECT_FALSE(t.use("", now));
}

TEST(WebSessions, CsrfTokenMustMatchExactly) {
  SessionTable t;
  const auto now = Clock::now();
  const auto s = *t.use(t.create("u", Role::kViewer, now), now);
  EXPECT_TRUE(SessionTable::csrf_matches(s, s.csrf));
  EXPECT_FALSE(SessionTable::csrf_matches(s, ""));
  EXPECT_FALSE(SessionTable::csrf_matches(s, s.csrf.substr(1)));
  std::string wrong = s.csrf;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_FALSE(SessionTable::csrf_matches(s, wrong));
  // Another session's token is no good either.
  const auto s2 = *t.use(t.create("u", Role::kViewer, now), now);
  EXPECT_FALSE(SessionTable::csrf_matches(s, s2.csrf));
}

TEST(WebSessions, IdleSessionsExpireAndUseKeepsThemAlive) {
  SessionTable t({.idle = 30min, .absolute = 12h, .max_sessions = 10});
  const auto t0 = Clock::now();
  const std::string a = t.create("a", Role::kViewer, t0);
  const std::string b = t.create("b", Role::kViewer, t0);
  // `a` is used every 20 minutes, `b` not at all.
  EXPECT_TRUE(t.use(a, t0 + 20min));
  EXPECT_TRUE(t.use(a, t0 + 40min));
  EXPECT_FALSE(t.use(b, t0 + 40min));
  EXPECT_TRUE(t.use(a, t0 + 60min));
  EXPECT_FALSE(t.use(a, t0 + 91min));
  EXPECT_EQ(t.size(), 0u);
}

TEST(WebSessions, SessionsEndAfterTheirAbsoluteLifetimeHoweverUsed) {
  SessionTable t({.idle = 30min, .absolute = 2h, .max_sessions = 10});
  const auto t0 = Clock::now();
  const std::string a = t.create("a", Role::kViewer, t0);
  for (auto at = t0 + 10min; at < t0 + 2h; at += 10min) ASSERT_TRUE(t.use(a, at));
  EXPECT_FALSE(t.use(a, t0 + 2h));
}

TEST(WebSessions, TableIsBoundedAndTheLeastRecentlyUsedGivesWay) {
  SessionTable t({.idle = 30min, .absolute = 12h, .max_sessions = 3});
  const auto t0 = Clock::now();
  const std::string a = t.create("a", Role::kViewer, t0);
  const std::string b = t.create("b", Role::kViewer, t0 + 1s);
  const std::string c = t.create("c", Role::kViewer, t0 + 2s);
  EXPECT_TRUE(t.use(a, t0 + 3s));  // now b is the least recently used
  const std::string d = t.create("d", Role::kViewer, t0 + 4s);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_FALSE(t.use(b, t0 + 5s));
  EXPECT_TRUE(t.use(a, t0 + 5s));
  EXPECT_TRUE(t.use(c, t0 + 5s));
  EXPECT_TRUE(t.use(d, t0 + 5s));
  for (int i = 0; i < 1000; ++i) t.create("flood", Role::kViewer, t0 + 6s);
  EXPECT_EQ(t.size(), 3u);
}

TEST(WebSessions, LogoutAndUserRemovalEndSessions) {
  SessionTable t;
  const auto now = Clock::now();
  const std::string a1 = t.create("a", Role::kViewer, now);
  const std::string a2 = t.create("a", Role::kViewer, now);
  const std::string b = t.create("b", Role::kViewer, now);
  t.remove(a1);
  EXPECT_FALSE(t.use(a1, now));
  t.remove_user("a");
  EXPECT_FALSE(t.use(a2, now));
  EXPECT_TRUE(t.use(b, now));
}

}  // namespace
}  // namespace smbtad::web

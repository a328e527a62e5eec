// SPDX-License-Identifier: GPL-3.0-or-later
// webSMBTA's HTTP API (docs: /work/notes/web-api-contract.md): login, session gate, CSRF, data.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "web/db_pool.h"
#include "web/live_feed.h"
#include "web/rate_limiter.h"
#include "web/sessions.h"
#include "web/static_files.h"
#include "web/users_file.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace smbtad::web {

// What the API works with; every part outlives the Api (the listener owns them).
struct ApiParts {
  UsersFile& users;
  SessionTable& sessions;
  LoginRateLimiter& limiter;
  DbPool* db = nullptr;      // nullptr: smbtad keeps no database (-U 0)
  LiveFeed* live = nullptr;  // nullptr: no live view (unit tests)
  const StaticFiles* files = nullptr;
  bool tls = false;
  // The clock of sessions and rate limits (tests move it).
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  // The naive local time in ms for queries (0: the clock), pinned by tests.
  std::int64_t query_now_ms = 0;
};

// Why: every request passes through one function that decides, before any handler runs,
// whether it may be answered (session, CSRF, role), so no handler can forget a check; and the
// handlers work on httplib's plain Request/Response values, so unit tests call them directly
// without a socket.
class Api {
 public:
  explicit Api(ApiParts parts);
  void handle(const httplib::Request& req, httplib::Response& res);
  // Picks up a users file that `smbtad --web-passwd` (or an editor) replaced: the sessions of
  // users removed or changed there end, the others stay. Without `force` it looks at the file
  // at most once a second (every request calls it) and re-reads only a changed file; SIGHUP
  // forces a re-read. A damaged file is logged and the users stay as they were.
  void reload_users(bool force);

  // The JSON error body of the contract.
  static std::string error_body(std::string_view message);
  // The value of cookie `name` in a Cookie header, or empty.
  static std::string cookie_value(std::string_view header, std::string_view name);

 private:
  void login(const httplib::Request& req, httplib::Response& res);
  // A user's own password: the current one is needed, wrong ones count like failed logins.
  void change_password(const httplib::Request& req, httplib::Response& res, const Session& s);
  // The ended sessions of what put/remove (or a reload) found changed in the users file.
  void end_changed_sessions(const UsersReload& r);
  // Seconds until `user` from `addr` may try a password again (0: now).
  std::chrono::seconds password_wait(const std::string& user, const std::string& addr);
  void password_failed(const std::string& user, const std::string& addr);
  void session_info(const Session& s, httplib::Response& res);
  void query(const httplib::Request& req, httplib::Response& res, const Session& s);
  void objects(const httplib::Request& req, httplib::Response& res);
  void live(const httplib::Request& req, httplib::Response& res);
  void admin_report(httplib::Response& res);
  void admin_users(const httplib::Request& req, httplib::Response& res, const Session& s);
  void page(const httplib::Request& req, httplib::Response& res, bool logged_in);
  std::string session_cookie(const std::string& token, std::chrono::seconds max_age) const;

  ApiParts p_;
  std::string dummy_hash_;  // verified against for unknown users: the same time as a real one
  std::atomic<std::int64_t> users_checked_ms_{-1};  // p_.now() of the last look at the file
};

// Adds the security headers every answer carries (CSP, nosniff, frame-ancestors, referrer).
void add_security_headers(httplib::Response& res, bool tls);

}  // namespace smbtad::web

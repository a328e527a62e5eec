// SPDX-License-Identifier: GPL-3.0-or-later
// The API handlers on plain httplib Request/Response values, against a real sqlite database.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "query/engine.h"
#include "query/format.h"
#include "smbta/timestamp.h"
#include "store/event_store.h"
#include "support/files.h"
#include "support/store_fixture.h"
#include "support/test_records.h"
#include "web/api.h"

namespace smbtad::web {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
constexpr ScryptParams kFast{1 << 10, 8, 1};

smbta::store::Row row(smbta::Op op, const char* user, const char* share, const char* path,
                      std::uint64_t len) {
  smbta::store::Row r;
  r.rec = smbta::testing::example_record(op, user, share, path, len);
  return r;
}

// Why: each test needs the API over a filled database, a users file with an admin and a viewer,
// and a clock it can move.
class WebApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = db_.open();
    store->create_schema();
    const std::vector<smbta::store::Row> rows = {
        row(smbta::Op::kRead, "holger", "data", "a.txt", 1000),
        row(smbta::Op::kWrite, "holger", "data", "b.txt", 500),
        row(smbta::Op::kRead, "tom", "home", "c.txt", 70),
        row(smbta::Op::kRead, "Tomas", "home", "d.txt", 5),
    };
    store->insert(rows);
    users_.put({"admin", Role::kAdmin, hash_password("admin-pw", kFast)});
    users_.put({"viewer", Role::kViewer, hash_password("viewer-pw", kFast)});
    std::filesystem::create_directories(tmp_.path() / "root" / "assets");
    smbta::testing::write_file(tmp_.path() / "root" / "index.html", "index");
    smbta::testing::write_file(tmp_.path() / "root" / "login.html", "login");
    smbta::testing::write_file(tmp_.path() / "root" / "assets" / "a.js", "js");
    files_ = std::make_unique<StaticFiles>((tmp_.path() / "root").string());
    api_ = std::make_unique<Api>(ApiParts{.users = users_,
                                          .sessions = sessions_,
                                          .limiter = limiter_,
                                          .db = &pool_,
                                          .live = nullptr,
                                          .files = files_.get(),
                                          .tls = false,
                                          .now = [this] { return now_; },
                                          .query_now_ms = kNow});
  }

  httplib::Response call(const std::string& method, const std::string& path,
                         httplib::Params params = {}, const std::string& body = {},
                         httplib::Headers headers = {}) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.params = std::move(params);
    req.body = body;
    req.headers = std::move(headers);
    req.remote_addr = "127.0.0.1";
    httplib::Response res;
    api_->handle(req, res);
    return res;
  }

  // Logs in; returns the Cookie and X-CSRF-Token headers for later calls.
  httplib::Headers login(const std::string& user, const std::string& pw) {
    auto res = call("POST", "/api/login", {}, json{{"user", user}, {"password", pw}}.dump());
    EXPECT_EQ(res.status, 200) << res.body;
    const std::string cookie = res.get_header_value("Set-Cookie");
    const std::string token = Api::cookie_value(cookie, "smbta_session");
    return {{"Cookie", "smbta_session=" + token},
            {"X-CSRF-Token", json::parse(res.body)["csrf"].get<std::string>()}};
  }

  static constexpr std::int64_t kNow = 1354000000000;  // a fixed naive local time
  smbta::testing::TempDir tmp_;
  smbta::store::testing::TestDb db_{"sqlite3"};
  UsersFile users_{(tmp_.path() / "web-users").string()};
  SessionTable sessions_;
  LoginRateLimiter limiter_;
  DbPool pool_{db_.params(), 2};
  std::unique_ptr<StaticFiles> files_;
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::now();
  std::unique_ptr<Api> api_;
};

TEST_F(WebApiTest, NothingAnswersWithoutASessionButTheLoginPage) {
  for (const char* path : {"/api/query", "/api/objects", "/api/session", "/api/live",
                           "/api/admin/users", "/api/admin/report", "/api/nonsense"}) {
    auto res = call("GET", path, {{"q", "global, total rw;"}});
    EXPECT_EQ(res.status, 401) << path;
    EXPECT_EQ(json::parse(res.body)["error"], "not logged in");
    EXPECT_EQ(res.get_header_value("Cache-Control"), "no-store");
  }
  EXPECT_EQ(call("POST", "/api/logout").status, 401);
  // A path into /assets/ that climbs out of it is no file (and not the dashboard).
  EXPECT_EQ(call("GET", "/assets/../index.html").status, 404);
  for (const char* path : {"/", "/index.html", "/anything"}) {
    auto res = call("GET", path);
    EXPECT_EQ(res.status, 302) << path;
    EXPECT_EQ(res.get_header_value("Location"), "/login.html");
  }
  auto page = call("GET", "/login.html");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "login");
  EXPECT_EQ(call("GET", "/assets/a.js").body, "js");
  // Every answer carries the security headers.
  EXPECT_NE(page.get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_NE(page.get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(page.get_header_value("X-Content-Type-Options"), "nosniff");
}

TEST_F(WebApiTest, LoginSetsAStrictHttpOnlyCookieAndAnswersTheSession) {
  auto res = call("POST", "/api/login", {}, R"({"user":"admin","password":"admin-pw"})");
  ASSERT_EQ(res.status, 200) << res.body;
  const std::string cookie = res.get_header_value("Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("smbta_session=")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos);
  EXPECT_NE(cookie.find("; Max-Age="), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // not under plain HTTP
  const json body = json::parse(res.body);
  EXPECT_EQ(body["user"], "admin");
  EXPECT_EQ(body["role"], "admin");
  EXPECT_EQ(body["csrf"].get<std::string>().size(), 64u);
  const std::string token = Api::cookie_value(cookie, "smbta_session");
  auto s = call("GET", "/api/session", {}, {}, {{"Cookie", "other=1; smbta_session=" + token}});
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(json::parse(s.body), body);
  EXPECT_EQ(call("GET", "/", {}, {}, {{"Cookie", "smbta_session=" + token}}).body, "index");
}

TEST_F(WebApiTest, WrongPasswordsAreRefusedThenSlowed) {
  for (int i = 0; i < 5; ++i) {
    auto res = call("POST", "/api/login", {}, R"({"user":"admin","password":"guess"})");
    EXPECT_EQ(res.status, 401) << i;
    EXPECT_EQ(json::parse(res.body)["error"], "wrong user or password");
  }
  auto res = call("POST", "/api/login", {}, R"({"user":"admin","password":"admin-pw"})");
  EXPECT_EQ(res.status, 429);  // even the right password waits
  EXPECT_EQ(res.get_header_value("Retry-After"), "2");
  now_ += 2s;
  EXPECT_EQ(call("POST", "/api/login", {}, R"({"user":"admin","password":"admin-pw"})").status,
            200);
  // Unknown users count too (per address): a guesser cannot spray names.
  for (int i = 0; i < 5; ++i)
    call("POST", "/api/login", {},
         json{{"user", "nobody" + std::to_string(i)}, {"password", "x"}}.dump());
  EXPECT_EQ(call("POST", "/api/login", {}, R"({"user":"viewer","password":"viewer-pw"})").status,
            429);
  EXPECT_EQ(call("POST", "/api/login", {}, "not json").status, 400);
}

TEST_F(WebApiTest, StateChangesNeedTheSessionsCsrfToken) {
  auto h = login("admin", "admin-pw");
  httplib::Headers no_csrf = {{"Cookie", h.find("Cookie")->second}};
  httplib::Headers wrong = no_csrf;
  wrong.emplace("X-CSRF-Token", std::string(64, '0'));
  const std::string body = R"({"user":"new","password":"new-password","role":"viewer"})";
  EXPECT_EQ(call("POST", "/api/admin/users", {}, body, no_csrf).status, 403);
  EXPECT_EQ(call("POST", "/api/admin/users", {}, body, wrong).status, 403);
  EXPECT_EQ(call("DELETE", "/api/admin/users/viewer", {}, {}, no_csrf).status, 403);
  EXPECT_EQ(call("POST", "/api/logout", {}, {}, no_csrf).status, 403);
  EXPECT_FALSE(users_.find("new"));
  EXPECT_EQ(call("POST", "/api/admin/users", {}, body, h).status, 201);
  EXPECT_TRUE(users_.find("new"));
  // A cross-origin page cannot post even with the token.
  auto cross = h;
  cross.emplace("Origin", "http://evil.example");
  cross.emplace("Host", "127.0.0.1:8080");
  EXPECT_EQ(call("DELETE", "/api/admin/users/new", {}, {}, cross).status, 403);
  EXPECT_EQ(call("POST", "/api/logout", {}, {}, h).status, 204);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, h).status, 401);
}

TEST_F(WebApiTest, AdminEndpointsNeedTheAdminRole) {
  auto v = login("viewer", "viewer-pw");
  EXPECT_EQ(call("GET", "/api/admin/users", {}, {}, v).status, 403);
  EXPECT_EQ(call("GET", "/api/admin/report", {}, {}, v).status, 403);
  EXPECT_EQ(call("DELETE", "/api/admin/users/admin", {}, {}, v).status, 403);
  // The installation's functions through the query endpoint too, alone or after a traffic one;
  // the traffic functions stay open to viewers.
  for (const char* q : {"system, smbtad-report full;", "system, self-check;", "system, loss;",
                        "global, total rw; system, smbtad-report short;"}) {
    auto refused = call("GET", "/api/query", {{"q", q}}, {}, v);
    EXPECT_EQ(refused.status, 403) << q;
    EXPECT_NE(refused.body.find("admin role"), std::string::npos) << refused.body;
  }
  for (const char* q : {"global, total rw;", "global, alerts 5;", "global, latency;"})
    EXPECT_EQ(call("GET", "/api/query", {{"q", q}}, {}, v).status, 200) << q;
  auto a = login("admin", "admin-pw");
  for (const char* q : {"system, smbtad-report full;", "system, self-check;", "system, loss;"})
    EXPECT_EQ(call("GET", "/api/query", {{"q", q}}, {}, a).status, 200) << q;
  auto list = call("GET", "/api/admin/users", {}, {}, a);
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body)["users"],
            json::parse(R"([{"user":"admin","role":"admin"},{"user":"viewer","role":"viewer"}])"));
  auto report = call("GET", "/api/admin/report", {}, {}, a);
  EXPECT_EQ(report.status, 200) << report.body;
  EXPECT_TRUE(json::parse(report.body).is_object());
  // Removing a user ends their sessions.
  EXPECT_EQ(call("DELETE", "/api/admin/users/viewer", {}, {}, a).status, 204);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, v).status, 401);
  EXPECT_EQ(call("DELETE", "/api/admin/users/viewer", {}, {}, a).status, 404);
}

TEST_F(WebApiTest, QueryAnswersWhatTheEngineRendersForEveryFormat) {
  auto h = login("viewer", "viewer-pw");
  auto conn = db_.raw();
  const char* queries[] = {"global, total rw;",
                           "share data, top 10 users rw;",
                           "global, usage rw;",
                           "global, list users;",
                           "global, search txt;",
                           "global, last_activity 5;",
                           "global, throughput 2 hours rw;"};
  const std::pair<const char*, smbta::query::Format> formats[] = {
      {"json", smbta::query::Format::kJson},
      {"csv", smbta::query::Format::kCsv},
      {"xml", smbta::query::Format::kXml},
      {"html", smbta::query::Format::kHtml},
      {"text", smbta::query::Format::kAscii}};
  for (const char* q : queries) {
    smbta::query::QueryOptions qo;
    qo.now_ms = kNow;
    const auto tables = smbta::query::run(q, *conn, qo);
    for (const auto& [name, f] : formats) {
      auto res = call("GET", "/api/query", {{"q", q}, {"format", name}}, {}, h);
      EXPECT_EQ(res.status, 200) << q << " " << name << ": " << res.body;
      EXPECT_EQ(res.body, smbta::query::render(f, tables,
                                               {kNow, std::string(smbta::query::engine_version())}))
          << q << " " << name;
    }
  }
  EXPECT_EQ(call("GET", "/api/query", {{"q", "global, total rw;"}}, {}, h)
                .get_header_value("Content-Type"),
            "application/json");
}

TEST_F(WebApiTest, QueryErrorsCarryTheParsersMessage) {
  auto h = login("viewer", "viewer-pw");
  auto bad = call("GET", "/api/query", {{"q", "global, totl rw;"}}, {}, h);
  EXPECT_EQ(bad.status, 400);
  const std::string msg = json::parse(bad.body)["error"];
  EXPECT_NE(msg.find("did you mean 'total'"), std::string::npos) << msg;
  EXPECT_EQ(call("GET", "/api/query", {{"q", "user nobody, total rw;"}}, {}, h).status, 404);
  EXPECT_EQ(call("GET", "/api/query", {}, {}, h).status, 400);
  EXPECT_EQ(
      call("GET", "/api/query", {{"q", "global, total rw;"}, {"format", "pdf"}}, {}, h).status,
      400);
  // from/to cannot smuggle words into the query.
  EXPECT_EQ(
      call("GET", "/api/query", {{"q", "global, total rw;"}, {"from", "today, list users;"}}, {}, h)
          .status,
      400);
}

TEST_F(WebApiTest, FromAndToRestrictTheRangeLikeTheLanguage) {
  auto h = login("viewer", "viewer-pw");
  auto conn = db_.raw();
  smbta::query::QueryOptions qo;
  qo.now_ms = kNow;
  const auto expect = smbta::query::render_csv(
      smbta::query::run("share data from 2012-05-11 to 2012-05-12, total rw;", *conn, qo),
      {kNow, std::string(smbta::query::engine_version())});
  auto res = call("GET", "/api/query",
                  {{"q", "share data, total rw;"},
                   {"format", "csv"},
                   {"from", "2012-05-11"},
                   {"to", "2012-05-12"}},
                  {}, h);
  EXPECT_EQ(res.body, expect);
  auto none = call("GET", "/api/query",
                   {{"q", "global, total rw;"}, {"format", "json"}, {"from", "2013-01-01"}}, {}, h);
  EXPECT_NE(none.body.find("\"bytes\": 0"), std::string::npos) << none.body;
}

TEST_F(WebApiTest, ObjectsListNamesForTheBrowser) {
  auto h = login("viewer", "viewer-pw");
  auto items = [&](httplib::Params p) {
    auto res = call("GET", "/api/objects", std::move(p), {}, h);
    EXPECT_EQ(res.status, 200) << res.body;
    return json::parse(res.body);
  };
  EXPECT_EQ(items({{"kind", "shares"}})["items"], json::parse(R"(["data","home"])"));
  EXPECT_EQ(items({{"kind", "domains"}})["items"], json::parse(R"(["WORKGROUP"])"));
  EXPECT_EQ(items({{"kind", "users"}, {"match", "TOM"}})["items"],
            json::parse(R"(["Tomas","tom"])"));
  auto files = items({{"kind", "files"}, {"share", "data"}, {"user", "holger"}});
  EXPECT_EQ(files["items"], json::parse(R"(["a.txt","b.txt"])"));
  EXPECT_EQ(files["kind"], "files");
  auto limited = items({{"kind", "users"}, {"limit", "1"}});
  EXPECT_EQ(limited["items"].size(), 1u);
  EXPECT_EQ(limited["truncated"], true);
  EXPECT_EQ(items({{"kind", "files"}, {"share", "x' , list users; '"}})["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/objects", {{"kind", "printers"}}, {}, h).status, 400);
  EXPECT_EQ(call("GET", "/api/objects", {{"kind", "users"}, {"limit", "5000"}}, {}, h).status, 400);
}

TEST_F(WebApiTest, UsersChangeTheirOwnPasswordWithTheCurrentOneAndGetAFreshSession) {
  auto h = login("viewer", "viewer-pw");
  auto other = login("viewer", "viewer-pw");  // another browser of the same user
  auto admin = login("admin", "admin-pw");
  const auto change = [&](const httplib::Headers& hd, const std::string& current,
                          const std::string& password) {
    return call("POST", "/api/password", {},
                json{{"current", current}, {"password", password}}.dump(), hd);
  };
  // Session and CSRF token as for every state change.
  EXPECT_EQ(change({}, "viewer-pw", "new viewer pw").status, 401);
  EXPECT_EQ(change({*h.find("Cookie")}, "viewer-pw", "new viewer pw").status, 403);
  auto wrong = change(h, "not it", "new viewer pw");
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(json::parse(wrong.body)["error"], "the current password is wrong");
  EXPECT_EQ(change(h, "viewer-pw", "short").status, 400);
  EXPECT_EQ(call("POST", "/api/password", {}, "not json", h).status, 400);
  auto res = change(h, "viewer-pw", "new viewer pw");
  ASSERT_EQ(res.status, 200) << res.body;
  // A new token and CSRF token for this browser; every older session of the user ends.
  const std::string token = Api::cookie_value(res.get_header_value("Set-Cookie"), "smbta_session");
  ASSERT_EQ(token.size(), 64u);
  EXPECT_NE("smbta_session=" + token, h.find("Cookie")->second);
  const json body = json::parse(res.body);
  EXPECT_EQ(body["user"], "viewer");
  EXPECT_EQ(body["role"], "viewer");
  EXPECT_NE(body["csrf"], h.find("X-CSRF-Token")->second);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, h).status, 401);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, other).status, 401);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, {{"Cookie", "smbta_session=" + token}}).status,
            200);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, admin).status, 200);  // others keep theirs
  // The file holds the new password (the role unchanged); the old one no longer logs in.
  EXPECT_TRUE(verify_password("new viewer pw", users_.find("viewer")->hash));
  EXPECT_EQ(users_.find("viewer")->role, Role::kViewer);
  EXPECT_TRUE(verify_password("new viewer pw", UsersFile(users_.path()).find("viewer")->hash));
  EXPECT_EQ(call("POST", "/api/login", {}, R"({"user":"viewer","password":"viewer-pw"})").status,
            401);
  login("viewer", "new viewer pw");
}

TEST_F(WebApiTest, WrongCurrentPasswordsAreSlowedLikeLogins) {
  auto h = login("viewer", "viewer-pw");
  const std::string guess = R"({"current":"guess","password":"whatever long"})";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(call("POST", "/api/password", {}, guess, h).status, 403);
  auto res =
      call("POST", "/api/password", {}, R"({"current":"viewer-pw","password":"whatever long"})", h);
  EXPECT_EQ(res.status, 429);  // even the right one waits
  EXPECT_EQ(res.get_header_value("Retry-After"), "2");
  // They count for the login too: the same guesser, the same user.
  EXPECT_EQ(call("POST", "/api/login", {}, R"({"user":"viewer","password":"viewer-pw"})").status,
            429);
  now_ += 2s;
  EXPECT_EQ(
      call("POST", "/api/password", {}, R"({"current":"viewer-pw","password":"whatever long"})", h)
          .status,
      200);
}

TEST_F(WebApiTest, AnAdminCannotDeleteThemselvesNorLeaveNoAdmin) {
  auto a = login("admin", "admin-pw");
  auto self = call("DELETE", "/api/admin/users/admin", {}, {}, a);
  EXPECT_EQ(self.status, 409);
  EXPECT_EQ(json::parse(self.body)["error"], "you cannot delete your own account");
  // The only admin cannot make themselves a viewer either.
  auto demote = call("POST", "/api/admin/users", {},
                     R"({"user":"admin","password":"admin-pw-2","role":"viewer"})", a);
  EXPECT_EQ(demote.status, 409);
  EXPECT_EQ(json::parse(demote.body)["error"], "the last admin cannot be removed or made a viewer");
  EXPECT_EQ(users_.find("admin")->role, Role::kAdmin);
  EXPECT_TRUE(verify_password("admin-pw", users_.find("admin")->hash));  // nothing changed
  EXPECT_EQ(call("GET", "/api/session", {}, {}, a).status, 200);
  // With a second admin, one may remove the other (not themselves).
  EXPECT_EQ(call("POST", "/api/admin/users", {},
                 R"({"user":"second","password":"second-pw","role":"admin"})", a)
                .status,
            201);
  auto b = login("second", "second-pw");
  EXPECT_EQ(call("DELETE", "/api/admin/users/second", {}, {}, b).status, 409);
  EXPECT_EQ(call("DELETE", "/api/admin/users/admin", {}, {}, b).status, 204);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, a).status, 401);
  EXPECT_FALSE(UsersFile(users_.path()).find("admin"));
  // Now "second" is the last admin.
  EXPECT_EQ(call("POST", "/api/admin/users", {},
                 R"({"user":"second","password":"second-pw","role":"viewer"})", b)
                .status,
            409);
  EXPECT_EQ(call("DELETE", "/api/admin/users/second", {}, {}, b).status, 409);
  EXPECT_TRUE(UsersFile(users_.path()).find("second"));
}

TEST_F(WebApiTest, AUsersFileReplacedOnDiskEndsOnlyTheChangedUsersSessions) {
  users_.put({"carol", Role::kViewer, hash_password("carol-pw", kFast)});
  auto a = login("admin", "admin-pw");
  auto v = login("viewer", "viewer-pw");
  auto c = login("carol", "carol-pw");
  {
    // What `smbtad --web-passwd` does in another process: its own reading, then a rename.
    UsersFile other(users_.path());
    other.put({"viewer", Role::kViewer, hash_password("changed-pw", kFast)});
    other.remove("carol");
    other.put({"dave", Role::kViewer, hash_password("dave-pw", kFast)});
  }
  // Looked at within a second: the changed and removed users' sessions end, not the others.
  now_ += 1s;
  EXPECT_EQ(call("GET", "/api/session", {}, {}, a).status, 200);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, v).status, 401);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, c).status, 401);
  login("dave", "dave-pw");
  login("viewer", "changed-pw");
  EXPECT_EQ(call("POST", "/api/login", {}, R"({"user":"carol","password":"carol-pw"})").status,
            401);
  // A damaged file keeps the users as they were (and the daemon answering).
  smbta::testing::write_file(users_.path(), "admin:root:nonsense\n");
  ::chmod(users_.path().c_str(), 0600);
  now_ += 1s;
  EXPECT_EQ(call("GET", "/api/session", {}, {}, a).status, 200);
  login("dave", "dave-pw");
  // A forced re-read (SIGHUP) of a fixed file.
  {
    UsersFile fixed((tmp_.path() / "other-users").string());
    fixed.put({"admin", Role::kAdmin, users_.find("admin")->hash});
    std::filesystem::rename(fixed.path(), users_.path());
  }
  api_->reload_users(true);
  EXPECT_EQ(call("GET", "/api/session", {}, {}, a).status, 200);
  EXPECT_FALSE(users_.find("dave"));
}

}  // namespace
}  // namespace smbtad::web

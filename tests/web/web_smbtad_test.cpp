// SPDX-License-Identifier: GPL-3.0-or-later
// webSMBTA end to end: a real smbtad with --web-listen, fed V2 records on its module port, asked
// over real HTTP(S) and compared with smbtaquery.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/files.h"
#include "support/process.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"
#include "thread_priority.h"

namespace smbtad::web {
namespace {

using json = nlohmann::json;
using smbtad::testing::eventually;
using smbtad::testing::free_port;
using smbtad::testing::SmbtadProcess;
using smbtad::testing::TempDir;

int another_port(std::initializer_list<int> taken) {
  for (;;) {
    const int p = free_port();
    if (std::find(taken.begin(), taken.end(), p) == taken.end()) return p;
  }
}

// Runs `smbtad --web-passwd USER` with `password` on its standard input.
smbta::testing::RunResult add_user(const std::filesystem::path& users, const std::string& user,
                                   const std::string& password, const std::string& role) {
  smbta::testing::ChildIo io;
  // Beside the users file's directory, which --web-passwd creates (0700).
  io.out = users.parent_path().parent_path() / "passwd.out";
  io.err = users.parent_path().parent_path() / "passwd.err";
  return smbta::testing::run(
      {"/bin/sh", "-c",
       "printf '%s\\n' \"$0\" | \"$1\" --web-passwd \"$2\" --web-role \"$3\" "
       "--web-users \"$4\"",
       password, SMBTAD_BINARY, user, role, users.string()},
      io);
}

// A self-signed certificate for 127.0.0.1 and its key, made by the openssl command.
::testing::AssertionResult make_certificate(const std::filesystem::path& cert,
                                            const std::filesystem::path& key) {
  smbta::testing::ChildIo io;
  io.out = cert.parent_path() / "openssl.out";
  io.err = cert.parent_path() / "openssl.err";
  auto r = smbta::testing::run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                "-keyout", key.string(), "-out", cert.string(), "-days", "2",
                                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"},
                               io);
  if (r.status != 0) return ::testing::AssertionFailure() << "openssl: " << r.err;
  return ::testing::AssertionSuccess();
}

// The known traffic: two users on two shares, every op the functions look at.
std::vector<smbta::Record> known_records() {
  using smbta::Op;
  using smbta::testing::example_record;
  std::vector<smbta::Record> v = {
      example_record(Op::kRead, "holger", "data", "docs/report.odt", 4096),
      example_record(Op::kWrite, "holger", "data", "docs/report.odt", 1024),
      example_record(Op::kRead, "tom", "home", "music/song.ogg", 777),
      example_record(Op::kPwrite, "tom", "data", "docs/plan.txt", 10),
      example_record(Op::kOpen, "holger", "data", "docs/plan.txt", 0),
      example_record(Op::kMkdir, "tom", "home", "newdir", 0),
  };
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i].timestamp_ms += static_cast<std::int64_t>(i) * 60000;
  return v;
}

// Why: each test needs smbtad with the web listener on a fresh sqlite database, a users file
// with one admin, and a way to ask smbtaquery the same question.
class WebSmbtad {
 public:
  explicit WebSmbtad(std::vector<std::string> extra = {}, bool tls = false) : tls_(tls) {
    users_ = home_.path() / "state" / "web-users";
    auto r = add_user(users_, "admin", "admin-password", "admin");
    if (r.status != 0) throw std::runtime_error("--web-passwd failed: " + r.err);
    struct stat st {};
    if (::stat(users_.parent_path().c_str(), &st) != 0 || (st.st_mode & 0777) != 0700 ||
        ::stat(users_.c_str(), &st) != 0 || (st.st_mode & 0777) != 0600)
      throw std::runtime_error("--web-passwd: the users file is not 0600 in a 0700 directory");
    std::filesystem::create_directories(home_.path() / "root");
    smbta::testing::write_file(home_.path() / "root" / "login.html", "<p>login</p>");
    smbta::testing::write_file(home_.path() / "root" / "index.html", "<p>dashboard</p>");
    db_ = (home_.path() / "db" / "staddb").string();
    std::vector<std::string> args = {"-M",           "sqlite3",
                                     "-N",           db_,
                                     "-i",           std::to_string(port_),
                                     "-q",           std::to_string(qport_),
                                     "-p",           "0",
                                     "--web-listen", "127.0.0.1:" + std::to_string(wport_),
                                     "--web-root",   (home_.path() / "root").string(),
                                     "--web-users",  users_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    smbtad_ = std::make_unique<SmbtadProcess>(args, home_.path(), port_);
  }

  std::unique_ptr<httplib::Client> client() const {
    const std::string url =
        std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(wport_);
    auto c = std::make_unique<httplib::Client>(url);
    c->set_read_timeout(20, 0);
    c->set_connection_timeout(10, 0);
    if (tls_) c->set_ca_cert_path((home_.path() / "cert.pem").c_str());
    return c;
  }

  // Logs in as the admin; the headers every later request sends.
  httplib::Headers login() const {
    auto res = client()->Post("/api/login", R"({"user":"admin","password":"admin-password"})",
                              "application/json");
    if (!res || res->status != 200)
      throw std::runtime_error(
          "login failed: " + (res ? res->body : httplib::to_string(res.error())) + "\n" +
          smbtad_->log());
    const std::string cookie = res->get_header_value("Set-Cookie");
    last_cookie_ = cookie;
    return {{"Cookie", cookie.substr(0, cookie.find(';'))},
            {"X-CSRF-Token", json::parse(res->body)["csrf"].get<std::string>()}};
  }

  void send_known_traffic() const {
    auto fd = smbtad::testing::connect_module(port_);
    smbtad::testing::send_all(fd.get(), smbtad::testing::frames(known_records()));
  }

  std::string smbtaquery(const std::string& q, const std::string& format) const {
    smbta::testing::ChildIo io;
    io.out = home_.path() / "q.out";
    io.err = home_.path() / "q.err";
    io.env = {"HOME=" + home_.path().string()};
    auto r = smbta::testing::run(
        {SMBTAQUERY_BINARY, "-M", "sqlite3", "-N", db_, "-q", q, "-o", format}, io);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }

  std::string log() const { return smbtad_->log(); }
  const std::string& last_cookie() const { return last_cookie_; }
  const std::filesystem::path& home() const { return home_.path(); }

  TempDir home_;
  bool tls_;
  int port_ = free_port();
  int qport_ = another_port({port_});
  int wport_ = another_port({port_, qport_});
  std::filesystem::path users_;
  std::string db_;
  std::unique_ptr<SmbtadProcess> smbtad_;
  mutable std::string last_cookie_;
};

// Times taken from the clock (the footer, throughput's intervals, search's timestamp note) are
// when each program ran, to the millisecond: the only part allowed to differ. The known traffic
// is of 2012, so its times stay in the comparison.
std::string without_generated_time(const std::string& s) {
  static const std::regex kNow(
      R"re(20[2-9][0-9]-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?)re");
  return std::regex_replace(s, kNow, "NOW");
}

TEST(WebSmbtad, ApiQueryEqualsSmbtaqueryForEveryFunctionInJsonAndCsv) {
  WebSmbtad w;
  w.send_known_traffic();
  std::string total;
  ASSERT_TRUE(eventually([&] {
    total = w.smbtaquery("global, total rw;", "csv");
    return total.find(std::to_string(4096 + 1024 + 777 + 10) + ",4") != std::string::npos;
  })) << total
      << w.log();
  const auto h = w.login();
  auto c = w.client();
  const char* queries[] = {
      "global, total rw;",
      "share data, top 10 users rw;",
      "global, top 5 files r;",
      "global, usage rw;",
      "user holger, throughput 10 minutes rw;",
      "global, list shares;",
      "share data, list files;",
      "global, search report;",
      "global, last_activity 20;",
      "domain WORKGROUP, total w, top 3 shares rw asc;",
      "global, latency p95 rw;",
      "global, top 3 users slowest;",
      "global, trend 7 days;",
      "global, alerts;",
      "system, loss;",
  };
  for (const char* q : queries) {
    for (const char* format : {"json", "csv"}) {
      std::string api, cli;
      // A function that depends on the clock (throughput) may straddle a second: asked again.
      const bool same = eventually([&] {
        auto res = c->Get(
            "/api/query?" + httplib::detail::params_to_query_str({{"q", q}, {"format", format}}),
            h);
        if (!res || res->status != 200) {
          api = res ? res->body : "no answer";
          return false;
        }
        api = without_generated_time(res->body);
        cli = without_generated_time(w.smbtaquery(q, format));
        return api == cli;
      });
      EXPECT_TRUE(same) << q << " -o " << format << "\nAPI:\n" << api << "\nsmbtaquery:\n" << cli;
    }
  }
  // The known traffic is in there, not just two empty answers.
  auto api_total = c->Get("/api/query?q=global,%20total%20rw;&format=csv", h);
  ASSERT_TRUE(api_total);
  EXPECT_NE(api_total->body.find(std::to_string(4096 + 1024 + 777 + 10)), std::string::npos)
      << api_total->body;
  EXPECT_EQ(api_total->get_header_value("Content-Type"), "text/csv; charset=utf-8");
}

// The nice value of each of smbtad's threads, by thread id (field 19 of /proc/PID/task/TID/stat).
std::map<int, int> thread_nice(pid_t pid) {
  std::map<int, int> out;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));  // from field 3, the state
    std::string f;
    for (int i = 3; i <= 19 && fields >> f; ++i)
      if (i == 19) out[std::stoi(task.path().filename().string())] = std::stoi(f);
  }
  return out;
}

TEST(WebSmbtad, ReportThreadsRunBelowIngestPriority) {
  WebSmbtad w;
  const auto h = w.login();  // the web workers exist once a request was served
  const pid_t pid = w.smbtad_->pid();
  const int base = thread_nice(pid).at(pid);
  const int low = std::min(base + smbtad::kReportNiceness, 19);
  ASSERT_GT(low, base) << "smbtad already runs at the lowest priority";
  std::map<int, int> nice;
  // The 8 web workers and the client port's query thread run lower; the event loop (the main
  // thread) and the database writer stay at smbtad's own.
  const bool lowered = eventually([&] {
    nice = thread_nice(pid);
    return std::count_if(nice.begin(), nice.end(), [&](auto& t) { return t.second == low; }) >= 9;
  });
  std::string seen;
  for (const auto& [tid, n] : nice) seen += std::to_string(tid) + ":" + std::to_string(n) + " ";
  EXPECT_TRUE(lowered) << seen;
  EXPECT_EQ(nice.at(pid), base) << seen;
  EXPECT_GE(std::count_if(nice.begin(), nice.end(), [&](auto& t) { return t.second == base; }), 2)
      << seen;
  // And a query still answers.
  auto res = w.client()->Get("/api/query?q=global,%20total%20rw;", h);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST(WebSmbtad, NoSessionIs401AndNoCsrfIs403) {
  WebSmbtad w;
  auto c = w.client();
  auto res = c->Get("/api/query?q=global,%20total%20rw;");
  ASSERT_TRUE(res) << w.log();
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body)["error"], "not logged in");
  auto page = c->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 302);
  EXPECT_EQ(page->get_header_value("Location"), "/login.html");
  auto login_page = c->Get("/login.html");
  ASSERT_TRUE(login_page);
  EXPECT_EQ(login_page->status, 200);
  EXPECT_EQ(login_page->body, "<p>login</p>");
  EXPECT_NE(login_page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);

  const auto h = w.login();
  EXPECT_NE(w.last_cookie().find("HttpOnly"), std::string::npos);
  EXPECT_NE(w.last_cookie().find("SameSite=Strict"), std::string::npos);
  httplib::Headers cookie_only = {*h.find("Cookie")};
  auto no_csrf = c->Post("/api/logout", cookie_only, "", "application/json");
  ASSERT_TRUE(no_csrf);
  EXPECT_EQ(no_csrf->status, 403);
  auto add =
      c->Post("/api/admin/users", cookie_only,
              R"({"user":"eve","password":"eve-password","role":"admin"})", "application/json");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 403);
  EXPECT_EQ(c->Get("/", cookie_only)->body, "<p>dashboard</p>");
  auto out = c->Post("/api/logout", h, "", "application/json");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  EXPECT_EQ(c->Get("/api/session", cookie_only)->status, 401);
}

TEST(WebSmbtad, WrongPasswordIs401AndRepeatedAttemptsAre429) {
  WebSmbtad w;
  auto c = w.client();
  for (int i = 0; i < 5; ++i) {
    auto res = c->Post("/api/login", R"({"user":"admin","password":"wrong"})", "application/json");
    ASSERT_TRUE(res) << w.log();
    EXPECT_EQ(res->status, 401) << i;
  }
  auto res =
      c->Post("/api/login", R"({"user":"admin","password":"admin-password"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  const std::string retry = res->get_header_value("Retry-After");
  EXPECT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_NE(w.log().find("failed login for user \"admin\""), std::string::npos) << w.log();
}

TEST(WebSmbtad, LiveViewDeliversThroughputAndActivityWhenTrafficArrives) {
  WebSmbtad w;
  const auto h = w.login();
  std::atomic<bool> done{false};
  std::mutex m;
  std::string stream;
  int status = 0;
  std::thread reader([&] {
    auto c = w.client();
    auto res = c->Get(
        "/api/live?object=share:data", h,
        [&](const httplib::Response& r) {
          status = r.status;
          return true;
        },
        [&](const char* data, std::size_t n) {
          std::lock_guard lock(m);
          stream.append(data, n);
          return !done.load();
        });
  });
  auto text = [&] {
    std::lock_guard lock(m);
    return stream;
  };
  // The stream is open (its first throughput line arrived) before traffic is sent.
  ASSERT_TRUE(eventually([&] { return text().find("event: throughput") != std::string::npos; }))
      << w.log();
  EXPECT_EQ(status, 200);
  w.send_known_traffic();
  const bool got = eventually([&] {
    const std::string s = text();
    return s.find("\"user\":\"holger\"") != std::string::npos &&
           s.find("\"op\":\"write\"") != std::string::npos &&
           s.find("\"read\":4096") != std::string::npos;
  });
  done = true;
  reader.join();
  const std::string s = text();
  EXPECT_TRUE(got) << s << "\n" << w.log();
  EXPECT_EQ(s.find("song.ogg"), std::string::npos) << "another share's activity";
  EXPECT_NE(s.find("event: activity\ndata: {"), std::string::npos);
}

// Logs `user` in; the headers of its session, or nullopt when the login is refused.
std::optional<httplib::Headers> login_as(const WebSmbtad& w, const std::string& user,
                                         const std::string& password) {
  auto res = w.client()->Post("/api/login", json{{"user", user}, {"password", password}}.dump(),
                              "application/json");
  if (!res || res->status != 200) return std::nullopt;
  const std::string cookie = res->get_header_value("Set-Cookie");
  return httplib::Headers{{"Cookie", cookie.substr(0, cookie.find(';'))},
                          {"X-CSRF-Token", json::parse(res->body)["csrf"].get<std::string>()}};
}

int session_status(const WebSmbtad& w, const httplib::Headers& h) {
  auto res = w.client()->Get("/api/session", h);
  return res ? res->status : -1;
}

TEST(WebSmbtad, WebPasswdWhileSmbtadRunsTakesEffectAndEndsOnlyThatUsersSessions) {
  WebSmbtad w;
  const auto admin = w.login();
  ASSERT_EQ(add_user(w.users_, "anna", "anna-password", "viewer").status, 0);
  std::optional<httplib::Headers> anna;
  ASSERT_TRUE(eventually([&] { return (anna = login_as(w, "anna", "anna-password")).has_value(); }))
      << "a user added by --web-passwd can log in without a restart\n"
      << w.log();
  // A new password for anna: her session ends, the admin's does not.
  ASSERT_EQ(add_user(w.users_, "anna", "anna-new-password", "viewer").status, 0);
  EXPECT_TRUE(eventually([&] { return session_status(w, *anna) == 401; })) << w.log();
  EXPECT_EQ(session_status(w, admin), 200);
  EXPECT_FALSE(login_as(w, "anna", "anna-password"));
  anna = login_as(w, "anna", "anna-new-password");
  ASSERT_TRUE(anna) << w.log();
  EXPECT_NE(w.log().find("web: users file " + w.users_.string() + " re-read: 2 users"),
            std::string::npos)
      << w.log();
  // Removed (an empty password): gone at once, and for good.
  ASSERT_EQ(add_user(w.users_, "anna", "", "viewer").status, 0);
  EXPECT_TRUE(eventually([&] { return session_status(w, *anna) == 401; })) << w.log();
  EXPECT_FALSE(login_as(w, "anna", "anna-new-password"));
  EXPECT_EQ(session_status(w, admin), 200);
}

TEST(WebSmbtad, SighupReReadsTheUsersFileAndADamagedOneKeepsTheUsers) {
  WebSmbtad w;
  const auto admin = w.login();
  // A damaged file (a bad line added by hand): logged, the users stay, smbtad keeps serving.
  {
    std::ofstream f(w.users_, std::ios::app);
    f << "mallory:root:x\n";
  }
  ASSERT_EQ(::kill(w.smbtad_->pid(), SIGHUP), 0);
  EXPECT_TRUE(eventually([&] {
    return w.log().find("web: users file not re-read, its users stay as they were") !=
           std::string::npos;
  })) << w.log();
  EXPECT_NE(w.log().find("line 3: the role is neither admin nor viewer"), std::string::npos)
      << w.log();
  EXPECT_EQ(session_status(w, admin), 200);
  // Fixed by --web-passwd (which refuses the damaged file) after the hand edit is undone.
  const std::string text = smbta::testing::read_file(w.users_);
  smbta::testing::write_file(w.users_, text.substr(0, text.find("mallory")));
  ::chmod(w.users_.c_str(), 0600);
  ASSERT_EQ(::kill(w.smbtad_->pid(), SIGHUP), 0);
  EXPECT_TRUE(eventually([&] {
    return w.log().find("re-read: 1 users; sessions of 0 changed or removed users ended") !=
           std::string::npos;
  })) << w.log();
  EXPECT_EQ(session_status(w, admin), 200);
  ASSERT_EQ(add_user(w.users_, "bert", "bert-password", "admin").status, 0);
  ASSERT_EQ(::kill(w.smbtad_->pid(), SIGHUP), 0);
  EXPECT_TRUE(eventually([&] { return login_as(w, "bert", "bert-password").has_value(); }))
      << w.log();
}

TEST(WebSmbtad, AdminsCannotDeleteThemselvesOrTheLastAdminAndUsersChangeTheirPassword) {
  WebSmbtad w;
  const auto admin = w.login();
  auto c = w.client();
  auto self = c->Delete("/api/admin/users/admin", admin);
  ASSERT_TRUE(self);
  EXPECT_EQ(self->status, 409);
  auto demote = c->Post("/api/admin/users", admin,
                        R"({"user":"admin","password":"admin-password","role":"viewer"})",
                        "application/json");
  ASSERT_TRUE(demote);
  EXPECT_EQ(demote->status, 409) << demote->body;
  // A viewer changes their own password: the current one is needed.
  ASSERT_EQ(
      c->Post("/api/admin/users", admin,
              R"({"user":"vera","password":"vera-password","role":"viewer"})", "application/json")
          ->status,
      201);
  auto vera = login_as(w, "vera", "vera-password");
  ASSERT_TRUE(vera);
  auto wrong = c->Post("/api/password", *vera,
                       R"({"current":"guess","password":"vera-new-password"})", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  auto ok =
      c->Post("/api/password", *vera,
              R"({"current":"vera-password","password":"vera-new-password"})", "application/json");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(session_status(w, *vera), 401);  // the old cookie is gone
  const std::string cookie = ok->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_EQ(session_status(w, {{"Cookie", cookie.substr(0, cookie.find(';'))}}), 200);
  EXPECT_TRUE(login_as(w, "vera", "vera-new-password"));
  // What the file says after a restart is what the API did.
  EXPECT_NE(smbta::testing::read_file(w.users_).find("vera:viewer:scrypt$"), std::string::npos);
}

TEST(WebSmbtad, TlsModeServesHttpsWithSecureCookies) {
  TempDir tmp;
  const auto cert = tmp.path() / "cert.pem", key = tmp.path() / "key.pem";
  ASSERT_TRUE(make_certificate(cert, key));
  ::chmod(key.c_str(), 0600);
  WebSmbtad w({"--web-cert", cert.string(), "--web-key", key.string()}, true);
  std::filesystem::copy_file(cert, w.home() / "cert.pem");
  const auto h = w.login();
  EXPECT_NE(w.last_cookie().find("; Secure"), std::string::npos) << w.last_cookie();
  auto res = w.client()->Get("/api/session", h);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->get_header_value("Strict-Transport-Security").empty());
  // Plain HTTP on the TLS port gets nothing useful.
  httplib::Client plain("http://127.0.0.1:" + std::to_string(w.wport_));
  plain.set_read_timeout(5, 0);
  auto p = plain.Get("/login.html");
  EXPECT_TRUE(!p || p->status != 200);
}

TEST(WebSmbtad, WorldReadableTlsKeyIsRefusedAtStartUp) {
  TempDir tmp;
  const auto cert = tmp.path() / "cert.pem", key = tmp.path() / "key.pem";
  ASSERT_TRUE(make_certificate(cert, key));
  ::chmod(key.c_str(), 0644);
  const int port = free_port();
  auto r = smbtad::testing::run_smbtad(
      {"-o", "-M", "sqlite3", "-N", (tmp.path() / "db").string(), "-i", std::to_string(port), "-q",
       std::to_string(another_port({port})), "--web-listen", std::to_string(another_port({port})),
       "--web-cert", cert.string(), "--web-key", key.string(), "--web-users",
       (tmp.path() / "users").string()},
      tmp.path());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--web-key"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("readable or writable by others"), std::string::npos) << r.output;
}

TEST(WebSmbtad, DamagedUsersFileStopsStartUpNamingTheLine) {
  TempDir tmp;
  const auto users = tmp.path() / "users";
  smbta::testing::write_file(users, "admin:admin:scrypt$32768$8$1$00\n");
  ::chmod(users.c_str(), 0600);
  const int port = free_port();
  auto r = smbtad::testing::run_smbtad(
      {"-o", "-M", "sqlite3", "-N", (tmp.path() / "db").string(), "-i", std::to_string(port), "-q",
       std::to_string(another_port({port})), "--web-listen", std::to_string(another_port({port})),
       "--web-users", users.string()},
      tmp.path());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("line 1"), std::string::npos) << r.output;
}

TEST(WebSmbtad, BadWebOptionsAreUsageErrors) {
  TempDir tmp;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--web-listen", "127.0.0.1:99999"},
        {"--web-listen", "::1:8080"},
        {"--web-cert", "/x.pem", "--web-listen", "8080"},
        {"--web-role", "root", "--web-passwd", "x"},
        {"--web-role", "admin"}}) {
    auto r = smbtad::testing::run_smbtad(args, tmp.path());
    EXPECT_EQ(r.status, 2) << args[0] << ": " << r.output;
    EXPECT_NE(r.output.find("--web-"), std::string::npos) << r.output;
  }
}

TEST(WebSmbtad, ConfigFileWebKeysAreRead) {
  TempDir tmp;
  const auto conf = tmp.path() / "smbtad.conf";
  smbta::testing::write_file(conf, "[web]\nlisten = 127.0.0.1:99999\n");
  auto r = smbtad::testing::run_smbtad({"-c", conf.string()}, tmp.path());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("[web] listen"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace smbtad::web

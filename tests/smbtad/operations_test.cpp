// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad as a service: Prometheus scrapes its /metrics, systemd hears READY=1 when it serves,
// and it will not run as root unless told to (or it drops to --user).
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "smbta/net.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::testing::ChildIo;
using smbta::testing::ChildProcess;

std::string http_get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto res = c.Get(path.c_str());
  if (!res || res->status != 200) return {};
  return res->body;
}

std::string percent_encoded(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::vector<smbta::Record> known_traffic() {
  std::vector<smbta::Record> v;
  for (int i = 0; i < 7; ++i)
    v.push_back(smbta::testing::example_record(smbta::Op::kWrite, "alice", "data",
                                               "f" + std::to_string(i), 1000));
  for (int i = 0; i < 3; ++i)
    v.push_back(smbta::testing::example_record(smbta::Op::kRead, "bob", "docs", "r.txt", 500));
  v.push_back(smbta::testing::example_record(smbta::Op::kMkdir, "bob", "docs", "dir", 0));
  return v;
}

// Why: the test must see what Prometheus itself stored from its scrapes, through the query API
// an administrator's Grafana uses, not only smbtad's text.
class Prometheus {
 public:
  Prometheus(const std::filesystem::path& dir, int metrics_port) : port_(free_port()) {
    std::filesystem::create_directories(dir / "tsdb");
    const auto conf = dir / "prometheus.yml";
    std::ofstream(conf) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        << "scrape_configs:\n  - job_name: smbtad\n    static_configs:\n"
                        << "      - targets: ['127.0.0.1:" << metrics_port << "']\n";
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + conf.string(),
                                 "--storage.tsdb.path=" + (dir / "tsdb").string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
        dir, "prometheus");
    const bool up =
        eventually([&] { return !child_->running() || !http_get(port_, "/-/ready").empty(); },
                   std::chrono::seconds(60));
    if (!up || !child_->running())
      throw std::runtime_error("prometheus did not start:\n" + child_->out() + child_->err());
  }
  // The value of an instant query with one result, or nullopt when it has none (yet).
  std::optional<double> query(const std::string& promql) const {
    const std::string body = http_get(port_, "/api/v1/query?query=" + percent_encoded(promql));
    static const std::regex value(R"re("value":\[[0-9.]+,"([^"]+)"\])re");
    std::smatch m;
    if (!std::regex_search(body, m, value)) return std::nullopt;
    return std::stod(m[1].str());
  }
  bool query_is(const std::string& promql, double want) const {
    return eventually(
        [&] {
          const auto v = query(promql);
          return v && *v == want;
        },
        std::chrono::seconds(60));
  }
  std::string log() const { return child_->out() + child_->err(); }

 private:
  int port_;
  std::unique_ptr<ChildProcess> child_;
};

TEST(Operations, PrometheusScrapesTheMetricsOfKnownTraffic) {
  if (!std::filesystem::exists("/usr/bin/prometheus")) GTEST_SKIP() << "prometheus not installed";
  TempDir home("smbtad-prometheus");
  const int port = free_port();
  int metrics_port = free_port();
  SmbtadProcess smbtad(
      {"-i", std::to_string(port), "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port)},
      home.path(), port);
  // smbtad's own text first: quick to read when Prometheus disagrees.
  ASSERT_NE(http_get(metrics_port, "/metrics").find("# TYPE smbtad_records_received_total counter"),
            std::string::npos);
  auto fd = connect_module(port);
  send_all(fd.get(), frames(known_traffic()));

  Prometheus prom(home.path() / "prom", metrics_port);
  EXPECT_TRUE(prom.query_is(R"(smbtad_records_received_total{module="127.0.0.1"})", 11))
      << prom.log() << http_get(metrics_port, "/metrics");
  EXPECT_TRUE(prom.query_is(R"(smbtad_bytes_total{share="data",operation="write"})", 7000));
  EXPECT_TRUE(prom.query_is(R"(smbtad_bytes_total{share="docs",operation="read"})", 1500));
  EXPECT_TRUE(prom.query_is(R"(smbtad_operations_total{share="docs",operation="mkdir"})", 1));
  EXPECT_TRUE(prom.query_is(R"(smbtad_connections{kind="module"})", 1));
  EXPECT_TRUE(prom.query_is(R"(smbtad_database_connected)", 1));
  // Stored: the writes merge into one row per file (-p 5), the reads into one, mkdir is one.
  EXPECT_TRUE(prom.query_is(R"(smbtad_rows_stored_total)", 9))
      << http_get(metrics_port, "/metrics");
  EXPECT_TRUE(prom.query_is(R"(smbtad_database_write_duration_seconds_count > bool 0)", 1));
  EXPECT_TRUE(prom.query_is(R"(smbtad_writer_backlog_rows)", 0));
  EXPECT_TRUE(prom.query_is(R"(up{job="smbtad"})", 1));
  // No user label without --metrics-per-user.
  EXPECT_FALSE(prom.query(R"(count(smbtad_bytes_total{user!=""}))"));
  fd.reset();
  EXPECT_TRUE(prom.query_is(R"(smbtad_connections{kind="module"})", 0));
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
}

TEST(Operations, PerUserLabelsOnlyWithTheOption) {
  TempDir home("smbtad-metrics-user");
  const int port = free_port();
  const int metrics_port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-U", "0", "--metrics-listen",
                        std::to_string(metrics_port), "--metrics-per-user"},
                       home.path(), port);
  auto fd = connect_module(port);
  send_all(fd.get(), frames(known_traffic()));
  std::string text;
  EXPECT_TRUE(eventually([&] {
    // localhost: either loopback address, whichever it resolved to first.
    text = http_get(metrics_port, "/metrics");
    return text.find(R"(smbtad_bytes_total{share="data",operation="write",user="alice"} 7000)") !=
           std::string::npos;
  })) << text;
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
}

TEST(Operations, BadMetricsAddressIsAUsageError) {
  TempDir home("smbtad-metrics-bad");
  for (const std::string bad : {"0", "host:", "::1:9000", "[::1]9000", "localhost:70000"}) {
    const auto r = run_smbtad({"--metrics-listen", bad}, home.path());
    EXPECT_EQ(r.status, 2) << bad << ": " << r.output;
    EXPECT_NE(r.output.find("--metrics-listen"), std::string::npos) << r.output;
  }
}

// A NOTIFY_SOCKET of the test's own, as systemd would give it (Type=notify).
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (!fd_ || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("notify socket " + path.string());
  }
  // The next datagram, waiting at most `limit`.
  std::optional<std::string> next(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  // Messages until one holds `field` (READY=1...); nullopt when none came in time.
  std::optional<std::string> until(const std::string& field) {
    for (int i = 0; i < 50; ++i) {
      auto m = next();
      if (!m) return std::nullopt;
      if (m->find(field) != std::string::npos) return m;
    }
    return std::nullopt;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  smbta::UniqueFd fd_;
};

std::vector<std::string> smbtad_argv(std::vector<std::string> args, bool allow_root = true) {
  args.insert(args.begin(), {SMBTAD_BINARY, "-o"});
  if (allow_root && ::geteuid() == 0) args.emplace_back("--allow-root");
  return args;
}

TEST(Operations, ReadyIsNotifiedOnceThePortsAcceptConnections) {
  TempDir home("smbtad-notify");
  NotifySocket notify(home.path() / "notify");
  const int port = free_port();
  ChildIo io;
  io.out = home.path() / "smbtad.log";
  io.env = {"HOME=" + home.path().string(), "NOTIFY_SOCKET=" + notify.path().string()};
  ChildProcess smbtad(smbtad_argv({"-i", std::to_string(port)}), io);
  const auto ready = notify.until("READY=1");
  ASSERT_TRUE(ready) << smbtad.out();
  // At the moment systemd hears READY=1, both ports take connections: no retry needed.
  EXPECT_NO_THROW(smbta::net::connect_tcp("127.0.0.1", port)) << smbtad.out();
  EXPECT_NO_THROW(smbta::net::connect_tcp("127.0.0.1", port + 1)) << smbtad.out();
  EXPECT_NE(ready->find("STATUS=serving"), std::string::npos) << *ready;
  // The database was checked before: its file exists.
  EXPECT_TRUE(std::filesystem::exists(home.path() / ".smbtad/staddb")) << smbtad.out();

  smbtad.signal(SIGHUP);
  EXPECT_TRUE(notify.until("RELOADING=1")) << smbtad.out();
  EXPECT_TRUE(notify.until("READY=1")) << smbtad.out();
  smbtad.signal(SIGTERM);
  EXPECT_TRUE(notify.until("STOPPING=1")) << smbtad.out();
  EXPECT_EQ(smbtad.wait(std::chrono::seconds(30)), 0) << smbtad.out();
}

TEST(Operations, RefusesToRunAsRootWithoutBeingTold) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir home("smbtad-root");
  const int port = free_port();
  ChildIo io;
  io.out = home.path() / "smbtad.log";
  io.env = {"HOME=" + home.path().string()};
  const auto r = smbta::testing::run(smbtad_argv({"-i", std::to_string(port)}, false), io);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("refuses to run as root"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--user"), std::string::npos) << r.out;
  EXPECT_THROW(smbta::net::connect_tcp("127.0.0.1", port), std::exception);
  // --user root is no way around it.
  const auto as_root =
      smbta::testing::run(smbtad_argv({"-i", std::to_string(port), "--user", "root"}, false), io);
  EXPECT_EQ(as_root.status, 2) << as_root.out;
  EXPECT_NE(as_root.out.find("that is root"), std::string::npos) << as_root.out;
  const auto nobody_there = smbta::testing::run(
      smbtad_argv({"-i", std::to_string(port), "--user", "no-such-user-smbta"}, false), io);
  EXPECT_EQ(nobody_there.status, 2) << nobody_there.out;
  EXPECT_NE(nobody_there.out.find("no such user"), std::string::npos) << nobody_there.out;
}

std::string proc_status_line(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(key + ":")) return line.substr(key.size() + 1);
  return {};
}

TEST(Operations, DropsToTheConfiguredUserOnceItsSocketsAreOpen) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const passwd* pw = ::getpwnam("nobody");
  if (pw == nullptr) GTEST_SKIP() << "no user nobody";
  TempDir home("smbtad-drop");
  ASSERT_EQ(::chown(home.path().c_str(), pw->pw_uid, pw->pw_gid), 0);
  const int port = free_port();
  const int metrics_port = free_port();
  const auto conf = home.path() / "smbtad.conf";
  std::ofstream(conf) << "[general]\nuser = nobody\n[metrics]\nlisten = 127.0.0.1:" << metrics_port
                      << "\n";
  ChildIo io;
  io.out = home.path() / "smbtad.log";
  io.env = {"HOME=" + home.path().string()};
  ChildProcess smbtad(smbtad_argv({"-i", std::to_string(port), "-c", conf.string()}, false), io);
  ASSERT_TRUE(eventually([&] {
    if (!smbtad.running()) return true;
    try {
      smbta::net::connect_tcp("127.0.0.1", port);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  })) << smbtad.out();
  ASSERT_TRUE(smbtad.running()) << smbtad.out();
  const std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(pw->pw_gid);
  EXPECT_EQ(proc_status_line(smbtad.pid(), "Uid"),
            "\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(proc_status_line(smbtad.pid(), "Gid"),
            "\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid);
  EXPECT_EQ(proc_status_line(smbtad.pid(), "Groups").find(" 0 "), std::string::npos);
  // The database was created by the user who writes it.
  struct stat st {};
  ASSERT_EQ(::stat((home.path() / ".smbtad/staddb").c_str(), &st), 0) << smbtad.out();
  EXPECT_EQ(st.st_uid, pw->pw_uid);
  auto fd = connect_module(port);
  send_all(fd.get(), frames(known_traffic()));
  EXPECT_TRUE(eventually([&] {
    return http_get(metrics_port, "/metrics").find("\nsmbtad_rows_stored_total 9\n") !=
           std::string::npos;
  })) << smbtad.out();
  fd.reset();
  smbtad.signal(SIGTERM);
  EXPECT_EQ(smbtad.wait(std::chrono::seconds(30)), 0) << smbtad.out();
  EXPECT_NE(smbtad.out().find("running as user nobody"), std::string::npos) << smbtad.out();
  EXPECT_NE(smbtad.out().find("11 records received, 9 rows stored"), std::string::npos)
      << smbtad.out();
}

}  // namespace
}  // namespace smbtad::testing

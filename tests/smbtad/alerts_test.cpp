// SPDX-License-Identifier: GPL-3.0-or-later
// A simulated ransomware run replayed into a real smbtad: one alert per episode through every
// channel (log, command, webhook, monitor client, database, `alerts` over the client port), and
// none for the load generator's normal traffic.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/monitor_client.h"
#include "client/query_client.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "smbtad/db_rows.h"
#include "support/smbtad_process.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::Op;
using smbta::Record;
using smbta::client::MonitorConnection;
using smbta::client::MonitorKind;
using smbta::store::testing::StoreTest;
using namespace std::chrono_literals;

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::vector<std::string> lines_of(const std::filesystem::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// Why: the webhook must reach a real HTTP server; this one on loopback keeps every body.
class WebhookListener {
 public:
  WebhookListener() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(req.body);
      types_.push_back(req.get_header_value("Content-Type"));
      res.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() does nothing before the loop runs.
    if (!eventually([&] { return server_.is_running(); }))
      throw std::runtime_error("the webhook listener did not start");
  }
  ~WebhookListener() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  std::vector<std::string> types() {
    std::lock_guard lock(mutex_);
    return types_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> bodies_, types_;
};

class Alerts : public StoreTest {
 protected:
  void start() {
    port_ = free_port();
    auto a = database_args(db_->params());
    a.insert(a.end(),
             {"-i", std::to_string(port_), "-p", "0", "--alert-quiet", "120", "--alert-command",
              "cat >> '" + command_out().string() + "'", "--alert-webhook",
              "http://127.0.0.1:" + std::to_string(webhook_.port()) + "/hook"});
    smbtad_ = std::make_unique<SmbtadProcess>(a, home_.path(), port_);
  }
  std::filesystem::path command_out() const { return home_.path() / "alerts.jsonl"; }
  MonitorConnection monitor() {
    smbta::UniqueFd fd;
    EXPECT_TRUE(eventually([&] {
      try {
        fd = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
        return true;
      } catch (const std::exception&) {
        return false;
      }
    }));
    return MonitorConnection(std::move(fd));
  }
  void send(const std::vector<Record>& records) {
    if (!module_) module_ = connect_module(port_);
    send_all(module_.get(), frames(records));
    sent_ += records.size();
  }
  bool all_stored() {
    auto db = db_->raw();
    return eventually([&] { return count_rows(*db) >= sent_; }, 60s);
  }
  std::int64_t stored_alerts(bool ended_only = false) {
    auto db = db_->raw();
    auto r = db->query(std::string("SELECT count(*) FROM smbta_alerts") +
                       (ended_only ? " WHERE ended IS NOT NULL" : ""));
    return r.next() ? r.get_int(1).value_or(-1) : -1;
  }

  // The load generator's mix (50 users on 8 shares) at about 33 records per second.
  static std::vector<Record> normal(std::int64_t from) {
    auto v = smbta::testing::realistic_mix(20'000, 11);
    for (std::size_t i = 0; i < v.size(); ++i)
      v[i].timestamp_ms = from + static_cast<std::int64_t>(i) * 30;
    return v;
  }
  // Rename + write + unlink of 3,000 files by mallory within 50 s.
  static std::vector<Record> ransomware(std::int64_t from) {
    std::vector<Record> v;
    for (int i = 0; i < 3000; ++i) {
      const std::int64_t ts = from + 50'000LL * i / 3000;
      const std::string f = "projects/q3/report" + std::to_string(i) + ".odt";
      for (Op op : {Op::kRename, Op::kWrite, Op::kUnlink}) {
        Record r = smbta::testing::example_record(op, "mallory", "data",
                                                  op == Op::kWrite ? f + ".locked" : f, 65536);
        if (op == Op::kRename) r.path2 = f + ".locked";
        r.timestamp_ms = ts;
        v.push_back(std::move(r));
      }
    }
    return v;
  }
  // ALERT messages that arrived within `limit`, by phase.
  static std::map<std::string, int> collect(MonitorConnection& c, std::uint32_t id, int starts,
                                            std::chrono::milliseconds limit = 20s) {
    std::map<std::string, int> out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (out["start"] < starts && std::chrono::steady_clock::now() < deadline) {
      auto m = c.next(200ms);
      if (!m || m->id != id) continue;
      EXPECT_EQ(m->fields.size(), 12u) << m->value;
      if (m->fields.size() == 12) {
        EXPECT_EQ(m->fields[1], "ransomware");
        EXPECT_EQ(m->fields[2], "mallory");
        EXPECT_EQ(m->fields[4], "data");
        ++out[m->fields[0]];
      }
    }
    return out;
  }

  TempDir home_;
  WebhookListener webhook_;
  int port_ = 0;
  std::unique_ptr<SmbtadProcess> smbtad_;
  smbta::UniqueFd module_;
  std::size_t sent_ = 0;
};

TEST_P(Alerts, ARansomwareRunRaisesOneAlertPerEpisodeThroughEveryChannel) {
  start();
  MonitorConnection mon = monitor();
  const std::uint32_t id = mon.add(MonitorKind::kAlert, {});
  const std::int64_t base = smbta::local_now_ms() - 3'600'000;
  send(normal(base));
  send(ransomware(base + 660'000));
  ASSERT_TRUE(all_stored()) << smbtad_->log();
  // The log line is written as the record arrives: once every row is stored, it is complete.
  EXPECT_EQ(count_of(smbtad_->log(), "ALERT "), 1u) << smbtad_->log();
  EXPECT_EQ(count_of(smbtad_->log(), "ALERT ransomware: user \"mallory\""), 1u);
  auto phases = collect(mon, id, 1);
  EXPECT_EQ(phases["start"], 1);
  EXPECT_EQ(phases["end"], 0);
  ASSERT_TRUE(eventually([&] { return webhook_.bodies().size() >= 1; })) << smbtad_->log();
  ASSERT_TRUE(eventually([&] { return lines_of(command_out()).size() >= 1; })) << smbtad_->log();
  ASSERT_TRUE(eventually([&] { return stored_alerts() >= 1; })) << smbtad_->log();
  EXPECT_EQ(webhook_.types().at(0), "application/json");
  const auto hook = nlohmann::json::parse(webhook_.bodies().at(0));
  EXPECT_EQ(hook["alert"], "ransomware");
  EXPECT_EQ(hook["phase"], "start");
  EXPECT_EQ(hook["user"], "mallory");
  EXPECT_EQ(hook["share"], "data");
  EXPECT_EQ(hook["threshold_per_minute"], 600);
  EXPECT_GE(hook["rate_per_minute"].get<int>(), 600);
  EXPECT_EQ(nlohmann::json::parse(lines_of(command_out()).at(0)), hook);

  // A second run after the quiet period (120 s) is a second episode; its first record ends the
  // first one.
  send(ransomware(base + 900'000));
  ASSERT_TRUE(all_stored());
  EXPECT_EQ(count_of(smbtad_->log(), "ALERT "), 2u) << smbtad_->log();
  // The end of the first episode, then the start of the second.
  phases = collect(mon, id, 1);
  EXPECT_EQ(phases["end"], 1);
  EXPECT_EQ(phases["start"], 1);
  ASSERT_TRUE(eventually([&] { return stored_alerts(true) >= 1 && stored_alerts() >= 2; }));

  // Over the client port, as `smbtaquery -h` asks.
  const auto fd = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
  const auto tables = smbta::client::query_over_socket(fd.get(), "global, alerts;", 10000);
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_EQ(tables[0].rows.size(), 2u);
  EXPECT_EQ(std::get<std::string>(tables[0].rows[0][2]), "ransomware");
  EXPECT_EQ(std::get<std::string>(tables[0].rows[0][3]), "mallory");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(tables[0].rows[0][1]));  // still going
  EXPECT_EQ(std::get<std::int64_t>(tables[0].rows[1][6]), 9000);              // the whole first run

  // Stopping ends the open episode: every channel has said exactly two alerts (the command and
  // the webhook get nothing still queued at the stop: wait for them first).
  ASSERT_TRUE(eventually([&] {
    return webhook_.bodies().size() >= 2 && lines_of(command_out()).size() >= 2;
  })) << smbtad_->log();
  EXPECT_EQ(smbtad_->stop(), 0);
  const std::string log = smbtad_->log();
  EXPECT_EQ(count_of(log, "ALERT "), 2u) << log;
  EXPECT_EQ(count_of(log, "alert ransomware of user \"mallory\""), 2u) << log;
  EXPECT_EQ(webhook_.bodies().size(), 2u);
  EXPECT_EQ(lines_of(command_out()).size(), 2u);
  EXPECT_EQ(stored_alerts(), 2);
  EXPECT_EQ(stored_alerts(true), 2);
}

TEST_P(Alerts, NormalTrafficOfTheLoadGeneratorRaisesNone) {
  start();
  send(normal(smbta::local_now_ms() - 3'600'000));
  ASSERT_TRUE(all_stored()) << smbtad_->log();
  EXPECT_EQ(smbtad_->stop(), 0);
  EXPECT_EQ(count_of(smbtad_->log(), "ALERT"), 0u) << smbtad_->log();
  EXPECT_TRUE(webhook_.bodies().empty());
  EXPECT_FALSE(std::filesystem::exists(command_out()));
  EXPECT_EQ(stored_alerts(), 0);
}

TEST_P(Alerts, AFailingCommandAndAnUnreachableWebhookAreLoggedAndSmbtadGoesOn) {
  port_ = free_port();
  auto a = database_args(db_->params());
  a.insert(a.end(),
           {"-i", std::to_string(port_), "-p", "0", "--alert-command", "exit 3", "--alert-webhook",
            "http://127.0.0.1:" + std::to_string(free_port()) + "/x", "--alert-timeout", "2"});
  smbtad_ = std::make_unique<SmbtadProcess>(a, home_.path(), port_);
  send(ransomware(smbta::local_now_ms() - 600'000));
  ASSERT_TRUE(all_stored()) << smbtad_->log();
  EXPECT_TRUE(eventually([&] {
    const std::string log = smbtad_->log();
    return log.find("--alert-command exited with status 3") != std::string::npos &&
           log.find("--alert-webhook http://127.0.0.1:") != std::string::npos;
  })) << smbtad_->log();
  EXPECT_TRUE(eventually([&] { return stored_alerts() == 1; }));
  EXPECT_TRUE(smbtad_->running());
  EXPECT_EQ(smbtad_->stop(), 0);
}

SMBTA_STORE_DRIVERS(Alerts);

}  // namespace
}  // namespace smbtad::testing

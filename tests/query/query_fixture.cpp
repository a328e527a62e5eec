// SPDX-License-Identifier: GPL-3.0-or-later
#include "query/query_fixture.h"

#include <fmt/format.h>

#include <algorithm>

#include "smbta/timestamp.h"
#include "store/loss_ledger.h"
#include "store/rollup.h"
#include "store/schema.h"

namespace smbta::query::testing {
namespace {

std::int64_t at(const char* text) {
  return *parse_timestamp(text);
}

store::Row row(Op op, const char* user, const char* sid, const char* domain, const char* share,
               const char* path, std::uint64_t length, const char* ts, std::uint32_t merged = 1) {
  store::Row r;
  r.rec.op = op;
  r.rec.user = user;
  r.rec.sid = sid;
  r.rec.domain = domain;
  r.rec.share = share;
  r.rec.path = path;
  r.rec.length = length;
  r.rec.timestamp_ms = at(ts);
  r.rec.client_ip = "192.168.1.23";
  r.merged = merged;
  return r;
}

constexpr const char* kSidA = "S-1-5-21-1-1000";
constexpr const char* kSidTom = "S-1-5-21-1-1001";
constexpr const char* kSidB = "S-1-5-21-2-1000";
constexpr const char* kSidQ = "S-1-5-21-1-1002";

}  // namespace

std::int64_t test_now() {
  return at("2011-07-18 18:00:00.000");
}

std::vector<store::Row> known_rows() {
  std::vector<store::Row> v;
  v.push_back(row(Op::kRead, "tom", kSidTom, "EXAMPLE", "pool", "/docs/b.txt", 100,
                  "2011-07-17 23:30:00.000"));
  v.back().rec.latency_us = 150;
  v.push_back(row(Op::kOpen, "holger", kSidA, "EXAMPLE", "pool", "/docs/a.odt", 0,
                  "2011-07-18 09:00:00.000"));
  v.back().rec.latency_us = 35;
  v.back().rec.mode = 420;
  v.push_back(row(Op::kRead, "holger", kSidA, "EXAMPLE", "pool", "/docs/a.odt", 40960,
                  "2011-07-18 09:10:00.000", 3));
  v.back().rec.latency_us = 3600;
  v.push_back(row(Op::kPread, "holger", kSidA, "EXAMPLE", "pool", "/docs/a.odt", 1000,
                  "2011-07-18 09:59:59.999"));
  v.back().rec.latency_us = 90;
  v.push_back(row(Op::kWrite, "holger", kSidA, "EXAMPLE", "pool", "/docs/a.odt", 10485760,
                  "2011-07-18 10:05:00.000"));
  v.back().rec.latency_us = 48000;
  v.push_back(row(Op::kRead, "tom", kSidTom, "EXAMPLE", "pool", "/docs/b.txt", 4096,
                  "2011-07-18 10:30:00.000"));
  v.back().rec.latency_us = 220;
  v.push_back(row(Op::kClose, "holger", kSidA, "EXAMPLE", "pool", "/docs/a.odt", 0,
                  "2011-07-18 11:00:00.000"));
  v.back().rec.latency_us = 12;
  v.push_back(row(Op::kWrite, "tom", kSidTom, "EXAMPLE", "data", "readme", 250000,
                  "2011-07-18 14:00:00.000"));
  v.back().rec.latency_us = 5300;
  v.push_back(
      row(Op::kRead, "holger", kSidB, "OTHER", "data", "readme", 1536, "2011-07-18 14:30:00.500"));
  v.back().rec.latency_us = 800;
  v.push_back(
      row(Op::kRename, "holger", kSidB, "OTHER", "data", "readme", 0, "2011-07-18 15:00:00.000"));
  v.back().rec.latency_us = 2500;
  v.back().rec.path2 = "readme.old";
  v.push_back(
      row(Op::kMkdir, "tom", kSidTom, "EXAMPLE", "data", "newdir", 0, "2011-07-18 15:30:00.000"));
  v.back().rec.result = kFailedResult;
  v.push_back(row(Op::kPwrite, "o'brien", kSidQ, "EXAMPLE", "my share;",
                  "\xc3\xbcn\xc3\xaf'code, %_.txt", 777, "2011-07-18 16:00:00.000"));
  v.back().rec.latency_us = 7;
  v.push_back(row(Op::kWrite, "holger", kSidA, "EXAMPLE", "pool", "/docs/<b>&.html", 2048,
                  "2011-07-18 17:59:00.000"));
  v.back().rec.latency_us = 640;
  return v;
}

std::int64_t known_bytes(char mode, const std::string& user, const std::string& share) {
  std::int64_t sum = 0;
  for (const auto& r : known_rows()) {
    const bool rd = is_read(r.rec.op), wr = is_write(r.rec.op);
    if (!((mode == 'r' && rd) || (mode == 'w' && wr) || (mode == 'b' && (rd || wr)))) continue;
    if (!user.empty() && r.rec.user != user) continue;
    if (!share.empty() && r.rec.share != share) continue;
    sum += static_cast<std::int64_t>(r.rec.length);
  }
  return sum;
}

void QueryTest::SetUp() {
  db_ = std::make_unique<store::testing::TestDb>(GetParam().driver);
  if (!db_->available())
    GTEST_SKIP() << "SMBTA_TEST_PGSQL_* / SMBTA_TEST_MYSQL_* not set (ctest provides it)";
  auto store = db_->open();
  store->create_schema();
  conn_ = db_->raw();
  // Half of the rows before the rollup exists (backfill), half after (triggers).
  const auto rows = known_rows();
  const std::size_t half = rows.size() / 2;
  store->insert(std::span(rows).first(half));
  if (GetParam().rollups) store::install_rollups(*conn_, {true, true});
  store->insert(std::span(rows).subspan(half));
  store::ModuleInfo m;
  m.peer = "192.168.1.10";
  store->note_module(m);
  store::StatusInfo s;
  s.version = "2.0.0";
  s.dbname = "smbta";
  s.dbdriver = "sqlite3";  // fixed: the golden files are shared by both drivers
  s.maintenance_timer = "01:00:00";
  s.config_file = "/etc/smbtad.conf";
  store->write_status(s);
  // The loss ledger as smbtad leaves it: two processes of one numbered module (one with a gap
  // and duplicates, one that dropped records and replayed its spool) and a 1.2.x module.
  std::vector<store::SenderLoss> loss(3);
  loss[0].server = "fs1";
  loss[0].sender = "fs1:4242:0badcafe";
  loss[0].peer = "192.168.1.10";
  loss[0].received = 120;
  loss[0].stored = 110;
  loss[0].duplicates = 10;
  loss[0].highest = 115;
  loss[0].gaps = {{41, 45}};
  loss[0].last_seen_ms = test_now() - 3'600'000;
  loss[1].server = "fs1";
  loss[1].sender = "fs1:4243:00c0ffee";
  loss[1].peer = "192.168.1.10";
  loss[1].received = 31;
  loss[1].stored = 31;
  loss[1].replayed = 30;
  loss[1].dropped = 8;
  loss[1].highest = 40;
  loss[1].gaps = {{20, 27}};  // the 8 dropped (the drop notice has number 40): none missing
  loss[1].last_seen_ms = test_now() - 1'800'000;
  loss[2].server = "192.168.1.11";
  loss[2].peer = "192.168.1.11";
  loss[2].received = 7;
  loss[2].stored = 7;
  loss[2].last_seen_ms = test_now() - 600'000;
  smbta::store::loss_ledger::Bases bases;
  store->save_loss(loss, bases);
}

std::vector<ResultTable> QueryTest::q(std::string_view text, bool identify) {
  QueryOptions o;
  o.now_ms = test_now();
  o.identify = identify;
  o.use_rollups = GetParam().rollups;
  return run(text, *conn_, o);
}

void expect_126_view_shapes(store::DbiConnection& db) {
  QueryOptions o;
  o.now_ms = test_now();
  o.identify = false;
  const auto t = run("global, total r, total w;", db, o);
  const std::int64_t r = std::get<std::int64_t>(t.at(0).rows.at(0).at(0));
  const std::int64_t w = std::get<std::int64_t>(t.at(1).rows.at(0).at(0));
  ASSERT_GT(r, 0) << "the database holds no reads";
  auto one = [&](const std::string& sql) {
    store::DbiResult res = db.query(sql);
    EXPECT_TRUE(res.next()) << sql;
    return res.get_int(1).value_or(-1);
  };
  EXPECT_EQ(one("SELECT SUM(length) FROM data WHERE vfs_id = '0'"), r);
  EXPECT_EQ(one("SELECT SUM(length) FROM data WHERE vfs_id = 0"), r);
  EXPECT_EQ(one("SELECT SUM(length) FROM data WHERE vfs_id = '2'"), w);
  EXPECT_EQ(one("SELECT SUM(length) FROM data WHERE (vfs_id = '0' OR vfs_id = '2') AND "
                "username LIKE '%' AND share LIKE '%'"),
            r + w);
  EXPECT_EQ(one("SELECT COUNT(*) FROM data WHERE vfs_id = '0'"),
            one("SELECT COUNT(*) FROM data WHERE vfs_id = 0"));
  // Per user, as 1.2.6's top re-queried each ranked user: the sums add up to the total.
  std::vector<std::string> users;
  for (store::DbiResult res = db.query(
           "SELECT distinct username, domain, sum(length) over (Partition by username) FROM data "
           "WHERE vfs_id = '0' order by sum(length) over (Partition by username) desc");
       res.next();)
    users.push_back(res.get_text(1).value_or(""));
  EXPECT_FALSE(users.empty());
  std::int64_t per_user = 0;
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  for (const auto& u : users)
    per_user += one(fmt::format("SELECT sum(length) FROM data WHERE vfs_id = '0' AND username = {}",
                                db.quote(u)));
  EXPECT_EQ(per_user, r);
  // Oldest first, and a time range in the 1.2.6 text form.
  std::vector<std::string> times;
  for (store::DbiResult res = db.query("SELECT timestamp FROM data ORDER BY timestamp");
       res.next();)
    times.push_back(res.get_text(1).value_or(""));
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  EXPECT_EQ(one("SELECT SUM(length) FROM data WHERE vfs_id = '0' AND timestamp > "
                "'1990-01-01 00:00:00'"),
            r);
}

std::string param_name(const ::testing::TestParamInfo<Param>& i) {
  return i.param.driver + (i.param.rollups ? "_rollup" : "_raw");
}

}  // namespace smbta::query::testing

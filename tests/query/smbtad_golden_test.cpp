// SPDX-License-Identifier: GPL-3.0-or-later
// Golden output of every function in every format on a database filled through a real smbtad
// from known V2 streams (one plain, one encrypted module connection), with totals checked
// against the bytes sent, and the same answers through smbtad's client port (the engine's
// client and the smbtaquery program) as in direct mode; sqlite3 and PostgreSQL.
//
// The known rows of query_fixture.cpp are sent as records, so the answers must equal the golden
// files of golden_test.cpp (tests/query/golden/) byte for byte, except for the two functions
// that describe the running smbtad rather than the data (smbtad-report, self-check): their
// golden files are in tests/query/golden_smbtad/ (SMBTA_UPDATE_GOLDEN=1 rewrites those that
// differ, never the shared ones, and fails: review the diff and commit it), with the settings of
// the run (ports, database) checked and then masked. Direct mode runs at the fixed clock of the
// golden files; smbtad answers at its wall clock, so its answers to the three clock-dependent
// queries (usage since today, search's timestamp, throughput) are compared with direct mode at
// that clock instead (see daemon_now).
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "client/query_client.h"
#include "query/engine.h"
#include "query/format.h"
#include "query/golden_queries.h"
#include "query/query_fixture.h"
#include "query/result_codec.h"
#include "smbta/key_file.h"
#include "smbta/legacy_cipher.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "store/rollup.h"
#include "support/smbtad_process.h"
#include "support/store_fixture.h"

namespace smbta::query::testing {
namespace {

using smbta::client::query_over_socket;

namespace fs = std::filesystem;
using smbtad::testing::SmbtadProcess;

// Seconds of smbtad's aggregation: > 0 so that the merged row of the known rows is made by
// smbtad from separate records, as in production (precision 0 would store one row per record).
constexpr int kPrecision = 5;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr int kTimeoutMs = 20'000;

// How an answer depends on the clock ("now") of whoever runs the query.
enum class Clock {
  kNone,    // not at all
  kDay,     // through "today" only
  kSecond,  // shows the time to the second (the timestamp note of search)
  kExact,   // to the millisecond (throughput's interval starts)
};

struct Handling {
  const char* name;
  Clock clock;
  bool own_golden;  // golden file in golden_smbtad/: the answer describes the running smbtad
};

constexpr Handling kHandling[] = {
    {"total", Clock::kNone, false},       {"list", Clock::kNone, false},
    {"top", Clock::kNone, false},         {"last_activity", Clock::kNone, false},
    {"usage", Clock::kDay, false},        {"search", Clock::kSecond, false},
    {"throughput", Clock::kExact, false}, {"smbtad_report", Clock::kNone, true},
    {"self_check", Clock::kNone, true},   {"loss", Clock::kNone, true},
    {"latency", Clock::kNone, false},     {"top_slowest", Clock::kNone, false},
    {"trend", Clock::kDay, false},
};

const Handling* handling(std::string_view name) {
  for (const auto& h : kHandling)
    if (name == h.name) return &h;
  return nullptr;
}

// The known rows as a module sends them. A row of `merged` records becomes that many records one
// second apart inside its precision bucket, which smbtad must merge back into the one row; the
// last of them goes on the second connection after the first part is stored, so that it grows
// the stored row (the accumulate path of the store and the rollup triggers) instead of being
// merged in memory.
struct Streams {
  std::vector<Record> first;   // plain connection
  std::vector<Record> second;  // encrypted connection, sent once `first` is stored
  std::size_t first_rows = 0;  // rows `first` leaves in smbta_events
  std::size_t late = 0;        // records of `second` that grow rows of `first`
};

Streams module_streams() {
  const auto rows = known_rows();
  const std::size_t half = rows.size() / 2;
  Streams s;
  s.first_rows = half;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const std::uint32_t m = row.merged;
    for (std::uint32_t k = 0; k < m; ++k) {
      Record r = row.rec;
      r.length = row.rec.length / m + (k + 1 == m ? row.rec.length % m : 0);
      // The row's latency is the sum over its records: each record times its own part.
      if (row.rec.latency_us)
        r.latency_us = *row.rec.latency_us / m + (k + 1 == m ? *row.rec.latency_us % m : 0);
      r.timestamp_ms += static_cast<std::int64_t>(k) * 1000;
      if (i >= half) {
        s.second.push_back(std::move(r));
      } else if (m > 1 && k + 1 == m) {
        s.second.push_back(std::move(r));
        ++s.late;
      } else {
        s.first.push_back(std::move(r));
      }
    }
  }
  return s;
}

std::int64_t sum_bytes(const std::vector<Record>& records, bool (*pred)(Op)) {
  std::int64_t n = 0;
  for (const auto& r : records)
    if (pred(r.op)) n += static_cast<std::int64_t>(r.length);
  return n;
}

std::int64_t count_records(const std::vector<Record>& records, bool (*pred)(Op)) {
  std::int64_t n = 0;
  for (const auto& r : records) n += pred(r.op) ? 1 : 0;
  return n;
}

// (rows, records) in smbta_events and the number of module rows; nothing while the database is
// busy (sqlite3 locks while smbtad writes).
struct Stored {
  std::int64_t rows = -1, records = -1, modules = -1;
  std::int64_t ledger = -1;  // records the loss ledger counts as received (written after them)
};
Stored stored(store::DbiConnection& db) {
  Stored s;
  try {
    auto r = db.query("SELECT COUNT(*), SUM(merged) FROM smbta_events");
    if (r.next()) {
      s.rows = r.get_int(1).value_or(0);
      s.records = r.get_int(2).value_or(0);
    }
    auto m = db.query("SELECT COUNT(*) FROM modules");
    if (m.next()) s.modules = m.get_int(1).value_or(0);
  } catch (const std::exception&) {
    return {};
  }
  try {
    auto l = db.query("SELECT SUM(received) FROM smbta_loss");
    if (l.next()) s.ledger = l.get_int(1).value_or(0);
  } catch (const std::exception&) {
    // not created yet
  }
  return s;
}

std::array<std::string, std::size(kFormats)> render_all(const std::vector<ResultTable>& tables) {
  // The footer is the client's (smbtaquery puts its own clock there), not part of the answer.
  const RenderOptions ro{test_now(), "2.0.0"};
  std::array<std::string, std::size(kFormats)> out;
  for (std::size_t i = 0; i < std::size(kFormats); ++i)
    out[i] = render(kFormats[i].first, tables, ro);
  return out;
}

// The settings of the status table that describe this run (ports, database name and driver),
// not the data: checked against what smbtad was started with, then replaced by fixed text so
// that one golden file serves every run and both drivers.
struct RunSettings {
  std::string client_port, dbname, dbhost, dbuser, dbdriver, module_port;
};

std::vector<ResultTable> normalized(std::vector<ResultTable> tables, const RunSettings& run) {
  const std::pair<const char*, const std::string*> keys[] = {
      {"client_port", &run.client_port}, {"dbname", &run.dbname},
      {"dbhost", &run.dbhost},           {"dbuser", &run.dbuser},
      {"dbdriver", &run.dbdriver},       {"module_port", &run.module_port}};
  for (auto& t : tables) {
    if (t.function == "loss") {
      // "Last seen" is when smbtad heard of the module (its clock, not the records'): within
      // this run, and masked (NULL) for the golden file.
      const std::int64_t now = local_now_ms();
      for (auto& row : t.rows) {
        for (std::size_t i = 0; i < t.columns.size() && i < row.size(); ++i) {
          if (t.columns[i].id != "last_seen") continue;
          const auto* at = std::get_if<std::int64_t>(&row[i]);
          EXPECT_TRUE(at != nullptr && *at <= now && *at > now - 3'600'000)
              << "last seen is not within this run";
          row[i] = Cell();
        }
      }
      continue;
    }
    if (t.function != "smbtad-report") continue;
    std::size_t replaced = 0;
    for (auto& row : t.rows) {
      const auto* key = row.empty() ? nullptr : std::get_if<std::string>(&row[0]);
      if (key == nullptr || row.size() < 3) continue;
      for (const auto& [k, expected] : keys) {
        if (*key != k) continue;
        const auto* value = std::get_if<std::string>(&row[2]);
        EXPECT_TRUE(value != nullptr && *value == *expected)
            << k << ": smbtad reports " << (value ? *value : "no text") << ", was started with "
            << *expected;
        row[2] = "{" + std::string(k) + "}";
        ++replaced;
      }
    }
    EXPECT_EQ(replaced, std::size(keys)) << t.title;
  }
  return tables;
}

// smbtad answers with QueryOptions{}: its wall clock. Neither smbtad nor smbtaquery can be told
// another "now" (only the engine can), so a clock-dependent answer from the client port cannot
// equal the golden files (fixed at test_now()); it is compared with direct mode at the clock
// the daemon used for it instead. That clock is read back from the answer where the answer
// shows it, and checked against our own clock read before (t0) and after (t1) the request
// (same machine, same time zone). nullopt: ask again (the day changed during the request).
std::optional<std::int64_t> daemon_now(Clock clock, const std::vector<ResultTable>& net,
                                       std::int64_t t0, std::int64_t t1) {
  switch (clock) {
    case Clock::kNone:
      return test_now();
    case Clock::kDay:
      // "today" is all that is used: any time of that day gives the same answer.
      if (t0 / kDayMs != t1 / kDayMs) return std::nullopt;
      return t0;
    case Clock::kSecond: {
      const std::string* note = net.empty() ? nullptr : net[0].note("timestamp");
      const auto ts = note ? parse_timestamp(*note) : std::nullopt;
      if (!ts) {
        ADD_FAILURE() << "no timestamp note in the answer";
        return std::nullopt;
      }
      EXPECT_GE(*ts, t0 - t0 % 1000) << *note;
      EXPECT_LE(*ts, t1) << *note;
      return *ts;
    }
    case Clock::kExact: {
      // Interval starts are now - n * unit, ..., now - unit.
      const auto& rows = net.empty() ? std::vector<std::vector<Cell>>{} : net[0].rows;
      if (rows.size() < 2 || !std::holds_alternative<std::int64_t>(rows.back().at(0)) ||
          !std::holds_alternative<std::int64_t>(rows[rows.size() - 2].at(0))) {
        ADD_FAILURE() << "no interval starts in the answer";
        return std::nullopt;
      }
      const std::int64_t last = std::get<std::int64_t>(rows.back()[0]);
      const std::int64_t now = last + (last - std::get<std::int64_t>(rows[rows.size() - 2][0]));
      EXPECT_GE(now, t0);
      EXPECT_LE(now, t1);
      return now;
    }
  }
  return std::nullopt;
}

// Runs the smbtaquery program with a private HOME (no stray config file).
smbta::testing::RunResult run_smbtaquery(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), SMBTAQUERY_BINARY);
  return smbta::testing::run(
      args, smbta::testing::output_files(dir, "smbtaquery", {"HOME=" + dir.string()}));
}

// Why: each driver gets a fresh database, filled by a fresh smbtad from the known streams.
class SmbtadGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<store::testing::TestDb>(GetParam());
    if (!db_->available())
      GTEST_SKIP() << "SMBTA_TEST_PGSQL_* / SMBTA_TEST_MYSQL_* not set (ctest provides it)";
    key_path_ = (home_.path() / "key").string();
    key_ = create_key_file(key_path_);
    db_args_ = smbtad::testing::database_args(db_->params());
    // A port found free may be taken by another test before smbtad binds it: draw again.
    for (int attempt = 1; !smbtad_; ++attempt) {
      port_ = smbtad::testing::free_port();
      auto args = db_args_;
      args.insert(args.end(), {"-i", std::to_string(port_), "-p", std::to_string(kPrecision), "-k",
                               key_path_, "--file-rollup", "1"});
      try {
        smbtad_ = std::make_unique<SmbtadProcess>(args, home_.path(), port_);
      } catch (const std::runtime_error&) {
        if (attempt == 3) throw;
      }
    }
    qport_ = port_ + 1;  // smbtad's default client port
    conn_ = db_->raw();
  }

  std::vector<ResultTable> direct(const char* text, std::int64_t now, bool rollups = true) {
    QueryOptions o;  // as smbtad's query thread, but with a fixed clock
    o.now_ms = now;
    o.use_rollups = rollups;
    return run(text, *conn_, o);
  }

  RunSettings run_settings() const {
    const auto& p = db_->params();
    // smbtad-report names a sqlite3 database by its absolute path.
    return {std::to_string(qport_),
            p.driver == "sqlite3" ? store::describe_location(p) : p.name,
            p.host,
            p.user,
            p.driver,
            std::to_string(port_)};
  }

  smbtad::testing::TempDir home_;
  std::unique_ptr<store::testing::TestDb> db_;
  std::vector<std::string> db_args_;
  std::string key_path_;
  AesKey key_{};
  int port_ = 0, qport_ = 0;
  std::unique_ptr<SmbtadProcess> smbtad_;
  std::unique_ptr<store::DbiConnection> conn_;
};

TEST_P(SmbtadGoldenTest, EveryFunctionInEveryFormatFromV2StreamsSameInBothModes) {
  GoldenFiles files;

  // --- Fill the database through smbtad's module port. ---
  const Streams s = module_streams();
  ASSERT_GT(s.late, 0u) << "the known rows have no merged row in their first half";
  for (const auto& row : known_rows()) {
    if (row.merged < 2) continue;
    ASSERT_TRUE(is_read_write(row.rec.op));
    // All records of a merged row must fall into one bucket to be merged.
    const std::int64_t width = kPrecision * 1000;
    ASSERT_LT(row.rec.timestamp_ms % width + (row.merged - 1) * 1000, width);
  }
  auto plain = smbtad::testing::connect_module(port_);
  smbtad::testing::send_all(plain.get(), smbtad::testing::frames(s.first));
  Stored st;
  ASSERT_TRUE(smbtad::testing::eventually([&] {
    st = stored(*conn_);
    return st.rows == static_cast<std::int64_t>(s.first_rows) &&
           st.records == static_cast<std::int64_t>(s.first.size());
  })) << "stored rows "
      << st.rows << ", records " << st.records << "\n"
      << smbtad_->log();

  auto encrypted = smbtad::testing::connect_module(port_);
  LegacyCipher cipher(key_);
  const std::string bytes = smbtad::testing::frames(s.second, &cipher);
  ASSERT_EQ(bytes.at(5), 'E');  // header flag: the body is encrypted
  smbtad::testing::send_all(encrypted.get(), bytes);
  const auto all_rows = static_cast<std::int64_t>(known_rows().size());
  const auto all_records = static_cast<std::int64_t>(s.first.size() + s.second.size());
  ASSERT_TRUE(smbtad::testing::eventually([&] {
    st = stored(*conn_);
    return st.rows == all_rows && st.records == all_records && st.modules >= 1 &&
           st.ledger == all_records;
  })) << "stored rows "
      << st.rows << ", records " << st.records << ", modules " << st.modules << ", ledger "
      << st.ledger << "\n"
      << smbtad_->log();
  ASSERT_TRUE(store::installed_rollups(*conn_).hourly) << "smbtad did not install the rollups";
  ASSERT_TRUE(store::installed_rollups(*conn_).files)
      << "smbtad --file-rollup 1 did not install it";

  // --- Totals against the bytes sent, in both modes. ---
  std::vector<Record> sent = s.first;
  sent.insert(sent.end(), s.second.begin(), s.second.end());
  auto client = net::connect_tcp("127.0.0.1", qport_);
  auto enc_client = net::connect_tcp("127.0.0.1", qport_);
  {
    const char* q = "global, total r, total w, total rw;";
    const std::pair<bool (*)(Op), const char*> modes[] = {
        {is_read, "r"}, {is_write, "w"}, {is_read_write, "rw"}};
    for (const auto& [mode_name, tables] :
         {std::pair{"direct", direct(q, test_now())},
          std::pair{"client port", query_over_socket(client.get(), q, kTimeoutMs)}}) {
      ASSERT_EQ(tables.size(), 3u) << mode_name;
      for (std::size_t i = 0; i < 3; ++i) {
        const auto& row = tables[i].rows.at(0);
        EXPECT_EQ(std::get<std::int64_t>(row.at(0)), sum_bytes(sent, modes[i].first))
            << mode_name << ", total " << modes[i].second;
        EXPECT_EQ(std::get<std::int64_t>(row.at(1)), count_records(sent, modes[i].first))
            << mode_name << ", total " << modes[i].second;
      }
    }
  }

  // --- 1.2.x tools on the compatibility view of what smbtad stored. ---
  expect_126_view_shapes(*db_->raw());

  // --- Every golden query in every format: golden files, both modes, rollups or not. ---
  const RunSettings run_set = run_settings();
  for (const auto& g : kGolden) {
    SCOPED_TRACE(g.query);
    const Handling* h = handling(g.name);
    ASSERT_NE(h, nullptr) << g.name << ": say in kHandling how it depends on the clock";
    const auto at_test_now = direct(g.query, test_now());
    EXPECT_TRUE(at_test_now == direct(g.query, test_now(), false))
        << "rollups and raw events disagree";

    const auto golden = render_all(normalized(at_test_now, run_set));
    for (std::size_t i = 0; i < std::size(kFormats); ++i) {
      const std::string path = std::string(h->own_golden ? GOLDEN_SMBTAD_DIR : GOLDEN_DIR) + "/" +
                               g.name + "." + kFormats[i].second;
      files.check(path, golden[i], "(direct mode)", h->own_golden);
    }

    // The client port, against direct mode at the daemon's clock of the answer.
    std::optional<std::int64_t> now;
    std::vector<ResultTable> net;
    for (int attempt = 0; attempt < 3 && !now; ++attempt) {
      const std::int64_t t0 = local_now_ms();
      net = query_over_socket(client.get(), g.query, kTimeoutMs);
      const std::int64_t t1 = local_now_ms();
      now = daemon_now(h->clock, net, t0, t1);
    }
    ASSERT_TRUE(now.has_value()) << "no answer of a known clock";
    const auto reference = h->clock == Clock::kNone ? at_test_now : direct(g.query, *now);
    EXPECT_TRUE(net == reference) << "the decoded tables differ from direct mode's";
    const auto net_text = render_all(net), ref_text = render_all(reference);
    for (std::size_t i = 0; i < std::size(kFormats); ++i)
      EXPECT_EQ(net_text[i], ref_text[i]) << kFormats[i].second << ": client port != direct mode";

    if (h->clock != Clock::kNone) continue;
    // Encrypted requests (the module key is the client key) get the same answer.
    EXPECT_TRUE(query_over_socket(enc_client.get(), g.query, kTimeoutMs, &key_) == net)
        << "encrypted exchange differs";
    // The smbtaquery program in both modes. csv only: it is the one format without the
    // footer, which shows the program's own clock.
    const auto csv = render(Format::kCsv, net, RenderOptions{test_now(), "2.0.0"});
    const auto by_net =
        run_smbtaquery(home_.path(), {"-h", "127.0.0.1", "-i", std::to_string(qport_), "-k",
                                      key_path_, "-o", "csv", "-q", g.query});
    EXPECT_EQ(by_net.status, 0) << by_net.err;
    EXPECT_EQ(by_net.out, csv) << "smbtaquery over the client port";
    auto direct_args = db_args_;
    direct_args.insert(direct_args.end(), {"-o", "csv", "-q", g.query});
    const auto by_db = run_smbtaquery(home_.path(), direct_args);
    EXPECT_EQ(by_db.status, 0) << by_db.err;
    EXPECT_EQ(by_db.out, csv) << "smbtaquery in direct mode";
  }

  EXPECT_EQ(smbtad_->stop(), 0) << smbtad_->log();
}

INSTANTIATE_TEST_SUITE_P(Drivers, SmbtadGoldenTest, ::testing::Values("sqlite3", "pgsql", "mysql"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace smbta::query::testing

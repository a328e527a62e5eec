// SPDX-License-Identifier: GPL-3.0-or-later
// Every function of the language against the known records, on both drivers, with and without
// the rollup table: totals must equal the bytes that were stored.
#include <gtest/gtest.h>

#include "query/query_fixture.h"
#include "smbta/timestamp.h"
#include "store/rollup.h"

namespace smbta::query::testing {
namespace {

std::int64_t bytes_of(const ResultTable& t, std::size_t row = 0, std::size_t col = 0) {
  return std::get<std::int64_t>(t.rows.at(row).at(col));
}
std::string text_of(const ResultTable& t, std::size_t row, std::size_t col) {
  return std::get<std::string>(t.rows.at(row).at(col));
}

class EngineTest : public QueryTest {};

TEST_P(EngineTest, TotalsEqualTheBytesStored) {
  auto r = q("global, total r, total w, total rw;");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(bytes_of(r[0]), known_bytes('r'));
  EXPECT_EQ(bytes_of(r[1]), known_bytes('w'));
  EXPECT_EQ(bytes_of(r[2]), known_bytes('b'));
  EXPECT_EQ(r[2].title, "Total number of bytes transferred globally.");
  // Records count the merged records, not rows: 1+3+1+1+1+1+1+1+1 R/W records.
  EXPECT_EQ(std::get<std::int64_t>(r[2].rows[0][1]), 11);
}

TEST_P(EngineTest, ObjectsCombineAndTimeRangesCut) {
  EXPECT_EQ(bytes_of(q("share pool, total rw;")[0]), known_bytes('b', "", "pool"));
  EXPECT_EQ(bytes_of(q("user tom, total rw;")[0]), known_bytes('b', "tom"));
  EXPECT_EQ(bytes_of(q("user tom, share data, total rw;")[0]), 250000);
  EXPECT_EQ(bytes_of(q("file readme, share data, total r;", false)[0]), 1536);
  EXPECT_EQ(bytes_of(q("domain OTHER, total rw;")[0]), 1536);
  // Since today: drops the record of the day before (100 bytes).
  EXPECT_EQ(bytes_of(q("global since today, total rw;")[0]), known_bytes('b') - 100);
  // Edges inside hours (raw part) and whole hours (rollup part) add up.
  EXPECT_EQ(bytes_of(q("global from '2011-07-18 09:10:00' to '2011-07-18 14:30:00', total rw;")[0]),
            40960 + 1000 + 10485760 + 4096 + 250000);
  EXPECT_EQ(bytes_of(q("global from 2011-07-18 09:59:59 to 2011-07-18 10:05:00, total r;")[0]),
            1000);
  EXPECT_EQ(bytes_of(q("global from yesterday to today, total rw;")[0]), 100);
  EXPECT_EQ(
      bytes_of(q("domain EXAMPLE, user holger since 09:00, share pool since 10:00, total rw;")[0]),
      10485760 + 2048);
}

TEST_P(EngineTest, IdentificationBySid) {
  try {
    q("user holger, total rw;");
    FAIL() << "ambiguous user accepted";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), QueryError::Kind::kAmbiguous);
    EXPECT_NE(std::string(e.what()).find("S-1-5-21-2-1000 in domain OTHER"), std::string::npos);
  }
  EXPECT_EQ(bytes_of(q("user holger sid S-1-5-21-2-1000, total rw;")[0]), 1536);
  EXPECT_EQ(bytes_of(q("domain EXAMPLE, user holger, total rw;")[0]),
            known_bytes('b', "holger") - 1536);
  // -I 0 takes both.
  EXPECT_EQ(bytes_of(q("user holger, total rw;", false)[0]), known_bytes('b', "holger"));
  try {
    q("share nosuch, total rw;");
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), QueryError::Kind::kNoSuchObject);
  }
  EXPECT_EQ(bytes_of(q("share nosuch, total rw;", false)[0]), 0);
}

TEST_P(EngineTest, TopAndList) {
  auto top = q("global, top 3 users rw;")[0];
  ASSERT_EQ(top.rows.size(), 3u);
  EXPECT_EQ(text_of(top, 0, 1), "holger");
  EXPECT_EQ(text_of(top, 0, 2), "EXAMPLE");
  EXPECT_EQ(bytes_of(top, 0, 4), 40960 + 1000 + 10485760 + 2048);
  EXPECT_EQ(text_of(top, 1, 1), "tom");
  EXPECT_EQ(bytes_of(top, 1, 4), 100 + 4096 + 250000);
  auto asc = q("global, top 1 domains rw asc;")[0];
  EXPECT_EQ(text_of(asc, 0, 1), "OTHER");
  auto shares = q("global, top 5 shares w;")[0];
  ASSERT_EQ(shares.rows.size(), 3u);
  EXPECT_EQ(text_of(shares, 0, 1), "pool");
  EXPECT_EQ(text_of(shares, 1, 2), "EXAMPLE");
  // A share lists the domains of its users in the range, in both directions and under filters.
  auto rw = q("global, top 5 shares rw;")[0];
  ASSERT_EQ(rw.rows.size(), 3u);
  EXPECT_EQ(text_of(rw, 0, 1), "pool");
  EXPECT_EQ(bytes_of(rw, 0, 3), known_bytes('b', "", "pool"));
  EXPECT_EQ(text_of(rw, 1, 1), "data");
  EXPECT_EQ(text_of(rw, 1, 2), "EXAMPLE, OTHER");
  EXPECT_EQ(bytes_of(rw, 1, 3), 250000 + 1536);
  EXPECT_EQ(text_of(rw, 2, 1), "my share;");
  auto least = q("global, top 2 shares rw asc;")[0];
  ASSERT_EQ(least.rows.size(), 2u);
  EXPECT_EQ(text_of(least, 0, 1), "my share;");
  EXPECT_EQ(bytes_of(least, 0, 0), 1);
  EXPECT_EQ(text_of(least, 1, 1), "data");
  EXPECT_EQ(text_of(least, 1, 2), "EXAMPLE, OTHER");
  auto toms = q("user tom, top 5 shares rw;")[0];
  ASSERT_EQ(toms.rows.size(), 2u);
  EXPECT_EQ(text_of(toms, 0, 1), "data");
  EXPECT_EQ(text_of(toms, 0, 2), "EXAMPLE");
  EXPECT_EQ(text_of(toms, 1, 1), "pool");
  EXPECT_EQ(bytes_of(toms, 1, 3), 100 + 4096);
  auto files = q("share pool, top 2 files r;")[0];
  ASSERT_EQ(files.rows.size(), 2u);
  EXPECT_EQ(text_of(files, 0, 1), "/docs/a.odt");
  EXPECT_EQ(bytes_of(files, 0, 3), 41960);

  auto users = q("global, list users;")[0];
  ASSERT_EQ(users.rows.size(), 4u);
  EXPECT_EQ(text_of(users, 0, 0), "holger");
  EXPECT_EQ(text_of(users, 3, 0), "tom");
  EXPECT_EQ(q("share data, list domains;")[0].rows.size(), 2u);
  EXPECT_EQ(q("global, list shares;")[0].rows.size(), 4u);  // data twice (two domains)
  EXPECT_EQ(q("share pool, list files;")[0].rows.size(), 3u);
}

TEST_P(EngineTest, UsageThroughputLastActivitySearch) {
  auto u = q("global, usage rw;")[0];
  ASSERT_EQ(u.rows.size(), 24u);
  std::int64_t sum = 0;
  for (const auto& row : u.rows) sum += std::get<std::int64_t>(row[1]);
  EXPECT_EQ(sum, known_bytes('b'));
  EXPECT_EQ(std::get<std::int64_t>(u.rows[9][1]), 41960);
  EXPECT_EQ(std::get<std::int64_t>(u.rows[23][1]), 100);
  EXPECT_EQ(q("global, 24h_usage rw;")[0].rows, u.rows);

  auto tp = q("global, throughput 4 hours rw;")[0];
  ASSERT_EQ(tp.rows.size(), 4u);
  EXPECT_EQ(std::get<std::int64_t>(tp.rows[0][0]), test_now() - 4 * 3600000);
  EXPECT_EQ(std::get<std::int64_t>(tp.rows[0][1]), 250000 + 1536);
  EXPECT_EQ(std::get<std::int64_t>(tp.rows[2][1]), 777);
  EXPECT_EQ(std::get<std::int64_t>(tp.rows[3][1]), 2048);
  EXPECT_DOUBLE_EQ(std::get<double>(tp.rows[3][2]), 2048.0 / 3600.0);

  auto la = q("user tom, last_activity 2;")[0];
  ASSERT_EQ(la.rows.size(), 2u);
  EXPECT_EQ(text_of(la, 0, 1), "VFS:WRITE");
  EXPECT_EQ(text_of(la, 1, 7), "User tom created directory newdir (failed).");

  auto s = q("global, search %ool;")[0];
  ASSERT_EQ(s.rows.size(), 1u);
  EXPECT_EQ(text_of(s, 0, 0), "share");
  auto s2 = q("global, search readme;")[0];
  ASSERT_EQ(s2.rows.size(), 2u);  // the file on data, used by two domains
  EXPECT_EQ(text_of(s2, 0, 0), "file");
  EXPECT_GE(q("global, search S-1-5-21-1;")[0].rows.size(), 3u);
}

TEST_P(EngineTest, AFileNameOnSeveralSharesIsAmbiguous) {
  store::Row other = known_rows()[0];  // tom reads 100 bytes of /docs/b.txt on pool
  other.rec.share = "data";
  other.rec.length = 7;
  db_->open()->insert(std::span(&other, 1));
  try {
    q("file /docs/b.txt, total rw;");
    FAIL() << "a file on two shares was taken as one";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), QueryError::Kind::kAmbiguous);
    EXPECT_NE(std::string(e.what()).find("2 shares:\n  data\n  pool"), std::string::npos)
        << e.what();
  }
  // A share object, before or after the file, says which one; -I 0 takes both.
  EXPECT_EQ(bytes_of(q("share data, file /docs/b.txt, total rw;")[0]), 7);
  EXPECT_EQ(bytes_of(q("file /docs/b.txt, share pool, total rw;")[0]), 100 + 4096);
  EXPECT_EQ(bytes_of(q("file /docs/b.txt, total rw;", false)[0]), 100 + 4096 + 7);
  // A file on one share needs no share object.
  EXPECT_EQ(bytes_of(q("file /docs/a.odt, total w;")[0]), 10485760);
}

TEST_P(EngineTest, SystemFunctions) {
  auto r = q("system, smbtad-report short, self-check offline;");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(text_of(r[0], 0, 2), "2.0.0");
  ASSERT_EQ(r[1].rows.size(), 4u);
  EXPECT_EQ(text_of(r[1], 3, 1), "192.168.1.10");
}

TEST_P(EngineTest, RollupFollowsPurgeAndAccumulate) {
  store::install_rollups(*conn_, {true, true});
  auto store = db_->open();
  // An accumulate row grows holger's read at 09:10 by 5 bytes.
  store::Row grow = known_rows()[2];
  grow.rec.length = 5;
  grow.merged = 1;
  grow.accumulate = true;
  grow.bucket_start_ms = grow.rec.timestamp_ms;
  grow.bucket_ms = 5000;
  store->insert(std::span(&grow, 1));
  store->purge_older_than(*parse_timestamp("2011-07-18 00:00:00"));
  QueryOptions with, without;
  with.now_ms = without.now_ms = test_now();
  without.use_rollups = false;
  for (const char* text :
       {"global, total rw;", "global, usage rw;", "global, top 5 users rw;", "global, list users;",
        "global, top 5 files rw;", "global, list files;", "global, search a;"}) {
    EXPECT_EQ(run(text, *conn_, with), run(text, *conn_, without)) << text;
  }
  EXPECT_EQ(bytes_of(run("global, total rw;", *conn_, with)[0]), known_bytes('b') - 100 + 5);
  EXPECT_EQ(bytes_of(run("global, top 1 files r;", *conn_, with)[0], 0, 3), 40960 + 1000 + 5);
}

// The file rollup serves the whole days of a range; the partial days at its edges come from the
// events. Every split must give what the events alone give.
TEST_P(EngineTest, FileQueriesAgreeWithAndWithoutTheRollup) {
  store::install_rollups(*conn_, {true, true});
  QueryOptions with, without;
  with.now_ms = without.now_ms = test_now();
  without.use_rollups = false;
  for (const char* range :
       {"global", "global since 2011-07-01", "global since 2011-07-18 10:00",
        "global from 2011-07-01 12:00 to 2011-07-18 10:15", "global from 2011-07-17 to 2011-07-19",
        "share pool from 2011-07-10 to 2011-07-18 09:30", "user tom since 2011-07-17 23:30",
        "domain OTHER, share data since 2011-07-01 00:00:01"}) {
    for (const char* fn : {"top 10 files r;", "top 10 files w;", "top 10 files rw asc;",
                           "list files;", "search docs;", "search %;"}) {
      const std::string text = std::string(range) + ", " + fn;
      EXPECT_EQ(run(text, *conn_, with), run(text, *conn_, without)) << text;
    }
  }
  // Whole days 07-02..07-17 from the rollup plus the edges: all of a.odt's reads up to 10:15
  // but not its 10:05 write; b.txt's 100 bytes on 07-17 and 4096 on 07-18.
  auto t = run("global from 2011-07-01 12:00 to 2011-07-18 10:15, top 10 files r;", *conn_, with);
  ASSERT_GE(t[0].rows.size(), 2u);
  EXPECT_EQ(text_of(t[0], 0, 1), "/docs/a.odt");
  EXPECT_EQ(bytes_of(t[0], 0, 3), 40960 + 1000);
  EXPECT_EQ(text_of(t[0], 1, 1), "/docs/b.txt");
  EXPECT_EQ(bytes_of(t[0], 1, 3), 100);
}

// `search` finds a file's days in the daily file rollup through its file_id index instead of
// reading every row of the range. A database whose file rollup predates the index gets it at the
// next install (smbtad's start or -T, smbtaquery --install-rollups), also when that start does not
// choose the file rollup; the answers equal the events' answers.
TEST_P(EngineTest, SearchReadsTheFileRollupThroughItsFileIndex) {
  store::install_rollups(*conn_, {true, true});
  auto has_index = [&] {
    store::DbiResult r = conn_->query(
        conn_->is_sqlite()  ? "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = "
                              "'smbta_rollup_files_file' AND tbl_name = 'smbta_rollup_files'"
        : conn_->is_pgsql() ? "SELECT count(*) FROM pg_indexes WHERE tablename = "
                              "'smbta_rollup_files' AND indexname = 'smbta_rollup_files_file'"
                            : "SELECT count(*) FROM information_schema.statistics WHERE "
                              "table_schema = DATABASE() AND table_name = 'smbta_rollup_files' "
                              "AND index_name = 'smbta_rollup_files_file'");
    return r.next() && r.get_int(1).value_or(0) > 0;
  };
  EXPECT_TRUE(has_index());
  conn_->exec(conn_->is_mysql() ? "DROP INDEX smbta_rollup_files_file ON smbta_rollup_files"
                                : "DROP INDEX smbta_rollup_files_file");
  ASSERT_FALSE(has_index());
  store::install_rollups(*conn_, {true, false});  // smbtad started without --file-rollup
  EXPECT_TRUE(has_index());

  QueryOptions with, without;
  with.now_ms = without.now_ms = test_now();
  without.use_rollups = false;
  std::vector<std::string> statements;
  with.on_sql = [&](std::string_view sql) { statements.emplace_back(sql); };
  // 07-17 is a whole day (rollup only); since 07-01 adds 07-18's events at the edge.
  auto b = run("global from 2011-07-17 to 2011-07-18, search b.txt;", *conn_, with)[0];
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_EQ(text_of(b, 0, 0), "file");
  EXPECT_EQ(text_of(b, 0, 1), "/docs/b.txt");
  EXPECT_EQ(text_of(b, 0, 2), "pool");
  EXPECT_EQ(text_of(b, 0, 4), "EXAMPLE");
  statements.clear();
  auto d = run("global since 2011-07-01, search docs;", *conn_, with)[0];
  ASSERT_EQ(d.rows.size(), 3u);
  EXPECT_EQ(text_of(d, 0, 1), "/docs/<b>&.html");
  EXPECT_EQ(text_of(d, 1, 1), "/docs/a.odt");
  EXPECT_EQ(text_of(d, 2, 1), "/docs/b.txt");
  // sqlite3's plan is fixed by its rules (no statistics): the file statement must use the index.
  if (conn_->is_sqlite()) {
    bool read_rollup = false;
    for (const auto& sql : statements) {
      if (sql.find("FROM smbta_rollup_files r") == std::string::npos) continue;
      read_rollup = true;
      std::string plan;
      for (store::DbiResult p = conn_->query("EXPLAIN QUERY PLAN " + sql); p.next();)
        plan += p.get_text(4).value_or("") + "\n";
      EXPECT_NE(plan.find("smbta_rollup_files_file"), std::string::npos) << sql << "\n" << plan;
      EXPECT_EQ(plan.find("SCAN r"), std::string::npos) << sql << "\n" << plan;
    }
    EXPECT_TRUE(read_rollup);
  }
  for (const char* text :
       {"global, search docs;", "global since 2011-07-01, search docs;",
        "global from 2011-07-17 to 2011-07-19, search b.txt;", "share data, search readme;",
        "user tom since 2011-07-10, search %;", "global, search nosuchfile;"}) {
    EXPECT_EQ(run(text, *conn_, with), run(text, *conn_, without)) << text;
  }
}

// All-time file questions read the file totals (one row per file and kind, indexed by bytes):
// ranks with ties, both directions, per share, after a purge and a growth, and in a database whose
// file rollup predates the totals (filled at the next install) must equal the events' answers.
TEST_P(EngineTest, AllTimeFileQuestionsReadTheFileTotals) {
  store::install_rollups(*conn_, {true, true});
  ASSERT_TRUE(store::installed_rollups(*conn_).file_totals);
  auto store = db_->open();
  // Ties: three files of 700 bytes read, over two shares and users.
  std::vector<store::Row> ties;
  for (const char* path : {"/t/x", "/t/y", "/t/z"}) {
    store::Row r = known_rows()[0];
    r.rec.path = path;
    r.rec.length = 700;
    r.rec.share = path[3] == 'y' ? "data" : "pool";
    r.rec.timestamp_ms = *parse_timestamp("2011-07-18 12:00:00");
    ties.push_back(r);
  }
  ties.push_back(ties[0]);
  ties.back().rec.op = Op::kWrite;  // /t/x is also written: read+write 1400
  store->insert(ties);
  QueryOptions with, without;
  with.now_ms = without.now_ms = test_now();
  without.use_rollups = false;
  std::vector<std::string> statements;
  with.on_sql = [&](std::string_view sql) { statements.emplace_back(sql); };
  auto check_all = [&](const char* when) {
    for (const char* filter : {"global", "share pool", "share data"})
      for (const char* fn : {"top 1 files r", "top 2 files r", "top 3 files r", "top 4 files r",
                             "top 10 files w", "top 2 files rw", "top 3 files rw asc",
                             "top 1 files r asc", "top 100 files rw", "list files"}) {
        const std::string text = std::string(filter) + ", " + fn + ";";
        statements.clear();
        EXPECT_EQ(run(text, *conn_, with), run(text, *conn_, without)) << when << ": " << text;
        bool totals = false;
        for (const auto& s : statements)
          totals = totals || s.find("smbta_rollup_file_totals") != std::string::npos;
        EXPECT_TRUE(totals) << text << " did not read the file totals";
      }
  };
  check_all("after insert");
  // A file rollup installed before the totals existed: they are filled from it when the rollups
  // are installed again (smbtad's start).
  for (const char* s : {"_ins", "_del", "_upd"})
    conn_->exec(std::string("DROP TRIGGER IF EXISTS smbta_rollup_file_totals") + s +
                (conn_->is_pgsql() ? " ON smbta_events" : ""));
  conn_->exec("DROP TABLE smbta_rollup_file_totals");
  EXPECT_FALSE(store::installed_rollups(*conn_).file_totals);
  EXPECT_TRUE(store::installed_rollups(*conn_).files);
  store::install_rollups(*conn_, {true, true});
  ASSERT_TRUE(store::installed_rollups(*conn_).file_totals);
  check_all("after backfill");
  // Growth of a stored row and retention are subtracted and added exactly.
  store::Row grow = known_rows()[2];
  grow.rec.length = 5;
  grow.accumulate = true;
  grow.bucket_start_ms = grow.rec.timestamp_ms;
  grow.bucket_ms = 5000;
  store->insert(std::span(&grow, 1));
  store->purge_older_than(*parse_timestamp("2011-07-18 00:00:00"));
  check_all("after growth and purge");
  EXPECT_EQ(bytes_of(run("global, top 1 files r;", *conn_, with)[0], 0, 3), 40960 + 1000 + 5);
}

class QueryErrorTest : public QueryTest {
 protected:
  std::string error(std::string_view text, QueryError::Kind* kind = nullptr) {
    try {
      q(text);
    } catch (const QueryError& e) {
      if (kind) *kind = e.kind();
      return e.what();
    }
    return "";
  }
};

TEST_P(QueryErrorTest, NamesInAnotherCaseAreSuggested) {
  QueryError::Kind kind{};
  std::string e = error("user Tom, total rw;", &kind);
  EXPECT_EQ(kind, QueryError::Kind::kNoSuchObject);
  EXPECT_NE(e.find("stored in another case: 'tom'"), std::string::npos) << e;
  e = error("share POOL, total rw;");
  EXPECT_NE(e.find("stored in another case: 'pool'"), std::string::npos) << e;
  e = error("domain example, total rw;");
  EXPECT_NE(e.find("stored in another case: 'EXAMPLE'"), std::string::npos) << e;
  // No spelling to suggest: no hint.
  e = error("user nobody, total rw;");
  EXPECT_EQ(e.find("another case"), std::string::npos) << e;
  EXPECT_NE(e.find("user 'nobody' does not exist"), std::string::npos) << e;
}

TEST_P(QueryErrorTest, TwoUsersAreBlamedOnTheCombination) {
  QueryError::Kind kind{};
  // Both users exist: the message must say that they were ANDed, not that one is missing.
  std::string e = error("user tom, user holger sid S-1-5-21-2-1000, total rw;", &kind);
  EXPECT_EQ(kind, QueryError::Kind::kNoSuchObject);
  EXPECT_NE(e.find("user 'tom' and user 'holger'"), std::string::npos) << e;
  EXPECT_NE(e.find("objects are ANDed"), std::string::npos) << e;
  EXPECT_EQ(e.find("does not exist"), std::string::npos) << e;
  // A user and a domain that do not go together, in either order.
  e = error("domain OTHER, user tom, total rw;");
  EXPECT_NE(e.find("user 'tom' (the object at column 15) is not in domain 'OTHER'"),
            std::string::npos)
      << e;
  e = error("user tom, domain OTHER, total rw;");
  EXPECT_NE(e.find("user 'tom' is not in domain 'OTHER'"), std::string::npos) << e;
}

TEST_P(QueryErrorTest, LastActivityKeepsSessionOrderAndLeavesChdirOut) {
  // One millisecond after the known rows: chdir, open of the share root, open, write, close.
  const std::int64_t ts = *parse_timestamp("2011-07-18 17:59:30.250");
  std::vector<store::Row> rows;
  auto add = [&](Op op, const char* path, std::uint64_t length) {
    store::Row r;
    r.rec.op = op;
    r.rec.user = "tom";
    r.rec.sid = "S-1-5-21-1-1001";
    r.rec.domain = "EXAMPLE";
    r.rec.share = "data";
    r.rec.path = path;
    r.rec.length = length;
    r.rec.timestamp_ms = ts;
    rows.push_back(r);
  };
  // Inserted in the op-id order that showed WRITE before OPEN.
  add(Op::kWrite, "notes.txt", 10);
  add(Op::kChdir, "/srv/data/sub", 0);
  add(Op::kOpen, "notes.txt", 0);
  add(Op::kOpen, ".", 0);
  add(Op::kClose, "notes.txt", 0);
  db_->open()->insert(rows);

  auto ops = [](const ResultTable& t) {
    std::vector<std::string> out;
    for (const auto& r : t.rows) out.push_back(std::get<std::string>(r.at(1)));
    return out;
  };
  auto la = q("global since 17:59:30, last_activity 10;")[0];
  EXPECT_EQ(ops(la), (std::vector<std::string>{"VFS:OPEN", "VFS:OPEN", "VFS:WRITE", "VFS:CLOSE"}));
  bool root = false;
  for (const auto& r : la.rows)
    if (std::get<std::string>(r.at(5)) == ".")
      root = std::get<std::string>(r.at(7)) == "User tom opened the share's top directory.";
  EXPECT_TRUE(root) << "the open of . reads as the share's top directory";
  auto with = q("global since 17:59:30, last_activity 10 with chdir;")[0];
  EXPECT_EQ(ops(with), (std::vector<std::string>{"VFS:CHDIR", "VFS:OPEN", "VFS:OPEN", "VFS:WRITE",
                                                 "VFS:CLOSE"}));
  // The newest N are the last N in that order.
  auto two = q("global since 17:59:30, last_activity 2;")[0];
  EXPECT_EQ(ops(two), (std::vector<std::string>{"VFS:WRITE", "VFS:CLOSE"}));
}

TEST_P(QueryErrorTest, SelfCheckShowsTheDropsModulesReported) {
  store::ModuleInfo m;
  m.peer = "192.168.1.10";
  m.common_blocks_overflow = 1;
  m.dropped_records = 5;
  m.dropped_bytes = 900;
  auto s = db_->open();
  s->note_module(m);
  m.dropped_records = 2;
  m.dropped_bytes = 300;
  s->note_module(m);
  auto t = q("system, self-check;")[0];
  const auto& row = t.rows.back();
  EXPECT_EQ(std::get<std::int64_t>(row.at(5)), 7);
  const auto& comment = std::get<std::string>(row.at(6));
  EXPECT_NE(comment.find("reported 7 records (1200 bytes) it could not deliver"), std::string::npos)
      << comment;
  EXPECT_EQ(t.columns.at(4).label, "Extra header blocks");
}

SMBTA_QUERY_PARAMS(QueryErrorTest);
SMBTA_QUERY_PARAMS(EngineTest);

}  // namespace
}  // namespace smbta::query::testing

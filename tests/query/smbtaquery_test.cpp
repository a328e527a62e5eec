// SPDX-License-Identifier: GPL-3.0-or-later
// The smbtaquery program: options, exit codes, output files, conversion, keys, network errors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "query/query_fixture.h"
#include "store/event_store.h"
#include "store/rollup.h"
#include "support/files.h"
#include "support/legacy_schema.h"
#include "support/process.h"

namespace smbta::query::testing {
namespace {

namespace fs = std::filesystem;

using smbta::testing::read_file;
using smbta::testing::RunResult;

// Why: each test gets a private HOME (no stray config file) and a sqlite database filled with
// the known records.
class SmbtaqueryTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_ / "staddb"; }
  void fill() {
    store::DbParams p;
    p.name = db_.string();
    auto s = store::EventStore::open(p);
    s->create_schema();
    const auto rows = known_rows();
    s->insert(rows);
  }
  RunResult run(std::vector<std::string> args) {
    args.insert(args.begin(), SMBTAQUERY_BINARY);
    return smbta::testing::run(
        args, smbta::testing::output_files(dir_, "smbtaquery", {"HOME=" + dir_.string()}));
  }
  std::vector<std::string> db_args() { return {"-M", "sqlite3", "-N", db_.string()}; }
  std::vector<std::string> with_db(std::vector<std::string> more) {
    auto a = db_args();
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  const smbta::testing::TempDir home_{"smbtaquery"};
  const fs::path& dir_ = home_.path();
  fs::path db_;
};

bool contains(const std::string& s, std::string_view what) {
  return s.find(what) != std::string::npos;
}

TEST_F(SmbtaqueryTest, OptionErrorsNameTheOption) {
  auto r = run({});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "not enough arguments")) << r.err;
  r = run({"-Z"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "unknown option '-Z'")) << r.err;
  EXPECT_TRUE(contains(r.err, "usage: smbtaquery"));
  r = run({"--bogus", "-q", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "'--bogus'")) << r.err;
  r = run({"-o", "pdf", "-q", "global, total r;"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "-o/--output: unknown format 'pdf'")) << r.err;
  r = run({"-I", "2", "-q", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "-I/--identify")) << r.err;
  r = run({"-q"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "needs an argument")) << r.err;
  r = run({"-M", "oracle", "-q", "global, total r;"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "-M/--dbdriver")) << r.err;
  r = run({"-t", "-C"});
  EXPECT_EQ(r.status, 1);
  r = run({"--dry-run", "-q", "global, total r;"});
  EXPECT_EQ(r.status, 1);
}

TEST_F(SmbtaqueryTest, InformationalOptions) {
  auto r = run({"-v"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "2.0.0\n");
  r = run({"-p"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "Interpreter commands"));
  EXPECT_EQ(run({"--help"}).status, 0);
  EXPECT_EQ(run({"-?"}).status, 0);
}

TEST_F(SmbtaqueryTest, QueriesAndExitCodes) {
  auto r = run(with_db({"-t"}));
  EXPECT_EQ(r.status, 2) << r.out << r.err;  // no schema yet
  fill();
  r = run(with_db({"-t"}));
  EXPECT_EQ(r.status, 0) << r.err;
  // No blank line first, and the database it reached by its full path.
  EXPECT_EQ(r.out, "Database connection successful (" + db_.string() + ").\n");

  r = run(with_db({"-q", "global, total rw;", "-o", "json"}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "\"bytes\": " + std::to_string(known_bytes('b')))) << r.out;
  r = run(with_db({"-q", "share pool, total w;"}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "10.0 MiB")) << r.out;

  r = run(with_db({"-q", "global, totl rw;"}));
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "did you mean 'total'")) << r.err;
  EXPECT_TRUE(contains(r.err, "^^^^")) << r.err;
  EXPECT_TRUE(r.out.empty());
  r = run(with_db({"-q", "share nosuch, total rw;"}));
  EXPECT_EQ(r.status, 3);
  r = run(with_db({"-q", "user holger, total rw;"}));
  EXPECT_EQ(r.status, 3);
  EXPECT_TRUE(contains(r.err, "ambiguous")) << r.err;
  EXPECT_EQ(run(with_db({"-I", "0", "-q", "user holger, total rw;"})).status, 0);

  r = run(with_db({"-d", "1", "-q", "global, total r;"}));
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.err, "SQL-QUERY: SELECT")) << r.err;

  const fs::path xml = dir_ / "out.xml";
  r = run(with_db({"-x", xml.string(), "-q", "global, total r;"}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(contains(read_file(xml), "<totalvalue>"));

  const fs::path qf = dir_ / "queries";
  std::ofstream(qf) << "# comment\n\nglobal, total r;\nshare pool, list files;";
  r = run(with_db({"-f", qf.string(), "-o", "csv"}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "/docs/a.odt,pool")) << r.out;
  std::ofstream(qf) << "global, total r;\nglobal, bogus;\n";
  r = run(with_db({"-f", qf.string()}));
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "queries:2:")) << r.err;

  // No database server: exit 2.
  r = run({"-M", "pgsql", "-N", "x", "-H", "127.0.0.1", "--dbport", "1", "-q", "global, total r;"});
  EXPECT_EQ(r.status, 2) << r.err;
  // smbtad not listening: exit 2.
  r = run({"-h", "127.0.0.1", "-i", "1", "-q", "global, total r;"});
  EXPECT_EQ(r.status, 2) << r.err;
}

TEST_F(SmbtaqueryTest, AMissingDatabaseIsAnErrorNamingItsPathAndIsNotCreated) {
  // A typo in -N: no empty file appears, the message names the path, -t exits 2.
  const fs::path typo = dir_ / "typo";
  auto r = run({"-N", typo.string(), "-t"});
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "there is no sqlite3 database at " + typo.string())) << r.err;
  EXPECT_FALSE(fs::exists(typo));
  EXPECT_TRUE(r.out.empty()) << r.out;
  // The default database ($HOME/.smbtad/staddb): neither it nor its directory is created.
  r = run({"-q", "global, total rw;"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, (dir_ / ".smbtad" / "staddb").string())) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / ".smbtad"));
  // A file without the schema: the message names it and does not claim smbtad never ran.
  std::ofstream(dir_ / "empty").flush();
  r = run({"-N", (dir_ / "empty").string(), "-q", "global, total rw;"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, (dir_ / "empty").string() + " holds no smbta schema")) << r.err;
  EXPECT_TRUE(contains(r.err, "is it the database smbtad was given?")) << r.err;
}

TEST_F(SmbtaqueryTest, NetworkKeysInTheConfigFileSelectNetworkMode) {
  fill();
  const fs::path conf = dir_ / "smbtatools.config";
  // smbtad's address only (the 1.2.x spellings): queries and -t go to smbtad. Nothing listens
  // on port 1, so the error names the address instead of a database.
  std::ofstream(conf) << "[network]\nsmbta_host_name = 127.0.0.1\nsmbta_port_number = 1\n";
  auto r = run({"-c", conf.string(), "-q", "global, total rw;"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "127.0.0.1 port 1")) << r.err;
  r = run({"-c", conf.string(), "-t"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "127.0.0.1 port 1")) << r.err;
  // A database on the command line wins.
  r = run({"-c", conf.string(), "-N", db_.string(), "-q", "global, total rw;"});
  EXPECT_EQ(r.status, 0) << r.err;
  // -C and --install-rollups always work on the database.
  EXPECT_EQ(run({"-c", conf.string(), "-N", db_.string(), "-C"}).status, 0);
  // A file naming a database too (shared with smbtamonitor): direct mode, as before.
  std::ofstream(conf) << "[network]\nsmbta_host_name = 127.0.0.1\nsmbta_port_number = 1\n"
                      << "[database]\nname = " << db_.string() << "\n";
  r = run({"-c", conf.string(), "-q", "global, total rw;"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(SmbtaqueryTest, KeyCreation) {
  const fs::path key = dir_ / "key";
  auto r = run({"-K", key.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 16);
  EXPECT_NE(run({"-K", key.string()}).status, 0);  // never overwrites
}

TEST_F(SmbtaqueryTest, ConvertOption) {
  {
    store::DbParams p;
    p.name = db_.string();
    store::DbiConnection db(p);
    smbta::testing::create_126_schema(db);
    db.exec(
        "INSERT INTO data VALUES (0, 'u', 's', 'sh', 'd', '2011-07-18 10:00:00.000', 'f', "
        "123, NULL, NULL)");
  }
  auto r = run(with_db({"-q", "global, total r;"}));
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "smbtaquery -C")) << r.err;
  r = run(with_db({"-C", "--dry-run"}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "Would convert 1 rows")) << r.out;
  r = run(with_db({"-C"}));
  EXPECT_EQ(r.status, 0) << r.err;
  r = run(with_db({"-C"}));
  EXPECT_TRUE(contains(r.out, "Nothing to convert")) << r.out;
  r = run(with_db({"-q", "global, total r;", "-o", "csv"}));
  EXPECT_TRUE(contains(r.out, "123,1")) << r.out;
  EXPECT_EQ(run(with_db({"--install-rollups"})).status, 0);
  r = run(with_db({"-q", "global, total r;", "-o", "csv"}));
  EXPECT_TRUE(contains(r.out, "123,1")) << r.out;
  {
    store::DbParams p;
    p.name = db_.string();
    store::DbiConnection db(p);
    const store::RollupSet s = store::installed_rollups(db);
    EXPECT_TRUE(s.hourly);
    EXPECT_FALSE(s.files) << "the file rollup is opt-in";
  }
  // The file rollup is filled from the converted events; top files reads it.
  r = run(with_db({"--install-file-rollup"}));
  EXPECT_EQ(r.status, 0) << r.err;
  {
    store::DbParams p;
    p.name = db_.string();
    store::DbiConnection db(p);
    EXPECT_TRUE(store::installed_rollups(db).files);
  }
  r = run(with_db({"-q", "global, top 1 files r;", "-o", "csv"}));
  EXPECT_TRUE(contains(r.out, "1,f,sh,123")) << r.out;
  EXPECT_EQ(run(with_db({"--install-file-rollup", "--install-rollups"})).status, 0)
      << "both name the same action";
  EXPECT_EQ(run(with_db({"--install-file-rollup", "-C"})).status, 1);  // usage error
}

}  // namespace
}  // namespace smbta::query::testing

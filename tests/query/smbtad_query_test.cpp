// SPDX-License-Identifier: GPL-3.0-or-later
// smbtaquery's network mode against a real smbtad fed over its module port.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

#include "client/query_client.h"
#include "query/query_fixture.h"
#include "query/result_codec.h"
#include "smbta/key_file.h"
#include "smbta/net.h"
#include "smbta/v2_codec.h"
#include "support/command_line.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"

namespace smbta::query::testing {
namespace {

using smbta::client::query_over_socket;

using smbta::testing::ScopedEnv;
using smbtad::testing::SmbtadProcess;

int another_free_port(int taken) {
  int p = smbtad::testing::free_port();
  while (p == taken) p = smbtad::testing::free_port();
  return p;
}

// Why: the client-port tests each need an smbtad on a fresh sqlite database, modules and clients
// on two free TCP ports.
struct SqliteSmbtad {
  smbtad::testing::TempDir home;
  store::testing::TestDb db{"sqlite3"};
  int port = smbtad::testing::free_port();
  int qport = another_free_port(port);
  SmbtadProcess smbtad{{"-M", "sqlite3", "-N", db.params().sqlite_dbdir + "/" + db.params().name,
                        "-i", std::to_string(port), "-q", std::to_string(qport), "-p", "0"},
                       home.path(),
                       port};
};

TEST(SmbtadQuery, ClientPortAnswersQueries) {
  SqliteSmbtad s;
  auto& [home, db, port, qport, smbtad] = s;
  auto fd = smbtad::testing::connect_module(port);
  std::string frames;
  std::size_t rw = 0;
  for (const auto& row : known_rows()) {
    frames += encode_frame(row.rec);
    rw += is_read_write(row.rec.op);
  }
  smbtad::testing::send_all(fd.get(), frames);
  auto raw = db.raw();
  ASSERT_TRUE(smbtad::testing::eventually([&] {
    try {
      auto r = raw->query("SELECT COUNT(*) FROM smbta_events");
      return r.next() && r.get_int(1).value_or(0) == static_cast<std::int64_t>(known_rows().size());
    } catch (const std::exception&) {
      return false;
    }
  })) << smbtad.log();

  auto client = net::connect_tcp("127.0.0.1", qport);
  const std::vector<ResultTable> r =
      query_over_socket(client.get(), "global, total rw, list users;", 20000);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(std::get<std::int64_t>(r[0].rows.at(0).at(0)), known_bytes('b'));
  EXPECT_EQ(std::get<std::int64_t>(r[0].rows.at(0).at(1)), static_cast<std::int64_t>(rw));
  EXPECT_EQ(r[1].rows.size(), 4u);
  // Errors come back with their kind, and the connection stays usable.
  try {
    query_over_socket(client.get(), "global, totl rw;", 20000);
    ADD_FAILURE() << "no error";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.kind(), QueryError::Kind::kSyntax) << e.what();
  }
  EXPECT_EQ(query_over_socket(client.get(), "global, total r;", 20000).size(), 1u);
}

// Issue 13 item 1: one query of 41 quotes over the client port used to abort smbtad ("buffer
// overflow detected" in libdbd-sqlite3), losing the records it held. Now it is answered, and
// smbtad goes on storing and answering.
TEST(SmbtadQuery, ALongSearchPatternIsAnsweredAndSmbtadGoesOn) {
  SqliteSmbtad s;
  auto& [home, db, port, qport, smbtad] = s;
  auto fd = smbtad::testing::connect_module(port);
  smbtad::testing::send_all(fd.get(), encode_frame(smbta::testing::example_record(Op::kWrite)));
  auto client = net::connect_tcp("127.0.0.1", qport);
  for (const std::string& pattern : {std::string(41, '\''), std::string(4096, '\'')}) {
    const auto r = query_over_socket(client.get(), "global, search \"" + pattern + "\";", 20000);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].rows.empty());
  }
  // Still alive: a record sent after the queries is stored and counted.
  smbtad::testing::send_all(fd.get(), encode_frame(smbta::testing::example_record(Op::kRead)));
  ASSERT_TRUE(smbtad::testing::eventually([&] {
    try {
      const auto r = query_over_socket(client.get(), "global, total rw;", 20000);
      return std::get<std::int64_t>(r.at(0).rows.at(0).at(1)) == 2;
    } catch (const std::exception&) {
      return false;
    }
  })) << smbtad.log();
}

TEST(SmbtadQuery, EncryptedQueriesWithTheSharedKey) {
  smbtad::testing::TempDir home;
  const auto key_path = (home.path() / "key").string();
  const AesKey key = create_key_file(key_path);
  const int port = smbtad::testing::free_port();
  SmbtadProcess smbtad(
      {"-i", std::to_string(port), "-p", "0", "-k", key_path, "--require-client-key"}, home.path(),
      port);
  auto module = smbtad::testing::connect_module(port);
  Record r = smbta::testing::example_record(Op::kWrite);
  r.length = 4242;
  smbtad::testing::send_all(module.get(), encode_frame(r));
  auto client = net::connect_tcp("127.0.0.1", port + 1);
  ASSERT_TRUE(smbtad::testing::eventually([&] {
    const auto t = query_over_socket(client.get(), "global, total w;", 20000, &key);
    return !t.empty() && !t[0].rows.empty() && std::get<std::int64_t>(t[0].rows[0][0]) == 4242;
  })) << smbtad.log();
  // Without the key the same smbtad refuses, and says why.
  auto plain = net::connect_tcp("127.0.0.1", port + 1);
  try {
    query_over_socket(plain.get(), "global, total w;", 20000);
    ADD_FAILURE() << "an unencrypted query was answered";
  } catch (const QueryError& e) {
    EXPECT_NE(std::string(e.what()).find("encrypted"), std::string::npos) << e.what();
  }
  EXPECT_EQ(smbtad.stop(), 0);
}

// Resident set size of a process in KiB, from /proc (0 when unreadable).
long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

// smbtad runs for months and every smbtaquery run over the client port is a connection: the
// memory of closed client sessions must be given back, not kept until smbtad exits.
TEST(SmbtadQuery, ClosedClientSessionsAreFreed) {
  smbtad::testing::TempDir home;
  // AddressSanitizer keeps freed memory in quarantine, which would look like growth.
  const char* asan = std::getenv("ASAN_OPTIONS");
  ScopedEnv env("ASAN_OPTIONS", std::string(asan ? asan : "") +
                                    ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0");
  const int port = smbtad::testing::free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-p", "0"}, home.path(), port);
  auto module = smbtad::testing::connect_module(port);
  Record r = smbta::testing::example_record(Op::kWrite);
  r.length = 77;
  smbtad::testing::send_all(module.get(), encode_frame(r));
  auto cycles = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto client = net::connect_tcp("127.0.0.1", port + 1);
      const auto t = query_over_socket(client.get(), "global, total w;", 20000);
      ASSERT_EQ(t.size(), 1u);
    }
  };
  // The first cycles reach the steady state (allocator arenas, sqlite caches).
  cycles(1000);
  const long before = rss_kib(smbtad.pid());
  cycles(4000);
  const long after = rss_kib(smbtad.pid());
  ASSERT_GT(before, 0);
  EXPECT_LT(after - before, 4 * 1024)
      << "RSS grew from " << before << " KiB to " << after << " KiB over 4000 client connections";
  EXPECT_TRUE(smbtad.running());
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
}

}  // namespace
}  // namespace smbta::query::testing

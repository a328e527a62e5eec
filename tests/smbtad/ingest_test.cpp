// SPDX-License-Identifier: GPL-3.0-or-later
// A real smbtad fed by module-like clients; the database compared row by row with what was sent.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <random>
#include <thread>

#include "smbta/key_file.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "smbta/v2_codec.h"
#include "smbtad/db_rows.h"
#include "support/smbtad_process.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::Record;
using smbta::store::DbiConnection;
using smbta::store::testing::StoreTest;

using smbta::testing::random_records;

class Ingest : public StoreTest {
 protected:
  std::vector<std::string> args(int port, int precision) {
    auto a = database_args(db_->params());
    a.insert(a.end(), {"-i", std::to_string(port), "-p", std::to_string(precision)});
    return a;
  }
  bool wait_for_rows(std::uint64_t n) {
    auto db = db_->raw();
    return eventually([&] { return count_rows(*db) >= n; });
  }
  TempDir home_;
};

TEST_P(Ingest, StoresEveryRecordAtPrecisionZero) {
  const int port = free_port();
  const std::string key_path = (home_.path() / "key").string();
  smbta::LegacyCipher cipher(smbta::create_key_file(key_path));
  auto a = args(port, 0);
  a.insert(a.end(), {"-k", key_path});
  SmbtadProcess smbtad(a, home_.path(), port);
  // Three plain connections and one encrypted one, every op, 6, 7 and 8 common blocks.
  std::vector<Record> all;
  std::vector<std::thread> senders;
  for (int c = 0; c < 4; ++c) {
    auto records = random_records(400, 100 + c);
    all.insert(all.end(), records.begin(), records.end());
    senders.emplace_back([&, records, c] {
      auto fd = connect_module(port);
      send_all(fd.get(), frames(records, c == 3 ? &cipher : nullptr));
    });
  }
  for (auto& t : senders) t.join();
  ASSERT_TRUE(wait_for_rows(all.size())) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
  auto db = db_->raw();
  EXPECT_EQ(actual_rows(*db), expected_rows(all, 0));
}

TEST_P(Ingest, AggregatesReadsAndWritesExactlyAtPrecisionFive) {
  const int port = free_port();
  SmbtadProcess smbtad(args(port, 5), home_.path(), port);
  // Few keys, many records per 5 s bucket, read and pread mixed; other ops pass through.
  std::mt19937_64 rng(5);
  std::vector<Record> all;
  const std::int64_t t0 = *smbta::parse_timestamp("2026-11-27 10:00:00.000");
  for (int i = 0; i < 3000; ++i) {
    Record r = smbta::testing::example_record(std::array{smbta::Op::kRead, smbta::Op::kPread,
                                                         smbta::Op::kWrite, smbta::Op::kPwrite,
                                                         smbta::Op::kOpen}[rng() % 5]);
    r.user = rng() % 2 ? "anna" : "ann";  // a prefix of another name must not merge (1.2.6 did)
    r.path = rng() % 2 ? "f.txt" : "f.txt.bak";
    r.timestamp_ms = t0 + static_cast<std::int64_t>(rng() % 20000);
    r.length = rng() % 3 == 0 ? smbta::kFailedResult : rng() % 100000;
    if (r.op == smbta::Op::kOpen) r.result = 3;
    all.push_back(r);
  }
  for (int c = 0; c < 3; ++c) {
    auto fd = connect_module(port);
    send_all(fd.get(),
             frames(std::vector<Record>(all.begin() + c * 1000, all.begin() + (c + 1) * 1000)));
  }
  const auto expected = expected_rows(all, 5);
  auto db = db_->raw();
  ASSERT_TRUE(eventually([&] { return actual_rows(*db) == expected; })) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
  EXPECT_EQ(actual_rows(*db), expected) << "SIGTERM must not add or lose rows";
}

TEST_P(Ingest, RowsVisibleWithinTwoSecondsWhateverThePrecision) {
  const int port = free_port();
  // The seed's usage: -p 3491 is read as the precision, and clients still get port + 1.
  SmbtadProcess smbtad(args(port, 3491), home_.path(), port);
  auto fd = connect_module(port);
  Record r = smbta::testing::example_record(smbta::Op::kWrite);
  r.length = 123;
  r.timestamp_ms = smbta::local_now_ms();
  send_all(fd.get(), smbta::encode_frame(r));
  auto db = db_->raw();
  EXPECT_TRUE(eventually([&] { return count_rows(*db) == 1; }, std::chrono::milliseconds(2000)));
  // More bytes for the same bucket grow the same row.
  send_all(fd.get(), smbta::encode_frame(r));
  EXPECT_TRUE(eventually(
      [&] {
        auto rows = actual_rows(*db);
        return rows.size() == 1 && rows[0][7] == "246";
      },
      std::chrono::milliseconds(2000)));
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
}

TEST_P(Ingest, SigtermStoresEverythingReceived) {
  const int port = free_port();
  SmbtadProcess smbtad(args(port, 5), home_.path(), port);
  const auto records = random_records(5000, 77);
  {
    auto fd = connect_module(port);
    send_all(fd.get(), frames(records));
    ::shutdown(fd.get(), SHUT_WR);
    char c;
    ::recv(fd.get(), &c, 1, 0);  // smbtad closes after reading everything
  }
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
  auto db = db_->raw();
  EXPECT_EQ(actual_rows(*db), expected_rows(records, 5));
}

SMBTA_STORE_DRIVERS(Ingest);

}  // namespace
}  // namespace smbtad::testing

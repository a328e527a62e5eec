// SPDX-License-Identifier: GPL-3.0-or-later
// A real smbtad fed numbered records: duplicates are stored once (also after a restart), gaps
// and drop notices show in the loss report, directly and over the client port.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <map>

#include "client/query_client.h"
#include "query/engine.h"
#include "query/format.h"
#include "smbta/v2_codec.h"
#include "smbtad/db_rows.h"
#include "store/loss_ledger.h"
#include "support/smbtad_process.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::Record;
using smbta::store::testing::StoreTest;

constexpr const char* kSender = "fs1:4242:0badcafe";

Record numbered(std::uint64_t seq, const char* sender = kSender) {
  Record r = smbta::testing::example_record(smbta::Op::kWrite, "anna", "data",
                                            "f" + std::to_string(seq), 1000 + seq);
  r.sequence = seq;
  r.sender = sender;
  return r;
}

Record drop_notice(std::uint64_t seq, std::uint64_t records) {
  Record r = smbta::testing::example_record(smbta::Op::kDropNotice);
  r.result = records;
  r.length = records * 100;
  r.sequence = seq;
  r.sender = kSender;
  return r;
}

// Sends and waits until smbtad has read everything (it closes after the peer's EOF).
void send_and_close(int port, const std::vector<Record>& records) {
  auto fd = connect_module(port);
  send_all(fd.get(), frames(records));
  ::shutdown(fd.get(), SHUT_WR);
  char c;
  ::recv(fd.get(), &c, 1, 0);
}

// The loss report's rows by server and "yes"/"no", as column id -> cell.
using ReportRow = std::map<std::string, smbta::query::Cell>;
std::map<std::string, ReportRow> by_server(const smbta::query::ResultTable& t) {
  std::map<std::string, ReportRow> out;
  for (const auto& row : t.rows) {
    ReportRow r;
    for (std::size_t i = 0; i < t.columns.size(); ++i) r[t.columns[i].id] = row[i];
    out[std::get<std::string>(row[0])] = std::move(r);
  }
  return out;
}

std::int64_t count(const ReportRow& r, const char* id) {
  const auto it = r.find(id);
  if (it == r.end()) return -1;  // the server is not (yet) in the report
  const auto& c = it->second;
  return std::holds_alternative<std::int64_t>(c) ? std::get<std::int64_t>(c) : -1;
}

class Loss : public StoreTest {
 protected:
  std::vector<std::string> args(int port) {
    auto a = database_args(db_->params());
    a.insert(a.end(), {"-i", std::to_string(port), "-p", "0"});
    return a;
  }
  smbta::query::ResultTable report_over_client_port(int port) {
    auto fd = connect_module(port + 1);
    auto tables = smbta::client::query_over_socket(fd.get(), "system, loss;", 30000);
    EXPECT_EQ(tables.size(), 1u);
    return tables.at(0);
  }
  smbta::query::ResultTable report_direct() {
    auto db = db_->raw();
    return smbta::query::run("system, loss;", *db, {}).at(0);
  }
  TempDir home_;
};

TEST_P(Loss, DuplicatesAreStoredOnceAndGapsAndDropsAreReported) {
  const int port = free_port();
  std::vector<Record> first;
  for (std::uint64_t s = 1; s <= 40; ++s) first.push_back(numbered(s));
  for (std::uint64_t s = 51; s <= 100; ++s) first.push_back(numbered(s));  // 41-50 never sent
  for (std::uint64_t s = 20; s <= 30; ++s) first.push_back(numbered(s));   // sent twice
  first.push_back(drop_notice(101, 4));                                    // 102-105 dropped
  for (std::uint64_t s = 106; s <= 110; ++s) first.push_back(numbered(s));
  // A module of 1.2.x: no sequence numbers.
  std::vector<Record> old;
  for (int i = 0; i < 7; ++i) old.push_back(smbta::testing::example_record(smbta::Op::kRead));
  {
    SmbtadProcess smbtad(args(port), home_.path(), port);
    send_and_close(port, first);
    send_and_close(port, old);
    auto db = db_->raw();
    ASSERT_TRUE(eventually([&] { return count_rows(*db) == 95 + 7; })) << smbtad.log();
    // The ledger is written after the rows: wait for it, then ask smbtad itself.
    ASSERT_TRUE(eventually([&] {
      auto rows = by_server(report_direct());
      return rows.contains("fs1") && count(rows["fs1"], "received") == 106;
    })) << smbtad.log();
    for (const auto& t : {report_over_client_port(port), report_direct()}) {
      auto rows = by_server(t);
      ASSERT_TRUE(rows.contains("fs1")) << smbtad.log();
      const auto& fs1 = rows["fs1"];
      EXPECT_EQ(std::get<std::string>(fs1.at("sequenced")), "yes");
      EXPECT_EQ(count(fs1, "senders"), 1);
      EXPECT_EQ(count(fs1, "received"), 106);
      EXPECT_EQ(count(fs1, "stored"), 95);
      EXPECT_EQ(count(fs1, "duplicates"), 11);
      EXPECT_EQ(count(fs1, "dropped"), 4);
      EXPECT_EQ(count(fs1, "missing"), 10);  // 41-50; 102-105 are the notice's
      ASSERT_TRUE(rows.contains("127.0.0.1"));
      const auto& legacy = rows["127.0.0.1"];
      EXPECT_EQ(std::get<std::string>(legacy.at("sequenced")), "no");
      EXPECT_EQ(count(legacy, "received"), 7);
      EXPECT_EQ(count(legacy, "stored"), 7);
      EXPECT_EQ(count(legacy, "missing"), 0);
      EXPECT_EQ(count(rows["(all)"], "stored"), 102);
    }
    EXPECT_EQ(smbtad.stop(), 0);
  }
  // After a restart the ledger is loaded: numbers stored before are still duplicates, and a
  // late one fills its gap.
  {
    SmbtadProcess smbtad(args(port), home_.path(), port);
    std::vector<Record> again;
    for (std::uint64_t s = 1; s <= 10; ++s) again.push_back(numbered(s));
    again.push_back(numbered(45));
    send_and_close(port, again);
    auto db = db_->raw();
    ASSERT_TRUE(eventually([&] {
      auto rows = by_server(report_direct());
      return count(rows["fs1"], "received") == 117;
    })) << smbtad.log();
    EXPECT_EQ(count_rows(*db), 95u + 7u + 1u) << "only number 45 is new";
    auto fs1 = by_server(report_direct())["fs1"];
    EXPECT_EQ(count(fs1, "duplicates"), 21);
    EXPECT_EQ(count(fs1, "stored"), 96);
    EXPECT_EQ(count(fs1, "missing"), 9);
    EXPECT_EQ(smbtad.stop(), 0);
  }
}

TEST_P(Loss, ReplayedRecordsAreCountedAndReportedInEveryFormat) {
  const int port = free_port();
  SmbtadProcess smbtad(args(port), home_.path(), port);
  std::vector<Record> records;
  for (std::uint64_t s = 1; s <= 5; ++s) {
    records.push_back(numbered(s));
    records.back().replayed = s > 2;
  }
  send_and_close(port, records);
  ASSERT_TRUE(eventually([&] {
    auto rows = by_server(report_direct());
    return count(rows["fs1"], "stored") == 5;
  })) << smbtad.log();
  EXPECT_EQ(count(by_server(report_direct())["fs1"], "replayed"), 3);
  const auto t = report_over_client_port(port);
  for (const char* fmt : {"ascii", "csv", "json", "xml", "html"}) {
    const std::string text =
        smbta::query::render(*smbta::query::parse_format(fmt), std::span(&t, 1), {});
    EXPECT_NE(text.find("fs1"), std::string::npos) << fmt << ":\n" << text;
  }
  EXPECT_EQ(smbtad.stop(), 0);
}

TEST_P(Loss, ADropNoticeSentTwiceIsCountedOnce) {
  const int port = free_port();
  auto module_drops = [&] {
    auto db = db_->raw();
    auto r = db->query("SELECT records FROM smbta_module_drops");
    return r.next() ? r.get_int(1).value_or(-1) : -1;
  };
  {
    SmbtadProcess smbtad(args(port), home_.path(), port);
    // A module's spool sent twice: its drop notice (2-5 dropped) comes again.
    send_and_close(port, {numbered(1), drop_notice(2, 4), numbered(6)});
    send_and_close(port, {drop_notice(2, 4), numbered(7)});
    ASSERT_TRUE(eventually([&] {
      return count(by_server(report_direct())["fs1"], "stored") == 3 && module_drops() >= 4;
    })) << smbtad.log();
    EXPECT_EQ(smbtad.stop(), 0);
    EXPECT_EQ(smbtad.log().find("reports 4 records (400 bytes)"),
              smbtad.log().rfind("reports 4 records (400 bytes)"))
        << "logged once:\n"
        << smbtad.log();
  }
  EXPECT_EQ(module_drops(), 4);
  auto fs1 = by_server(report_direct())["fs1"];
  EXPECT_EQ(count(fs1, "dropped"), 4);
  EXPECT_EQ(count(fs1, "missing"), 0);
}

TEST_P(Loss, TheLongestSenderIsKeptWithTheOthers) {
  const int port = free_port();
  // No host part: the sender is its own server, and the key ("server|sender") is 257
  // characters, more than MySQL's 255 of before; its failure failed every sender's save.
  const std::string longest(smbta::kMaxSenderLength, 'h');
  SmbtadProcess smbtad(args(port), home_.path(), port);
  send_and_close(port, {numbered(1, longest.c_str()), numbered(1), numbered(2)});
  ASSERT_TRUE(eventually([&] {
    auto rows = by_server(report_direct());
    return count(rows["fs1"], "stored") == 2 && count(rows[longest], "stored") == 1;
  })) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
  EXPECT_EQ(smbtad.log().find("saving the loss ledger"), std::string::npos) << smbtad.log();
}

TEST_P(Loss, ASenderThatCameBackBlankAddsToItsRowInsteadOfOverwritingIt) {
  namespace ledger = smbta::store::loss_ledger;
  db_->open()->create_schema();
  auto db = db_->raw();
  ledger::create_table(*db);
  smbta::store::SenderLoss before;
  before.server = "fs1";
  before.sender = kSender;
  before.peer = "127.0.0.1";
  before.received = before.stored = 95;
  before.highest = 100;
  before.gaps = {{41, 45}};
  ledger::save(*db, {before});
  // smbtad lost it from memory (evicted, or the table unreachable at start): its state since
  // starts at number 101 with nothing counted, and is saved on every writer pass.
  smbta::store::SenderLoss blank = before;
  blank.received = blank.stored = 0;
  blank.gaps.clear();
  blank.floor = 100;
  blank.incarnation = 1;
  ledger::Bases bases;
  for (std::uint64_t n : {3, 10}) {
    blank.received = blank.stored = n;
    blank.highest = 100 + n + 2;
    blank.gaps = {{101 + n, 102 + n}};
    ledger::save(*db, {blank}, bases);
  }
  const auto rows = ledger::load(*db);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].received, 105u);
  EXPECT_EQ(rows[0].stored, 105u);
  EXPECT_EQ(rows[0].highest, 112u);
  EXPECT_EQ(rows[0].gaps,
            (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{41, 45}, {111, 112}}));
  auto fs1 = by_server(report_direct())["fs1"];
  EXPECT_EQ(count(fs1, "received"), 105);
  EXPECT_EQ(count(fs1, "missing"), 7);
}

TEST_P(Loss, AtPrecisionTheLedgerNeverCountsRecordsNotYetInTheTable) {
  // At -p 5 reads and writes wait in smbtad's memory (a second or so) to be merged: a ledger
  // saved before their rows would, after a crash, call them stored and refuse their resend.
  const int port = free_port();
  auto a = args(port);
  a.back() = "5";  // -p 5
  SmbtadProcess smbtad(a, home_.path(), port);
  std::vector<Record> records;
  for (std::uint64_t s = 1; s <= 50; ++s) records.push_back(numbered(s));
  send_and_close(port, records);
  auto db = db_->raw();
  std::int64_t in_ledger = 0;
  int samples = 0;
  ASSERT_TRUE(eventually(
      [&] {
        // The ledger first: the table only grows, so what it holds afterwards is at least as much.
        in_ledger = std::max<std::int64_t>(count(by_server(report_direct())["fs1"], "stored"), 0);
        auto r = db->query("SELECT coalesce(sum(merged), 0) FROM smbta_events");
        const std::int64_t in_table = r.next() ? r.get_int(1).value_or(0) : 0;
        ++samples;
        EXPECT_LE(in_ledger, in_table) << "the ledger says stored before the rows are";
        return in_ledger == 50;
      },
      std::chrono::seconds(20)))
      << smbtad.log();
  EXPECT_GT(samples, 1);
  EXPECT_EQ(smbtad.stop(), 0);
}

SMBTA_STORE_DRIVERS(Loss);

}  // namespace
}  // namespace smbtad::testing

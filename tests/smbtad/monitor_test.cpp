// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad's real-time monitors against a real daemon fed by a module-like client.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "client/monitor_client.h"
#include "smbta/key_file.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "smbtad/db_rows.h"
#include "store/dbi_connection.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::Record;
using smbta::client::MonitorConnection;
using smbta::client::MonitorFilter;
using smbta::client::MonitorKind;
using namespace std::chrono_literals;

using smbta::testing::example_record;

class Monitors : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    port_ = free_port();
    std::vector<std::string> args{"-i", std::to_string(port_), "-p", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    smbtad_ = std::make_unique<SmbtadProcess>(args, home_.path(), port_);
  }
  // SmbtadProcess waits for the module port; the client port listens a moment after it.
  MonitorConnection client() {
    smbta::UniqueFd fd;
    const bool connected = eventually([&] {
      try {
        fd = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
        return true;
      } catch (const std::exception&) {
        return false;
      }
    });
    if (!connected) throw std::runtime_error("the client port does not accept connections");
    return MonitorConnection(std::move(fd));
  }
  void send(const std::vector<Record>& records) {
    if (!module_) module_ = connect_module(port_);
    send_all(module_.get(), frames(records));
  }
  // All messages for monitor `id` until `n` arrived or 5 s passed.
  std::vector<smbta::client::MonitorMessage> collect(MonitorConnection& c, std::uint32_t id,
                                                     std::size_t n,
                                                     std::chrono::milliseconds limit = 5s) {
    std::vector<smbta::client::MonitorMessage> out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto m = c.next(200ms);
      if (m && m->id == id) out.push_back(*m);
    }
    return out;
  }
  // Every message until `n` arrived or 5 s passed, by monitor id.
  std::map<std::uint32_t, std::vector<smbta::client::MonitorMessage>> collect_all(
      MonitorConnection& c, std::size_t n) {
    std::map<std::uint32_t, std::vector<smbta::client::MonitorMessage>> out;
    std::size_t got = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (got < n && std::chrono::steady_clock::now() < deadline) {
      if (auto m = c.next(200ms)) {
        out[m->id].push_back(*m);
        ++got;
      }
    }
    return out;
  }
  TempDir home_;
  int port_ = 0;
  std::unique_ptr<SmbtadProcess> smbtad_;
  smbta::UniqueFd module_;
};

TEST_F(Monitors, SpecExchangeByteForByte) {
  start();
  auto fd = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
  send_all(fd.get(), "V2.00000000000000000000045~~000130004NULL0006holger0001*0001*0001*0001*");
  char buf[64] = {};
  ASSERT_EQ(::recv(fd.get(), buf, 40, MSG_WAITALL), 40);
  EXPECT_EQ(std::string(buf, 40),
            "V2.00000000000000000000014"
            "00100000000001");
  send({example_record(smbta::Op::kRead, "holger", "data", "a", 4096)});
  ASSERT_EQ(::recv(fd.get(), buf, 39, MSG_WAITALL), 39);
  EXPECT_EQ(std::string(buf, 39),
            "V2.00000000000000000000013"
            "0001100044096");
}

TEST_F(Monitors, EveryKindDeliversExactCountsAndBytes) {
  start();
  auto c = client();
  const auto add = c.add(MonitorKind::kAdd, {});
  const auto read = c.add(MonitorKind::kRead, {});
  const auto write = c.add(MonitorKind::kWrite, {});
  const auto log = c.add(MonitorKind::kLog, {});
  EXPECT_EQ(read, add + 1) << "ids count up";
  std::vector<Record> sent{example_record(smbta::Op::kRead, "u", "s", "f1", 100),
                           example_record(smbta::Op::kPread, "u", "s", "f1", 50),
                           example_record(smbta::Op::kWrite, "u", "s", "f2", 7),
                           example_record(smbta::Op::kMkdir, "u", "s", "d", 0),
                           example_record(smbta::Op::kPwrite, "u", "s", "f2", 3)};
  send(sent);
  auto all = collect_all(c, 5 + 2 + 2 + 5);
  auto adds = all[add];
  ASSERT_EQ(adds.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(adds[i].value, std::to_string(i + 1));
  auto reads = all[read];
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].value, "100");
  EXPECT_EQ(reads[1].value, "50");
  auto writes = all[write];
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].value, "7");
  EXPECT_EQ(writes[1].value, "3");
  auto logs = all[log];
  ASSERT_EQ(logs.size(), 5u);
  EXPECT_EQ(logs[0].fields,
            (std::vector<std::string>{"0", "u", "s", "f1", "WORKGROUP",
                                      smbta::format_timestamp(sent[0].timestamp_ms)}));
  EXPECT_EQ(logs[3].fields[0], "4");
  EXPECT_EQ(logs[3].fields[3], " ") << "directory operations carry no file name";
  EXPECT_TRUE(collect(c, read, 1, 700ms).empty()) << "no extra messages";
}

TEST_F(Monitors, LogWithTheBytesParameterAddsEachRecordsByteCount) {
  start();
  auto c = client();
  const auto plain = c.add(MonitorKind::kLog, {});
  const auto with_bytes = c.add(MonitorKind::kLog, {}, 5s, smbta::client::kLogWithBytes);
  std::vector<Record> sent{example_record(smbta::Op::kRead, "u", "s", "f1", 100),
                           example_record(smbta::Op::kPwrite, "u", "s", "f2", 1048576),
                           example_record(smbta::Op::kOpen, "u", "s", "f3", 0)};
  send(sent);
  auto all = collect_all(c, 6);
  ASSERT_EQ(all[plain].size(), 3u);
  for (const auto& m : all[plain]) EXPECT_EQ(m.fields.size(), 6u) << "1.2.x clients get six fields";
  const auto& logs = all[with_bytes];
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].fields,
            (std::vector<std::string>{"0", "u", "s", "f1", "WORKGROUP",
                                      smbta::format_timestamp(sent[0].timestamp_ms), "100"}));
  EXPECT_EQ(logs[1].fields.at(6), "1048576");
  EXPECT_EQ(logs[2].fields.at(6), "0");
}

TEST_F(Monitors, ThroughputReportsBytesPerSecond) {
  start();
  auto c = client();
  const auto id = c.add(MonitorKind::kThroughput, {});
  send({example_record(smbta::Op::kRead, "u", "s", "f", 1000),
        example_record(smbta::Op::kWrite, "u", "s", "f", 24)});
  std::uint64_t read = 0, written = 0;
  for (const auto& m : collect(c, id, 4)) {
    ASSERT_EQ(m.fields.size(), 2u);
    read += std::stoull(m.fields[0]);
    written += std::stoull(m.fields[1]);
  }
  EXPECT_EQ(read, 1000u);
  EXPECT_EQ(written, 24u);
}

TEST_F(Monitors, FiltersMatchExactly) {
  start();
  auto c = client();
  MonitorFilter anna;
  anna.user = "anna";
  MonitorFilter share_file;
  share_file.share = "data";
  share_file.file = "x.txt";
  const auto a = c.add(MonitorKind::kAdd, anna);
  const auto sf = c.add(MonitorKind::kAdd, share_file);
  send({example_record(smbta::Op::kRead, "ann", "data", "x.txt", 1),
        example_record(smbta::Op::kRead, "annabel", "data", "x.txt2", 1),
        example_record(smbta::Op::kRead, "anna", "dat", "x.txt", 1),
        example_record(smbta::Op::kRead, "anna", "data", "x.txt", 1)});
  auto all = collect_all(c, 4);
  auto ma = all[a];
  auto msf = all[sf];
  EXPECT_EQ(ma.size(), 2u);   // the two records of user "anna", not "ann" or "annabel"
  EXPECT_EQ(msf.size(), 2u);  // share "data" and file "x.txt" exactly
}

TEST_F(Monitors, BadRequestsGetAnErrorAndTheConnectionStaysUsable) {
  start();
  auto c = client();
  auto frame = [](std::string_view body) {
    std::string s;
    smbta::append_header(s, body.size(), false);
    return s + std::string(body);
  };
  const std::string bad[] = {
      "hello",                                     // not a request
      "~~0001x0004NULL0001*0001*0001*0001*0001*",  // function not a number
      "~~000190004NULL0001*0001*0001*0001*0001*",  // unknown function
      "~~000110004NULL0001*0001*0001*0001*0001*",  // SMBTA_LOAD: 1.2.6 exited here
      "~~000100004NULL00000001*0001*0001*0001*",   // empty filter: 1.2.6 exited here
      "~~000100004NULL0001*",                      // too few fields
      "~~00010004NULL9999*",                       // length past the body
  };
  for (const auto& b : bad) {
    c.send_raw(frame(b));
    auto m = c.next(5s);
    ASSERT_TRUE(m) << b;
    EXPECT_TRUE(m->is_error()) << b;
    EXPECT_NE(m->value.find("ERROR"), std::string::npos) << m->value;
  }
  // Still usable on the same connection.
  const auto id = c.add(MonitorKind::kRead, {});
  send({example_record(smbta::Op::kRead, "u", "s", "f", 42)});
  auto got = collect(c, id, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value, "42");
  // A half-sent request followed by a disconnect, and a broken header, leave smbtad serving.
  {
    auto half = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
    send_all(half.get(), frame("~~00013").substr(0, 30));
  }
  {
    auto broken = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
    send_all(broken.get(), "V9.garbage-garbage-garbage");
    char buf[256];
    timeval tv{5, 0};
    ::setsockopt(broken.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t total = 0, n;
    while ((n = ::recv(broken.get(), buf, sizeof buf, 0)) > 0) total += n;
    EXPECT_GT(total, 26) << "an error reply before the close";
  }
  auto c2 = client();
  EXPECT_GT(c2.add(MonitorKind::kAdd, {}), id);
  EXPECT_TRUE(smbtad_->running());
  EXPECT_EQ(smbtad_->stop(), 0);
}

TEST_F(Monitors, AClientThatStopsReadingDoesNotSlowIngest) {
  start();
  auto lazy = client();
  lazy.add(MonitorKind::kLog, {});  // then never reads again
  ::setsockopt(lazy.fd(), SOL_SOCKET, SO_RCVBUF, "\0\x10\0\0", 4);
  std::mt19937_64 rng(3);
  std::vector<Record> records;
  for (int i = 0; i < 100000; ++i) records.push_back(smbta::testing::random_record(rng));
  send(records);
  smbta::store::DbParams p;
  p.sqlite_dbdir = (home_.path() / ".smbtad").string();
  p.name = "staddb";
  smbta::store::DbiConnection db(p);
  EXPECT_TRUE(eventually([&] { return count_rows(db) == records.size(); }, 60s)) << smbtad_->log();
  // Other clients are still served promptly.
  auto c = client();
  const auto id = c.add(MonitorKind::kRead, {});
  send({example_record(smbta::Op::kRead, "u", "s", "f", 5)});
  EXPECT_EQ(collect(c, id, 1).size(), 1u);
  // The notice comes when that client goes (its session is freed then), not at shutdown.
  { MonitorConnection gone = std::move(lazy); }
  EXPECT_TRUE(eventually([&] {
    return smbtad_->log().find("results dropped") != std::string::npos;
  })) << smbtad_->log();
  EXPECT_EQ(smbtad_->stop(), 0);
}

TEST_F(Monitors, EncryptedClientsWithTheSharedKeyAndRequiredKey) {
  const auto key_path = (home_.path() / "key").string();
  const auto key = smbta::create_key_file(key_path);
  start({"-k", key_path, "--require-client-key"});
  auto plain = client();
  EXPECT_THROW(plain.add(MonitorKind::kRead, {}), std::runtime_error) << "unencrypted: refused";
  MonitorConnection enc(smbta::net::connect_tcp("127.0.0.1", port_ + 1), key);
  const auto id = enc.add(MonitorKind::kRead, {});
  send({example_record(smbta::Op::kRead, "u", "s", "f", 77)});
  auto got = collect(enc, id, 1);
  ASSERT_EQ(got.size(), 1u) << "encrypted replies decrypt with the same key";
  EXPECT_EQ(got[0].value, "77");
  EXPECT_EQ(smbtad_->stop(), 0);
}

TEST_F(Monitors, WorkWithoutADatabase) {
  start({"-U", "0"});
  auto c = client();
  const auto id = c.add(MonitorKind::kWrite, {});
  send({example_record(smbta::Op::kWrite, "u", "s", "f", 9)});
  auto got = collect(c, id, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value, "9");
  EXPECT_FALSE(std::filesystem::exists(home_.path() / ".smbtad" / "staddb"));
  EXPECT_EQ(smbtad_->stop(), 0);
}

}  // namespace
}  // namespace smbtad::testing

// SPDX-License-Identifier: GPL-3.0-or-later
// The authenticated transport against a real smbtad, sent by the module's own sender code
// (vfs_module/smbta_aead.cpp): stored; tampered, replayed, reordered, truncated and legacy
// streams refused with a log line naming the peer, while smbtad keeps serving.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <memory>

#include "client/monitor_client.h"
#include "client/query_client.h"

#include "smbta/key_file.h"
#include "smbta/legacy_cipher.h"
#include "smbta/net.h"
#include "smbta/stream_decoder.h"
#include "smbta/v2_codec.h"
#include "smbtad/db_rows.h"
#include "store/dbi_connection.h"
#include "support/eventually.h"
#include "support/process.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"
#include "vfs_module/smbta_aead.h"

namespace smbtad::testing {
namespace {

using smbta::Record;

bool closed_by_peer(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char c;
  return ::recv(fd, &c, 1, 0) <= 0;
}

// Why: a module connection as the VFS module makes it, through the module's link: hello,
// smbtad's hello, then sealed frames, which a test may change before they go out.
class AeadModule {
 public:
  AeadModule(int port, const smbta::AesKey& key)
      : fd_(connect_module(port)), link_(smbta_aead_link_new(key.data())) {
    if (link_ == nullptr || smbta_aead_link_start(link_.get()) != 0)
      throw std::runtime_error("cannot start the link");
    send_all(fd_.get(), take_pending());
    timeval tv{5, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    while (!smbta_aead_link_ready(link_.get())) {
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) throw std::runtime_error("smbtad did not answer the hello");
      char err[256];
      if (smbta_aead_link_receive(link_.get(), buf, static_cast<std::size_t>(n), err, sizeof err) <
          0)
        throw std::runtime_error(err);
    }
  }
  // The sealed frames of `records`, one string each, not yet sent.
  std::vector<std::string> seal(const std::vector<Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) {
      const std::string plain = smbta::encode_frame(r);
      std::uint64_t n = 0;
      EXPECT_EQ(smbta_aead_link_seal(link_.get(), plain.data(), plain.size(), &n), plain.size());
      out.push_back(take_pending());
    }
    return out;
  }
  void send(std::string_view bytes) { send_all(fd_.get(), bytes); }
  int fd() const { return fd_.get(); }

 private:
  std::string take_pending() {
    std::size_t n = 0;
    const char* p = smbta_aead_link_pending(link_.get(), &n);
    std::string s(p, n);
    smbta_aead_link_sent(link_.get(), n);
    return s;
  }
  struct LinkFree {
    void operator()(smbta_aead_link* l) const { smbta_aead_link_free(l); }
  };
  smbta::UniqueFd fd_;
  std::unique_ptr<smbta_aead_link, LinkFree> link_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& f : v) s += f;
  return s;
}

class Transport : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra) {
    key_path_ = (home_.path() / "key").string();
    key_ = smbta::create_key_file(key_path_);
    port_ = free_port();
    std::vector<std::string> args{"-i", std::to_string(port_), "-p", "0", "-k", key_path_};
    args.insert(args.end(), extra.begin(), extra.end());
    smbtad_ = std::make_unique<SmbtadProcess>(args, home_.path(), port_);
    db_ = std::make_unique<smbta::store::DbiConnection>(sqlite_at(home_.path()));
  }
  bool rows_become(std::uint64_t n) {
    return eventually([&] { return count_rows(*db_) == n; });
  }
  // The log gets `text` (smbtad logs the refusal with the peer's address).
  bool logged(std::string_view text) {
    return eventually([&] { return smbtad_->log().find(text) != std::string::npos; });
  }

  TempDir home_;
  std::string key_path_;
  smbta::AesKey key_{};
  int port_ = 0;
  std::unique_ptr<SmbtadProcess> smbtad_;
  std::unique_ptr<smbta::store::DbiConnection> db_;
};

constexpr std::string_view kClosedFrom = "module connection from 127.0.0.1";

TEST_F(Transport, AuthenticatedRecordsAreStoredAndLegacyRefusedWhenRequired) {
  start({"--transport", "authenticated"});
  const auto records = smbta::testing::random_records(30, 71);
  AeadModule m(port_, key_);
  m.send(joined(m.seal(records)));
  ASSERT_TRUE(rows_become(records.size())) << smbtad_->log();
  // A 1.2.x-style module (clear text, or the legacy cipher) is refused and said.
  auto legacy = connect_module(port_);
  send_all(legacy.get(), frames(records));
  EXPECT_TRUE(closed_by_peer(legacy.get()));
  smbta::LegacyCipher cipher(key_);
  auto ecb = connect_module(port_);
  send_all(ecb.get(), frames(records, &cipher));
  EXPECT_TRUE(closed_by_peer(ecb.get()));
  EXPECT_TRUE(
      logged("closed: legacy frame refused: this smbtad requires the authenticated "
             "transport"))
      << smbtad_->log();
  // Still serving: another authenticated module is stored.
  AeadModule again(port_, key_);
  again.send(joined(again.seal(records)));
  EXPECT_TRUE(rows_become(2 * records.size())) << smbtad_->log();
  EXPECT_TRUE(smbtad_->running());
  EXPECT_EQ(smbtad_->stop(), 0);
}

TEST_F(Transport, LegacyModeAcceptsAllThreeKinds) {
  start({});
  const auto records = smbta::testing::random_records(10, 72);
  AeadModule m(port_, key_);
  m.send(joined(m.seal(records)));
  smbta::LegacyCipher cipher(key_);
  auto ecb = connect_module(port_);
  send_all(ecb.get(), frames(records, &cipher));
  auto plain = connect_module(port_);
  send_all(plain.get(), frames(records));
  EXPECT_TRUE(rows_become(3 * records.size())) << smbtad_->log();
  EXPECT_EQ(smbtad_->stop(), 0);
}

TEST_F(Transport, TamperedReplayedReorderedAndTruncatedFramesAreRefusedAndLogged) {
  start({"--transport", "authenticated"});
  const auto records = smbta::testing::random_records(4, 73);
  std::uint64_t stored = 0;
  {
    // Tampered: one ciphertext byte of the third frame.
    AeadModule m(port_, key_);
    auto f = m.seal(records);
    f[2][smbta::kHeaderSize + smbta::kAeadSeqSize + 5] ^= 0x04;
    m.send(joined(f));
    EXPECT_TRUE(closed_by_peer(m.fd()));
    stored += 2;
    EXPECT_TRUE(rows_become(stored)) << smbtad_->log();
    EXPECT_TRUE(logged(std::string(kClosedFrom) +
                       " closed: authenticated transport: frame failed authentication"))
        << smbtad_->log();
  }
  {
    // Replayed: the second frame twice.
    AeadModule m(port_, key_);
    auto f = m.seal(records);
    m.send(f[0] + f[1] + f[1] + f[2]);
    EXPECT_TRUE(closed_by_peer(m.fd()));
    stored += 2;
    EXPECT_TRUE(rows_become(stored)) << smbtad_->log();
    EXPECT_TRUE(
        logged("closed: authenticated transport: frame out of sequence (replayed, "
               "reordered or missing)"))
        << smbtad_->log();
  }
  {
    // Reordered: the fourth before the third.
    AeadModule m(port_, key_);
    auto f = m.seal(records);
    m.send(f[0] + f[1] + f[3] + f[2]);
    EXPECT_TRUE(closed_by_peer(m.fd()));
    stored += 2;
    EXPECT_TRUE(rows_become(stored)) << smbtad_->log();
  }
  {
    // Truncated: the last frame cut in the middle, then the connection ends.
    AeadModule m(port_, key_);
    auto f = m.seal(records);
    m.send(f[0] + f[1] + f[2] + f[3].substr(0, f[3].size() / 2));
    ::shutdown(m.fd(), SHUT_WR);
    EXPECT_TRUE(closed_by_peer(m.fd()));
    stored += 3;
    EXPECT_TRUE(rows_become(stored)) << smbtad_->log();
    EXPECT_TRUE(logged("closed: stream ended in the middle of a record")) << smbtad_->log();
  }
  {
    // A whole recorded connection, hello included, replayed on a new one: smbtad's new hello
    // gives new keys, so not one record of it is stored again.
    AeadModule m(port_, key_);
    auto f = m.seal(records);
    m.send(joined(f));
    stored += records.size();
    EXPECT_TRUE(rows_become(stored)) << smbtad_->log();
    auto replay = connect_module(port_);
    std::string hello;
    smbta::AeadRandom any;
    any.fill(3);
    smbta::append_aead_hello(hello, any);
    send_all(replay.get(), hello + joined(f));
    EXPECT_TRUE(closed_by_peer(replay.get()));
    EXPECT_EQ(count_rows(*db_), stored);
  }
  {
    // A module with another key.
    AeadModule m(port_, smbta::AesKey{});
    m.send(joined(m.seal(records)));
    EXPECT_TRUE(closed_by_peer(m.fd()));
  }
  // smbtad kept running and still stores.
  AeadModule m(port_, key_);
  m.send(joined(m.seal(records)));
  EXPECT_TRUE(rows_become(stored + records.size())) << smbtad_->log();
  EXPECT_TRUE(smbtad_->running());
  EXPECT_EQ(smbtad_->stop(), 0);
}

TEST_F(Transport, ClientPortSpeaksItBothWays) {
  start({"--transport", "authenticated"});
  auto fd = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
  smbta::AeadRandom mine;
  mine.fill(9);
  std::string hello;
  smbta::append_aead_hello(hello, mine);
  send_all(fd.get(), hello);
  smbta::StreamDecoder d({}, key_);
  d.expect_server_hello(mine);
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string_view body;
  char buf[4096];
  const auto next = [&] {
    for (;;) {
      const auto st = d.next_body(body);
      if (st != smbta::StreamDecoder::Status::kNeedMore) return st;
      const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      if (n <= 0) return smbta::StreamDecoder::Status::kFatal;
      d.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    }
  };
  // The handshake completes on the server's hello; then a sealed monitor registration gets a
  // sealed monitor id.
  while (d.sealer() == nullptr) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << smbtad_->log();
    d.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    ASSERT_EQ(d.next_body(body), smbta::StreamDecoder::Status::kNeedMore);
  }
  std::string request;
  d.sealer()->seal("~~000130004NULL0006holger0001*0001*0001*0001*", request);
  send_all(fd.get(), request);
  ASSERT_EQ(next(), smbta::StreamDecoder::Status::kRecord) << smbta::describe(d.error());
  EXPECT_EQ(body, "00100000000001");
  // A legacy client is refused with a readable reason (an error reply), then closed.
  auto legacy = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
  send_all(legacy.get(), smbta::frame_body("~~000130004NULL0006holger0001*0001*0001*0001*"));
  ::setsockopt(legacy.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  ssize_t got = 0;
  while ((got = ::recv(legacy.get(), buf, sizeof buf, 0)) > 0)
    answer.append(buf, static_cast<std::size_t>(got));
  EXPECT_EQ(got, 0) << "not closed by smbtad";
  EXPECT_NE(answer.find("ERROR: legacy frame refused"), std::string::npos) << answer;
  EXPECT_TRUE(logged("client connection from 127.0.0.1 closed: legacy frame refused"))
      << smbtad_->log();
  EXPECT_EQ(smbtad_->stop(), 0);
}

// smbta's own clients at an smbtad that accepts nothing but the authenticated transport:
// smbtaquery's queries (several on one connection), a monitor's registration and its stream,
// and smbtamonitor; without --transport authenticated they are refused with a reason.
TEST_F(Transport, TheToolsSpeakItToAnSmbtadThatRequiresIt) {
  using smbta::client::ClientTransport;
  using smbta::testing::ChildProcess;
  using namespace std::chrono_literals;
  start({"--transport", "authenticated"});
  smbta::client::MonitorConnection mon(smbta::net::connect_tcp("127.0.0.1", port_ + 1), key_,
                                       ClientTransport::kAuthenticated);
  const auto id = mon.add(smbta::client::MonitorKind::kLog, {});
  const auto records = smbta::testing::random_records(25, 73);
  AeadModule m(port_, key_);
  m.send(joined(m.seal(records)));
  ASSERT_TRUE(rows_become(records.size())) << smbtad_->log();
  std::size_t logged_records = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (logged_records < records.size() && std::chrono::steady_clock::now() < deadline)
    if (auto msg = mon.next(1s); msg && msg->id == id) ++logged_records;
  EXPECT_EQ(logged_records, records.size()) << smbtad_->log();

  // The library's channel: two queries on one connection, as smbtaquery sends -q parts.
  auto fd = smbta::net::connect_tcp("127.0.0.1", port_ + 1);
  smbta::client::ClientChannel channel(fd.get(), key_, ClientTransport::kAuthenticated);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(smbta::client::query_over_socket(channel, "global, total rw;", 30000).size(), 1u);

  // smbtaquery over the client port answers what it answers reading the database itself.
  const std::vector<std::string> net{SMBTAQUERY_BINARY,
                                     "-h",
                                     "127.0.0.1",
                                     "-i",
                                     std::to_string(port_ + 1),
                                     "-k",
                                     key_path_,
                                     "-o",
                                     "csv",
                                     "-q",
                                     "global, total rw; global, top 3 users rw;"};
  auto authenticated = net;
  authenticated.insert(authenticated.begin() + 1, {"--transport", "authenticated"});
  ChildProcess remote(authenticated, home_.path(), "remote");
  ASSERT_EQ(remote.wait(60s), 0) << remote.err();
  ChildProcess local(
      {SMBTAQUERY_BINARY, "-o", "csv", "-q", "global, total rw; global, top 3 users rw;"},
      home_.path(), "local", {"HOME=" + home_.path().string()});
  ASSERT_EQ(local.wait(60s), 0) << local.err();
  EXPECT_EQ(remote.out(), local.out());
  EXPECT_NE(remote.out().find(','), std::string::npos) << remote.out();

  // The legacy transport (the default) is refused by this smbtad, with its reason.
  ChildProcess legacy(net, home_.path(), "legacy");
  EXPECT_EQ(legacy.wait(60s), 2) << legacy.err();
  EXPECT_NE(legacy.err().find("legacy frame refused"), std::string::npos) << legacy.err();
  // --transport authenticated without a key is a usage error.
  ChildProcess keyless({SMBTAQUERY_BINARY, "--transport", "authenticated", "-h", "127.0.0.1", "-q",
                        "global, total rw;"},
                       home_.path(), "keyless");
  EXPECT_EQ(keyless.wait(60s), 1);
  EXPECT_NE(keyless.err().find("--transport authenticated needs the key"), std::string::npos)
      << keyless.err();

  // smbtamonitor: connects, registers and keeps running until told to stop.
  ChildProcess monitor({SMBTAMONITOR_BINARY, "--transport", "authenticated", "-h", "127.0.0.1",
                        "-i", std::to_string(port_ + 1), "-k", key_path_, "-g", "--batch"},
                       home_.path(), "monitor");
  EXPECT_TRUE(eventually([&] {
    return monitor.err().find("connected to smbtad") != std::string::npos ||
           monitor.out().find("connected to smbtad") != std::string::npos;
  })) << monitor.err();
  monitor.signal(SIGTERM);
  EXPECT_EQ(monitor.wait(10s), 0) << monitor.err();
  EXPECT_TRUE(smbtad_->running());
  EXPECT_EQ(smbtad_->stop(), 0);
}

}  // namespace
}  // namespace smbtad::testing

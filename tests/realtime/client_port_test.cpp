// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad's client sessions under misconfiguration and hostile clients: wrong keys, too many
// monitors, slow requests and forged log text, against a real smbtad and the real tools.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client/monitor_client.h"
#include "client/query_client.h"
#include "smbta/key_file.h"
#include "smbta/net.h"
#include "smbta/v2_codec.h"
#include "support/process.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::client::MonitorConnection;
using smbta::client::MonitorKind;
using smbta::testing::ChildProcess;
using smbta::testing::example_record;
using namespace std::chrono_literals;

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// A key file with a fixed key, so that what a wrong key decrypts to is the same on every run.
smbta::AesKey write_key(const std::filesystem::path& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("cannot write " + path.string());
  ::close(fd);
  return smbta::load_key_file(path.string());
}

// Message text of what `f` throws, "" when it throws nothing.
template <typename F>
std::string thrown(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

// True once the peer has closed `fd` (EOF or reset), waiting at most `limit`; what arrives
// before (an error reply) is read and dropped.
bool closed_by_peer(int fd, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
  }
}

class ClientPort : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    port_ = free_port();
    std::vector<std::string> args{"-i", std::to_string(port_), "-U", "0", "-p", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    smbtad_ = std::make_unique<SmbtadProcess>(args, home_.path(), port_ + 1);
  }
  smbta::UniqueFd connect() { return smbta::net::connect_tcp("127.0.0.1", port_ + 1); }
  MonitorConnection client(std::optional<smbta::AesKey> key = std::nullopt) {
    return MonitorConnection(connect(), key);
  }
  std::filesystem::path path(const char* name) const { return home_.path() / name; }

  TempDir home_;
  int port_ = 0;
  std::unique_ptr<SmbtadProcess> smbtad_;
};

TEST_F(ClientPort, AWrongKeyIsNamedAsAKeyMismatchByTheToolsAndOnceByConnectionInTheLog) {
  write_key(path("server.key"), "ServerKey0123456");
  const auto wrong = write_key(path("client.key"), "ClientKey6543210");
  start({"-k", path("server.key").string()});

  // Three registrations on one connection: each refused with the hint, one log line.
  auto c = client(wrong);
  for (int i = 0; i < 3; ++i) {
    const auto why = thrown([&] { c.add(MonitorKind::kLog, {}); });
    EXPECT_NE(why.find("key mismatch?"), std::string::npos) << why;
  }
  ASSERT_TRUE(eventually([&] { return count(smbtad_->log(), "key mismatch?") == 1; }))
      << smbtad_->log();
  EXPECT_NE(smbtad_->log().find("client 127.0.0.1"), std::string::npos) << smbtad_->log();

  ChildProcess query({SMBTAQUERY_BINARY, "-h", "127.0.0.1", "-i", std::to_string(port_ + 1), "-k",
                      path("client.key").string(), "-q", "global, total rw;"},
                     home_.path(), "query");
  EXPECT_NE(query.wait(10s), 0);
  EXPECT_NE(query.err().find("key mismatch?"), std::string::npos) << query.err();
  EXPECT_EQ(query.err().find("unexpected reply"), std::string::npos) << query.err();

  ChildProcess mon({SMBTAMONITOR_BINARY, "-h", "127.0.0.1", "-i", std::to_string(port_ + 1), "-k",
                    path("client.key").string(), "-g", "--batch"},
                   home_.path(), "monitor");
  ASSERT_TRUE(eventually([&] { return mon.err().find("key mismatch?") != std::string::npos; }))
      << mon.err();
  EXPECT_EQ(mon.err().find("connected to smbtad"), std::string::npos) << mon.err();
  EXPECT_EQ(mon.err().find("malformed"), std::string::npos) << mon.err();
  mon.signal(SIGTERM);
  EXPECT_EQ(mon.wait(5s), 0);
  EXPECT_GE(count(smbtad_->log(), "key mismatch?"), 3u) << smbtad_->log();

  // The right key still works on the same smbtad.
  write_key(path("right.key"), "ServerKey0123456");
  auto good = client(smbta::load_key_file(path("right.key").string()));
  EXPECT_GT(good.add(MonitorKind::kAdd, {}), 0u);
}

TEST_F(ClientPort, AKeyOnTheClientOnlyIsNamedAsAKeyMismatch) {
  write_key(path("client.key"), "ClientKey6543210");
  start();
  ChildProcess query({SMBTAQUERY_BINARY, "-h", "127.0.0.1", "-i", std::to_string(port_ + 1), "-k",
                      path("client.key").string(), "-q", "global, total rw;"},
                     home_.path(), "query");
  EXPECT_NE(query.wait(10s), 0);
  EXPECT_NE(query.err().find("key mismatch?"), std::string::npos) << query.err();
  ASSERT_TRUE(eventually([&] { return count(smbtad_->log(), "key mismatch?") == 1; }))
      << smbtad_->log();
}

// An smbtad that answers every request with one encrypted frame under another key, as smbtad
// 2.0.0 and 1.2.x do when the keys differ.
class OtherKeyServer {
 public:
  explicit OtherKeyServer(const smbta::AesKey& key, std::string reply_body)
      : port_(free_port()), listener_(std::move(smbta::net::listen_tcp("127.0.0.1", port_)[0])) {
    thread_ = std::thread([this, key, body = std::move(reply_body)] {
      pollfd p{listener_.get(), POLLIN, 0};  // the listener is non-blocking
      if (::poll(&p, 1, 10000) != 1) return;
      smbta::UniqueFd fd(::accept(listener_.get(), nullptr, nullptr));
      if (!fd) return;
      char buf[4096];
      if (::recv(fd.get(), buf, sizeof buf, 0) <= 0) return;
      smbta::LegacyCipher cipher(key);
      const std::string frame = smbta::frame_body(body, &cipher);
      send_all(fd.get(), frame);
      ::recv(fd.get(), buf, sizeof buf, 0);  // until the client goes
    });
  }
  ~OtherKeyServer() { thread_.join(); }
  int port() const { return port_; }

 private:
  int port_;
  smbta::UniqueFd listener_;
  std::thread thread_;
};

TEST_F(ClientPort, ClientsHintAtTheKeyWhenAReplyDoesNotDecrypt) {
  const auto server_key = write_key(path("server.key"), "ServerKey0123456");
  const auto client_key = write_key(path("client.key"), "ClientKey6543210");
  {
    // The error reply of an older smbtad for the noise it decrypted, under its own key.
    std::string body;
    smbta::append_sub_block(body, "0");
    smbta::append_sub_block(body, "ERROR: unknown request");
    OtherKeyServer old(server_key, body);
    auto fd = smbta::net::connect_tcp("127.0.0.1", old.port());
    const auto why = thrown([&] {
      smbta::client::query_over_socket(fd.get(), "global, total rw;", 5000, &client_key);
    });
    EXPECT_NE(why.find("key mismatch?"), std::string::npos) << why;
  }
  {
    std::string body;
    smbta::append_sub_block(body, "0000000001");
    OtherKeyServer old(server_key, body);
    MonitorConnection c(smbta::net::connect_tcp("127.0.0.1", old.port()), client_key);
    const auto why = thrown([&] { c.add(MonitorKind::kLog, {}); });
    EXPECT_NE(why.find("key mismatch?"), std::string::npos) << why;
  }
}

TEST_F(ClientPort, MonitorsAreBoundedPerConnectionAndInTotalWithAClearError) {
  start({"--max-client-monitors", "3", "--max-monitors", "5"});
  auto first = client();
  std::vector<std::uint32_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(first.add(MonitorKind::kAdd, {}));
  for (int i = 0; i < 20; ++i) {
    const auto why = thrown([&] { first.add(MonitorKind::kAdd, {}); });
    ASSERT_NE(why.find("too many monitors on this connection"), std::string::npos) << why;
    EXPECT_NE(why.find("--max-client-monitors"), std::string::npos) << why;
  }
  auto second = client();
  second.add(MonitorKind::kRead, {});
  second.add(MonitorKind::kRead, {});
  const auto total = thrown([&] { second.add(MonitorKind::kRead, {}); });
  EXPECT_NE(total.find("maximum of 5 monitors"), std::string::npos) << total;
  EXPECT_NE(total.find("--max-monitors"), std::string::npos) << total;

  // The refused connection keeps its monitors.
  auto module = connect_module(port_);
  send_all(module.get(), frames({example_record(smbta::Op::kRead, "u", "s", "f", 10)}));
  std::size_t results = 0;
  ASSERT_TRUE(eventually([&] {
    while (auto m = first.next(0ms))
      if (m->value == "1") ++results;
    return results == 3;
  })) << results;
  EXPECT_EQ(count(smbtad_->log(), "monitor refused"), 2u)
      << "one line per connection, not per refusal\n"
      << smbtad_->log();

  // Gone clients free their places.
  { auto gone = std::move(first); }
  ASSERT_TRUE(eventually([&] {
    return thrown([&] { second.add(MonitorKind::kRead, {}); }).empty();
  })) << smbtad_->log();

  const auto bad = run_smbtad({"--max-monitors", "0"}, home_.path());
  EXPECT_EQ(bad.status, 2) << bad.output;
  EXPECT_NE(bad.output.find("--max-monitors"), std::string::npos) << bad.output;
}

TEST_F(ClientPort, ARequestTrickledByteByByteIsClosedAfterTheTimeout) {
  start({"--idle-timeout", "2"});
  // A valid registration, one byte every 100 ms: the gap between bytes never reaches the
  // timeout, the request would take 7 s.
  std::string request = smbta::frame_body(smbta::client::monitor_request(MonitorKind::kAdd, {}));
  ASSERT_GT(request.size(), 60u);
  auto fd = connect();
  const auto begin = std::chrono::steady_clock::now();
  bool closed = false;
  for (std::size_t i = 0; i < request.size() && !closed; ++i) {
    if (::send(fd.get(), &request[i], 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    closed = closed_by_peer(fd.get(), 100ms);
  }
  const auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_TRUE(closed) << "the whole request went through in "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms\n"
                      << smbtad_->log();
  EXPECT_GE(took, 1900ms);
  EXPECT_LT(took, 5s);
  EXPECT_NE(smbtad_->log().find("was not complete 2 s after its first byte"), std::string::npos)
      << smbtad_->log();

  // A request that stops half-way is closed by the timer, without another byte.
  auto stalled = connect();
  send_all(stalled.get(), request.substr(0, 30));
  EXPECT_TRUE(closed_by_peer(stalled.get(), 5s)) << smbtad_->log();

  // A connection quiet between requests is not touched by this timeout.
  auto quiet = client();
  const auto id = quiet.add(MonitorKind::kAdd, {});
  EXPECT_FALSE(closed_by_peer(quiet.fd(), 3s));
  auto module = connect_module(port_);
  send_all(module.get(), frames({example_record(smbta::Op::kRead, "u", "s", "f", 10)}));
  const auto m = quiet.next(5s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, id);
}

TEST_F(ClientPort, ConnectionsClosedOnErrorsAreLoggedWithinABudget) {
  start();
  // Each sends a broken header and is closed; smbtad logs the first ten, the rest are counted
  // into the next line that passes (a minute later).
  for (int i = 0; i < 15; ++i) {
    auto fd = connect();
    send_all(fd.get(), "XXXXXXXXXXXXXXXXXXXXXXXXXX");
    ASSERT_TRUE(closed_by_peer(fd.get(), 5s)) << i;
  }
  ASSERT_TRUE(eventually([&] { return count(smbtad_->log(), "client connection from") >= 10; }))
      << smbtad_->log();
  auto probe = client();
  EXPECT_GT(probe.add(MonitorKind::kAdd, {}), 0u) << "smbtad serves on";
  EXPECT_EQ(count(smbtad_->log(), "client connection from 127.0.0.1 closed"), 10u)
      << smbtad_->log();
}

TEST_F(ClientPort, PeerTextInTheLogIsEscaped) {
  start({"-d", "1"});
  auto fd = connect();
  // A registration whose filters try to end the log line, forge another and clear the screen.
  smbta::client::MonitorFilter forged;
  forged.user = "x\nsmbtad[error]: forged\x1b[2J";
  forged.share =
      "\xc2\x9b"
      "31m";  // the 8-bit CSI
  send_all(fd.get(), smbta::frame_body(smbta::client::monitor_request(MonitorKind::kLog, forged)));
  send_all(fd.get(), smbta::frame_body("zz\n\x1b]0;title\x07"));
  ASSERT_TRUE(eventually([&] {
    return smbtad_->log().find("unknown request") != std::string::npos &&
           smbtad_->log().find("registered") != std::string::npos;
  })) << smbtad_->log();
  const std::string log = smbtad_->log();
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << log;
  EXPECT_EQ(log.find('\x07'), std::string::npos) << log;
  EXPECT_EQ(log.find("\xc2\x9b"), std::string::npos) << log;
  std::istringstream lines(log);
  for (std::string l; std::getline(lines, l);)
    EXPECT_FALSE(l.starts_with("smbtad[error]: forged")) << "a forged line:\n" << log;
  EXPECT_NE(log.find(R"(user "x\x0asmbtad[error]: forged\x1b[2J")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"(share "\xc2\x9b31m")"), std::string::npos) << log;
}

}  // namespace
}  // namespace smbtad::testing

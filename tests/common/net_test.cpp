// SPDX-License-Identifier: GPL-3.0-or-later
// Client connects: refused ports fail at once, a listener that does not answer fails after the
// timeout instead of holding the client (smbtamonitor, rrddriver, smbtaquery) for minutes.
#include "smbta/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace smbta::net {
namespace {

// A loopback listener on an ephemeral port with the given accept backlog, never accepting.
struct Listener {
  UniqueFd fd;
  int port = 0;
  explicit Listener(int backlog) : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::listen(fd.get(), backlog) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      throw std::runtime_error("cannot set up the test listener");
    port = ntohs(sa.sin_port);
  }
};

std::string connect_error(int port, std::chrono::milliseconds timeout) {
  try {
    connect_tcp("127.0.0.1", port, timeout);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(Net, ConnectsAndHandsOutABlockingSocket) {
  Listener l(8);
  UniqueFd c = connect_tcp("127.0.0.1", l.port);
  ASSERT_TRUE(c);
  EXPECT_EQ(::fcntl(c.get(), F_GETFL) & O_NONBLOCK, 0);
}

TEST(Net, RefusedPortFailsAtOnce) {
  int port;
  {
    Listener l(1);
    port = l.port;
  }  // closed: nothing listens there now
  const auto t0 = std::chrono::steady_clock::now();
  const std::string err = connect_error(port, std::chrono::seconds(5));
  EXPECT_NE(err.find("refused"), std::string::npos) << err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
}

TEST(Net, SilentListenerTimesOut) {
  // With a full accept queue the kernel drops further SYNs, as a firewall would.
  Listener l(0);
  std::vector<UniqueFd> queued;
  std::string err;
  for (int i = 0; i < 8 && err.empty(); ++i) {
    try {
      queued.push_back(connect_tcp("127.0.0.1", l.port, std::chrono::milliseconds(300)));
    } catch (const std::runtime_error& e) {
      err = e.what();
    }
  }
  EXPECT_NE(err.find("no answer within 300 ms"), std::string::npos) << err;
  EXPECT_NE(err.find("port " + std::to_string(l.port)), std::string::npos) << err;
}

}  // namespace
}  // namespace smbta::net

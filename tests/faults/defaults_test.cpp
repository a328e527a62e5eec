// SPDX-License-Identifier: GPL-3.0-or-later
// Security by default: an smbtad started without address options listens on loopback only.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "support/smbtad_process.h"

namespace smbtad::testing {
namespace {

// The local addresses (as /proc/net/tcp{,6} write them, hex) of the listening sockets on `port`.
std::set<std::string> listeners(int port) {
  std::set<std::string> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string slot, local, remote, state;
      f >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (state != "0A" || colon == std::string::npos) continue;  // 0A: LISTEN
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port)
        out.insert(local.substr(0, colon));
    }
  }
  return out;
}

TEST(SecurityDefaults, SmbtadListensOnLoopbackOnlyOnBothPorts) {
  TempDir home;
  const int port = free_port();
  int qport = free_port();
  while (qport == port) qport = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-q", std::to_string(qport)}, home.path(),
                       port);
  ASSERT_TRUE(eventually([&] { return !listeners(qport).empty(); })) << smbtad.log();
  const std::set<std::string> loopback = {"0100007F",                           // 127.0.0.1
                                          "00000000000000000000000001000000"};  // ::1
  for (int p : {port, qport}) {
    const auto got = listeners(p);
    EXPECT_FALSE(got.empty()) << p;
    for (const auto& a : got) EXPECT_TRUE(loopback.count(a)) << "port " << p << " listens on " << a;
  }
  EXPECT_EQ(smbtad.stop(), 0);
}

}  // namespace
}  // namespace smbtad::testing

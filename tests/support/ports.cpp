// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/ports.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>

#include "smbta/unique_fd.h"

namespace smbta::testing {
namespace {

// 10000-15999 is the PostgreSQL test cluster's (tests/CMakeLists.txt).
constexpr int kFirstPort = 16384;

int ephemeral_low() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  range >> low;
  return low;
}

}  // namespace

int free_port() {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static std::mt19937 rng(static_cast<unsigned>(::getpid()));
  // Below the kernel's ephemeral range: a port handed out there can be taken between the probe
  // and its use by any client connection's source port (thousands per test run, each lingering
  // in TIME_WAIT), or a module reconnecting to it can connect to itself.
  const int below = ephemeral_low();
  const int pairs = (below - kFirstPort - 1) / 2;
  if (pairs < 100) throw std::runtime_error("no port range below the ephemeral ports");
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = kFirstPort + static_cast<int>(rng() % static_cast<unsigned>(pairs)) * 2;
    bool ok = true;
    for (int p : {port, port + 1}) {
      UniqueFd probe(::socket(AF_INET, SOCK_STREAM, 0));
      int one = 1;
      ::setsockopt(probe.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sa.sin_port = htons(static_cast<std::uint16_t>(p));
      if (::bind(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) ok = false;
    }
    if (ok) return port;
  }
  throw std::runtime_error("no free port");
}

}  // namespace smbta::testing

// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/ports.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <stdexcept>

#include "smbta/unique_fd.h"

namespace smbta::testing {

int free_port() {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static std::mt19937 rng(static_cast<unsigned>(::getpid()));
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = 45000 + static_cast<int>(rng() % 7000) * 2;
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

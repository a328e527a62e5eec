// SPDX-License-Identifier: GPL-3.0-or-later
// Socket helpers shared by smbtad and the clients: listening, connecting, peer names.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include "smbta/unique_fd.h"

namespace smbta::net {

// Binds every address `host` resolves to (localhost: 127.0.0.1 and ::1), non-blocking, with
// SO_REUSEADDR and IPV6_V6ONLY so that IPv4 and IPv6 listeners coexist. Throws
// std::runtime_error naming host and port when none can be bound. backlog 0: bind only (the
// caller listens later, e.g. once it is ready to serve).
std::vector<UniqueFd> listen_tcp(const std::string& host, int port, int backlog = 1024);

// Binds a Unix stream socket at `path` with permissions `mode`. A stale socket left by a dead
// process is replaced; any other file at the path is an error (never unlink a regular file).
UniqueFd listen_unix(const std::string& path, unsigned mode, int backlog = 1024);

// Connects for clients and tests; the returned socket is blocking. A host that drops packets
// (firewall) would otherwise hold a client for minutes: each address gets `timeout`. Throw
// std::runtime_error on failure.
UniqueFd connect_tcp(const std::string& host, int port,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
UniqueFd connect_unix(const std::string& path);

// "192.0.2.1", "::1", or "unix" for AF_UNIX peers.
std::string peer_address(const sockaddr_storage& ss);

void set_nonblocking(int fd);

// Writes everything or throws (blocking fds only).
void write_all(int fd, const void* data, std::size_t n);

}  // namespace smbta::net

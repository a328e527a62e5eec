// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace smbta::net {
namespace {

struct AddrinfoDeleter {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoDeleter>;

AddrinfoPtr resolve(const std::string& host, int port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) throw std::runtime_error("cannot resolve " + host + ": " + gai_strerror(rc));
  return AddrinfoPtr(res);
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path)
    throw std::runtime_error("Unix socket path too long: " + path);
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return sa;
}

}  // namespace

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    throw std::runtime_error(std::string("fcntl O_NONBLOCK: ") + std::strerror(errno));
}

std::vector<UniqueFd> listen_tcp(const std::string& host, int port, int backlog) {
  auto res = resolve(host, port, true);
  std::vector<UniqueFd> out;
  std::string errors;
  for (addrinfo* a = res.get(); a != nullptr; a = a->ai_next) {
    UniqueFd fd(
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd) continue;
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a->ai_family == AF_INET6)
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 ||
        (backlog > 0 && ::listen(fd.get(), backlog) != 0)) {
      errors += std::string(errors.empty() ? "" : "; ") + std::strerror(errno);
      continue;
    }
    out.push_back(std::move(fd));
  }
  if (out.empty())
    throw std::runtime_error("cannot listen on " + host + " port " + std::to_string(port) +
                             (errors.empty() ? "" : ": " + errors));
  return out;
}

UniqueFd listen_unix(const std::string& path, unsigned mode, int backlog) {
  const sockaddr_un sa = unix_address(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::runtime_error(path + " exists and is not a socket; refusing to replace it");
    // Only replace the socket if nobody answers on it: a second smbtad must not steal it.
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0)
      throw std::runtime_error(path + " is in use by a running process");
    ::unlink(path.c_str());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  // Create the socket with no permissions for others, then widen to `mode`: no window in
  // which a socket in world-writable /var/tmp is open to everyone.
  const mode_t old = ::umask(0177);
  const int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  const int bind_errno = errno;
  ::umask(old);
  if (rc != 0) throw std::runtime_error("cannot bind " + path + ": " + std::strerror(bind_errno));
  if (::chmod(path.c_str(), mode) != 0 || (backlog > 0 && ::listen(fd.get(), backlog) != 0))
    throw std::runtime_error("cannot listen on " + path + ": " + std::strerror(errno));
  return fd;
}

namespace {

// 0 or an errno value; ETIMEDOUT when `timeout` passed first.
int connect_within(int fd, const sockaddr* sa, socklen_t len, std::chrono::milliseconds timeout) {
  if (::connect(fd, sa, len) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  pollfd p{fd, POLLOUT, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);  // a signal restarts the whole wait: bounded enough here
  if (rc < 0) return errno;
  if (rc == 0) return ETIMEDOUT;
  int err = 0;
  socklen_t n = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) != 0) return errno;
  return err;
}

}  // namespace

UniqueFd connect_tcp(const std::string& host, int port, std::chrono::milliseconds timeout) {
  auto res = resolve(host, port, false);
  std::string errors;
  for (addrinfo* a = res.get(); a != nullptr; a = a->ai_next) {
    UniqueFd fd(
        ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!fd) continue;
    const int err = connect_within(fd.get(), a->ai_addr, a->ai_addrlen, timeout);
    if (err == 0) {
      const int flags = ::fcntl(fd.get(), F_GETFL);
      if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
        throw std::runtime_error(std::string("fcntl: ") + std::strerror(errno));
      return fd;
    }
    errors = err == ETIMEDOUT ? "no answer within " + std::to_string(timeout.count()) + " ms"
                              : std::strerror(err);
  }
  throw std::runtime_error("cannot connect to " + host + " port " + std::to_string(port) + ": " +
                           errors);
}

UniqueFd connect_unix(const std::string& path) {
  const sockaddr_un sa = unix_address(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
    throw std::runtime_error("cannot connect to " + path + ": " + std::strerror(errno));
  return fd;
}

std::string peer_address(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a6))
      ::inet_ntop(AF_INET, &a6.s6_addr[12], buf, sizeof buf);
    else
      ::inet_ntop(AF_INET6, &a6, buf, sizeof buf);
  } else {
    return "unix";
  }
  return buf;
}

void write_all(int fd, const void* data, std::size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace smbta::net

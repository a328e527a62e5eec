// SPDX-License-Identifier: GPL-3.0-or-later
// A minimal smbtad stand-in for the VFS module tests: accepts module connections (TCP on
// 127.0.0.1 or a Unix socket), decodes them with smbta::StreamDecoder, and appends one
// tab-separated line per record to a file:
//   op user sid share domain timestamp client_ip latency_us path path2 length mode result blocks
//   enc seq sender replayed
// (enc: 1 when the frame was encrypted; seq "-" and sender "-" without common block 9;
// replayed: 1 when the record came from the module's spool)
// A drop notice of the module (op 90) becomes
//   dropped <records> <bytes>
// and a protocol error `error <description>`.
// Usage: smbta_test_receiver (--port N | --unix PATH) --out FILE [--key FILE] [--ready FILE]
//                            [--rcvbuf BYTES]
//        smbta_test_receiver --hash STRING   (prints the module's anonymization hash of STRING)
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smbta/key_file.h"
#include "smbta/legacy_cipher.h"
#include "smbta/stream_decoder.h"
#include "smbta/timestamp.h"
#include "smbta/unique_fd.h"
#include "smbta/v2_c_api.h"
#include "smbta/v2_codec.h"

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "smbta_test_receiver: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

// Splits the raw stream into frames alongside the decoder, so that a frame the decoder rejects
// (the drop notice's unknown op) can still be read here.
struct Connection {
  smbta::UniqueFd fd;
  smbta::StreamDecoder decoder;
  std::string raw;
  std::optional<smbta::LegacyCipher> cipher;

  Connection(int f, std::optional<smbta::AesKey> key)
      : fd(f), decoder(smbta::DecoderLimits{}, key) {
    if (key) cipher.emplace(*key);
  }

  std::string pop_raw_frame() {
    if (raw.size() < smbta::kHeaderSize) return {};
    smbta::FrameHeader h;
    if (smbta::parse_header(std::string_view(raw).substr(0, smbta::kHeaderSize), 1 << 20, h) !=
        smbta::ProtocolError::kNone)
      return {};
    const std::size_t n = smbta::kHeaderSize + h.body_length;
    if (raw.size() < n) return {};
    std::string body = raw.substr(smbta::kHeaderSize, h.body_length);
    raw.erase(0, n);
    if (h.encrypted && cipher) {
      std::string plain;
      cipher->decrypt(body, plain);
      return plain;
    }
    return body;
  }
};

std::string line_of(const smbta::Record& r, bool encrypted) {
  std::string s;
  auto add = [&s](std::string_view v) {
    s.append(v);
    s.push_back('\t');
  };
  add(smbta::op_name(r.op));
  add(r.user);
  add(r.sid);
  add(r.share);
  add(r.domain);
  add(smbta::format_timestamp(r.timestamp_ms));
  add(r.client_ip);
  add(r.latency_us ? std::to_string(*r.latency_us) : "-");
  add(r.path);
  add(r.path2);
  add(std::to_string(r.length));
  add(std::to_string(r.mode));
  add(std::to_string(r.result));
  add(std::to_string(r.common_blocks));
  add(encrypted ? "1" : "0");
  add(r.sequence != 0 ? std::to_string(r.sequence) : "-");
  add(r.sequence != 0 ? r.sender : "-");
  s.append(r.replayed ? "1" : "0");
  return s;
}

// "dropped N B" when the body is the module's drop notice.
std::optional<std::string> drop_notice(std::string_view body) {
  smbta::SubBlockReader rd(body);
  std::string_view v;
  std::uint64_t count = 0, op = 0;
  if (rd.next(v) != smbta::ProtocolError::kNone || !smbta::parse_decimal(v, count)) return {};
  if (rd.next(v) != smbta::ProtocolError::kNone || !smbta::parse_decimal(v, op)) return {};
  if (op != SMBTA_C_OP_DROP_NOTICE) return {};
  for (std::uint64_t i = 1; i < count; ++i)
    if (rd.next(v) != smbta::ProtocolError::kNone) return {};
  std::string_view records, bytes;
  if (rd.next(records) != smbta::ProtocolError::kNone ||
      rd.next(bytes) != smbta::ProtocolError::kNone)
    return {};
  return "dropped\t" + std::string(records) + "\t" + std::string(bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--hash") {
    std::printf("%d\n", static_cast<int>(smbta_c_str_checksum(argv[2])));
    return 0;
  }
  int port = -1, rcvbuf = 0;
  std::string unix_path, out_path, key_path, ready_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--port")
      port = std::atoi(argv[i + 1]);
    else if (a == "--unix")
      unix_path = argv[i + 1];
    else if (a == "--out")
      out_path = argv[i + 1];
    else if (a == "--key")
      key_path = argv[i + 1];
    else if (a == "--ready")
      ready_path = argv[i + 1];
    else if (a == "--rcvbuf")
      rcvbuf = std::atoi(argv[i + 1]);
  }
  if ((port < 0 && unix_path.empty()) || out_path.empty()) {
    std::fprintf(stderr,
                 "usage: smbta_test_receiver (--port N | --unix PATH) --out FILE [--key FILE] "
                 "[--ready FILE]\n");
    return 2;
  }
  std::optional<smbta::AesKey> key;
  if (!key_path.empty()) key = smbta::load_key_file(key_path);

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  smbta::UniqueFd listener;
  if (!unix_path.empty()) {
    listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::snprintf(sun.sun_path, sizeof sun.sun_path, "%s", unix_path.c_str());
    ::unlink(unix_path.c_str());
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) die("bind");
  } else {
    listener.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<std::uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) die("bind");
  }
  // A small receive buffer (inherited by accepted sockets) makes a stopped receiver's
  // backlog reach the module's queue quickly.
  if (rcvbuf > 0) ::setsockopt(listener.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (::listen(listener.get(), 64) != 0) die("listen");

  std::FILE* out = std::fopen(out_path.c_str(), "a");
  if (out == nullptr) die("open " + out_path);
  if (!ready_path.empty()) std::ofstream(ready_path) << getpid() << "\n";

  std::map<int, std::unique_ptr<Connection>> conns;
  std::vector<pollfd> fds;
  smbta::Record rec;
  while (g_stop == 0) {
    fds.clear();
    fds.push_back({listener.get(), POLLIN, 0});
    for (auto& [fd, c] : conns) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 200) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[0].revents & POLLIN) {
      int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) conns.emplace(fd, std::make_unique<Connection>(fd, key));
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Connection& c = *conns.at(fds[i].fd);
      char buf[65536];
      const ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
      bool close_it = n <= 0;
      if (n > 0) {
        c.decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        c.raw.append(buf, static_cast<std::size_t>(n));
        for (;;) {
          const auto st = c.decoder.next(rec);
          if (st == smbta::StreamDecoder::Status::kNeedMore) break;
          if (st == smbta::StreamDecoder::Status::kFatal) {
            std::fprintf(out, "error\t%s\n", std::string(describe(c.decoder.error())).c_str());
            close_it = true;
            break;
          }
          const std::string body = c.pop_raw_frame();
          if (st == smbta::StreamDecoder::Status::kRecord && rec.op == smbta::Op::kDropNotice) {
            std::fprintf(out, "dropped\t%llu\t%llu\n", static_cast<unsigned long long>(rec.result),
                         static_cast<unsigned long long>(rec.length));
          } else if (st == smbta::StreamDecoder::Status::kRecord) {
            std::fprintf(out, "%s\n", line_of(rec, c.decoder.last_header().encrypted).c_str());
          } else if (auto d = drop_notice(body)) {
            std::fprintf(out, "%s\n", d->c_str());
          } else {
            std::fprintf(out, "error\t%s\n", std::string(describe(c.decoder.error())).c_str());
          }
        }
        std::fflush(out);
      }
      if (close_it) conns.erase(fds[i].fd);
    }
  }
  std::fclose(out);
  if (!unix_path.empty()) ::unlink(unix_path.c_str());
  return 0;
}

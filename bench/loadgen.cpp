// SPDX-License-Identifier: GPL-3.0-or-later
// smbta_loadgen: replays V2 record streams over N module connections as fast as smbtad takes them.
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "smbta/key_file.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "smbta/v2_codec.h"
#include "support/test_records.h"

namespace {

std::string fmt_address(int third, int fourth) {
  return "127.0." + std::to_string(third) + "." + std::to_string(fourth);
}

struct Args {
  std::string host = "127.0.0.1";
  int port = 3490;
  std::string unix_path;
  int connections = 1;
  int idle = 0;
  long records = 100000;
  std::string keyfile;
  std::uint64_t seed = 1;
  int hold_s = 0;
  long spacing_us = 1;  // record time between consecutive records (not the sending pace)
  int modules = 0;      // 0: one module, connecting from the kernel's choice of address
  int first_module = 1;
  // "mix": realistic_mix (every R/W record another file); "copies": each connection is one user
  // copying files in 64 KiB reads and writes, `chunks` per file, the stream that aggregation at
  // precision > 0 merges (one row per file and bucket).
  std::string shape = "mix";
  int chunks = 16;
};

void usage() {
  std::puts(
      "Usage: smbta_loadgen [--host H] [--port P | --unix PATH] [--connections N] [--records "
      "TOTAL]\n"
      "                     [--idle N] [--key-file FILE] [--seed S] [--hold SECONDS]\n"
      "                     [--modules N [--first-module K]] [--shape mix|copies] [--chunks N]\n"
      "                     [--record-spacing-us US]\n"
      "Sends TOTAL records of a realistic mix (reads, writes, open/close, directory ops) spread "
      "over\n"
      "N connections in parallel; --idle N opens N more connections that send nothing (memory\n"
      "tests); --hold keeps all connections open for SECONDS after sending.\n"
      "--modules N simulates N Samba servers K..K+N-1 (K from --first-module, default 1; TCP to\n"
      "127.0.0.1 only): connection i belongs to server K + i % N and connects from that server's\n"
      "address (server 1: 127.0.1.1, ... 254: 127.0.1.254, 255: 127.0.2.1), so smbtad sees N\n"
      "module addresses; the server's shares are named srvK-SHARE.\n"
      "--shape copies: each connection copies files in 64 KiB reads and writes, --chunks N per\n"
      "file (default 16).\n"
      "--record-spacing-us US: the records' timestamps are US microseconds apart (default 1: a\n"
      "million records span one second, a burst to smbtad's alerts; 25000 is 40 records/s).\n"
      "Prints: records, seconds, records/s sent.");
}

Args parse(int argc, char** argv) {
  static const option kOpts[] = {{"host", required_argument, nullptr, 'h'},
                                 {"port", required_argument, nullptr, 'p'},
                                 {"unix", required_argument, nullptr, 'u'},
                                 {"connections", required_argument, nullptr, 'c'},
                                 {"records", required_argument, nullptr, 'n'},
                                 {"idle", required_argument, nullptr, 'i'},
                                 {"key-file", required_argument, nullptr, 'k'},
                                 {"seed", required_argument, nullptr, 's'},
                                 {"hold", required_argument, nullptr, 'H'},
                                 {"record-spacing-us", required_argument, nullptr, 'r'},
                                 {"modules", required_argument, nullptr, 'm'},
                                 {"first-module", required_argument, nullptr, 'f'},
                                 {"shape", required_argument, nullptr, 'S'},
                                 {"chunks", required_argument, nullptr, 'C'},
                                 {"help", no_argument, nullptr, '?'},
                                 {nullptr, 0, nullptr, 0}};
  Args a;
  int c;
  while ((c = getopt_long(argc, argv, "", kOpts, nullptr)) != -1) {
    switch (c) {
      case 'h':
        a.host = optarg;
        break;
      case 'p':
        a.port = std::atoi(optarg);
        break;
      case 'u':
        a.unix_path = optarg;
        break;
      case 'c':
        a.connections = std::atoi(optarg);
        break;
      case 'n':
        a.records = std::atol(optarg);
        break;
      case 'i':
        a.idle = std::atoi(optarg);
        break;
      case 'k':
        a.keyfile = optarg;
        break;
      case 's':
        a.seed = std::strtoull(optarg, nullptr, 10);
        break;
      case 'H':
        a.hold_s = std::atoi(optarg);
        break;
      case 'r':
        a.spacing_us = std::atol(optarg);
        break;
      case 'm':
        a.modules = std::atoi(optarg);
        break;
      case 'f':
        a.first_module = std::atoi(optarg);
        break;
      case 'S':
        a.shape = optarg;
        break;
      case 'C':
        a.chunks = std::atoi(optarg);
        break;
      default:
        usage();
        std::exit(c == '?' ? 0 : 2);
    }
  }
  if (a.modules > 0 && (!a.unix_path.empty() || a.host != "127.0.0.1")) {
    std::fputs("smbta_loadgen: --modules needs TCP to 127.0.0.1 (it binds loopback sources)\n",
               stderr);
    std::exit(2);
  }
  if (a.modules > 0 && a.connections < a.modules) a.connections = a.modules;
  if (a.connections < 1 || a.records < 1 || a.spacing_us < 1 || a.modules < 0 ||
      a.first_module < 1 || a.first_module + a.modules > 65000 || a.chunks < 1 ||
      (a.shape != "mix" && a.shape != "copies")) {
    usage();
    std::exit(2);
  }
  return a;
}

// Server k's (from 1) source address: 127.0.1.1 .. 127.0.1.254, then 127.0.2.1 ... (loopback).
std::string module_address(int k) {
  return fmt_address(1 + (k - 1) / 254, 1 + (k - 1) % 254);
}

// The server (from 1) that connection i belongs to.
int server_of(const Args& a, std::size_t i) {
  return a.first_module + static_cast<int>(i % static_cast<std::size_t>(a.modules));
}

// Connects to 127.0.0.1:port from `source` (why: smbtad tells modules apart by their address).
smbta::UniqueFd connect_from(const std::string& source, int port) {
  smbta::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in src{}, dst{};
  src.sin_family = dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, source.c_str(), &src.sin_addr);
  ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0)
    throw std::runtime_error("cannot connect from " + source + " to 127.0.0.1 port " +
                             std::to_string(port) + ": " + std::strerror(errno));
  return fd;
}

// Connection i's socket (module i % modules with --modules).
smbta::UniqueFd connect(const Args& a, int i) {
  if (a.modules > 0)
    return connect_from(module_address(server_of(a, static_cast<std::size_t>(i))), a.port);
  return a.unix_path.empty() ? smbta::net::connect_tcp(a.host, a.port)
                             : smbta::net::connect_unix(a.unix_path);
}

// Record i goes to connection i % connections (see main): connection c sees its own user's
// files one after another, each read (or written) in `chunks` pieces of 64 KiB.
std::vector<smbta::Record> copies(std::size_t n, int connections, int chunks) {
  std::vector<smbta::Record> out;
  out.reserve(n);
  const auto conns = static_cast<std::size_t>(connections);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % conns, j = i / conns, file = j / static_cast<std::size_t>(chunks);
    smbta::Record r =
        smbta::testing::example_record(file % 2 ? smbta::Op::kWrite : smbta::Op::kRead);
    r.user = "user" + std::to_string(c);
    r.path = "copies/c" + std::to_string(c) + "/file" + std::to_string(file) + ".dat";
    r.length = 65536;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);

  // Pre-encode every stream so the generator's own cost does not limit the rate measured.
  std::vector<std::string> streams(static_cast<std::size_t>(a.connections));
  std::optional<smbta::LegacyCipher> cipher;
  if (!a.keyfile.empty()) cipher.emplace(smbta::load_key_file(a.keyfile));
  const std::int64_t now = smbta::local_now_ms();
  auto records = a.shape == "copies"
                     ? copies(static_cast<std::size_t>(a.records), a.connections, a.chunks)
                     : smbta::testing::realistic_mix(static_cast<std::size_t>(a.records), a.seed);
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].timestamp_ms =
        now + static_cast<std::int64_t>(i) * static_cast<std::int64_t>(a.spacing_us) / 1000;
    const std::size_t conn = i % streams.size();
    if (a.modules > 0)
      records[i].share = "srv" + std::to_string(server_of(a, conn)) + "-" + records[i].share;
    streams[conn] += smbta::encode_frame(records[i], cipher ? &*cipher : nullptr);
  }
  std::vector<smbta::UniqueFd> idle;
  for (int i = 0; i < a.idle; ++i) idle.push_back(connect(a, i));
  std::vector<smbta::UniqueFd> fds;
  for (int i = 0; i < a.connections; ++i) fds.push_back(connect(a, i));

  const auto start = std::chrono::steady_clock::now();
  // Wall-clock start of sending, so that a driver script can time what smbtad does with the
  // records without the generator's own preparation.
  const double start_epoch =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<std::thread> threads;
  for (int i = 0; i < a.connections; ++i) {
    threads.emplace_back([&, i] {
      const auto& s = streams[static_cast<std::size_t>(i)];
      smbta::net::write_all(fds[static_cast<std::size_t>(i)].get(), s.data(), s.size());
    });
  }
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("records %ld seconds %.3f sent_per_s %.0f start_epoch %.6f\n", a.records, secs,
              static_cast<double>(a.records) / secs, start_epoch);
  std::fflush(stdout);
  if (a.hold_s > 0) std::this_thread::sleep_for(std::chrono::seconds(a.hold_s));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "smbta_loadgen: %s\n", e.what());
  return 1;
}

// SPDX-License-Identifier: GPL-3.0-or-later
// smbta_loadgen: replays V2 record streams over N module connections as fast as smbtad takes them.
#include <getopt.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "smbta/key_file.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "smbta/v2_codec.h"
#include "support/test_records.h"

namespace {

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
};

void usage() {
  std::puts(
      "Usage: smbta_loadgen [--host H] [--port P | --unix PATH] [--connections N] [--records "
      "TOTAL]\n"
      "                     [--idle N] [--key-file FILE] [--seed S] [--hold SECONDS]\n"
      "Sends TOTAL records of a realistic mix (reads, writes, open/close, directory ops) spread "
      "over\n"
      "N connections in parallel; --idle N opens N more connections that send nothing (memory\n"
      "tests); --hold keeps all connections open for SECONDS after sending.\n"
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
      default:
        usage();
        std::exit(c == '?' ? 0 : 2);
    }
  }
  if (a.connections < 1 || a.records < 1) {
    usage();
    std::exit(2);
  }
  return a;
}

smbta::UniqueFd connect(const Args& a) {
  return a.unix_path.empty() ? smbta::net::connect_tcp(a.host, a.port)
                             : smbta::net::connect_unix(a.unix_path);
}

}  // namespace

int main(int argc, char** argv) {
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
  auto records = smbta::testing::realistic_mix(static_cast<std::size_t>(a.records), a.seed);
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].timestamp_ms = now + static_cast<std::int64_t>(i / 1000);
    streams[i % streams.size()] += smbta::encode_frame(records[i], cipher ? &*cipher : nullptr);
  }
  std::vector<smbta::UniqueFd> idle;
  for (int i = 0; i < a.idle; ++i) idle.push_back(connect(a));
  std::vector<smbta::UniqueFd> fds;
  for (int i = 0; i < a.connections; ++i) fds.push_back(connect(a));

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
}

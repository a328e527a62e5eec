// SPDX-License-Identifier: GPL-3.0-or-later
// A real smbtad process for the integration tests, and a client that speaks V2 to it like a module.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "smbta/legacy_cipher.h"
#include "smbta/record.h"
#include "smbta/unique_fd.h"
#include "store/event_store.h"
#include "support/eventually.h"
#include "support/files.h"
#include "support/ports.h"
#include "support/process.h"

namespace smbtad::testing {

// The smbtad tests live in this namespace and use the generic helpers unqualified.
using smbta::testing::eventually;
using smbta::testing::free_port;
using smbta::testing::TempDir;

// Why: the tests must exercise the daemon users run, with its options, sockets, threads and
// signal handling, not a library call that skips them.
class SmbtadProcess {
 public:
  // Starts `smbtad -o <args>` with HOME set to `home`; waits until `port` (or `unix_path`)
  // accepts connections. Throws std::runtime_error with the log if it does not come up.
  SmbtadProcess(std::vector<std::string> args, std::filesystem::path home, int port,
                std::string unix_path = {});

  // SIGTERM, then waits up to `timeout` for the exit; returns the exit status (or -signal).
  int stop(std::chrono::seconds timeout = std::chrono::seconds(30));
  bool running() { return child_->running(); }
  // stdout and stderr, in the order written.
  std::string log() const { return child_->out(); }
  pid_t pid() const { return child_->pid(); }

 private:
  std::unique_ptr<smbta::testing::ChildProcess> child_;
};

// What smbtad run to completion (option errors, -T) did; its two streams as one text.
struct RunResult {
  int status;
  std::string output;
};
RunResult run_smbtad(const std::vector<std::string>& args, const std::filesystem::path& home);

// smbtad's (and smbtaquery's) options for the database `p`.
std::vector<std::string> database_args(const smbta::store::DbParams& p);
// The sqlite3 database smbtad uses by default when started with HOME=`home`.
smbta::store::DbParams sqlite_at(const std::filesystem::path& home);

smbta::UniqueFd connect_module(int port);
void send_all(int fd, std::string_view bytes);
// `records` as V2 frames the way a module sends them, encrypted with `cipher` if given.
std::string frames(const std::vector<smbta::Record>& records,
                   smbta::LegacyCipher* cipher = nullptr);

}  // namespace smbtad::testing

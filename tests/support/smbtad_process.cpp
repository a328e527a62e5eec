// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/smbtad_process.h"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>

#include "smbta/net.h"
#include "smbta/v2_codec.h"

namespace smbtad::testing {
namespace {

smbta::testing::ChildIo smbtad_io(const std::filesystem::path& home,
                                  const std::filesystem::path& log, bool append) {
  smbta::testing::ChildIo io;
  io.out = log;  // stderr too
  io.append = append;
  io.env = {"HOME=" + home.string()};
  return io;
}

std::vector<std::string> smbtad_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv{SMBTAD_BINARY};
  // smbtad refuses root without it; the tests (and CI) often run as root.
  if (::geteuid() == 0) argv.emplace_back("--allow-root");
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

SmbtadProcess::SmbtadProcess(std::vector<std::string> args, std::filesystem::path home, int port,
                             std::string unix_path) {
  args.insert(args.begin(), "-o");
  // Appended: a restarted smbtad on the same port adds to the log of the one before.
  child_ = std::make_unique<smbta::testing::ChildProcess>(
      smbtad_argv(args), smbtad_io(home, home / ("smbtad-" + std::to_string(port) + ".log"), true));
  const bool up = eventually([&] {
    if (!running()) return true;
    try {
      if (!unix_path.empty())
        smbta::net::connect_unix(unix_path);
      else
        smbta::net::connect_tcp("127.0.0.1", port);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  });
  if (!up || !running()) throw std::runtime_error("smbtad did not start:\n" + log());
}

int SmbtadProcess::stop(std::chrono::seconds timeout) {
  child_->signal(SIGTERM);
  const auto status = child_->wait(timeout);
  return status ? *status : -999;
}

RunResult run_smbtad(const std::vector<std::string>& args, const std::filesystem::path& home) {
  const auto r = smbta::testing::run(smbtad_argv(args), smbtad_io(home, home / "run.log", false));
  return {r.status, r.out};
}

smbta::store::DbParams sqlite_at(const std::filesystem::path& home) {
  smbta::store::DbParams p;
  p.driver = "sqlite3";
  p.sqlite_dbdir = (home / ".smbtad").string();
  p.name = "staddb";
  return p;
}

std::vector<std::string> database_args(const smbta::store::DbParams& p) {
  if (p.driver == "sqlite3") return {"-M", "sqlite3", "-N", p.sqlite_dbdir + "/" + p.name};
  return {"-M", p.driver, "-H", p.host,     "--dbport", p.port,
          "-S", p.user,   "-P", p.password, "-N",       p.name};
}

smbta::UniqueFd connect_module(int port) {
  return smbta::net::connect_tcp("127.0.0.1", port);
}

void send_all(int fd, std::string_view bytes) {
  smbta::net::write_all(fd, bytes.data(), bytes.size());
}

std::string frames(const std::vector<smbta::Record>& records, smbta::LegacyCipher* cipher) {
  std::string s;
  for (const auto& r : records) s += smbta::encode_frame(r, cipher);
  return s;
}

}  // namespace smbtad::testing

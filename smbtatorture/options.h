// SPDX-License-Identifier: GPL-3.0-or-later
// smbtatorture's command line: who works which shares, how much, how long, recorded or replayed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smbta::torture {

// Why: one SMB account that smbtatorture logs in as; each gets its own libsmbclient context and
// its own files, so that the per-user totals it reports are what Samba's module saw per user.
struct Credentials {
  std::string user;
  std::string password;
};

// Why: main() only dispatches; the parsed options are checked here once (ranges, conflicts)
// so that the run never starts with a combination it cannot carry out.
struct Options {
  std::vector<Credentials> users;
  std::string workgroup = "WORKGROUP";
  std::vector<std::string> shares;  // smb://host/share URLs, one or two
  int smb_port = 0;                 // 0: libsmbclient's default (445, then 139)
  std::uint64_t files = 20;         // files per user and share
  std::uint64_t total_size = 900000;
  std::uint64_t count = 0;  // actions of the torture stage; 0 = no count limit
  double duration_s = 0;    // 0 = no time limit
  double max_pause_s = 15;  // pause after each action: uniform in [0, max]
  std::optional<std::uint64_t> seed;
  std::string prefix = "smbtatorture";
  std::string record_file;
  std::string replay_file;
  std::string json_file;  // "-" = standard output
  bool verbose = false;
};

enum class ParseOutcome { kRun, kHelp, kVersion };

// Throws cli::UsageError naming the option; kHelp/kVersion leave `out` unspecified.
ParseOutcome parse_options(int argc, char** argv, Options& out);
std::string help_text();

// "900000", "64K", "500M", "1.5G" (K/M/G/T: binary units) as a byte count; throws UsageError.
std::uint64_t parse_size(const std::string& text, const std::string& what);

}  // namespace smbta::torture

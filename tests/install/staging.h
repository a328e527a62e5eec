// SPDX-License-Identifier: GPL-3.0-or-later
// An install below a staging root: its command lines moved into it, and shell lines run there.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.h"

namespace smbta::testing {

// Why: the guide and the generated service files name the system's paths (/etc/smbtad.conf,
// /usr/local/sbin/smbtad) and default ports; a test installs below a private root and must run
// the very same command lines there, on ports nobody else uses.
class StagingRoot {
 public:
  // `module_port` and `module_port + 1` stand in for 3490 and 3491.
  StagingRoot(std::filesystem::path root, int module_port);

  // `text` with every absolute path below /etc, /usr, /var or /run moved below the root, and the
  // whole words 3490 and 3491 replaced by the test's ports.
  std::string rewrite(std::string_view text) const;
  // `path` (absolute, as installed) below the root.
  std::filesystem::path operator/(const std::filesystem::path& path) const;

  const std::filesystem::path& root() const { return root_; }
  int module_port() const { return module_port_; }
  int client_port() const { return module_port_ + 1; }

 private:
  std::filesystem::path root_;
  int module_port_;
};

// The value of the first "Key=value" line of a systemd unit, or "" when there is none.
std::string unit_value(std::string_view unit, std::string_view key);
// `line` split at blanks (the unit's command lines use no quoting).
std::vector<std::string> split_words(std::string_view line);

// Runs `line` with bash -e -o pipefail in `cwd`, `env` added; output in `<outdir>/<name>.out|.err`.
RunResult run_shell(const std::string& line, const std::filesystem::path& cwd,
                    std::vector<std::string> env, const std::filesystem::path& outdir,
                    const std::string& name);

}  // namespace smbta::testing

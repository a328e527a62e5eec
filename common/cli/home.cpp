// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/home.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace smbta::cli {

std::string home_dir() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? home : "/var/lib";
}

std::optional<std::string> default_config_file() {
  const std::filesystem::path p =
      std::filesystem::path(home_dir()) / ".smbtatools" / "smbtatools.config";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  return p.string();
}

}  // namespace smbta::cli

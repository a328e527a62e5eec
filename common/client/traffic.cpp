// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/traffic.h"

#include <cstdlib>

namespace smbta::client {

std::optional<LogEntry> log_entry_from_fields(const std::vector<std::string>& f) {
  if ((f.size() != 6 && f.size() != 7) || f[0].empty() || f[0].size() > 4) return std::nullopt;
  char* end = nullptr;
  const long op = std::strtol(f[0].c_str(), &end, 10);
  if (*end != '\0' || op < 0) return std::nullopt;
  LogEntry e{static_cast<int>(op), f[1], f[2], f[3], f[4], f[5], std::nullopt};
  if (f.size() == 7) {
    const std::string& b = f[6];
    if (b.empty() || b.size() > 19 || b.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    e.bytes = std::strtoull(b.c_str(), nullptr, 10);
  }
  return e;
}

}  // namespace smbta::client

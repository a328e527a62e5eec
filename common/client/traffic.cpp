// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/traffic.h"

#include <cstdlib>

namespace smbta::client {

std::optional<LogEntry> log_entry_from_fields(const std::vector<std::string>& f) {
  if (f.size() != 6 || f[0].empty() || f[0].size() > 4) return std::nullopt;
  char* end = nullptr;
  const long op = std::strtol(f[0].c_str(), &end, 10);
  if (*end != '\0' || op < 0) return std::nullopt;
  return LogEntry{static_cast<int>(op), f[1], f[2], f[3], f[4], f[5]};
}

}  // namespace smbta::client

// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/config_aliases.h"

namespace smbta::cli {

std::optional<ConfigValue> first_present(const IniConfig& c, std::string_view section,
                                         std::span<const std::string_view> keys) {
  for (const std::string_view k : keys)
    if (auto v = c.get(section, k)) return ConfigValue{std::string(k), std::move(*v)};
  return std::nullopt;
}

std::optional<ConfigValue> smbtad_host(const IniConfig& c) {
  return first_present(c, kNetworkSection, kSmbtadHostKeys);
}

std::optional<ConfigValue> smbtad_port(const IniConfig& c) {
  return first_present(c, kNetworkSection, kSmbtadPortKeys);
}

}  // namespace smbta::cli

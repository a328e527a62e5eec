// SPDX-License-Identifier: GPL-3.0-or-later
// The 1.2.x spellings of the client tools' config keys, in the one order they are looked up.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "smbta/ini_config.h"

namespace smbta::cli {

// Why: the 1.2.x tools each spelled smbtad's address differently, and a shared
// smbtatools.config may hold several spellings. Each program had its own list, in different
// orders, so one file sent smbtaquery and smbtamonitor to different hosts. These lists are the
// only ones: the first key present wins. The spelling naming the daemon (`smbtad_...`, the one
// the man pages show) comes first, then the 1.2.x ones.
inline constexpr std::string_view kNetworkSection = "network";
inline constexpr std::array<std::string_view, 3> kSmbtadHostKeys = {
    "smbtad_host_name", "smbta_host_name", "smbta_host"};
inline constexpr std::array<std::string_view, 2> kSmbtadPortKeys = {"smbtad_port_number",
                                                                    "smbta_port_number"};

// Why: error messages name the spelling the user actually wrote.
struct ConfigValue {
  std::string key;
  std::string value;
};

// The first of `keys` present in `section`.
std::optional<ConfigValue> first_present(const IniConfig& c, std::string_view section,
                                         std::span<const std::string_view> keys);

// [network] smbtad host and client port, by the lists above.
std::optional<ConfigValue> smbtad_host(const IniConfig& c);
std::optional<ConfigValue> smbtad_port(const IniConfig& c);

}  // namespace smbta::cli

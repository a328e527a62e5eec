// SPDX-License-Identifier: GPL-3.0-or-later
// Conversion between the V2 timestamp text "YYYY-MM-DD hh:mm:ss.mmm" and naive epoch milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smbta {

inline constexpr std::size_t kTimestampTextSize = 23;

// Accepts exactly "YYYY-MM-DD hh:mm:ss.mmm" or the same without ".mmm"; rejects anything else
// (out-of-range fields included) so that a garbage timestamp never reaches the database.
std::optional<std::int64_t> parse_timestamp(std::string_view text);

// Always 23 characters, the format the Samba module produces.
std::string format_timestamp(std::int64_t ms);
void format_timestamp(std::int64_t ms, char (&out)[kTimestampTextSize]);

// Current local wall-clock time in the same naive representation as the module's timestamps.
std::int64_t local_now_ms();

}  // namespace smbta

// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/parse_integer.h"

#include <charconv>

#include <fmt/format.h>

#include "cli/usage_error.h"

namespace smbta::cli {

std::int64_t parse_integer(std::string_view text, std::int64_t min, std::int64_t max,
                           std::string_view what) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || v < min || v > max)
    throw UsageError(
        fmt::format("{}: expected a number from {} to {}, got '{}'", what, min, max, text));
  return v;
}

}  // namespace smbta::cli

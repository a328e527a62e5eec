// SPDX-License-Identifier: GPL-3.0-or-later
// Decimal integers from the command line and config files, with one error message format.
#pragma once

#include <cstdint>
#include <string_view>

namespace smbta::cli {

// Why: every option and config key that takes a number needs the same strictness (no sign
// tricks, spaces or trailing text) and the same wording when it is wrong; the programs had
// three parsers with three messages.
//
// Parses `text` as a decimal integer within [min, max]. Throws UsageError
// "WHAT: expected a number from MIN to MAX, got 'TEXT'".
std::int64_t parse_integer(std::string_view text, std::int64_t min, std::int64_t max,
                           std::string_view what);

}  // namespace smbta::cli

// SPDX-License-Identifier: GPL-3.0-or-later
// The one exception type for a bad command line or config value, in every smbta program.
#pragma once

#include <stdexcept>

namespace smbta::cli {

// Why: an option error must reach main() however deep the parsing found it, naming the option,
// so that main can print it (with the help or a hint) and pick the program's usage exit code.
// One type for all four programs lets the shared parsers below throw it.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace smbta::cli

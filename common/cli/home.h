// SPDX-License-Identifier: GPL-3.0-or-later
// Where the per-user files of the smbta programs live: $HOME, and the default config file.
#pragma once

#include <optional>
#include <string>

namespace smbta::cli {

// Why: smbtad's database and spool, its pid file, and the tools' config file all hang off the
// user's home; with one fallback for a missing $HOME (daemons started from init scripts often
// have none) they cannot end up in different places.
//
// $HOME when set and not empty, else "/var/lib".
std::string home_dir();

// Why: smbtaquery, smbtamonitor and rrddriver read one shared config file when no -c is given.
//
// home_dir() + "/.smbtatools/smbtatools.config" when that is a regular file, else nullopt.
std::optional<std::string> default_config_file();

}  // namespace smbta::cli

// SPDX-License-Identifier: GPL-3.0-or-later
// smbtaquery's command line and config file (smbtaquery.md §2), parsed into one value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/usage_error.h"
#include "client/connection.h"
#include "query/format.h"
#include "store/event_store.h"

namespace smbtaquery {

// Ends the program with exit code 1 and the help text, whatever part of the parsing threw it.
using smbta::cli::UsageError;

enum class Action {
  kQuery,           // -q / -f
  kTest,            // -t
  kConvert,         // -C
  kInstallRollups,  // --install-rollups, --install-file-rollup
  kCreateKey,       // -K
  kLanguageHelp,    // -p
  kVersion,         // -v
  kHelp,            // --help, -?
};

// Why: everything the program needs after parsing, with the precedence command line > config
// file > defaults already applied (the original let the config file override the command line).
struct Options {
  Action action = Action::kQuery;
  std::vector<std::string> queries;      // -q, in order
  std::vector<std::string> query_files;  // -f
  smbta::query::Format format = smbta::query::Format::kAscii;
  bool format_given = false;
  std::string xml_file;  // -x
  int debug_level = 0;
  bool identify = true;
  std::string create_key;    // -K
  bool file_rollup = false;  // --install-file-rollup
  bool dry_run = false;      // --dry-run (with -C)
  std::uint32_t max_rows = 100'000;

  // Direct mode (default): the database.
  smbta::store::DbParams db;
  // Network mode (-h, -i or -u): smbtad's client port; -k encrypts the exchange.
  bool network = false;
  // The config file names smbtad's host or port and no database, and the command line names
  // no database either: queries and -t go to smbtad (as the 1.2.x real-time tools did).
  bool network_from_config = false;
  smbta::client::ConnectionOptions smbtad;
};

// Parses argv and the config file (-c, or smbta::cli::default_config_file()). Throws UsageError.
Options parse_options(int argc, char** argv);

std::string help_text();

}  // namespace smbtaquery

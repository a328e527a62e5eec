// SPDX-License-Identifier: GPL-3.0-or-later
// The options smbtamonitor and rrddriver share: smbtad's address, the object, the config file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "client/connection.h"
#include "client/monitor_client.h"

namespace smbta::client {

// What is monitored. Why kNone: the tools must tell "no object given" (a usage error) from
// -g, which monitors everything.
enum class ObjectKind { kNone, kUser, kShare, kFile, kDomain, kGlobal };

// Why: both real-time tools connect to smbtad and pick the monitored object the same way; one
// typed value keeps their options, config keys and defaults from drifting apart (the originals
// disagreed on the default port, the config key names and even which letter meant domain).
struct RealtimeOptions : ConnectionOptions {
  bool identify = false;
  int debug_level = 0;
  std::string config_file;  // the one actually loaded, empty when none
  ObjectKind object = ObjectKind::kNone;
  std::string object_name;
  // smbtad 1.2.x knows no THROUGHPUT monitor (it exits on an unknown monitor function): read and
  // write monitors, one message per operation, summed here instead.
  bool legacy_monitors = false;

  MonitorFilter filter() const;
  // "user 'anna'", "share 'data'", "everything" (for titles and messages)
  std::string describe_object() const;
};

// Why: each tool adds a few options of its own to the common ones without copying the parser
// (getopt_long conventions; `val` > 255 for long-only).
struct ExtraOption {
  const char* long_name;
  bool has_arg;
  int val;
};

// Why: --help and --version must work with any other (even broken) options, so they stop the
// parse before the config file is read and before any validation.
enum class ParseOutcome { kRun, kHelp, kVersion };

// Parses argv. The config file (-c, else cli::default_config_file()) is applied first, so the
// command line always wins regardless of option order. Options in `extra` are handed to
// `on_extra(val, arg)`, which throws cli::UsageError for bad values.
ParseOutcome parse_command_line(int argc, char** argv, RealtimeOptions& out,
                                const std::vector<ExtraOption>& extra,
                                const std::function<void(int, const std::string&)>& on_extra);

// Reads the [general] and [network] keys of a smbtatools config file into `out`.
void apply_config_file(const std::string& path, RealtimeOptions& out);

// Throws cli::UsageError unless exactly one object is selected.
void require_object(const RealtimeOptions& o);

// The help lines of the common options, for each tool's --help.
std::string common_help();

}  // namespace smbta::client

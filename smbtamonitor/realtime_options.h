// SPDX-License-Identifier: GPL-3.0-or-later
// Command line and config file options shared by the real-time tools (smbtamonitor, rrddriver).
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "smbta/legacy_cipher.h"
#include "smbta/monitor_client.h"
#include "smbta/unique_fd.h"

namespace smbta::realtime {

// Thrown for bad options or config values; the message names the option. main prints it and
// exits with status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What is monitored; kNone until an option picks one (a missing object is a usage error).
enum class ObjectKind { kNone, kUser, kShare, kFile, kDomain, kGlobal };

// Why: both real-time tools connect to smbtad and pick the monitored object the same way; one
// typed value keeps their options, config keys and defaults from drifting apart (the originals
// disagreed on the default port, the config key names and even which letter meant domain).
struct ConnectionOptions {
  std::string host = "localhost";
  int port = 3491;  // smbtad's client port (the original tools defaulted to 3390)
  bool unix_socket = false;
  std::string socket_path = "/var/tmp/stadsocket_client";
  std::string key_file;
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
  // "localhost port 3491" or "unix socket /var/tmp/stadsocket_client"
  std::string endpoint() const;
};

// An option a tool adds to the common ones (getopt_long conventions; `val` > 255 for long-only).
struct ExtraOption {
  const char* long_name;
  bool has_arg;
  int val;
};

// --help and --version stop before the config file is read and before any validation.
enum class ParseOutcome { kRun, kHelp, kVersion };

// Parses argv. The config file (-c, else $HOME/.smbtatools/smbtatools.config when it exists) is
// applied first, so the command line always wins regardless of option order. Options in `extra`
// are handed to `on_extra(val, arg)`, which throws UsageError for bad values.
ParseOutcome parse_command_line(int argc, char** argv, ConnectionOptions& out,
                                const std::vector<ExtraOption>& extra,
                                const std::function<void(int, const std::string&)>& on_extra);

// Reads the [general] and [network] keys of a smbtatools config file into `out`.
void apply_config_file(const std::string& path, ConnectionOptions& out);

// Throws UsageError unless exactly one object is selected.
void require_object(const ConnectionOptions& o);

// The help lines of the common options, for each tool's --help.
std::string common_help();

// Parses a decimal integer within [min, max]; throws UsageError naming `what`.
long parse_number(const std::string& text, long min, long max, const std::string& what);

// Loads the key file if one is configured.
std::optional<AesKey> load_key(const ConnectionOptions& o);

// Opens the configured TCP or Unix connection; throws std::runtime_error.
UniqueFd connect_to_smbtad(const ConnectionOptions& o);

}  // namespace smbta::realtime

// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad's command line and configuration file, parsed into one validated Options value.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "burst_detector.h"
#include "cli/usage_error.h"
#include "smbta/defaults.h"
#include "store/event_store.h"
#include "web/web_options.h"

namespace smbtad {

// Why: modules and clients may reach smbtad over TCP, its Unix socket, or both at once (a site
// with local and remote Samba servers); 1.2.x could only choose one.
struct ListenerSet {
  bool tcp = true;
  bool unix_socket = false;
  bool operator==(const ListenerSet&) const = default;
};

// Why: every part of the daemon reads its settings from this one typed value; nothing else looks
// at argv or the config file.
struct Options {
  int inet_port = SMBTA_DEFAULT_MODULE_PORT;
  ListenerSet module_listeners;  // -u: the Unix socket only; --module-listeners tcp,unix: both
  std::string unix_socket_path = SMBTA_DEFAULT_MODULE_SOCKET;
  std::optional<int> query_port;  // default: inet_port + 1
  ListenerSet client_listeners;   // -n: the Unix socket only
  std::string client_socket_path = SMBTA_DEFAULT_CLIENT_SOCKET;
  std::string bind_ip = "localhost";

  int debug_level = 0;
  bool interactive = false;
  std::string config_file;
  std::string pid_file;   // empty: default chosen at daemonize time
  std::string spool_dir;  // empty: $HOME/.smbtad/spool
  std::string log_file;   // empty: stderr with -o, else syslog; absolute once finalized

  int maintenance_interval_s = 3600;
  std::string maintenance_interval_text = "01:00:00";
  std::int64_t retention_s = 86400;
  std::string retention_text = "1,00:00:00";

  std::string keyfile;
  std::string keyfile_clients;
  bool require_client_key = false;  // refuse client requests that are not encrypted
  bool require_module_key = false;  // refuse module records that are not encrypted (needs -k)
  // --transport authenticated: every module and client connection must use the authenticated
  // transport (AES-256-GCM, docs/protocol.md); legacy (the default) accepts both.
  bool require_authenticated = false;
  int precision = 5;
  bool use_db = true;
  bool rollups = true;       // keep the hourly rollup that makes reports fast (smbtaquery)
  bool file_rollup = false;  // keep the daily per-file rollup (fast top/list files, search)
  bool setup = false;
  smbta::store::DbParams db;

  // Real-time monitors: every one costs ingest time per record.
  int max_monitors = 256;
  int max_client_monitors = 64;

  std::uint64_t max_body = 64 * 1024;
  int max_connections = 8192;
  int idle_timeout_s = 60;  // a record (or request) not complete this long after its first byte
  // Clients have limits of their own: idle clients must never take a module's place.
  int max_client_connections = 1024;
  int client_idle_timeout_s = 300;  // no request, reply or monitor for this long: closed

  // --- webSMBTA (smbtad/web/): the HTTP listener and --web-passwd ---
  web::WebOptions web;
  // --- end webSMBTA ---

  // Said on stderr (and logged) at start-up: settings that work but are probably not meant
  // (an unknown config key, a precision that looks like a port).
  std::vector<std::string> warnings;

  // --- Operations: metrics, privileges (the `ops` block) ---
  std::string metrics_host = "localhost";  // --metrics-listen [ADDRESS:]PORT
  int metrics_port = 0;                    // 0: no /metrics
  bool metrics_per_user = false;           // --metrics-per-user: a user label on traffic metrics
  std::string run_as_user;                 // --user NAME: drop to it once the sockets are open
  bool allow_root = false;                 // --allow-root: keep running as root
  // --- end of the ops block ---

  // --- Burst alerts (burst_detector.h, alert_sink.h) ---
  BurstConfig bursts;
  std::string alert_command;  // --alert-command: run by /bin/sh -c for each alert
  std::string alert_webhook;  // --alert-webhook: http(s) URL that gets each alert by POST
  int alert_timeout_s = 10;   // --alert-timeout: for the command and the webhook
  // --- end burst alerts ---

  int client_port() const { return query_port.value_or(inet_port + 1); }
};

// Thrown for bad options; the message names the option. main prints it and points to --help.
using smbta::cli::UsageError;

// Why: a setting that parses but cannot be used at start-up (a key file that cannot be read, a
// log file that cannot be opened) is a configuration error like a bad option: exit status 2
// (smbtad(8)), not the 1 of a runtime failure.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ParseOutcome { kRun, kHelp, kVersion };

// Parses argv left to right like the original: `-c FILE` loads the file at that point, so
// options before it can be overridden by the file and options after it win.
ParseOutcome parse_options(int argc, char** argv, Options& out);
void apply_config_file(const std::string& path, Options& out);
// Fills defaults that depend on the environment ($HOME) and checks cross-option rules.
void finalize_options(Options& out);

std::string help_text();
std::string version_text();

// "tcp", "unix", "tcp,unix" (any order) -> the set. Throws UsageError naming `what`.
ListenerSet parse_listeners(const std::string& text, const std::string& what);

// "HH:MM:SS" -> seconds; "D,HH:MM:SS" -> seconds. Throw UsageError naming `what`.
int parse_interval(const std::string& text, const std::string& what);
std::int64_t parse_retention(const std::string& text, const std::string& what);

}  // namespace smbtad

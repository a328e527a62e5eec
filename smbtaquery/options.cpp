// SPDX-License-Identifier: GPL-3.0-or-later
#include "options.h"

#include <getopt.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "smbta/ini_config.h"
#include "smbta/version.h"

namespace smbtaquery {
namespace {

int parse_int(const char* arg, int lo, int hi, const std::string& what) {
  std::string_view s(arg ? arg : "");
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
    throw UsageError(fmt::format("{}: expected a number from {} to {}, got '{}'", what, lo, hi, s));
  return v;
}

std::string home() {
  const char* h = std::getenv("HOME");
  return h && *h ? h : "/var/lib";
}

// Which values the command line set, so that the config file only fills the rest.
struct Given {
  bool driver = false, name = false, host = false, user = false, password = false;
  bool debug = false, keyfile = false, identify = false, port = false, dbport = false;
  bool smbtad_host = false;  // -h (smbtad), apart from -H (database host)
};

void apply_config(const smbta::IniConfig& c, Options& o, const Given& g) {
  auto get = [&](const char* s, const char* k) { return c.get(s, k); };
  if (!g.debug)
    if (auto v = get("general", "debug_level"))
      o.debug_level = parse_int(v->c_str(), 0, 10, c.path() + ": general:debug_level");
  if (!g.keyfile)
    if (auto v = get("general", "keyfile")) o.keyfile = *v;
  if (!g.identify)
    if (auto v = get("general", "identify"))
      o.identify = parse_int(v->c_str(), 0, 1, c.path() + ": general:identify") == 1;
  if (!g.driver)
    if (auto v = get("database", "driver")) o.db.driver = *v;
  if (!g.name)
    if (auto v = get("database", "name")) o.db.name = *v;
  if (!g.host)
    if (auto v = get("database", "host")) o.db.host = *v;
  if (!g.user)
    if (auto v = get("database", "user")) o.db.user = *v;
  if (!g.password)
    if (auto v = get("database", "password")) o.db.password = *v;
  if (!g.dbport)
    if (auto v = get("database", "port")) o.db.port = *v;
  if (auto v = get("database", "dbpath")) o.db.sqlite_dbdir = *v;
  // The real-time tools spelled the network keys three ways; accept them all.
  if (!g.smbtad_host)
    for (const char* k : {"smbta_host_name", "smbtad_host_name", "smbta_host"})
      if (auto v = get("network", k)) {
        o.host = *v;
        break;
      }
  if (!g.port)
    for (const char* k : {"smbta_port_number", "smbtad_port_number"})
      if (auto v = get("network", k)) {
        o.port = parse_int(v->c_str(), 1, 65535, c.path() + ": network:" + k);
        break;
      }
}

Options only(Action a) {
  Options o;
  o.action = a;
  return o;
}

}  // namespace

const char* help_text() {
  return "smbtaquery " SMBTA_VERSION R"( - reports on the traffic SMB Traffic Analyzer recorded
Copyright (C) 2011 Benjamin Brunner, Michael Haefner, Holger Hetterich; smbta authors
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>

usage: smbtaquery [options] -q QUERY | -f FILE | -t | -C | -K FILE | -p

Queries (see -p for the language):
  -q, --query QUERY        run QUERY (may be given several times)
  -f, --file FILE          run the queries in FILE, one per line, '#' starts a comment
  -o, --output FORMAT      ascii (default), html, xml, json or csv
  -x, --xml FILE           write the XML output to FILE (stdout only gets -o output if -o given)
  -I, --identify 0|1       1 (default): named objects must exist and a user name must denote
                           one user; 0: match whatever is stored
      --limit N            at most N rows for list and search (default 100000)
  -d, --debug-level N      0-10; from 1 on every SQL statement is printed to stderr
  -p, --command-help       describe the query language

Database (direct mode, the default; default: sqlite3 at $HOME/.smbtad/staddb):
  -M, --dbdriver DRIVER    sqlite3 or pgsql
  -N, --dbname NAME        database name (sqlite3: file name or path)
  -S, --dbuser USER        database user
  -H, --dbhost HOST        database host
  -P, --dbpassword PASS    database password (prefer the config file: ps shows arguments)
      --dbport PORT        database port

smbtad's client port (network mode, chosen by any of these):
  -h, --host HOST          smbtad host (default localhost)
  -i, --port PORT          smbtad client port (default 3491)
  -u, --unix               use smbtad's client socket /var/tmp/stadsocket_client

Other:
  -c, --config-file FILE   config file (default $HOME/.smbtatools/smbtatools.config if present);
                           the command line takes precedence over it
  -t, --test-db            test the connection and exit (0 on success)
  -C, --convert            convert an SMBTA 1.2.x database (the `data` table) to this schema
      --dry-run            with -C: report what would be converted, change nothing
      --install-rollups    add the hourly rollup table and triggers (faster reports)
      --install-file-rollup  add the daily per-file rollup as well (fast top/list files and
                           search; costs insert speed, see smbtad(8) --file-rollup)
  -k, --keyfile FILE       key file: encrypts queries to smbtad (network mode)
  -K, --create-key FILE    create a new key file (mode 0600) and exit
  -v, --version            print the version and exit
      --help, -?           this help

Exit status: 0 success, 1 usage or query syntax error, 2 database or connection error,
3 no such object or ambiguous object.
)";
}

Options parse_options(int argc, char** argv) {
  enum { kDryRun = 1000, kInstallRollups, kInstallFileRollup, kLimit, kDbPort, kHelp };
  static const option kLong[] = {
      {"query", required_argument, nullptr, 'q'},
      {"file", required_argument, nullptr, 'f'},
      {"output", required_argument, nullptr, 'o'},
      {"xml", required_argument, nullptr, 'x'},
      {"identify", required_argument, nullptr, 'I'},
      {"debug-level", required_argument, nullptr, 'd'},
      {"command-help", no_argument, nullptr, 'p'},
      {"dbdriver", required_argument, nullptr, 'M'},
      {"dbname", required_argument, nullptr, 'N'},
      {"dbuser", required_argument, nullptr, 'S'},
      {"dbhost", required_argument, nullptr, 'H'},
      {"dbpassword", required_argument, nullptr, 'P'},
      {"dbport", required_argument, nullptr, kDbPort},
      {"host", required_argument, nullptr, 'h'},
      {"port", required_argument, nullptr, 'i'},
      {"unix", no_argument, nullptr, 'u'},
      {"config-file", required_argument, nullptr, 'c'},
      {"test-db", no_argument, nullptr, 't'},
      {"convert", no_argument, nullptr, 'C'},
      {"dry-run", no_argument, nullptr, kDryRun},
      {"install-rollups", no_argument, nullptr, kInstallRollups},
      {"install-file-rollup", no_argument, nullptr, kInstallFileRollup},
      {"limit", required_argument, nullptr, kLimit},
      {"keyfile", required_argument, nullptr, 'k'},
      {"create-key", required_argument, nullptr, 'K'},
      {"version", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  Given g;
  std::string config_file;
  bool config_given = false;
  bool action_given = false;
  auto set_action = [&](Action a, const char* opt) {
    if (action_given && o.action != a)
      throw UsageError(
          fmt::format("{}: only one of -q/-f, -t, -C, --install-rollups, --install-file-rollup, "
                      "-K may be given",
                      opt));
    o.action = a;
    action_given = true;
  };
  if (argc <= 1) throw UsageError("not enough arguments");
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":q:f:o:x:I:d:pM:N:S:H:P:h:i:uc:tCk:K:v?", kLong, nullptr)) !=
         -1) {
    const std::string arg = optarg ? optarg : "";
    switch (c) {
      case 'q':
        set_action(Action::kQuery, "-q");
        o.queries.push_back(arg);
        break;
      case 'f':
        set_action(Action::kQuery, "-f");
        o.query_files.push_back(arg);
        break;
      case 'o': {
        auto f = smbta::query::parse_format(arg);
        if (!f)
          throw UsageError(fmt::format(
              "-o/--output: unknown format '{}' (use ascii, html, xml, json or csv)", arg));
        o.format = *f;
        o.format_given = true;
        break;
      }
      case 'x':
        if (arg.empty()) throw UsageError("-x/--xml: the file name is empty");
        o.xml_file = arg;
        break;
      case 'I':
        o.identify = parse_int(optarg, 0, 1, "-I/--identify") == 1;
        g.identify = true;
        break;
      case 'd':
        o.debug_level = parse_int(optarg, 0, 10, "-d/--debug-level");
        g.debug = true;
        break;
      case 'p':
        return only(Action::kLanguageHelp);
      case 'M':
        o.db.driver = arg;
        g.driver = true;
        break;
      case 'N':
        o.db.name = arg;
        g.name = true;
        break;
      case 'S':
        o.db.user = arg;
        g.user = true;
        break;
      case 'H':
        o.db.host = arg;
        g.host = true;
        break;
      case 'P':
        o.db.password = arg;
        g.password = true;
        break;
      case kDbPort:
        parse_int(optarg, 1, 65535, "--dbport");
        o.db.port = arg;
        g.dbport = true;
        break;
      case 'h':
        if (arg.empty()) throw UsageError("-h/--host: the host name is empty");
        o.host = arg;
        o.network = true;
        g.smbtad_host = true;
        break;
      case 'i':
        o.port = parse_int(optarg, 1, 65535, "-i/--port");
        o.network = true;
        g.port = true;
        break;
      case 'u':
        o.unix_socket = true;
        o.network = true;
        break;
      case 'c':
        config_file = arg;
        config_given = true;
        break;
      case 't':
        set_action(Action::kTest, "-t");
        break;
      case 'C':
        set_action(Action::kConvert, "-C");
        break;
      case kDryRun:
        o.dry_run = true;
        break;
      case kInstallRollups:
        set_action(Action::kInstallRollups, "--install-rollups");
        break;
      case kInstallFileRollup:
        set_action(Action::kInstallRollups, "--install-file-rollup");
        o.file_rollup = true;
        break;
      case kLimit:
        o.max_rows = static_cast<std::uint32_t>(parse_int(optarg, 1, 100'000'000, "--limit"));
        break;
      case 'k':
        o.keyfile = arg;
        g.keyfile = true;
        break;
      case 'K':
        set_action(Action::kCreateKey, "-K");
        o.create_key = arg;
        break;
      case 'v':
        return only(Action::kVersion);
      case kHelp:
        return only(Action::kHelp);
      case '?':
        if (optopt == 0 && std::string_view(argv[optind - 1]) == "-?") return only(Action::kHelp);
        if (optopt != 0 && optopt != '?')
          throw UsageError(fmt::format("unknown option '-{}'", static_cast<char>(optopt)));
        if (optopt == '?') return only(Action::kHelp);
        throw UsageError(fmt::format("unknown option '{}'", argv[optind - 1]));
      case ':':
        throw UsageError(fmt::format("option '{}' needs an argument", argv[optind - 1]));
      default:
        throw UsageError(fmt::format("unknown option '{}'", argv[optind - 1]));
    }
  }
  if (optind < argc) throw UsageError(fmt::format("unexpected argument '{}'", argv[optind]));
  if (!action_given)
    throw UsageError("nothing to do: give -q QUERY, -f FILE, -t, -C, -K FILE or -p");
  if (o.dry_run && o.action != Action::kConvert) throw UsageError("--dry-run: only with -C");

  if (!config_given) {
    const std::string def = home() + "/.smbtatools/smbtatools.config";
    std::error_code ec;
    if (std::filesystem::exists(def, ec)) config_file = def;
  }
  if (!config_file.empty()) {
    try {
      apply_config(smbta::IniConfig::load(config_file), o, g);
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      throw UsageError(fmt::format("-c/--config-file: {}", e.what()));
    }
  }
  if (o.db.driver != "sqlite3" && o.db.driver != "pgsql")
    throw UsageError(
        fmt::format("-M/--dbdriver: unsupported driver '{}' (use sqlite3 or pgsql)", o.db.driver));
  if (o.db.driver == "sqlite3") {
    if (o.db.name.empty()) o.db.name = "staddb";
    if (o.db.sqlite_dbdir.empty() && !std::filesystem::path(o.db.name).has_parent_path())
      o.db.sqlite_dbdir = home() + "/.smbtad";
  } else if (o.db.name.empty() && !o.network) {
    throw UsageError("-N/--dbname: a database name is required for driver pgsql");
  }
  if (o.network && (o.action == Action::kConvert || o.action == Action::kInstallRollups))
    throw UsageError("-C and --install-rollups work on the database directly, not over -h/-i/-u");
  return o;
}

}  // namespace smbtaquery

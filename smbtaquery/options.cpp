// SPDX-License-Identifier: GPL-3.0-or-later
#include "options.h"

#include <getopt.h>

#include <filesystem>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "cli/config_aliases.h"
#include "cli/home.h"
#include "cli/parse_integer.h"
#include "smbta/defaults.h"
#include "smbta/ini_config.h"
#include "smbta/version.h"

namespace smbtaquery {
namespace {

using smbta::cli::parse_integer;

// Which values the command line set, so that the config file only fills the rest.
struct Given {
  bool driver = false, name = false, host = false, user = false, password = false;
  bool debug = false, keyfile = false, identify = false, port = false, dbport = false;
  bool smbtad_host = false;  // -h (smbtad), apart from -H (database host)
  bool transport = false;
  bool database_given() const { return driver || name || host || user || password || dbport; }
};

// Why: the option handlers of the table below share this state: the options, what the command
// line set, the config file, and whether an action was chosen (only one may be).
struct Parse {
  Options o;
  Given g;
  std::string config_file;
  bool config_given = false;
  bool action_given = false;
  std::optional<Action> stop;  // -p, -v, --help: nothing else is looked at

  void set_action(Action a, const char* opt) {
    if (action_given && o.action != a)
      throw UsageError(
          fmt::format("{}: only one of -q/-f, -t, -C, --install-rollups, --install-file-rollup, "
                      "-K may be given",
                      opt));
    o.action = a;
    action_given = true;
  }
};

smbta::client::ClientTransport transport_of(const std::string& v, const std::string& what) {
  if (auto t = smbta::client::parse_client_transport(v)) return *t;
  throw UsageError(fmt::format("{}: '{}' is neither legacy nor authenticated", what, v));
}

// Whether the config file names a database ([database] driver, name, host or dbpath).
bool config_names_database(const smbta::IniConfig& c) {
  for (const char* k : {"driver", "name", "host", "dbpath"})
    if (c.get("database", k)) return true;
  return false;
}

void apply_config(const smbta::IniConfig& c, Options& o, const Given& g) {
  auto get = [&](const char* s, const char* k) { return c.get(s, k); };
  if (!g.debug)
    if (auto v = get("general", "debug_level"))
      o.debug_level =
          static_cast<int>(parse_integer(*v, 0, 10, c.path() + ": general:debug_level"));
  if (!g.keyfile)
    if (auto v = get("general", "keyfile")) o.smbtad.key_file = *v;
  if (!g.identify)
    if (auto v = get("general", "identify"))
      o.identify = parse_integer(*v, 0, 1, c.path() + ": general:identify") == 1;
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
  // The real-time tools spelled the network keys several ways; all are accepted, in the one
  // order smbtamonitor and rrddriver use too.
  const auto host = smbta::cli::smbtad_host(c);
  const auto port = smbta::cli::smbtad_port(c);
  if (!g.smbtad_host && host) o.smbtad.host = host->value;
  if (!g.port && port)
    o.smbtad.port =
        static_cast<int>(parse_integer(port->value, 1, 65535, c.path() + ": network:" + port->key));
  // As the 1.2.x real-time tools did, smbtad's address in the file selects network mode, unless
  // the file or the command line names a database (a file shared with smbtamonitor often has
  // both sections, and then smbtaquery kept reading the database).
  if (!g.transport)
    if (auto v = get("network", "transport"))
      o.smbtad.transport = transport_of(*v, c.path() + ": network:transport");
  if ((host || port) && !config_names_database(c) && !g.database_given())
    o.network_from_config = true;
}

enum LongOnly : int {
  kDryRun = 1000,
  kInstallRollups,
  kInstallFileRollup,
  kLimit,
  kDbPort,
  kHelp,
  kTransport
};

// Why: one row per option keeps its names, its argument and its effect together; the getopt
// tables and the parse loop are derived from the rows.
struct OptionRow {
  const char* long_name;
  int val;  // the short letter, or a LongOnly value
  int has_arg;
  void (*apply)(Parse& p, const std::string& arg);
};

const OptionRow kOptions[] = {
    {"query", 'q', required_argument,
     [](Parse& p, const std::string& a) {
       p.set_action(Action::kQuery, "-q");
       p.o.queries.push_back(a);
     }},
    {"file", 'f', required_argument,
     [](Parse& p, const std::string& a) {
       p.set_action(Action::kQuery, "-f");
       p.o.query_files.push_back(a);
     }},
    {"output", 'o', required_argument,
     [](Parse& p, const std::string& a) {
       auto f = smbta::query::parse_format(a);
       if (!f)
         throw UsageError(fmt::format(
             "-o/--output: unknown format '{}' (use ascii, html, xml, json or csv)", a));
       p.o.format = *f;
       p.o.format_given = true;
     }},
    {"xml", 'x', required_argument,
     [](Parse& p, const std::string& a) {
       if (a.empty()) throw UsageError("-x/--xml: the file name is empty");
       p.o.xml_file = a;
     }},
    {"identify", 'I', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.identify = parse_integer(a, 0, 1, "-I/--identify") == 1;
       p.g.identify = true;
     }},
    {"debug-level", 'd', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.debug_level = static_cast<int>(parse_integer(a, 0, 10, "-d/--debug-level"));
       p.g.debug = true;
     }},
    {"command-help", 'p', no_argument,
     [](Parse& p, const std::string&) { p.stop = Action::kLanguageHelp; }},
    {"dbdriver", 'M', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.db.driver = a;
       p.g.driver = true;
     }},
    {"dbname", 'N', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.db.name = a;
       p.g.name = true;
     }},
    {"dbuser", 'S', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.db.user = a;
       p.g.user = true;
     }},
    {"dbhost", 'H', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.db.host = a;
       p.g.host = true;
     }},
    {"dbpassword", 'P', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.db.password = a;
       p.g.password = true;
     }},
    {"dbport", kDbPort, required_argument,
     [](Parse& p, const std::string& a) {
       parse_integer(a, 1, 65535, "--dbport");
       p.o.db.port = a;
       p.g.dbport = true;
     }},
    {"host", 'h', required_argument,
     [](Parse& p, const std::string& a) {
       if (a.empty()) throw UsageError("-h/--host: the host name is empty");
       p.o.smbtad.host = a;
       p.o.network = true;
       p.g.smbtad_host = true;
     }},
    {"port", 'i', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.smbtad.port = static_cast<int>(parse_integer(a, 1, 65535, "-i/--port"));
       p.o.network = true;
       p.g.port = true;
     }},
    {"unix", 'u', no_argument,
     [](Parse& p, const std::string&) {
       p.o.smbtad.unix_socket = true;
       p.o.network = true;
     }},
    {"config-file", 'c', required_argument,
     [](Parse& p, const std::string& a) {
       p.config_file = a;
       p.config_given = true;
     }},
    {"test-db", 't', no_argument,
     [](Parse& p, const std::string&) { p.set_action(Action::kTest, "-t"); }},
    {"convert", 'C', no_argument,
     [](Parse& p, const std::string&) { p.set_action(Action::kConvert, "-C"); }},
    {"dry-run", kDryRun, no_argument, [](Parse& p, const std::string&) { p.o.dry_run = true; }},
    {"install-rollups", kInstallRollups, no_argument,
     [](Parse& p, const std::string&) {
       p.set_action(Action::kInstallRollups, "--install-rollups");
     }},
    {"install-file-rollup", kInstallFileRollup, no_argument,
     [](Parse& p, const std::string&) {
       p.set_action(Action::kInstallRollups, "--install-file-rollup");
       p.o.file_rollup = true;
     }},
    {"limit", kLimit, required_argument,
     [](Parse& p, const std::string& a) {
       p.o.max_rows = static_cast<std::uint32_t>(parse_integer(a, 1, 100'000'000, "--limit"));
     }},
    {"keyfile", 'k', required_argument,
     [](Parse& p, const std::string& a) {
       p.o.smbtad.key_file = a;
       p.g.keyfile = true;
     }},
    {"transport", kTransport, required_argument,
     [](Parse& p, const std::string& a) {
       p.o.smbtad.transport = transport_of(a, "--transport");
       p.g.transport = true;
     }},
    {"create-key", 'K', required_argument,
     [](Parse& p, const std::string& a) {
       p.set_action(Action::kCreateKey, "-K");
       p.o.create_key = a;
     }},
    {"version", 'v', no_argument, [](Parse& p, const std::string&) { p.stop = Action::kVersion; }},
    {"help", kHelp, no_argument, [](Parse& p, const std::string&) { p.stop = Action::kHelp; }},
};

const OptionRow* find_option(int val) {
  for (const auto& row : kOptions)
    if (row.val == val) return &row;
  return nullptr;
}

// Why: getopt_long wants its own two tables; built once from kOptions. A leading ':' tells a
// missing argument apart from an unknown option; '?' is an option of its own (help).
struct GetoptTables {
  std::vector<option> longopts;
  std::string shortopts = ":";
  GetoptTables() {
    for (const auto& row : kOptions) {
      longopts.push_back({row.long_name, row.has_arg, nullptr, row.val});
      if (row.val < 256) {
        shortopts += static_cast<char>(row.val);
        if (row.has_arg == required_argument) shortopts += ':';
      }
    }
    longopts.push_back({nullptr, 0, nullptr, 0});
    shortopts += '?';
  }
};

Options only(Action a) {
  Options o;
  o.action = a;
  return o;
}

// After the command line: cross-option rules, the config file, and the database defaults.
Options finish(Parse& p) {
  Options& o = p.o;
  if (!p.action_given)
    throw UsageError("nothing to do: give -q QUERY, -f FILE, -t, -C, -K FILE or -p");
  if (o.dry_run && o.action != Action::kConvert) throw UsageError("--dry-run: only with -C");

  if (!p.config_given) p.config_file = smbta::cli::default_config_file().value_or("");
  if (!p.config_file.empty()) {
    try {
      apply_config(smbta::IniConfig::load(p.config_file), o, p.g);
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      throw UsageError(fmt::format("-c/--config-file: {}", e.what()));
    }
  }
  if (o.db.driver != "sqlite3" && o.db.driver != "pgsql" && o.db.driver != "mysql")
    throw UsageError(fmt::format(
        "-M/--dbdriver: unsupported driver '{}' (use sqlite3, pgsql or mysql)", o.db.driver));
  if (o.db.driver == "sqlite3") {
    if (o.db.name.empty()) o.db.name = "staddb";
    if (o.db.sqlite_dbdir.empty() && !std::filesystem::path(o.db.name).has_parent_path())
      o.db.sqlite_dbdir = smbta::cli::home_dir() + "/.smbtad";
  } else if (o.db.name.empty() && !o.network) {
    throw UsageError("-N/--dbname: a database name is required for driver " + o.db.driver);
  }
  if (o.network && (o.action == Action::kConvert || o.action == Action::kInstallRollups))
    throw UsageError("-C and --install-rollups work on the database directly, not over -h/-i/-u");
  // -C and --install-rollups always work on the database; the config file's network keys only
  // redirect queries and -t.
  if (o.network_from_config && (o.action == Action::kQuery || o.action == Action::kTest))
    o.network = true;
  if (o.network && o.smbtad.transport == smbta::client::ClientTransport::kAuthenticated &&
      o.smbtad.key_file.empty())
    throw UsageError("--transport authenticated needs the key smbtad uses for clients (-k)");
  // smbtaquery only reads: a mistyped path must be an error naming it, not a new database.
  o.db.must_exist = true;
  return std::move(o);
}

}  // namespace

std::string help_text() {
  return fmt::format(R"(smbtaquery {} - reports on the traffic SMB Traffic Analyzer recorded
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

Database (direct mode, the default; default: sqlite3 at $HOME/.smbtad/staddb;
smbtaquery never creates a database: a missing one is an error naming its path):
  -M, --dbdriver DRIVER    sqlite3, pgsql or mysql
  -N, --dbname NAME        database name (sqlite3: file name or path)
  -S, --dbuser USER        database user
  -H, --dbhost HOST        database host
  -P, --dbpassword PASS    database password (prefer the config file: ps shows arguments)
      --dbport PORT        database port

smbtad's client port (network mode, chosen by any of these, or by [network]
smbtad_host_name/smbtad_port_number in the config file when neither it nor the
command line names a database):
  -h, --host HOST          smbtad host (default localhost)
  -i, --port PORT          smbtad client port (default {})
  -u, --unix               use smbtad's client socket {}

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
      --transport legacy|authenticated
                           with -k: the 1.2.x encryption (AES-128-ECB, default) or the
                           authenticated transport (AES-256-GCM; smbtad --transport)
  -K, --create-key FILE    create a new key file (mode 0600) and exit
  -v, --version            print the version and exit
      --help, -?           this help

Exit status: 0 success, 1 usage or query syntax error, 2 database or connection error,
3 no such object or ambiguous object.
)",
                     SMBTA_VERSION, SMBTA_DEFAULT_CLIENT_PORT, SMBTA_DEFAULT_CLIENT_SOCKET);
}

Options parse_options(int argc, char** argv) {
  static const GetoptTables kGetopt;
  if (argc <= 1) throw UsageError("not enough arguments");
  Parse p;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, kGetopt.shortopts.c_str(), kGetopt.longopts.data(),
                          nullptr)) != -1) {
    if (const OptionRow* row = find_option(c)) {
      row->apply(p, optarg != nullptr ? optarg : "");
      if (p.stop) return only(*p.stop);
      continue;
    }
    switch (c) {
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
  return finish(p);
}

}  // namespace smbtaquery

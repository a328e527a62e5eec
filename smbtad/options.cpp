// SPDX-License-Identifier: GPL-3.0-or-later
#include "options.h"

#include <getopt.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "cli/config_aliases.h"
#include "cli/home.h"
#include "cli/parse_integer.h"
#include "metrics_listener.h"
#include "smbta/ini_config.h"
#include "smbta/v2_codec.h"
#include "smbta/version.h"

namespace smbtad {
namespace {

using smbta::cli::parse_integer;

int parse_port(const std::string& text, const std::string& what) {
  return static_cast<int>(parse_integer(text, 1, 65535, what));
}

bool parse_bool01(const std::string& text, const std::string& what) {
  if (text == "0" || text == "no" || text == "false" || text == "off") return false;
  if (text == "1" || text == "yes" || text == "true" || text == "on") return true;
  throw UsageError(what + ": expected 0 or 1, got \"" + text + "\"");
}

// A factor such as 2.5: digits with at most one decimal point, nothing else (no sign,
// exponent, hex or "inf" that strtod would take), within [0, max].
double parse_factor(const std::string& text, double max, const std::string& what) {
  const auto bad = [&] {
    return UsageError(
        fmt::format("{}: expected a decimal number from 0 to {}, got '{}'", what, max, text));
  };
  const auto dot = text.find('.');
  const std::string_view whole = std::string_view(text).substr(0, dot);
  const std::string_view frac =
      dot == std::string::npos ? std::string_view() : std::string_view(text).substr(dot + 1);
  const auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() && frac.empty()) throw bad();
  if (!digits(whole) || !digits(frac) || whole.size() > 9 || frac.size() > 9) throw bad();
  double v = 0;
  for (char c : whole) v = v * 10 + (c - '0');
  double scale = 1;
  for (char c : frac) v += (c - '0') * (scale /= 10);
  if (v > max) throw bad();
  return v;
}

constexpr option kLongOptions[] = {
    {"inet-port", required_argument, nullptr, 'i'},
    {"unix-domain-socket", no_argument, nullptr, 'u'},
    {"query-port", required_argument, nullptr, 'q'},
    {"unix-domain-socket-cl", no_argument, nullptr, 'n'},
    {"ip", required_argument, nullptr, 'I'},
    {"debug-level", required_argument, nullptr, 'd'},
    {"interactive", no_argument, nullptr, 'o'},
    {"config-file", required_argument, nullptr, 'c'},
    {"maintenance-timer", required_argument, nullptr, 't'},
    {"maintenance-timer-config", required_argument, nullptr, 'm'},
    {"keyfile", required_argument, nullptr, 'k'},
    {"key-file", required_argument, nullptr, 'k'},
    {"key-file-clients", required_argument, nullptr, 'K'},
    {"precision", required_argument, nullptr, 'p'},
    {"use-db", required_argument, nullptr, 'U'},
    {"dbuser", required_argument, nullptr, 'S'},
    {"dbhost", required_argument, nullptr, 'H'},
    {"dbpassword", required_argument, nullptr, 'P'},
    {"dbdriver", required_argument, nullptr, 'M'},
    {"dbname", required_argument, nullptr, 'N'},
    {"setup", no_argument, nullptr, 'T'},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {"max-monitors", required_argument, nullptr, 1100},
    {"max-client-monitors", required_argument, nullptr, 1101},
    {"pid-file", required_argument, nullptr, 1001},
    {"spool-dir", required_argument, nullptr, 1002},
    {"unix-socket-path", required_argument, nullptr, 1003},
    {"client-socket-path", required_argument, nullptr, 1004},
    {"max-connections", required_argument, nullptr, 1005},
    {"idle-timeout", required_argument, nullptr, 1006},
    {"max-record-size", required_argument, nullptr, 1007},
    {"dbport", required_argument, nullptr, 1008},
    {"require-client-key", no_argument, nullptr, 1009},
    {"rollups", required_argument, nullptr, 1010},
    {"file-rollup", required_argument, nullptr, 1011},
    {"module-listeners", required_argument, nullptr, 1012},
    {"client-listeners", required_argument, nullptr, 1013},
    {"log-file", required_argument, nullptr, 1014},
    {"max-client-connections", required_argument, nullptr, 1200},
    {"client-idle-timeout", required_argument, nullptr, 1201},
    {"require-module-key", no_argument, nullptr, 1202},
    {"transport", required_argument, nullptr, 1203},
    // --- Operations (ops block) ---
    {"metrics-listen", required_argument, nullptr, 1300},
    {"metrics-per-user", no_argument, nullptr, 1301},
    {"user", required_argument, nullptr, 1302},
    {"allow-root", no_argument, nullptr, 1303},
    // --- end of the ops block ---
    // --- webSMBTA (smbtad/web/web_options.h) ---
    {"web-listen", required_argument, nullptr, 1400},
    {"web-cert", required_argument, nullptr, 1401},
    {"web-key", required_argument, nullptr, 1402},
    {"web-root", required_argument, nullptr, 1403},
    {"web-users", required_argument, nullptr, 1404},
    {"web-passwd", required_argument, nullptr, 1405},
    {"web-role", required_argument, nullptr, 1406},
    // --- end webSMBTA ---
    // --- Burst alerts ---
    {"alerts", required_argument, nullptr, 1500},
    {"alert-destructive-rate", required_argument, nullptr, 1501},
    {"alert-read-rate", required_argument, nullptr, 1502},
    {"alert-baseline-factor", required_argument, nullptr, 1503},
    {"alert-baseline-minutes", required_argument, nullptr, 1504},
    {"alert-quiet", required_argument, nullptr, 1505},
    {"alert-command", required_argument, nullptr, 1506},
    {"alert-webhook", required_argument, nullptr, 1507},
    {"alert-timeout", required_argument, nullptr, 1508},
    // --- end burst alerts ---
    {nullptr, 0, nullptr, 0},
};

std::string option_name(int c) {
  for (const auto& o : kLongOptions) {
    if (o.name != nullptr && o.val == c) {
      return c < 256 ? std::string("-") + static_cast<char>(c) + "/--" + o.name
                     : std::string("--") + o.name;
    }
  }
  return std::string("-") + static_cast<char>(c);
}

void apply(int c, const std::string& arg, Options& o) {
  const std::string what = option_name(c);
  switch (c) {
    case 'i':
      o.inet_port = parse_port(arg, what);
      break;
    case 'u':
      o.module_listeners = {.tcp = false, .unix_socket = true};  // 1.2.x: instead of TCP
      break;
    case 'q':
      o.query_port = parse_port(arg, what);
      break;
    case 'n':
      o.client_listeners = {.tcp = false, .unix_socket = true};
      break;
    case 'I':
      if (arg.empty()) throw UsageError(what + ": empty address");
      o.bind_ip = arg;
      break;
    case 'd':
      o.debug_level = static_cast<int>(parse_integer(arg, 0, 10, what));
      break;
    case 'o':
      o.interactive = true;
      break;
    case 't':
      o.maintenance_interval_s = parse_interval(arg, what);
      o.maintenance_interval_text = arg;
      break;
    case 'm':
      o.retention_s = parse_retention(arg, what);
      o.retention_text = arg;
      break;
    case 'k':
      o.keyfile = arg;
      break;
    case 'K':
      o.keyfile_clients = arg;
      break;
    case 'p':
      o.precision = static_cast<int>(parse_integer(arg, 0, 86400, what));
      break;
    case 'U':
      o.use_db = parse_bool01(arg, what);
      break;
    case 'S':
      o.db.user = arg;
      break;
    case 'H':
      o.db.host = arg;
      break;
    case 'P':
      o.db.password = arg;
      break;
    case 'M':
      if (arg != "sqlite3" && arg != "sqlite" && arg != "pgsql" && arg != "mysql")
        throw UsageError(what + ": unknown database driver \"" + arg +
                         "\" (sqlite3, pgsql, mysql)");
      o.db.driver = arg == "sqlite" ? "sqlite3" : arg;
      break;
    case 'N':
      o.db.name = arg;
      break;
    case 'T':
      o.setup = true;
      break;
    case 1100:
      o.max_monitors = static_cast<int>(parse_integer(arg, 1, 1000000, what));
      break;
    case 1101:
      o.max_client_monitors = static_cast<int>(parse_integer(arg, 1, 1000000, what));
      break;
    case 1001:
      o.pid_file = arg;
      break;
    case 1002:
      o.spool_dir = arg;
      break;
    case 1003:
      o.unix_socket_path = arg;
      break;
    case 1004:
      o.client_socket_path = arg;
      break;
    case 1005:
      o.max_connections = static_cast<int>(parse_integer(arg, 1, 1000000, what));
      break;
    case 1006:
      o.idle_timeout_s = static_cast<int>(parse_integer(arg, 1, 86400, what));
      break;
    case 1200:
      o.max_client_connections = static_cast<int>(parse_integer(arg, 1, 1000000, what));
      break;
    case 1202:
      o.require_module_key = true;
      break;
    case 1203:
      if (arg == "legacy")
        o.require_authenticated = false;
      else if (arg == "authenticated")
        o.require_authenticated = true;
      else
        throw UsageError(what + ": '" + arg + "' is neither legacy nor authenticated");
      break;
    case 1201:
      o.client_idle_timeout_s = static_cast<int>(parse_integer(arg, 1, 86400 * 7, what));
      break;
    case 1007:
      o.max_body = static_cast<std::uint64_t>(parse_integer(arg, 256, 16 * 1024 * 1024, what));
      break;
    case 1010:
      o.rollups = parse_bool01(arg, what);
      break;
    case 1011:
      o.file_rollup = parse_bool01(arg, what);
      break;
    case 1009:
      o.require_client_key = true;
      break;
    case 1008:
      o.db.port = std::to_string(parse_port(arg, what));
      break;
    case 1012:
      o.module_listeners = parse_listeners(arg, what);
      break;
    case 1013:
      o.client_listeners = parse_listeners(arg, what);
      break;
    case 1014:
      if (arg.empty()) throw UsageError(what + ": empty path");
      o.log_file = arg;
      break;
    // --- Operations (ops block) ---
    case 1300: {
      const auto a = metrics::parse_listen_address(arg, what);
      o.metrics_host = a.host;
      o.metrics_port = a.port;
      break;
    }
    case 1301:
      o.metrics_per_user = true;
      break;
    case 1302:
      if (arg.empty()) throw UsageError(what + ": empty user name");
      o.run_as_user = arg;
      break;
    case 1303:
      o.allow_root = true;
      break;
    // --- end of the ops block ---
    // --- webSMBTA ---
    case 1400:
      web::parse_web_listen(arg, what, o.web);
      break;
    case 1401:
    case 1402:
    case 1403:
    case 1404:
      if (arg.empty()) throw UsageError(what + ": empty path");
      (c == 1401   ? o.web.cert_file
       : c == 1402 ? o.web.key_file
       : c == 1403 ? o.web.root
                   : o.web.users_file) = arg;
      break;
    case 1405:
      if (arg.empty()) throw UsageError(what + ": empty user name");
      o.web.passwd_user = arg;
      break;
    case 1406:
      o.web.role = web::parse_web_role(arg, what);
      o.web.role_given = true;
      break;
    // --- end webSMBTA ---
    // --- Burst alerts ---
    case 1500:
      o.bursts.enabled = parse_bool01(arg, what);
      break;
    case 1501:
      o.bursts.destructive_per_minute =
          static_cast<std::uint32_t>(parse_integer(arg, 1, 100000000, what));
      break;
    case 1502:
      o.bursts.reads_per_minute =
          static_cast<std::uint32_t>(parse_integer(arg, 1, 100000000, what));
      break;
    case 1503:
      o.bursts.baseline_factor = parse_factor(arg, 1000000, what);
      break;
    case 1504:
      o.bursts.baseline_minutes = static_cast<int>(parse_integer(arg, 1, 525600, what));
      break;
    case 1505:
      o.bursts.quiet_seconds = static_cast<int>(parse_integer(arg, 1, 86400, what));
      break;
    case 1506:
      if (arg.empty()) throw UsageError(what + ": empty command");
      o.alert_command = arg;
      break;
    case 1507:
      if (!arg.starts_with("http://") && !arg.starts_with("https://"))
        throw UsageError(what + ": \"" + arg + "\" is not an http:// or https:// URL");
      if (arg.find_first_of(" \t\r\n") != std::string::npos)
        throw UsageError(what + ": the URL must not contain blanks");
      o.alert_webhook = arg;
      break;
    case 1508:
      o.alert_timeout_s = static_cast<int>(parse_integer(arg, 1, 3600, what));
      break;
    // --- end burst alerts ---
    default:
      break;
  }
}

}  // namespace

ListenerSet parse_listeners(const std::string& text, const std::string& what) {
  ListenerSet l{.tcp = false, .unix_socket = false};
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    std::string_view word = rest.substr(0, comma);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    if (word == "tcp")
      l.tcp = true;
    else if (word == "unix")
      l.unix_socket = true;
    else
      throw UsageError(fmt::format("{}: \"{}\" is not a listener (tcp, unix, or tcp,unix)", what,
                                   std::string(word)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return l;
}

int parse_interval(const std::string& t, const std::string& what) {
  // HH:MM:SS; hours may exceed 23 (the original's strptime capped the interval below a day).
  unsigned h = 0, m = 0, s = 0;
  char tail = 0;
  if (std::sscanf(t.c_str(), "%u:%2u:%2u%c", &h, &m, &s, &tail) != 3 || m > 59 || s > 59 ||
      h > 8760 || t.find_first_not_of("0123456789:") != std::string::npos)
    throw UsageError(what + ": \"" + t + "\" is not HH:MM:SS");
  const int total = static_cast<int>(h * 3600 + m * 60 + s);
  if (total == 0) throw UsageError(what + ": the interval must not be zero");
  return total;
}

std::int64_t parse_retention(const std::string& t, const std::string& what) {
  const auto comma = t.find(',');
  if (comma == std::string::npos) throw UsageError(what + ": \"" + t + "\" is not DAYS,HH:MM:SS");
  std::string days = t.substr(0, comma);
  std::string rest = t.substr(comma + 1);
  while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  std::uint64_t d = 0;
  if (!smbta::parse_decimal(days, d) || d > 100000)
    throw UsageError(what + ": \"" + t + "\" is not DAYS,HH:MM:SS");
  unsigned h = 0, m = 0, s = 0;
  char tail = 0;
  if (std::sscanf(rest.c_str(), "%2u:%2u:%2u%c", &h, &m, &s, &tail) != 3 || h > 23 || m > 59 ||
      s > 59 || rest.find_first_not_of("0123456789:") != std::string::npos)
    throw UsageError(what + ": \"" + t + "\" is not DAYS,HH:MM:SS");
  const std::int64_t total = static_cast<std::int64_t>(d) * 86400 + h * 3600 + m * 60 + s;
  if (total == 0) throw UsageError(what + ": the retention must not be zero");
  return total;
}

namespace {

// Config keys that are not a command-line option of their own.
enum ConfigOnly : int {
  kUnixModules = 2001,
  kUnixClients,
  kRequireKeyBool,
  kRequireModuleKeyBool,
  kSqliteDbdir,
  kSqliteTimeout,
  kMetricsPerUserBool,  // ops block
  kAllowRootBool,       // ops block
};

// Why: one table names every key smbtad reads; the keys it does not know are warned about.
struct ConfigKey {
  const char* section;
  const char* key;
  int opt;  // an option of apply(), or a ConfigOnly value
};

constexpr ConfigKey kConfigKeys[] = {
    {"network", "port_number", 'i'},
    {"network", "smbtad_ip", 'I'},
    {"network", "query_port", 'q'},
    {"network", "unix_domain_socket", kUnixModules},
    {"network", "unix_domain_socket_clients", kUnixClients},
    {"network", "module_listeners", 1012},
    {"network", "client_listeners", 1013},
    {"network", "require_client_key", kRequireKeyBool},
    {"network", "require_module_key", kRequireModuleKeyBool},
    {"network", "transport", 1203},
    {"network", "unix_socket_path", 1003},
    {"network", "client_socket_path", 1004},
    {"network", "max_connections", 1005},
    {"network", "max_client_connections", 1200},
    {"network", "client_idle_timeout", 1201},
    {"database", "driver", 'M'},
    {"database", "name", 'N'},
    {"database", "host", 'H'},
    {"database", "user", 'S'},
    {"database", "password", 'P'},
    {"database", "port", 1008},
    {"database", "sqlite_dbdir", kSqliteDbdir},
    {"database", "sqlite_timeout", kSqliteTimeout},
    {"general", "debug_level", 'd'},
    {"general", "precision", 'p'},
    {"general", "use_db", 'U'},
    {"general", "rollups", 1010},
    {"general", "file_rollup", 1011},
    {"general", "keyfile", 'k'},
    {"general", "keyfile_clients", 'K'},
    {"general", "pid_file", 1001},
    {"general", "spool_dir", 1002},
    {"general", "log_file", 1014},
    {"maintenance", "interval", 't'},
    {"maintenance", "config", 'm'},
    // --- Operations (ops block) ---
    {"metrics", "listen", 1300},
    {"metrics", "per_user", kMetricsPerUserBool},
    {"general", "user", 1302},
    {"general", "allow_root", kAllowRootBool},
    // --- end of the ops block ---
    // --- webSMBTA ---
    {"web", "listen", 1400},
    {"web", "cert", 1401},
    {"web", "key", 1402},
    {"web", "root", 1403},
    {"web", "users", 1404},
    // --- end webSMBTA ---
    // --- Burst alerts ---
    {"alerts", "enabled", 1500},
    {"alerts", "destructive_rate", 1501},
    {"alerts", "read_rate", 1502},
    {"alerts", "baseline_factor", 1503},
    {"alerts", "baseline_minutes", 1504},
    {"alerts", "quiet", 1505},
    {"alerts", "command", 1506},
    {"alerts", "webhook", 1507},
    {"alerts", "timeout", 1508},
    // --- end burst alerts ---
};

// Keys smbtaquery, smbtamonitor and rrddriver read from their config file. smbtad ignores them,
// and says so, since `smbta_port_number` in smbtad.conf looks like it set smbtad's port.
bool is_client_tool_key(std::string_view section, std::string_view key) {
  using namespace smbta::cli;
  if (section == kNetworkSection) {
    for (auto k : kSmbtadHostKeys)
      if (k == key) return true;
    for (auto k : kSmbtadPortKeys)
      if (k == key) return true;
  }
  return (section == "general" && key == "identify") || (section == "database" && key == "dbpath");
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The known key a misspelling most likely meant, in any section ("[general] port_number" is
// as likely as "[network] port_nubmer").
std::string suggestion(std::string_view section, std::string_view key) {
  const ConfigKey* best = nullptr;
  std::size_t best_d = 3;  // at most 2 edits
  for (const auto& k : kConfigKeys) {
    const std::size_t d = edit_distance(key, k.key);
    if (d < best_d || (d == best_d && best != nullptr && k.section == section)) {
      best = &k;
      best_d = d;
    }
  }
  if (best == nullptr) return {};
  return best->section == section
             ? fmt::format(" (did you mean {}?)", best->key)
             : fmt::format(" (did you mean [{}] {}?)", best->section, best->key);
}

void warn_unknown_keys(const smbta::IniConfig& c, Options& o) {
  for (const auto& e : c.entries()) {
    const bool known =
        std::any_of(std::begin(kConfigKeys), std::end(kConfigKeys),
                    [&](const ConfigKey& k) { return e.section == k.section && e.key == k.key; });
    if (known) continue;
    const std::string where = e.line > 0 ? fmt::format("{}:{}", c.path(), e.line) : c.path();
    const std::string name =
        e.section.empty() ? e.key + " (before any [section])" : "[" + e.section + "] " + e.key;
    if (is_client_tool_key(e.section, e.key))
      o.warnings.push_back(fmt::format(
          "{}: {} is a key of the client tools (smbtaquery, smbtamonitor, rrddriver); smbtad "
          "ignores it",
          where, name));
    else
      o.warnings.push_back(
          fmt::format("{}: unknown key {}, ignored{}", where, name, suggestion(e.section, e.key)));
  }
}

}  // namespace

void apply_config_file(const std::string& path, Options& o) {
  smbta::IniConfig c = [&] {
    try {
      return smbta::IniConfig::load(path);
    } catch (const std::runtime_error& e) {
      throw UsageError(std::string("-c/--config-file: ") + e.what());
    }
  }();
  // Absolute: smbtad-report shows it, and a daemon's working directory is /.
  o.config_file = std::filesystem::absolute(path).lexically_normal().string();
  for (const auto& k : kConfigKeys) {
    const auto v = c.get(k.section, k.key);
    if (!v) continue;
    const std::string what = fmt::format("{}: [{}] {}", path, k.section, k.key);
    try {
      switch (k.opt) {
        case kUnixModules:
        case kUnixClients: {
          // 1.2.x: yes = the Unix socket instead of TCP; no = TCP.
          const bool unix_only = *c.get_bool(k.section, k.key);
          (k.opt == kUnixModules ? o.module_listeners : o.client_listeners) =
              ListenerSet{.tcp = !unix_only, .unix_socket = unix_only};
          break;
        }
        case kRequireKeyBool:
          o.require_client_key = *c.get_bool(k.section, k.key);
          break;
        case kRequireModuleKeyBool:
          o.require_module_key = *c.get_bool(k.section, k.key);
          break;
        case kSqliteDbdir:
          o.db.sqlite_dbdir = *v;
          break;
        case kSqliteTimeout:
          o.db.sqlite_timeout_ms = static_cast<int>(parse_integer(*v, 0, 3600000, what));
          break;
        case kMetricsPerUserBool:  // ops block
          o.metrics_per_user = *c.get_bool(k.section, k.key);
          break;
        case kAllowRootBool:  // ops block
          o.allow_root = *c.get_bool(k.section, k.key);
          break;
        default:
          apply(k.opt, *v, o);
      }
    } catch (const UsageError& e) {
      const std::string_view m = e.what();
      throw UsageError(m.starts_with(what) ? std::string(m) : what + ": " + std::string(m));
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());  // get_bool names file, section and key
    }
  }
  warn_unknown_keys(c, o);
}

ParseOutcome parse_options(int argc, char** argv, Options& o) {
  opterr = 0;
  optind = 1;
  static const char kShort[] = ":S:Tnd:i:oc:k:q:t:m:up:U:M:N:H:P:K:I:hV";
  int c;
  while ((c = getopt_long(argc, argv, kShort, kLongOptions, nullptr)) != -1) {
    if (c == '?') {
      const std::string bad = optopt != 0 ? std::string("-") + static_cast<char>(optopt)
                                          : std::string(argv[optind - 1]);
      throw UsageError("unknown option " + bad);
    }
    if (c == ':') {
      const std::string bad =
          optopt != 0 && optopt < 256 ? option_name(optopt) : std::string(argv[optind - 1]);
      throw UsageError(bad + " needs an argument");
    }
    if (c == 'h') return ParseOutcome::kHelp;
    if (c == 'V') return ParseOutcome::kVersion;
    if (c == 'c') {
      apply_config_file(optarg, o);
      continue;
    }
    apply(c, optarg != nullptr ? optarg : "", o);
    if (c == 'p' && o.precision >= 1024)
      o.warnings.push_back(fmt::format(
          "-p/--precision {}: read and write records are merged over {} minutes; -p is the "
          "precision in seconds, not a port (the module port is -i, the client port -q)",
          o.precision, o.precision / 60));
  }
  if (optind < argc) throw UsageError(std::string("unexpected argument \"") + argv[optind] + "\"");
  return ParseOutcome::kRun;
}

void finalize_options(Options& o) {
  const std::string base = smbta::cli::home_dir() + "/.smbtad";
  if (o.db.driver == "sqlite3") {
    if (o.db.name.empty()) o.db.name = "staddb";
    if (o.db.sqlite_dbdir.empty()) {
      const std::filesystem::path p(o.db.name);
      if (p.has_parent_path()) {
        o.db.sqlite_dbdir = p.parent_path().string();
        o.db.name = p.filename().string();
      } else {
        o.db.sqlite_dbdir = base;
      }
    }
  } else if (o.db.name.empty() && o.use_db) {
    throw UsageError("-N/--dbname: a database name is required for driver " + o.db.driver);
  }
  if (o.spool_dir.empty()) o.spool_dir = base + "/spool";
  if (o.client_listeners.tcp && !o.query_port && o.inet_port == 65535)
    throw UsageError("-q/--query-port: inet port 65535 leaves no default client port; give -q");
  if (o.require_client_key && o.keyfile.empty() && o.keyfile_clients.empty())
    throw UsageError("--require-client-key: needs a key (-K or -k)");
  if (o.require_module_key && o.keyfile.empty())
    throw UsageError("--require-module-key: needs a key (-k)");
  if (o.require_authenticated && o.keyfile.empty())
    throw UsageError("--transport authenticated: needs a key (-k)");
  if (o.module_listeners.tcp && o.client_listeners.tcp && o.client_port() == o.inet_port)
    throw UsageError("-q/--query-port: the client port must differ from the module port");
  if (o.module_listeners.unix_socket && o.client_listeners.unix_socket &&
      o.unix_socket_path == o.client_socket_path)
    throw UsageError("--client-socket-path: the client socket must differ from the module socket");
  if (o.module_listeners.unix_socket && o.unix_socket_path.empty())
    throw UsageError("--unix-socket-path: empty path");
  if (o.client_listeners.unix_socket && o.client_socket_path.empty())
    throw UsageError("--client-socket-path: empty path");
  web::finalize_web_options(o.web, base);  // webSMBTA
  // The daemon runs in /: a relative log file would land there after daemonize().
  if (!o.log_file.empty())
    o.log_file = std::filesystem::absolute(o.log_file).lexically_normal().string();
}

std::string version_text() {
  return "smbtad (smbta) " SMBTA_VERSION "\n";
}

std::string help_text() {
  return fmt::format(R"(Usage: smbtad [options]
SMB Traffic Analyzer daemon: receives protocol V2 records from the Samba VFS module
smb_traffic_analyzer, stores them through libdbi and serves clients.

Network:
  -i, --inet-port PORT             module port (default {})
  -u, --unix-domain-socket         modules connect through the Unix socket instead of TCP
                                   (--unix-socket-path, default {})
      --module-listeners tcp|unix|tcp,unix
                                   where modules connect; tcp,unix serves both (default tcp)
  -q, --query-port PORT            client port (default: inet port + 1)
  -n, --unix-domain-socket-cl      clients connect through the Unix socket instead of TCP
                                   (--client-socket-path, default {})
      --client-listeners tcp|unix|tcp,unix
                                   where clients connect (default tcp)
  -I, --ip ADDRESS                 bind address, IPv4, IPv6 or host name (default localhost)
      --max-connections N          simultaneous module connections (default 8192)
      --max-client-connections N   simultaneous client connections (default 1024)
      --idle-timeout SECONDS       close a peer whose record (or request) is not complete
                                   SECONDS after its first byte (default 60)
      --client-idle-timeout SECONDS
                                   close a client without monitors that sent nothing and
                                   got nothing for SECONDS (default 300)
      --max-record-size BYTES      largest accepted record body (default 65536)
      --max-monitors N             real-time monitors of all clients (default 256)
      --max-client-monitors N      real-time monitors per client connection (default 64)
Storage:
  -M, --dbdriver sqlite3|pgsql|mysql   libdbi driver (default sqlite3)
  -N, --dbname NAME                database name; sqlite3: file (default $HOME/.smbtad/staddb)
  -S, --dbuser USER    -H, --dbhost HOST    -P, --dbpassword PW    --dbport PORT
  -T, --setup                      create the database schema and exit
  -U, --use-db 0|1                 0: keep no database, real-time monitors only (default 1)
  -p, --precision SECONDS          merge read/write records of one user, share and file within
                                   SECONDS-long buckets; 0 stores every record (default 5)
      --rollups 0|1                keep the hourly per-user/share rollup that makes reports
                                   fast (default 1; costs some insert speed)
      --file-rollup 0|1            keep the daily per-file rollup that makes top/list files and
                                   search fast (default 0; can halve insert speed, see man page)
      --spool-dir DIR              where records wait while the database is unreachable
                                   (default $HOME/.smbtad/spool)
  -t, --maintenance-timer HH:MM:SS     how often old rows are deleted (default 01:00:00)
  -m, --maintenance-timer-config DAYS,HH:MM:SS
                                   delete rows older than this (default 1,00:00:00)
Security:
  -k, --keyfile FILE               key for encrypted module records (mode 0600)
  -K, --key-file-clients FILE      key for the client port (default: the -k key)
      --require-client-key         answer only encrypted client requests
      --require-module-key         refuse module records that are not encrypted (with -k)
      --transport legacy|authenticated
                                   authenticated: accept only the AES-256-GCM transport on
                                   both ports (needs -k); legacy: accept both (default)
Process:
  -o, --interactive                stay in the foreground and log to stderr
      --log-file FILE              log to FILE (mode 0600, reopened on SIGHUP) instead of
                                   syslog or stderr
  -d, --debug-level 0-10           log verbosity (default 0)
  -c, --config-file FILE           read an ini file (see smbtad.conf(5)) at this point of the
                                   command line: later options override it
      --pid-file FILE              pid file when daemonized
      --user NAME                  run as NAME (with its groups) once the ports are open;
                                   needed when started as root
      --allow-root                 keep running as root (not recommended)
Metrics:
      --metrics-listen [ADDRESS:]PORT
                                   serve Prometheus metrics on http://ADDRESS:PORT/metrics
                                   (ADDRESS default localhost; IPv6 in brackets; default off)
      --metrics-per-user           add a user label to the traffic metrics (privacy and
                                   cardinality: off by default)
Alerts (bursts per user and share; see smbtad(8), "BURST ALERTS"):
      --alerts 0|1                 watch for bursts (default 1)
      --alert-destructive-rate N   renames, unlinks and overwrites per minute that raise a
                                   ransomware alert (default 600)
      --alert-read-rate N          files read per minute that raise an exfiltration alert
                                   (default 3000)
      --alert-baseline-factor F    ...and only at F times the user's own baseline (default 10; a
                                   decimal such as 2.5)
      --alert-baseline-minutes M   time constant of the baseline (default 60)
      --alert-quiet SECONDS        an episode ends after SECONDS below half the threshold
                                   (default 300)
      --alert-command CMD          run CMD (/bin/sh -c) for each alert, JSON on stdin
      --alert-webhook URL          POST each alert as JSON to URL (http:// or https://)
      --alert-timeout SECONDS      limit for the command and the webhook (default 10)
  -h, --help                       this text      -V, --version   the version
)",
                     SMBTA_DEFAULT_MODULE_PORT, SMBTA_DEFAULT_MODULE_SOCKET,
                     SMBTA_DEFAULT_CLIENT_SOCKET) +
         web::web_help_text();  // webSMBTA
}

}  // namespace smbtad

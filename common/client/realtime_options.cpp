// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/realtime_options.h"

#include <getopt.h>

#include <utility>

#include <fmt/format.h>

#include "cli/config_aliases.h"
#include "cli/home.h"
#include "cli/parse_integer.h"
#include "cli/usage_error.h"
#include "smbta/ini_config.h"

namespace smbta::client {
namespace {

using cli::parse_integer;
using cli::UsageError;

enum LongOnly : int { kSocketPath = 1001, kHelp = 1002, kLegacy = 1003, kTransport = 1004 };

const std::vector<option> kCommon = {
    {"share", required_argument, nullptr, 's'},
    {"user", required_argument, nullptr, 'u'},
    {"file", required_argument, nullptr, 'f'},
    {"domain", required_argument, nullptr, 'D'},
    {"global", no_argument, nullptr, 'g'},
    {"host", required_argument, nullptr, 'h'},
    {"inet-port", required_argument, nullptr, 'i'},
    {"unix-domain-socket", no_argument, nullptr, 'n'},
    {"unix-socket", no_argument, nullptr, 'n'},  // rrddriver's spelling in 1.2.6
    {"socket-path", required_argument, nullptr, kSocketPath},
    {"legacy", no_argument, nullptr, kLegacy},
    {"key-file", required_argument, nullptr, 'k'},
    {"transport", required_argument, nullptr, kTransport},
    {"identify", required_argument, nullptr, 'I'},
    {"config-file", required_argument, nullptr, 'c'},
    {"debug-level", required_argument, nullptr, 'd'},
    {"help", no_argument, nullptr, kHelp},
    {"version", no_argument, nullptr, 'V'},
};

void set_object(RealtimeOptions& o, ObjectKind kind, std::string name) {
  if (kind != ObjectKind::kGlobal && name.empty())
    throw UsageError("the object name must not be empty");
  // Exactly one object is monitored; the last one given wins, as in the original.
  o.object = kind;
  o.object_name = std::move(name);
}

ClientTransport transport_of(const std::string& v, const std::string& what) {
  if (auto t = parse_client_transport(v)) return *t;
  throw UsageError(what + ": '" + v + "' is neither legacy nor authenticated");
}

bool parse_identify(const std::string& v, const std::string& what) {
  return parse_integer(v, 0, 1, what) == 1;
}

// Applies one common option; false when `opt` is not a common option.
bool apply_common(int opt, const std::string& arg, RealtimeOptions& o) {
  switch (opt) {
    case 's':
      set_object(o, ObjectKind::kShare, arg);
      return true;
    case 'u':
      set_object(o, ObjectKind::kUser, arg);
      return true;
    case 'f':
      set_object(o, ObjectKind::kFile, arg);
      return true;
    case 'D':
      set_object(o, ObjectKind::kDomain, arg);
      return true;
    case 'g':
      set_object(o, ObjectKind::kGlobal, "");
      return true;
    case 'h':
      if (arg.empty()) throw UsageError("-h/--host: the host name must not be empty");
      o.host = arg;
      return true;
    case 'i':
      o.port = static_cast<int>(parse_integer(arg, 1, 65535, "-i/--inet-port"));
      return true;
    case 'n':
      o.unix_socket = true;
      return true;
    case kSocketPath:
      if (arg.empty()) throw UsageError("--socket-path: the path must not be empty");
      o.socket_path = arg;
      o.unix_socket = true;
      return true;
    case 'k':
      o.key_file = arg;
      return true;
    case kLegacy:
      o.legacy_monitors = true;
      return true;
    case kTransport:
      o.transport = transport_of(arg, "--transport");
      return true;
    case 'I':
      o.identify = parse_identify(arg, "-I/--identify");
      return true;
    case 'd':
      o.debug_level = static_cast<int>(parse_integer(arg, 0, 10, "-d/--debug-level"));
      return true;
    case 'c':
      return true;  // applied before everything else
    default:
      return false;
  }
}

}  // namespace

MonitorFilter RealtimeOptions::filter() const {
  MonitorFilter f;
  switch (object) {
    case ObjectKind::kUser:
      f.user = object_name;
      break;
    case ObjectKind::kShare:
      f.share = object_name;
      break;
    case ObjectKind::kFile:
      f.file = object_name;
      break;
    case ObjectKind::kDomain:
      f.domain = object_name;
      break;
    case ObjectKind::kGlobal:
    case ObjectKind::kNone:
      break;
  }
  return f;
}

std::string RealtimeOptions::describe_object() const {
  switch (object) {
    case ObjectKind::kUser:
      return "user '" + object_name + "'";
    case ObjectKind::kShare:
      return "share '" + object_name + "'";
    case ObjectKind::kFile:
      return "file '" + object_name + "'";
    case ObjectKind::kDomain:
      return "domain '" + object_name + "'";
    case ObjectKind::kGlobal:
      return "everything";
    case ObjectKind::kNone:
      break;
  }
  return "nothing";
}

void apply_config_file(const std::string& path, RealtimeOptions& o) {
  IniConfig c = [&] {
    try {
      return IniConfig::load(path);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }();
  auto where = [&](std::string_view section, std::string_view key) {
    return fmt::format("{}: [{}] {}", path, section, key);
  };
  // The 1.2.x tools each read a different spelling; all of them are accepted (cli's order).
  if (auto v = cli::smbtad_port(c))
    o.port =
        static_cast<int>(parse_integer(v->value, 1, 65535, where(cli::kNetworkSection, v->key)));
  if (auto v = cli::smbtad_host(c)) {
    if (v->value.empty())
      throw UsageError(where(cli::kNetworkSection, v->key) + ": empty host name");
    o.host = v->value;
  }
  try {
    if (auto b = c.get_bool("network", "unix_domain_socket")) o.unix_socket = *b;
  } catch (const std::runtime_error& e) {
    throw UsageError(path + ": " + e.what());
  }
  if (auto v = c.get("network", "client_socket_path"); v && !v->empty()) o.socket_path = *v;
  if (auto v = c.get("general", "debug_level"))
    o.debug_level = static_cast<int>(parse_integer(*v, 0, 10, where("general", "debug_level")));
  // 1.2.6 read this key and then ignored its value.
  if (auto v = c.get("general", "keyfile"); v && !v->empty()) o.key_file = *v;
  if (auto v = c.get("general", "identify"))
    o.identify = parse_identify(*v, where("general", "identify"));
  if (auto v = c.get("network", "transport"))
    o.transport = transport_of(*v, where("network", "transport"));
  o.config_file = path;
}

ParseOutcome parse_command_line(int argc, char** argv, RealtimeOptions& out,
                                const std::vector<ExtraOption>& extra,
                                const std::function<void(int, const std::string&)>& on_extra) {
  std::vector<option> longopts = kCommon;
  // Leading ':' so that a missing argument is told apart from an unknown option.
  std::string shortopts = ":s:u:f:D:gh:i:nk:I:c:d:V?";
  for (const auto& e : extra) {
    longopts.push_back({e.long_name, e.has_arg ? required_argument : no_argument, nullptr, e.val});
    if (e.val > 0 && e.val < 256) {
      shortopts += static_cast<char>(e.val);
      if (e.has_arg) shortopts += ':';
    }
  }
  longopts.push_back({nullptr, 0, nullptr, 0});

  // First collect, then apply: the config file goes under the command line whatever the order.
  std::vector<std::pair<int, std::string>> given;
  std::optional<std::string> config;
  bool help = false, version = false;
  optind = 0;  // GNU: full re-initialisation, so tests may parse several command lines
  opterr = 0;
  for (;;) {
    const int prev = optind == 0 ? 1 : optind;
    const int opt = getopt_long(argc, argv, shortopts.c_str(), longopts.data(), nullptr);
    if (opt == -1) break;
    const std::string word = prev < argc ? argv[prev] : "";
    if (opt == ':') throw UsageError("option " + word + " needs an argument");
    if (opt == '?') {
      if (word == "-?") {
        help = true;
        continue;
      }
      throw UsageError("unknown option " + word);
    }
    if (opt == kHelp) {
      help = true;
      continue;
    }
    if (opt == 'V') {
      version = true;
      continue;
    }
    const std::string arg = optarg != nullptr ? optarg : "";
    if (opt == 'c') config = arg;
    given.emplace_back(opt, arg);
  }
  if (optind < argc) throw UsageError(std::string("unexpected argument '") + argv[optind] + "'");
  if (help) return ParseOutcome::kHelp;
  if (version) return ParseOutcome::kVersion;

  if (!config) config = cli::default_config_file();
  if (config) apply_config_file(*config, out);
  for (const auto& [opt, arg] : given)
    if (!apply_common(opt, arg, out)) on_extra(opt, arg);
  if (out.transport == ClientTransport::kAuthenticated && out.key_file.empty())
    throw UsageError("--transport authenticated needs the key smbtad uses for clients (-k)");
  return ParseOutcome::kRun;
}

void require_object(const RealtimeOptions& o) {
  if (o.object == ObjectKind::kNone)
    throw UsageError(
        "please specify an object to monitor: -u USER, -s SHARE, -f FILE, -D DOMAIN or -g");
}

std::string common_help() {
  return fmt::format(R"(Object (exactly one; the last one given wins):
  -u, --user NAME            a user            -s, --share NAME    a share
  -f, --file NAME            a file (path relative to the share root, as Samba reports it)
  -D, --domain NAME          a domain          -g, --global        all traffic
Connection to smbtad's client port:
  -h, --host HOST            smbtad host (default localhost)
  -i, --inet-port PORT       smbtad client port (default {})
  -n, --unix-domain-socket   connect through {} instead
      --socket-path PATH     connect through the Unix socket PATH (implies -n)
  -k, --key-file FILE        encrypt requests and decrypt replies with this key
      --transport legacy|authenticated
                             with -k: the 1.2.x encryption (AES-128-ECB, default) or the
                             authenticated transport (AES-256-GCM; smbtad --transport)
      --legacy               smbtad 1.2.x: use its READ/WRITE monitors (1.2.x exits when it
                             is sent the THROUGHPUT monitor this smbta uses by default)
  -I, --identify 0|1         identification needs the smbta database, which the real-time
                             tools do not open: names are always matched exactly (default 0)
General:
  -c, --config-file FILE     config file (default ~/.smbtatools/smbtatools.config if present);
                             the command line overrides it
  -d, --debug-level N        0-10 (default 0)
      --help                 this text          -V, --version   the version
)",
                     SMBTA_DEFAULT_CLIENT_PORT, SMBTA_DEFAULT_CLIENT_SOCKET);
}

}  // namespace smbta::client

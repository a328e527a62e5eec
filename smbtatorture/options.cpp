// SPDX-License-Identifier: GPL-3.0-or-later
#include "options.h"

#include <getopt.h>

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cli/parse_integer.h"
#include "cli/usage_error.h"

namespace smbta::torture {

using cli::UsageError;

namespace {

double parse_seconds(const std::string& text, const std::string& what) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || !std::isfinite(v) || v < 0 || v > 1e9)
    throw UsageError(fmt::format(
        "{}: expected seconds (a number from 0 to 1e9, e.g. 0.5), got '{}'", what, text));
  return v;
}

// The prefix names a directory at the top of each share (PREFIX-USER) and goes into the record
// file inside a field and into SMB URLs: one name, without blanks or control characters.
void check_prefix(const std::string& prefix) {
  if (prefix.empty() || prefix == "." || prefix == "..")
    throw UsageError(
        fmt::format("--prefix: expected a name such as 'smbtatorture', got '{}'", prefix));
  for (unsigned char c : prefix)
    if (c <= ' ' || c == 0x7f || c == '\\' || c == '/' || c == '%')
      throw UsageError(fmt::format(
          "--prefix: '{}' contains a blank, control character, '/', '\\' or '%'", prefix));
}

void check_share(const std::string& url, const char* opt) {
  // smb://host/share[/dir]: at least a host and a share.
  constexpr std::string_view scheme = "smb://";
  const auto rest = std::string_view(url).substr(std::min(url.size(), scheme.size()));
  if (url.rfind(scheme, 0) != 0 || rest.find('/') == 0 || rest.find('/') == std::string::npos ||
      rest.find('/') + 1 >= rest.size())
    throw UsageError(fmt::format("{}: expected a share URL smb://HOST/SHARE, got '{}'", opt, url));
  for (unsigned char c : url)
    if (c <= ' ' || c == 0x7f)
      throw UsageError(fmt::format("{}: '{}' contains a blank or control character", opt, url));
}

}  // namespace

std::uint64_t parse_size(const std::string& text, const std::string& what) {
  const auto bad = [&] {
    return UsageError(
        fmt::format("{}: expected a size such as 900000, 64K, 500M or 1.5G (at most 1T), got '{}'",
                    what, text));
  };
  double number = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, number);
  if (text.empty() || ec != std::errc() || !std::isfinite(number) || number < 0) throw bad();
  std::string_view unit(p, static_cast<std::size_t>(end - p));
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.remove_suffix(1);
  double factor = 1;
  if (unit == "K" || unit == "k")
    factor = 1024.0;
  else if (unit == "M" || unit == "m")
    factor = 1024.0 * 1024;
  else if (unit == "G" || unit == "g")
    factor = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "t")
    factor = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty())
    throw bad();
  const double bytes = std::floor(number * factor);
  if (bytes > 1024.0 * 1024 * 1024 * 1024) throw bad();
  return static_cast<std::uint64_t>(bytes);
}

std::string help_text() {
  return "Usage: smbtatorture -u USER[%PASSWORD] [-u ...] -1 smb://HOST/SHARE [-2 "
         "smb://HOST/SHARE2]\n"
         "                    [options]\n"
         "Works SMB shares through libsmbclient as several users (random reads, writes, copies,\n"
         "renames and deletes) and reports the bytes it moved per user and share.\n"
         "\n"
         "  -u, --user USER[%PASSWORD]   an SMB account (repeat for several users)\n"
         "  -p, --password PASSWORD      password of users given without one (default 'password')\n"
         "  -w, --workgroup NAME         workgroup or domain (default WORKGROUP)\n"
         "      --share1 URL (or -1)     the first share, smb://HOST/SHARE\n"
         "      --share2 URL (or -2)     the second share (copies go between the two)\n"
         "      --smb-port PORT          smbd's TCP port (default: libsmbclient's, 445)\n"
         "  -n, --number N               files per user and share (default 20)\n"
         "  -s, --size SIZE              total size of a user's files per share (900000; 64K, "
         "500M, 1.5G)\n"
         "  -c, --copy N                 actions after the files are created (0: no limit)\n"
         "  -d, --duration SECONDS       stop starting actions after SECONDS (0: no limit)\n"
         "  -t, --time SECONDS           longest pause after an action (default 15; 0: none)\n"
         "  -S, --seed N                 seed of the random choices (default: random, printed)\n"
         "      --prefix NAME            each user works in NAME-USER on each share\n"
         "                               (default smbtatorture)\n"
         "  -r, --record FILE            writes every action of the run to FILE\n"
         "  -e, --replay FILE            carries out the actions recorded in FILE again\n"
         "  -j, --json FILE              writes the report as JSON to FILE ('-': standard output)\n"
         "  -v, --verbose                says each action\n"
         "  -V, --version                prints the version\n"
         "  -h, --help                   prints this help\n";
}

ParseOutcome parse_options(int argc, char** argv, Options& out) {
  enum { kSmbPort = 256, kPrefix };
  static const option longopts[] = {
      {"user", required_argument, nullptr, 'u'},
      {"password", required_argument, nullptr, 'p'},
      {"workgroup", required_argument, nullptr, 'w'},
      {"share1", required_argument, nullptr, '1'},
      {"share2", required_argument, nullptr, '2'},
      {"smb-port", required_argument, nullptr, kSmbPort},
      {"number", required_argument, nullptr, 'n'},
      {"size", required_argument, nullptr, 's'},
      {"copy", required_argument, nullptr, 'c'},
      {"duration", required_argument, nullptr, 'd'},
      {"time", required_argument, nullptr, 't'},
      {"seed", required_argument, nullptr, 'S'},
      {"prefix", required_argument, nullptr, kPrefix},
      {"record", required_argument, nullptr, 'r'},
      {"replay", required_argument, nullptr, 'e'},
      {"json", required_argument, nullptr, 'j'},
      {"verbose", no_argument, nullptr, 'v'},
      {"version", no_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  if (argc <= 1) return ParseOutcome::kHelp;
  std::vector<std::string> user_args;
  std::string default_password = "password";
  std::string share1, share2;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":u:p:w:1:2:n:s:c:d:t:S:r:e:j:vVh", longopts, nullptr)) !=
         -1) {
    const std::string arg = optarg != nullptr ? optarg : "";
    switch (c) {
      case 'u':
        if (arg.empty() || arg.front() == '%')
          throw UsageError("-u/--user: expected USER or USER%PASSWORD, got an empty user name");
        user_args.push_back(arg);
        break;
      case 'p':
        default_password = arg;
        break;
      case 'w':
        if (arg.empty()) throw UsageError("-w/--workgroup: expected a name, got ''");
        out.workgroup = arg;
        break;
      case '1':
        check_share(arg, "-1/--share1");
        share1 = arg;
        break;
      case '2':
        check_share(arg, "-2/--share2");
        share2 = arg;
        break;
      case kSmbPort:
        out.smb_port = static_cast<int>(cli::parse_integer(arg, 1, 65535, "--smb-port"));
        break;
      case 'n':
        out.files = static_cast<std::uint64_t>(cli::parse_integer(arg, 1, 100000, "-n/--number"));
        break;
      case 's':
        out.total_size = parse_size(arg, "-s/--size");
        break;
      case 'c':
        out.count = static_cast<std::uint64_t>(
            cli::parse_integer(arg, 0, std::numeric_limits<std::int64_t>::max(), "-c/--copy"));
        break;
      case 'd':
        out.duration_s = parse_seconds(arg, "-d/--duration");
        break;
      case 't':
        out.max_pause_s = parse_seconds(arg, "-t/--time");
        if (out.max_pause_s > 3600)
          throw UsageError(fmt::format("-t/--time: at most 3600 seconds, got '{}'", arg));
        break;
      case 'S':
        out.seed = static_cast<std::uint64_t>(
            cli::parse_integer(arg, 0, std::numeric_limits<std::int64_t>::max(), "-S/--seed"));
        break;
      case kPrefix:
        check_prefix(arg);
        out.prefix = arg;
        break;
      case 'r':
        if (arg.empty()) throw UsageError("-r/--record: expected a file name");
        out.record_file = arg;
        break;
      case 'e':
        if (arg.empty()) throw UsageError("-e/--replay: expected a file name");
        out.replay_file = arg;
        break;
      case 'j':
        if (arg.empty()) throw UsageError("-j/--json: expected a file name or '-'");
        out.json_file = arg;
        break;
      case 'v':
        out.verbose = true;
        break;
      case 'V':
        return ParseOutcome::kVersion;
      case 'h':
        return ParseOutcome::kHelp;
      case ':':
        throw UsageError(fmt::format("option '{}' needs an argument", argv[optind - 1]));
      default:
        throw UsageError(fmt::format("unknown option '{}'", argv[optind - 1]));
    }
  }
  if (optind < argc) throw UsageError(fmt::format("unexpected argument '{}'", argv[optind]));
  if (user_args.empty()) throw UsageError("no user: give at least one -u USER[%PASSWORD]");
  if (share1.empty()) throw UsageError("no share: give -1 smb://HOST/SHARE");
  if (!out.record_file.empty() && !out.replay_file.empty())
    throw UsageError("-r/--record and -e/--replay exclude each other: record or replay");
  if (!out.replay_file.empty() && out.seed)
    throw UsageError("-S/--seed has no effect with -e/--replay (the file holds every choice)");
  for (const auto& u : user_args) {
    const auto pct = u.find('%');
    Credentials cred{u.substr(0, pct),
                     pct == std::string::npos ? default_password : u.substr(pct + 1)};
    for (unsigned char ch : cred.user)
      if (ch <= ' ' || ch == 0x7f || ch == '/' || ch == '\\')
        throw UsageError(fmt::format(
            "-u/--user: '{}' contains a blank, control character, '/' or '\\'", cred.user));
    for (const auto& seen : out.users)
      if (seen.user == cred.user)
        throw UsageError(fmt::format("-u/--user: '{}' is given twice", cred.user));
    out.users.push_back(std::move(cred));
  }
  out.shares.push_back(share1);
  if (!share2.empty()) {
    if (share2 == share1) throw UsageError("-2/--share2: the same share as -1/--share1");
    out.shares.push_back(share2);
  }
  return ParseOutcome::kRun;
}

}  // namespace smbta::torture

// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/web_options.h"

#include <filesystem>

#include <fmt/format.h>

#include "cli/parse_integer.h"
#include "cli/usage_error.h"

#ifndef SMBTA_WEB_ROOT_DEFAULT
#define SMBTA_WEB_ROOT_DEFAULT "/usr/share/smbta/web"
#endif

namespace smbtad::web {

using smbta::cli::UsageError;

void parse_web_listen(const std::string& text, const std::string& what, WebOptions& out) {
  std::string host = "127.0.0.1";
  std::string port_text = text;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string::npos)
      throw UsageError(fmt::format("{}: \"{}\" is not [ADDRESS]:PORT", what, text));
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    if (text.find(':') != colon)
      throw UsageError(fmt::format("{}: write an IPv6 address as [ADDRESS]:PORT", what));
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) throw UsageError(fmt::format("{}: empty address in \"{}\"", what, text));
  out.port = static_cast<int>(smbta::cli::parse_integer(port_text, 1, 65535, what));
  out.host = host;
  out.listen_text = text;
}

std::string parse_web_role(const std::string& text, const std::string& what) {
  if (text != "admin" && text != "viewer")
    throw UsageError(fmt::format("{}: \"{}\" is not a role (admin or viewer)", what, text));
  return text;
}

void finalize_web_options(WebOptions& w, const std::string& state_dir) {
  if (w.users_file.empty()) w.users_file = state_dir + "/web-users";
  w.users_file = std::filesystem::absolute(w.users_file).lexically_normal().string();
  if (w.root.empty()) w.root = SMBTA_WEB_ROOT_DEFAULT;
  w.root = std::filesystem::absolute(w.root).lexically_normal().string();
  if (w.cert_file.empty() != w.key_file.empty())
    throw UsageError("--web-cert and --web-key: TLS needs both a certificate and its key");
  if (w.role_given && w.passwd_user.empty())
    throw UsageError("--web-role: only with --web-passwd USER");
  if (!w.passwd_user.empty()) {
    if (w.passwd_user.find_first_of(":\n\r\t ") != std::string::npos || w.passwd_user.size() > 64)
      throw UsageError(
          "--web-passwd: a user name has at most 64 characters and no ':', blanks or newlines");
  }
}

std::string web_help_text() {
  return fmt::format(R"(Web dashboard (webSMBTA; off unless --web-listen is given):
      --web-listen [ADDR:]PORT     serve the dashboard and its JSON API on ADDR (default
                                   127.0.0.1; IPv6 as [ADDR]:PORT)
      --web-cert FILE              TLS certificate (PEM); with --web-key the listener speaks
                                   HTTPS only
      --web-key FILE               TLS private key (PEM); must not be readable by others
      --web-root DIR               the dashboard's files (default {})
      --web-users FILE             web users and their password hashes (mode 0600, default
                                   $HOME/.smbtad/web-users)
      --web-passwd USER            add USER to --web-users or change the password (read from
                                   stdin, twice on a terminal; empty: remove USER), then exit
      --web-role admin|viewer      with --web-passwd: the user's role (default viewer; admin
                                   may see smbtad-report and manage users)
)",
                     SMBTA_WEB_ROOT_DEFAULT);
}

}  // namespace smbtad::web

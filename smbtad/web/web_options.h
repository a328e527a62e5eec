// SPDX-License-Identifier: GPL-3.0-or-later
// The settings of webSMBTA (smbtad's HTTP listener) and of `smbtad --web-passwd`.
#pragma once

#include <string>

namespace smbtad::web {

// Why: the web dashboard is one optional part of smbtad with settings of its own; keeping them in
// one value (a member of smbtad::Options) keeps them apart from the daemon's other options.
struct WebOptions {
  std::string listen_text;         // --web-listen as given; empty: the listener is off
  std::string host = "127.0.0.1";  // from --web-listen
  int port = 0;                    // from --web-listen; 0: off
  std::string cert_file;           // --web-cert: TLS when given (with --web-key)
  std::string key_file;            // --web-key
  std::string root;                // --web-root: the dashboard's static files
  std::string users_file;          // --web-users; empty until finalized: <state dir>/web-users
  std::string passwd_user;         // --web-passwd USER: manage the users file and exit
  std::string role = "viewer";     // --web-role admin|viewer (with --web-passwd)
  bool role_given = false;

  bool enabled() const { return port != 0; }
  bool tls() const { return !cert_file.empty(); }
};

// "ADDR:PORT", "[V6ADDR]:PORT" or "PORT" (ADDR 127.0.0.1). Throws smbtad::UsageError naming
// `what`.
void parse_web_listen(const std::string& text, const std::string& what, WebOptions& out);
// "admin" or "viewer"; throws UsageError otherwise.
std::string parse_web_role(const std::string& text, const std::string& what);
// Defaults that depend on the state directory `state_dir` ($HOME/.smbtad) and the checks
// between the web options. Throws UsageError.
void finalize_web_options(WebOptions& w, const std::string& state_dir);

// The lines of smbtad --help that describe the web options.
std::string web_help_text();

}  // namespace smbtad::web

// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad: options, then wiring; the daemon's work lives in the library beside this file.
#include <cstdio>
#include <iostream>
#include <memory>

#include "daemon.h"
#include "options.h"
#include "server.h"
#include "smbta/log.h"
#include "smbta/version.h"
#include "store/dbi_connection.h"
#include "store/prepare.h"
#include "web/users_file.h"

namespace {

int setup_database(const smbtad::Options& o) {
  try {
    smbta::store::prepare_database(o.db, {o.rollups, o.file_rollup});
    std::printf("smbtad: database %s (%s) is ready\n", o.db.name.c_str(), o.db.driver.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smbtad: -T/--setup failed: %s\n", e.what());
    return 1;
  }
}

// Where the daemon logs from now on. Until it has started, every message also reaches the
// terminal (stderr mirror), so that start-up errors are seen where smbtad was started.
void choose_log_sink(const smbtad::Options& o) {
  if (!o.log_file.empty()) {
    try {
      smbta::log::init_file(o.log_file, o.debug_level, "smbtad");
    } catch (const std::runtime_error& e) {
      throw smbtad::ConfigError(std::string("--log-file: ") + e.what());
    }
    smbta::log::set_stderr_mirror(true);
    return;
  }
  if (o.interactive) return;  // stderr, as initialized
  std::string reason;
  if (!smbta::log::syslog_available(reason))
    smbta::log::warning(
        "syslog is not available ({}) and no --log-file is given: once smbtad runs in the "
        "background its messages are lost; give --log-file FILE (or -o to stay in the "
        "foreground)",
        reason);
  smbta::log::init(smbta::log::Sink::kSyslog, o.debug_level, "smbtad");
  smbta::log::set_stderr_mirror(true);
}

}  // namespace

int main(int argc, char** argv) {
  smbta::store::keep_drivers_loaded_for_sanitizers();
  smbtad::Options options;
  try {
    switch (smbtad::parse_options(argc, argv, options)) {
      case smbtad::ParseOutcome::kHelp:
        std::cout << smbtad::help_text();
        return 0;
      case smbtad::ParseOutcome::kVersion:
        std::cout << smbtad::version_text();
        return 0;
      case smbtad::ParseOutcome::kRun:
        break;
    }
    smbtad::finalize_options(options);
  } catch (const smbtad::UsageError& e) {
    // One line and a pointer: the whole help after it would scroll the error away.
    std::fprintf(stderr, "smbtad: %s\nTry 'smbtad --help'.\n", e.what());
    return 2;
  }
  smbta::log::init(smbta::log::Sink::kStderr, options.debug_level, "smbtad");
  // --- webSMBTA: --web-passwd manages the users file and exits ---
  if (!options.web.passwd_user.empty())
    return smbtad::web::run_web_passwd(options.web.users_file, options.web.passwd_user,
                                       options.web.role, options.web.role_given, std::cin,
                                       std::cout, std::cerr);
  // --- end webSMBTA ---
  if (options.setup) {
    for (const auto& w : options.warnings) smbta::log::warning("{}", w);
    return setup_database(options);
  }
  try {
    choose_log_sink(options);
    for (const auto& w : options.warnings) smbta::log::warning("{}", w);
    smbtad::Server server(options);  // binds before daemonizing: errors reach the terminal
    std::unique_ptr<smbtad::PidFile> pid_file;
    if (!options.interactive) {
      smbtad::daemonize();
      smbta::log::set_stderr_mirror(false);
      smbta::log::reopen();  // syslog's socket belongs to the process that opened it
      pid_file = std::make_unique<smbtad::PidFile>(
          options.pid_file.empty() ? smbtad::default_pid_file() : options.pid_file);
    } else if (!options.pid_file.empty()) {
      pid_file = std::make_unique<smbtad::PidFile>(options.pid_file);
    }
    smbta::log::notice("smbtad {} started (precision {} s, database {})", SMBTA_VERSION,
                       options.precision, options.use_db ? options.db.driver : std::string("off"));
    server.run([] { smbta::log::set_stderr_mirror(false); });
  } catch (const smbta::store::StoreError& e) {
    // A configuration error like a bad option (smbtad(8), EXIT STATUS).
    smbta::log::error("the database cannot be used: {}", e.what());
    return 2;
  } catch (const smbtad::ConfigError& e) {
    smbta::log::error("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    smbta::log::error("{}", e.what());
    return 1;
  }
  return 0;
}

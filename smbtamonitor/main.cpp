// SPDX-License-Identifier: GPL-3.0-or-later
// smbtamonitor: live console view of one object's traffic through smbtad's monitor channel.
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "app.h"
#include "cli/usage_error.h"
#include "client/connection.h"
#include "smbta/log.h"
#include "smbta/version.h"

int main(int argc, char** argv) {
  using namespace smbta::realtime;
  MonitorOptions o;
  try {
    switch (parse_monitor_options(argc, argv, o)) {
      case ParseOutcome::kHelp:
        std::fputs(monitor_help().c_str(), stdout);
        return 0;
      case ParseOutcome::kVersion:
        std::printf("smbtamonitor (smbta) %s\n", SMBTA_VERSION);
        return 0;
      case ParseOutcome::kRun:
        break;
    }
  } catch (const smbta::cli::UsageError& e) {
    std::fprintf(stderr, "smbtamonitor: %s\nTry 'smbtamonitor --help'.\n", e.what());
    return 2;
  }
  // The screen owns the terminal: messages written there would tear it, so they go to syslog
  // unless stderr was redirected away from the terminal.
  const bool screen_on_stderr = !o.batch && ::isatty(STDERR_FILENO) == 1;
  smbta::log::init(screen_on_stderr ? smbta::log::Sink::kSyslog : smbta::log::Sink::kStderr,
                   o.conn.debug_level, "smbtamonitor");
  if (o.conn.identify)
    std::fprintf(stderr,
                 "smbtamonitor: identification (-I 1) needs the smbta database, which the "
                 "real-time tools do not open; matching '%s' exactly\n",
                 o.conn.object_name.c_str());
  try {
    return o.batch ? run_batch(o) : run_screen(o);
  } catch (const smbta::cli::UsageError& e) {
    std::fprintf(stderr, "smbtamonitor: %s\n", e.what());
    return 2;
  } catch (const smbta::client::KeyFileError& e) {  // a setup error, like a usage error
    std::fprintf(stderr, "smbtamonitor: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smbtamonitor: %s\n", e.what());
    return 1;
  }
}

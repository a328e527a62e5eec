// SPDX-License-Identifier: GPL-3.0-or-later
// rrddriver: feeds an RRD with one object's live traffic from smbtad, or graphs it.
#include <cstdio>
#include <exception>

#include "cli/usage_error.h"
#include "client/connection.h"
#include "driver.h"
#include "rrd_file.h"
#include "smbta/log.h"
#include "smbta/version.h"

int main(int argc, char** argv) {
  using namespace smbta::realtime;
  DriverOptions o;
  try {
    switch (parse_driver_options(argc, argv, o)) {
      case ParseOutcome::kHelp:
        std::fputs(driver_help().c_str(), stdout);
        return 0;
      case ParseOutcome::kVersion:
        std::printf("rrddriver (smbta) %s\n", SMBTA_VERSION);
        return 0;
      case ParseOutcome::kRun:
        break;
    }
  } catch (const smbta::cli::UsageError& e) {
    std::fprintf(stderr, "rrddriver: %s\nTry 'rrddriver --help'.\n", e.what());
    return 2;
  }
  smbta::log::init(smbta::log::Sink::kStderr, o.conn.debug_level, "rrddriver");
  if (o.conn.identify)
    std::fprintf(stderr,
                 "rrddriver: identification (-I 1) needs the smbta database, which the real-time "
                 "tools do not open; matching '%s' exactly\n",
                 o.conn.object_name.c_str());
  try {
    return o.graph_prefix.empty() ? run_driver(o) : run_graphs(o);
  } catch (const smbta::cli::UsageError& e) {
    std::fprintf(stderr, "rrddriver: %s\n", e.what());
    return 2;
  } catch (const smbta::client::KeyFileError& e) {  // a setup error, like a usage error
    std::fprintf(stderr, "rrddriver: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rrddriver: %s\n", e.what());
    return 1;
  }
}

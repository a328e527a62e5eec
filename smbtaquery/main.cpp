// SPDX-License-Identifier: GPL-3.0-or-later
// smbtaquery: runs report queries against the smbta database or smbtad's client port.
#include <iostream>

#include "actions.h"
#include "exit_status.h"
#include "options.h"
#include "query/engine.h"
#include "query/parser.h"
#include "store/dbi_connection.h"

namespace {

// Sanitizer builds: see keep_drivers_loaded_for_sanitizers().
const bool g_drivers_pinned = smbta::store::keep_drivers_loaded_for_sanitizers();

using namespace smbtaquery;

int run(const Options& o) {
  switch (o.action) {
    case Action::kHelp:
      std::cout << help_text();
      return kOk;
    case Action::kVersion:
      std::cout << smbta::query::engine_version() << '\n';
      return kOk;
    case Action::kLanguageHelp:
      std::cout << smbta::query::language_help();
      return kOk;
    case Action::kCreateKey:
      return run_create_key(o);
    case Action::kTest:
      return run_test(o);
    case Action::kConvert:
      return run_convert(o);
    case Action::kInstallRollups:
      return run_install_rollups(o);
    case Action::kQuery:
      return run_queries(o);
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "smbtaquery: " << e.what() << "\n\n" << help_text();
    return kUsage;
  }
  try {
    return run(o);
  } catch (const UsageError& e) {
    std::cerr << "smbtaquery: " << e.what() << '\n';
    return kUsage;
  } catch (const smbta::query::QueryError& e) {
    std::cerr << "smbtaquery: " << e.what() << '\n';
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "smbtaquery: " << e.what() << '\n';
    return kDatabase;
  }
}

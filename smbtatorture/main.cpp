// SPDX-License-Identifier: GPL-3.0-or-later
// smbtatorture: SMB load generator through libsmbclient, reporting the bytes it moved.
#include <cstdio>
#include <exception>

#include "cli/usage_error.h"
#include "run_app.h"
#include "smbta/version.h"

int main(int argc, char** argv) {
  using namespace smbta::torture;
  Options o;
  try {
    switch (parse_options(argc, argv, o)) {
      case ParseOutcome::kHelp:
        std::fputs(help_text().c_str(), stdout);
        return 0;
      case ParseOutcome::kVersion:
        std::printf("smbtatorture (smbta) %s\n", SMBTA_VERSION);
        return 0;
      case ParseOutcome::kRun:
        break;
    }
  } catch (const smbta::cli::UsageError& e) {
    std::fprintf(stderr, "smbtatorture: %s\nTry 'smbtatorture --help'.\n", e.what());
    return 2;
  }
  return run_app(o);
}

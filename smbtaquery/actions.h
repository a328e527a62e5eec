// SPDX-License-Identifier: GPL-3.0-or-later
// What smbtaquery does once its options are parsed: one function per action.
#pragma once

#include "options.h"

namespace smbtaquery {

// Each returns the exit status (exit_status.h) and throws for what main reports: UsageError,
// query::QueryError, and std::exception for database and connection errors.
int run_queries(const Options& o);          // -q, -f: against the database or smbtad
int run_test(const Options& o);             // -t
int run_convert(const Options& o);          // -C [--dry-run]
int run_install_rollups(const Options& o);  // --install-rollups, --install-file-rollup
int run_create_key(const Options& o);       // -K

}  // namespace smbtaquery

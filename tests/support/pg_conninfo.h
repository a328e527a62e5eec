// SPDX-License-Identifier: GPL-3.0-or-later
// PostgreSQL connection settings from a libpq-style "key=value ..." string.
#pragma once

#include <string_view>

#include "store/event_store.h"

namespace smbta::testing {

// pgsql DbParams from "host=... port=... user=... password=... dbname=..." (as in
// SMBTA_BENCH_PGSQL). Why: the benchmarks take one conninfo string where smbta has five
// options; no quoting is supported, unknown keys are ignored.
store::DbParams pgsql_params_from_conninfo(std::string_view conninfo);

}  // namespace smbta::testing

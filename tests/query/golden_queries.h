// SPDX-License-Identifier: GPL-3.0-or-later
// The golden queries and output formats, shared by golden_test.cpp (a database filled through
// EventStore::insert) and smbtad_golden_test.cpp (a database filled through a real smbtad).
#pragma once

#include <string>
#include <utility>

#include "query/format.h"

namespace smbta::query::testing {

// Why: both golden tests must cover the same functions; a query added here is run by both (and
// smbtad_golden_test.cpp fails until it says how the query depends on the clock).
struct Golden {
  const char* name;  // file name stem in tests/query/golden/
  const char* query;
};

inline constexpr Golden kGolden[] = {
    {"total", "global, total r, total w, total rw;"},
    {"list", "global, list users, list shares, list files, list domains;"},
    {"top", "global, top 3 users rw, top 2 shares r, top 2 files w, top 2 domains rw asc;"},
    {"last_activity", "global, last_activity 5;"},
    {"usage", "global since today, usage rw;"},
    {"search", "global, search oo;"},
    {"throughput", "share pool, throughput 4 hours rw;"},
    {"smbtad_report", "system, smbtad-report full, smbtad-report short;"},
    {"self_check", "system, self-check offline;"},
};

inline constexpr std::pair<Format, const char*> kFormats[] = {{Format::kAscii, "txt"},
                                                              {Format::kHtml, "html"},
                                                              {Format::kXml, "xml"},
                                                              {Format::kJson, "json"},
                                                              {Format::kCsv, "csv"}};

}  // namespace smbta::query::testing

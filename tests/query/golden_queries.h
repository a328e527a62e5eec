// SPDX-License-Identifier: GPL-3.0-or-later
// The golden queries and output formats, shared by golden_test.cpp (a database filled through
// EventStore::insert) and smbtad_golden_test.cpp (a database filled through a real smbtad).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "query/format.h"
#include "support/files.h"

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
    {"loss", "system, loss;"},
    {"latency",
     "global, latency, latency p95 r, latency max w, latency p50 ops; share pool since "
     "'2011-07-18 09:30', latency; user tom, latency ops; domain OTHER, latency; file readme, "
     "latency;"},
    {"top_slowest",
     "global, top 3 users slowest, top 2 shares slowest p50 ops, top 3 files slowest max rw;"},
    {"trend", "global, trend 3 days; share data, trend 2 days;"},
};

inline constexpr std::pair<Format, const char*> kFormats[] = {{Format::kAscii, "txt"},
                                                              {Format::kHtml, "html"},
                                                              {Format::kXml, "xml"},
                                                              {Format::kJson, "json"},
                                                              {Format::kCsv, "csv"}};

// Why: SMBTA_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing with them, and a run
// that rewrote any must not pass: it fails (at destruction, so also after an ASSERT) naming the
// files, which must then be reviewed and committed. A file that already holds the answer is left
// alone, and an update run that rewrote nothing fails too: update mode never passes, so a CI or
// script that leaves the variable set cannot go green without comparing.
class GoldenFiles {
 public:
  GoldenFiles() : update_(std::getenv("SMBTA_UPDATE_GOLDEN") != nullptr) {}
  ~GoldenFiles() {
    if (!update_) return;
    if (rewritten_.empty()) {
      ADD_FAILURE() << "SMBTA_UPDATE_GOLDEN is set: nothing was compared and no golden file "
                       "differed; unset it to run the test";
      return;
    }
    std::string list;
    for (const auto& f : rewritten_) list += "\n  " + f;
    ADD_FAILURE() << "SMBTA_UPDATE_GOLDEN rewrote " << rewritten_.size()
                  << " golden file(s); review the diff and commit them, then run again:" << list;
  }
  GoldenFiles(const GoldenFiles&) = delete;
  GoldenFiles& operator=(const GoldenFiles&) = delete;

  // Expects `got` in the file at `path`; in update mode rewrites it instead where it differs,
  // unless `updatable` is false (files owned by another test).
  void check(const std::string& path, const std::string& got, const std::string& context,
             bool updatable = true) {
    const std::string want = smbta::testing::read_file(path);
    if (update_ && updatable) {
      if (got != want) {
        smbta::testing::write_file(path, got);
        rewritten_.push_back(path);
      }
      return;
    }
    EXPECT_EQ(got, want) << path << " differs " << context;
  }

 private:
  bool update_;
  std::vector<std::string> rewritten_;
};

}  // namespace smbta::query::testing

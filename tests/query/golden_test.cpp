// SPDX-License-Identifier: GPL-3.0-or-later
// Golden output of every function in every format; both drivers, with and without rollups,
// must produce the same bytes. SMBTA_UPDATE_GOLDEN=1 rewrites the files (then review the diff).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "query/format.h"
#include "query/query_fixture.h"

namespace smbta::query::testing {
namespace {

struct Golden {
  const char* name;
  const char* query;
};

constexpr Golden kGolden[] = {
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

constexpr std::pair<Format, const char*> kFormats[] = {{Format::kAscii, "txt"},
                                                       {Format::kHtml, "html"},
                                                       {Format::kXml, "xml"},
                                                       {Format::kJson, "json"},
                                                       {Format::kCsv, "csv"}};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GoldenTest : public QueryTest {};

TEST_P(GoldenTest, EveryFunctionInEveryFormat) {
  const bool update = std::getenv("SMBTA_UPDATE_GOLDEN") != nullptr;
  const RenderOptions ro{test_now(), "2.0.0"};
  for (const auto& g : kGolden) {
    const auto tables = q(g.query);
    for (const auto& [format, ext] : kFormats) {
      const std::string path = std::string(GOLDEN_DIR) + "/" + g.name + "." + ext;
      const std::string got = render(format, tables, ro);
      if (update) {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << got;
        continue;
      }
      EXPECT_EQ(got, slurp(path)) << path << " differs for " << g.query;
    }
  }
}

SMBTA_QUERY_PARAMS(GoldenTest);

}  // namespace
}  // namespace smbta::query::testing

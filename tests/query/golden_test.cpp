// SPDX-License-Identifier: GPL-3.0-or-later
// Golden output of every function in every format; both drivers, with and without rollups,
// must produce the same bytes. SMBTA_UPDATE_GOLDEN=1 rewrites the files (then review the diff).
#include <gtest/gtest.h>

#include <cstdlib>

#include "query/format.h"
#include "query/golden_queries.h"
#include "query/query_fixture.h"
#include "support/files.h"

namespace smbta::query::testing {
namespace {

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
        smbta::testing::write_file(path, got);
        continue;
      }
      EXPECT_EQ(got, smbta::testing::read_file(path)) << path << " differs for " << g.query;
    }
  }
}

SMBTA_QUERY_PARAMS(GoldenTest);

}  // namespace
}  // namespace smbta::query::testing

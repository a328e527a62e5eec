// SPDX-License-Identifier: GPL-3.0-or-later
// Golden output of every function in every format; both drivers, with and without rollups,
// must produce the same bytes. SMBTA_UPDATE_GOLDEN=1 rewrites the files that differ and fails:
// review the diff and commit it.
#include <gtest/gtest.h>

#include "query/format.h"
#include "query/golden_queries.h"
#include "query/query_fixture.h"

namespace smbta::query::testing {
namespace {

class GoldenTest : public QueryTest {};

TEST_P(GoldenTest, EveryFunctionInEveryFormat) {
  GoldenFiles files;
  const RenderOptions ro{test_now(), "2.0.0"};
  for (const auto& g : kGolden) {
    const auto tables = q(g.query);
    for (const auto& [format, ext] : kFormats) {
      const std::string path = std::string(GOLDEN_DIR) + "/" + g.name + "." + ext;
      files.check(path, render(format, tables, ro), std::string("for ") + g.query);
    }
  }
}

SMBTA_QUERY_PARAMS(GoldenTest);

}  // namespace
}  // namespace smbta::query::testing

// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad's command line where a value is not an integer: the alert baseline factor.
#include "options.h"

#include <gtest/gtest.h>

#include "support/command_line.h"

namespace smbtad {
namespace {

double factor(const std::string& text) {
  smbta::testing::Args a({"--alert-baseline-factor", text});
  Options o;
  EXPECT_EQ(parse_options(a.argc(), a.argv(), o), ParseOutcome::kRun);
  return o.bursts.baseline_factor;
}

TEST(SmbtadOptions, TheBaselineFactorTakesADecimal) {
  EXPECT_DOUBLE_EQ(factor("2.5"), 2.5);
  EXPECT_DOUBLE_EQ(factor("10"), 10.0);
  EXPECT_DOUBLE_EQ(factor("0"), 0.0);
  EXPECT_DOUBLE_EQ(factor(".5"), 0.5);
  EXPECT_DOUBLE_EQ(factor("1000000"), 1e6);
}

TEST(SmbtadOptions, ABadBaselineFactorIsAClearError) {
  for (const char* bad :
       {"", ".", "-1", "+2", "1e3", "2,5", "2.5x", "nan", "inf", "1.2.3", "1000001", "0x10"}) {
    smbta::testing::Args a({"--alert-baseline-factor", bad});
    Options o;
    try {
      parse_options(a.argc(), a.argv(), o);
      ADD_FAILURE() << "'" << bad << "' was taken";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("alert-baseline-factor"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("decimal number"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace smbtad

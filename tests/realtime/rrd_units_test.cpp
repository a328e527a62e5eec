// SPDX-License-Identifier: GPL-3.0-or-later
// rrddriver's graph unit: the binary unit in which a span's peak rate reads below 1024.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "rrd_file.h"

namespace smbta::realtime {
namespace {

TEST(RrdUnits, PicksTheBinaryUnitInWhichThePeakIsBelow1024) {
  EXPECT_EQ(std::string(binary_unit_for(0).name), "B");
  EXPECT_EQ(std::string(binary_unit_for(std::nan("")).name), "B") << "an RRD without data";
  EXPECT_EQ(std::string(binary_unit_for(1023).name), "B");
  EXPECT_EQ(std::string(binary_unit_for(1024).name), "KiB");
  EXPECT_EQ(std::string(binary_unit_for(1000000).name), "KiB") << "1 MB is 976.6 KiB";
  const auto mib = binary_unit_for(1048576.0 * 3);
  EXPECT_EQ(std::string(mib.name), "MiB");
  EXPECT_EQ(mib.divisor, 1048576.0);
  EXPECT_EQ(std::string(binary_unit_for(5.0 * 1024 * 1024 * 1024).name), "GiB");
  EXPECT_EQ(std::string(binary_unit_for(1e30).name), "PiB") << "the largest unit caps";
}

}  // namespace
}  // namespace smbta::realtime

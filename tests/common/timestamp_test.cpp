// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/timestamp.h"

#include <gtest/gtest.h>

namespace smbta {
namespace {

TEST(Timestamp, RoundTripsTheModuleFormat) {
  for (std::string_view t :
       {"2012-05-11 16:01:47.042", "1970-01-01 00:00:00.000", "2000-02-29 23:59:59.999",
        "2038-01-19 03:14:08.001", "1969-12-31 23:59:59.500"}) {
    auto ms = parse_timestamp(t);
    ASSERT_TRUE(ms) << t;
    EXPECT_EQ(format_timestamp(*ms), t);
  }
  EXPECT_EQ(*parse_timestamp("1970-01-02 00:00:01.002"), 86401002);
  EXPECT_EQ(*parse_timestamp("2012-05-11 16:01:47"), *parse_timestamp("2012-05-11 16:01:47.000"));
}

TEST(Timestamp, RejectsMalformedText) {
  for (std::string_view t :
       {"", "2012-05-11", "2012-05-11T16:01:47.042", "2012-13-11 16:01:47.042",
        "2011-02-29 16:01:47.042", "2012-05-11 24:01:47.042", "2012-05-11 16:61:47.042",
        "2012-05-11 16:01:47,042", "2012-05-11 16:01:47.04x", "2012-05-11 16:01:47.0420"}) {
    EXPECT_FALSE(parse_timestamp(t)) << t;
  }
}

}  // namespace
}  // namespace smbta

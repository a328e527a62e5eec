// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/timestamp.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

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

// local_now_ms() takes the local date and time once per second and adds the milliseconds:
// across second boundaries it must agree with localtime_r() and never run backwards.
TEST(Timestamp, LocalNowFollowsTheLocalClockAcrossSeconds) {
  auto reference_sec = [] {
    // Not std::time(): glibc reads the coarse clock there, which can trail the clock
    // local_now_ms() reads by a few milliseconds at a second boundary.
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    const std::time_t t = ts.tv_sec;
    std::tm local{};
    localtime_r(&t, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    return *parse_timestamp(text) / 1000;
  };
  std::int64_t last = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(2300);
  while (std::chrono::steady_clock::now() < end) {
    const std::int64_t before = reference_sec();
    const std::int64_t now = local_now_ms();
    const std::int64_t after = reference_sec();
    EXPECT_GE(now / 1000, before);
    EXPECT_LE(now / 1000, after);
    EXPECT_GE(now, last);
    last = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace
}  // namespace smbta

// SPDX-License-Identifier: GPL-3.0-or-later
// Live views: streams registered with the real MonitorHub, their SSE text, their bounds.
#include <gtest/gtest.h>

#include "monitor_hub.h"
#include "support/test_records.h"
#include "web/live_feed.h"

namespace smbtad::web {
namespace {

using namespace std::chrono_literals;

TEST(WebLiveFeed, ObjectsMapToMonitorFilters) {
  auto g = parse_live_object("global");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->share, "*");
  auto s = parse_live_object("share:data");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->share, "data");
  EXPECT_EQ(s->user, "*");
  EXPECT_EQ(parse_live_object("user:holger")->user, "holger");
  EXPECT_EQ(parse_live_object("file:/a/b:c")->file, "/a/b:c");
  EXPECT_EQ(parse_live_object("domain:WORKGROUP")->domain, "WORKGROUP");
  for (const char* bad : {"", "share:", "printer:x", "everything"})
    EXPECT_FALSE(parse_live_object(bad)) << bad;
}

TEST(WebLiveFeed, StreamGetsThroughputAndActivityOfItsObject) {
  MonitorHub hub;
  LiveFeed feed(4);
  auto stream = feed.open(*parse_live_object("share:data"));
  ASSERT_TRUE(stream);
  feed.apply(hub);  // what the network thread does when the eventfd wakes it
  EXPECT_EQ(hub.size(), 2u);
  hub.on_record(smbta::testing::example_record(smbta::Op::kRead, "holger", "data", "a.txt", 1000));
  hub.on_record(smbta::testing::example_record(smbta::Op::kWrite, "tom", "data", "b.txt", 24));
  hub.on_record(smbta::testing::example_record(smbta::Op::kRead, "holger", "other", "c.txt", 7));
  hub.on_second();
  std::string out;
  EXPECT_TRUE(stream->wait(out, 100ms));
  EXPECT_NE(out.find("event: activity\ndata: {"), std::string::npos) << out;
  EXPECT_NE(out.find("\"user\":\"holger\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"file\":\"a.txt\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"op\":\"read\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"bytes\":1000"), std::string::npos) << out;
  EXPECT_EQ(out.find("c.txt"), std::string::npos) << out;  // another share
  EXPECT_NE(out.find("event: throughput\ndata: {"), std::string::npos) << out;
  EXPECT_NE(out.find("\"read\":1000"), std::string::npos) << out;
  EXPECT_NE(out.find("\"write\":24"), std::string::npos) << out;
  feed.close(stream);
  feed.apply(hub);
  EXPECT_EQ(hub.size(), 0u);
}

TEST(WebLiveFeed, StreamsAreBoundedAndActivityIsRateLimited) {
  MonitorHub hub;
  LiveFeed feed(2);
  auto a = feed.open(*parse_live_object("global"));
  auto b = feed.open(*parse_live_object("global"));
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(feed.open(*parse_live_object("global")));
  feed.apply(hub);
  for (int i = 0; i < 1000; ++i)
    hub.on_record(smbta::testing::example_record(smbta::Op::kRead, "u", "s", "f", 1));
  hub.on_second();
  std::string out;
  a->wait(out, 100ms);
  std::size_t activities = 0;
  for (auto p = out.find("event: activity"); p != std::string::npos;
       p = out.find("event: activity", p + 1))
    ++activities;
  // 1000 records in far less than a second (the loop may cross one second boundary).
  EXPECT_LE(activities, 2 * LiveStream::kMaxActivityPerSecond + 1);
  EXPECT_NE(out.find("\"dropped\":"), std::string::npos) << out.substr(0, 500);
  EXPECT_NE(out.find("\"read\":1000"), std::string::npos);  // throughput counts everything
  feed.close(b);
  EXPECT_TRUE(feed.open(*parse_live_object("global")));
}

TEST(WebLiveFeed, HubLimitRefusesTheStreamWithAReason) {
  MonitorHub hub({.per_client = 64, .total = 1});
  LiveFeed feed(4);
  auto s = feed.open(*parse_live_object("global"));
  feed.apply(hub);
  EXPECT_EQ(hub.size(), 0u);
  std::string out;
  EXPECT_FALSE(s->wait(out, 100ms));
  EXPECT_NE(out.find("event: error"), std::string::npos) << out;
  EXPECT_NE(out.find("--max-monitors"), std::string::npos) << out;
}

TEST(WebLiveFeed, StopEndsEveryStream) {
  MonitorHub hub;
  LiveFeed feed(4);
  auto s = feed.open(*parse_live_object("global"));
  feed.apply(hub);
  feed.stop(hub);
  EXPECT_EQ(hub.size(), 0u);
  std::string out;
  EXPECT_FALSE(s->wait(out, 1000ms));
  EXPECT_FALSE(feed.open(*parse_live_object("global")));
}

}  // namespace
}  // namespace smbtad::web

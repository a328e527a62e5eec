// SPDX-License-Identifier: GPL-3.0-or-later
// The alert sink with a real command: the whole JSON reaches it however long the peer's names
// are, and stopping smbtad does not wait for every queued alert's command.
#include "alert_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/files.h"

namespace smbtad {
namespace {

using smbta::testing::read_file;
using smbta::testing::TempDir;

BurstEvent alert(std::string sample) {
  BurstEvent e;
  e.user = "mallory";
  e.domain = "EXAMPLE";
  e.share = "data";
  e.started_ms = 1'600'000'000'000;
  e.rate = e.events = e.threshold = 600;
  e.sample = std::move(sample);
  return e;
}

TEST(AlertSink, TheCommandGetsTheWholeJsonHoweverLongTheNamesAre) {
  // Every byte a control character (escaped as six): unclipped, more than a pipe's 64 KiB
  // and more than one environment string may hold.
  const std::string sample(200'000, '\x01');
  BurstEvent e = alert(sample);
  e.user = e.domain = e.share = sample;
  const std::string json = alert_json(e);
  EXPECT_LT(json.size(), 60'000u);
  const auto parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["sample"].get<std::string>(), sample.substr(0, kMaxJsonField));

  TempDir dir;
  const auto out = dir.path() / "stdin.json";
  const auto env = dir.path() / "env.json";
  {
    AlertSink sink(
        {"cat > '" + out.string() + "'; printf '%s' \"$SMBTA_ALERT_JSON\" > '" + env.string() + "'",
         "", 10, std::nullopt},
        nullptr);
    sink.raise(e);
    // Until the command has run: the sink stops only after the delivery under way.
    for (int i = 0; i < 500 && read_file(env).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(read_file(out), json + "\n");
  EXPECT_EQ(read_file(env), json);
}

TEST(AlertSink, StoppingDoesNotRunTheCommandForEveryQueuedAlert) {
  TempDir dir;
  const auto out = dir.path() / "ran";
  {
    AlertSink sink({"echo x >> '" + out.string() + "'; sleep 1", "", 10, std::nullopt}, nullptr);
    for (int i = 0; i < 5; ++i) sink.raise(alert("f" + std::to_string(i)));
    sink.stop();
  }
  const std::string ran = read_file(out);
  EXPECT_LE(std::count(ran.begin(), ran.end(), '\n'), 1) << "only the delivery under way";
}

}  // namespace
}  // namespace smbtad

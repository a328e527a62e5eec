// SPDX-License-Identifier: GPL-3.0-or-later
// The Prometheus text format smbtad writes: escaping, numbers, histograms, label limits, and the
// format as promtool (Debian's prometheus package) reads it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include "daemon_metrics.h"
#include "metrics_exposition.h"
#include "metrics_registry.h"
#include "support/files.h"
#include "support/process.h"
#include "support/test_records.h"

namespace smbtad::metrics {
namespace {

TEST(MetricsExposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("plain ünï"), "plain ünï");
  // HELP keeps quotes as they are.
  EXPECT_EQ(escape_help("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");
}

TEST(MetricsExposition, NumbersAreWrittenAsPrometheusReadsThem) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(std::stod(format_value(0.1 + 0.2)), 0.1 + 0.2);  // round trip
}

TEST(MetricsExposition, NamesAreChecked) {
  EXPECT_TRUE(valid_metric_name("smbtad_rows_stored_total"));
  EXPECT_TRUE(valid_metric_name("a:b"));
  EXPECT_FALSE(valid_metric_name("9lives"));
  EXPECT_FALSE(valid_metric_name("with-dash"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("__reserved"));
  Registry r;
  EXPECT_THROW(r.counter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "x", {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h2", "x", {1}, {"le"}), std::invalid_argument);
  r.counter("twice", "x");
  EXPECT_THROW(r.counter("twice", "x"), std::invalid_argument);
}

TEST(MetricsExposition, CountersAndGaugesWithLabels) {
  Registry r;
  auto& c = r.counter("t_requests_total", "Requests\nby share", {"share", "op"});
  c.with({"data", "read"}).add(3);
  c.with({"we\"ird\\", "write"}).add();
  r.gauge("t_level", "A level").with({}).set(1.5);
  EXPECT_EQ(r.expose(),
            "# HELP t_requests_total Requests\\nby share\n"
            "# TYPE t_requests_total counter\n"
            "t_requests_total{share=\"data\",op=\"read\"} 3\n"
            "t_requests_total{share=\"we\\\"ird\\\\\",op=\"write\"} 1\n"
            "# HELP t_level A level\n"
            "# TYPE t_level gauge\n"
            "t_level 1.5\n");
}

TEST(MetricsExposition, HistogramBucketsAreCumulativeWithInclusiveBounds) {
  Registry r;
  auto& h = r.histogram("t_seconds", "Latency", {0.25, 1, 10}).with({});
  for (double v : {0.125, 0.25, 0.5, 1.0, 5.0, 50.0}) h.observe(v);
  EXPECT_EQ(r.expose(),
            "# HELP t_seconds Latency\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{le=\"0.25\"} 2\n"
            "t_seconds_bucket{le=\"1\"} 4\n"
            "t_seconds_bucket{le=\"10\"} 5\n"
            "t_seconds_bucket{le=\"+Inf\"} 6\n"
            "t_seconds_sum 56.875\n"
            "t_seconds_count 6\n");
}

TEST(MetricsExposition, LabelSetsBeyondTheLimitShareOneOverflowChild) {
  Registry r;
  auto& f = r.counter("t_total", "x", {"share"}, 3);
  f.with({"a"}).add();
  f.with({"b"}).add();
  f.with({"c"}).add();  // third place: the overflow child's
  f.with({"d"}).add(2);
  f.with({"a"}).add();
  const std::string text = r.expose();
  EXPECT_NE(text.find("t_total{share=\"a\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_total{share=\"_other_\"} 3\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("share=\"c\""), std::string::npos) << text;
}

TEST(MetricsExposition, CountsFromManyThreadsAddUp) {
  Registry r;
  auto& c = r.counter("t_total", "x").with({});
  auto& h = r.histogram("t_h", "x", {1}).with({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.add();
        h.observe(0.5);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.snapshot().count, 40000u);
  EXPECT_DOUBLE_EQ(h.snapshot().sum, 20000);
}

// What smbtad exports, with hostile share and user names, passes Prometheus's own linter.
TEST(MetricsExposition, PromtoolAcceptsWhatSmbtadExports) {
  if (!std::filesystem::exists("/usr/bin/promtool")) GTEST_SKIP() << "promtool not installed";
  DaemonMetrics m(true);
  auto rec =
      smbta::testing::example_record(smbta::Op::kWrite, "user \"x\"\\", "sh\nare", "f.txt", 100);
  m.on_record("127.0.0.1", rec);
  m.on_record("::1", smbta::testing::example_record(smbta::Op::kOpen));
  m.on_drop_notice("127.0.0.1", 5, 500);
  m.write_seconds.observe(0.003);
  m.on_accepted(true);
  smbta::testing::TempDir dir("metrics-promtool");
  const auto file = dir.path() / "metrics.txt";
  std::ofstream(file) << m.registry().expose();
  smbta::testing::ChildIo io = smbta::testing::output_files(dir.path(), "promtool");
  io.out = dir.path() / "promtool.out";
  io.err = dir.path() / "promtool.err";
  // promtool reads the text on stdin: a shell gives it the file.
  const auto res = smbta::testing::run(
      {"/bin/sh", "-c", "/usr/bin/promtool check metrics < '" + file.string() + "'"}, io);
  EXPECT_EQ(res.status, 0) << res.out << res.err << m.registry().expose();
}

}  // namespace
}  // namespace smbtad::metrics

namespace smbtad {
namespace {

// A module that sends ever new share names cannot grow smbtad's series (or its lookup table)
// without bound: past the limit they count under "_other_", and nothing is lost from the totals.
TEST(DaemonMetrics, InventedShareNamesEndUpUnderOther) {
  DaemonMetrics m(false);
  const std::size_t n = DaemonMetrics::kMaxTrafficKeys + 50;
  for (std::size_t i = 0; i < n; ++i)
    m.on_record("10.0.0.1", smbta::testing::example_record(smbta::Op::kRead, "u",
                                                           "s" + std::to_string(i), "f", 10));
  const std::string text = m.registry().expose();
  std::size_t series = 0, total = 0;
  for (std::size_t at = text.find("\nsmbtad_bytes_total{"); at != std::string::npos;
       at = text.find("\nsmbtad_bytes_total{", at + 1)) {
    ++series;
    total += std::strtoull(text.c_str() + text.find("} ", at) + 2, nullptr, 10);
  }
  EXPECT_EQ(series, DaemonMetrics::kMaxTrafficKeys + 1);
  EXPECT_EQ(total, n * 10);
  EXPECT_NE(text.find("smbtad_bytes_total{share=\"_other_\",operation=\"read\"}"),
            std::string::npos);
  EXPECT_NE(text.find("smbtad_records_received_total{module=\"10.0.0.1\"} " + std::to_string(n)),
            std::string::npos);
}

}  // namespace
}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
// TrafficModel, the text formats and the backoff of the real-time tools, without any I/O.
#include <gtest/gtest.h>

#include "client/monitor_feed.h"
#include "traffic_model.h"

namespace smbta::realtime {
namespace {

using client::Backoff;
using client::log_entry_from_fields;

TEST(TrafficModel, TotalsCurrentAndPeak) {
  TrafficModel m;
  EXPECT_EQ(m.current(), (Traffic{}));
  m.add_second({100, 0});
  m.add_second({10, 500});
  m.add_second({0, 1});
  EXPECT_EQ(m.totals(), (Traffic{110, 501}));
  EXPECT_EQ(m.totals().rw(), 611u);
  EXPECT_EQ(m.current(), (Traffic{0, 1}));
  EXPECT_EQ(m.peak(), (Traffic{10, 500})) << "the second with the most read+write";
  EXPECT_EQ(m.peak_read(), 100u);
  EXPECT_EQ(m.peak_write(), 500u);
  EXPECT_EQ(m.seconds(), 3u);
  m.mark_gap();
  EXPECT_EQ(m.current(), (Traffic{})) << "unknown while disconnected";
  EXPECT_EQ(m.totals().rw(), 611u) << "totals survive a reconnect";
}

TEST(TrafficModel, RingKeepsTheNewestSecondsInOrder) {
  TrafficModel m(4, 0);
  for (std::uint64_t i = 1; i <= 10; ++i) m.add_second({i, 0});
  auto r = m.recent(100);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r.front().read, 7u);
  EXPECT_EQ(r.back().read, 10u);
  r = m.recent(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].read, 9u);
  EXPECT_EQ(r[1].read, 10u);
  TrafficModel fresh(4, 0);
  fresh.add_second({1, 0});
  fresh.add_second({2, 0});
  r = fresh.recent(3);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].read, 1u);
  EXPECT_EQ(m.totals().read, 55u) << "totals count every second, not just the kept ones";
}

TEST(TrafficModel, LogBacklogIsBoundedNewestFirst) {
  TrafficModel m(10, 3);
  for (int i = 0; i < 5; ++i) m.add_log(LogEntry{0, "u" + std::to_string(i), "s", "f", "d", "t"});
  ASSERT_EQ(m.log().size(), 3u);
  EXPECT_EQ(m.log().front().user, "u4");
  EXPECT_EQ(m.log().back().user, "u2");
  EXPECT_EQ(m.log_count(), 5u);
}

TEST(Format, HumanBytesUsesBinaryUnits) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB") << "a real decimal, not 1.512 as 1.2.x printed";
  EXPECT_EQ(human_bytes(10ull * 1024 * 1024 + 5), "10.0 MiB");
  EXPECT_EQ(human_bytes(1024ull * 1024 - 1), "1.0 MiB") << "never 1024.0 KiB";
  EXPECT_EQ(human_bytes(5ull << 30), "5.0 GiB");
  EXPECT_EQ(human_bytes(3ull << 40), "3.0 TiB");
}

TEST(Format, LogLinesForEveryOperation) {
  const auto l = [](int op, const char* file) {
    return format_log_line(LogEntry{op, "anna", "data", file, "WG", "2026-11-27 10:00:01.123"});
  };
  EXPECT_EQ(l(0, "a.odt"),
            "2026-11-27 10:00:01.123: User anna read from file a.odt on share data (WG).");
  EXPECT_EQ(l(1, "a.odt"),
            "2026-11-27 10:00:01.123: User anna read from file a.odt on share data (WG).");
  EXPECT_EQ(l(2, "a.odt"),
            "2026-11-27 10:00:01.123: User anna wrote to file a.odt on share data (WG).");
  EXPECT_EQ(l(3, "a.odt"),
            "2026-11-27 10:00:01.123: User anna wrote to file a.odt on share data (WG).");
  EXPECT_EQ(l(4, " "),
            "2026-11-27 10:00:01.123: User anna created a directory on share data (WG).");
  EXPECT_EQ(l(5, " "),
            "2026-11-27 10:00:01.123: User anna removed a directory on share data (WG).");
  EXPECT_EQ(l(6, " "),
            "2026-11-27 10:00:01.123: User anna renamed a file or directory on share data (WG).");
  EXPECT_EQ(l(7, " "), "2026-11-27 10:00:01.123: User anna changed directory on share data (WG).");
  EXPECT_EQ(l(8, "a.odt"),
            "2026-11-27 10:00:01.123: User anna opened file a.odt on share data (WG).");
  EXPECT_EQ(l(9, "a.odt"),
            "2026-11-27 10:00:01.123: User anna closed file a.odt on share data (WG).");
  EXPECT_EQ(l(10, "a.odt"),
            "2026-11-27 10:00:01.123: User anna deleted file a.odt on share data (WG).");
  EXPECT_EQ(l(11, "a.odt"),
            "2026-11-27 10:00:01.123: User anna copied file a.odt on share data (WG).");
  EXPECT_EQ(l(42, " "), "2026-11-27 10:00:01.123: User anna did operation 42 on share data (WG).");
}

TEST(Format, LogLinesShowTheBytesSmbtadSent) {
  const auto l = [](int op, std::uint64_t bytes) {
    return format_log_line(
        LogEntry{op, "anna", "data", "a.odt", "WG", "2026-11-27 10:00:01.123", bytes});
  };
  EXPECT_EQ(l(0, 512),
            "2026-11-27 10:00:01.123: User anna read 512 B from file a.odt on share data (WG).");
  EXPECT_EQ(l(1, 1048576),
            "2026-11-27 10:00:01.123: User anna read 1.0 MiB (1048576 B) from file a.odt on share "
            "data (WG).");
  EXPECT_EQ(l(3, 4096),
            "2026-11-27 10:00:01.123: User anna wrote 4.0 KiB (4096 B) to file a.odt on share data "
            "(WG).");
  EXPECT_EQ(l(2, 0),
            "2026-11-27 10:00:01.123: User anna wrote 0 B to file a.odt on share data (WG).");
  EXPECT_EQ(l(11, 2048),
            "2026-11-27 10:00:01.123: User anna copied 2.0 KiB (2048 B) of file a.odt on share "
            "data (WG).");
  EXPECT_EQ(l(8, 0), "2026-11-27 10:00:01.123: User anna opened file a.odt on share data (WG).")
      << "no byte count where an operation moves none";
}

TEST(Format, LogEntryFromMonitorFields) {
  auto e = log_entry_from_fields({"2", "anna", "data", "a.odt", "WG", "2026-11-27 10:00:01.123"});
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, (LogEntry{2, "anna", "data", "a.odt", "WG", "2026-11-27 10:00:01.123"}));
  EXPECT_FALSE(log_entry_from_fields({"2", "anna"}));
  EXPECT_FALSE(log_entry_from_fields({"x", "a", "b", "c", "d", "e"}));
  EXPECT_FALSE(log_entry_from_fields({"-1", "a", "b", "c", "d", "e"}));
  // smbtad sends the byte count as a seventh field when the client asks for it.
  auto b = log_entry_from_fields({"0", "anna", "data", "a.odt", "WG", "t", "4096"});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bytes, std::optional<std::uint64_t>(4096));
  EXPECT_FALSE(log_entry_from_fields({"0", "a", "b", "c", "d", "e", "12x"}));
  EXPECT_FALSE(log_entry_from_fields({"0", "a", "b", "c", "d", "e", ""}));
  EXPECT_FALSE(log_entry_from_fields({"0", "a", "b", "c", "d", "e", "99999999999999999999"}));
}

TEST(Format, BatchLine) {
  EXPECT_EQ(format_batch_line("2026-11-27 10:00:01", {1048576, 0}, {2048, 1024}, 2.0),
            "2026-11-27 10:00:01 read 1048576 write 0 rw 1048576 read/s 1024 write/s 512 rw/s "
            "1536");
  // An interval with an outage has no rates to tell, only the totals kept from before.
  EXPECT_EQ(format_batch_line("2026-11-27 10:00:01", {1048576, 0}, {0, 0}, 2.0, false),
            "2026-11-27 10:00:01 read 1048576 write 0 rw 1048576 read/s - write/s - rw/s - "
            "(not connected)");
}

TEST(Backoff, DoublesUpToTheLimitAndResets) {
  using std::chrono::milliseconds;
  Backoff b(milliseconds(1000), milliseconds(5000));
  EXPECT_EQ(b.next(), milliseconds(1000));
  EXPECT_EQ(b.next(), milliseconds(2000));
  EXPECT_EQ(b.next(), milliseconds(4000));
  EXPECT_EQ(b.next(), milliseconds(5000));
  EXPECT_EQ(b.next(), milliseconds(5000));
  b.reset();
  EXPECT_EQ(b.next(), milliseconds(1000));
}

}  // namespace
}  // namespace smbta::realtime

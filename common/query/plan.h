// SPDX-License-Identifier: GPL-3.0-or-later
// The typed plan of a smbtaquery query (smbtaquery.md §4): objects, time ranges and functions.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace smbta::query {

enum class Mode : std::uint8_t { kRead, kWrite, kReadWrite };
enum class ObjectKind : std::uint8_t { kGlobal, kShare, kUser, kFile, kDomain, kSystem };
enum class Dimension : std::uint8_t { kUsers, kShares, kFiles, kDomains };

inline constexpr std::int64_t kNoLowerBound = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kNoUpperBound = std::numeric_limits<std::int64_t>::max();

// Half-open [from, to) in naive local milliseconds (smbta::Record::timestamp_ms).
struct TimeRange {
  std::int64_t from = kNoLowerBound;
  std::int64_t to = kNoUpperBound;
  bool operator==(const TimeRange&) const = default;
};

// Why: one object of the query (`user holger since today`) keeps its source position so that
// identification errors ("user 'x' does not exist") can point at it like parse errors do.
struct ObjectRef {
  ObjectKind kind = ObjectKind::kGlobal;
  std::string name;
  std::string sid;  // `user NAME sid SID`: picks one of several users of that name
  std::optional<TimeRange> range;
  std::size_t pos = 0;  // byte offset of the object word in the query text
  bool operator==(const ObjectRef&) const = default;
};

// All objects that precede a function, ANDed (`file README, share pool` = README on pool).
struct Filter {
  std::vector<ObjectRef> objects;
  bool operator==(const Filter&) const = default;
};

struct Total {
  Mode mode;
  bool operator==(const Total&) const = default;
};
struct List {
  Dimension what;
  bool operator==(const List&) const = default;
};
struct Top {
  std::uint32_t n;
  Dimension what;
  Mode mode;
  bool ascending = false;
  bool operator==(const Top&) const = default;
};
struct LastActivity {
  std::uint32_t n;
  // chdir events carry absolute server paths and outnumber the rest; shown only on request
  // ("last_activity N with chdir").
  bool with_chdir = false;
  bool operator==(const LastActivity&) const = default;
};
struct Usage {
  Mode mode;
  bool operator==(const Usage&) const = default;
};
struct Search {
  std::string pattern;
  bool operator==(const Search&) const = default;
};
struct Throughput {
  std::uint32_t n;
  std::int64_t unit_ms;
  std::string unit;  // as written, for the title ("minutes")
  Mode mode;
  bool operator==(const Throughput&) const = default;
};
struct Report {
  bool full;
  bool operator==(const Report&) const = default;
};
struct SelfCheck {
  bool operator==(const SelfCheck&) const = default;
};
// The burst alerts smbtad raised (smbta_alerts), newest first; n = 0: up to the row limit.
struct Alerts {
  std::uint32_t n = 0;
  bool operator==(const Alerts&) const = default;
};

// End-to-end loss accounting per Samba server (query/loss_report.h).
struct Loss {
  bool operator==(const Loss&) const = default;
};

// Latency reports (latency_report.cpp). kAll: every percentile as its own column.
enum class Percentile : std::uint8_t { kAll, kP50, kP95, kP99, kMax };
// Which timed operations: reads, writes, both, or every operation the module timed.
enum class LatencyMode : std::uint8_t { kRead, kWrite, kReadWrite, kOps };
struct Latency {
  Percentile pct = Percentile::kAll;
  LatencyMode mode = LatencyMode::kReadWrite;
  bool operator==(const Latency&) const = default;
};
// `top N users|shares|files slowest [PCT] [MODE]`: ranked by the percentile, highest first.
struct TopSlowest {
  std::uint32_t n;
  Dimension what;
  Percentile pct = Percentile::kP95;
  LatencyMode mode = LatencyMode::kReadWrite;
  bool operator==(const TopSlowest&) const = default;
};
// Bytes per day over the last `days` days, growth and the busiest hour of the week
// (trend_report.cpp).
struct Trend {
  std::uint32_t days = 30;
  bool operator==(const Trend&) const = default;
};

using Function = std::variant<Total, List, Top, LastActivity, Usage, Search, Throughput, Report,
                              SelfCheck, Loss, Alerts, Latency, TopSlowest, Trend>;

// Why: one function call with the filter in force at its position, so execution needs no
// interpreter state and each step can run independently (and be tested on its own).
struct Step {
  Filter filter;
  Function fn;
  std::size_t pos = 0;  // byte offset of the function word
  bool operator==(const Step&) const = default;
};

// Why: parsing and execution are separate so that a query is fully checked (every word, every
// time, every number) before the first statement reaches the database.
struct QueryPlan {
  std::vector<Step> steps;
  bool operator==(const QueryPlan&) const = default;
};

std::string_view mode_name(Mode m);                 // "r", "w", "rw"
std::string_view dimension_name(Dimension d);       // "users", ...
std::string_view percentile_name(Percentile p);     // "all", "p50", "p95", "p99", "max"
std::string_view latency_mode_name(LatencyMode m);  // "r", "w", "rw", "ops"

}  // namespace smbta::query

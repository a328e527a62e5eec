// SPDX-License-Identifier: GPL-3.0-or-later
// Per user and share: the rate of destructive operations (the ransomware pattern) and of files
// read (exfiltration), against a threshold and the user's own baseline; one alert per episode.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smbta/record.h"

namespace smbtad {

// What a burst consists of. Destructive: renames, unlinks, truncations and writes to a file
// other than the one the user last wrote on that share (an overwrite of many files, not one big
// write). Mass read: reads of a file other than the one last read.
enum class BurstKind : std::uint8_t { kDestructive = 0, kMassRead = 1 };

// The name alerts carry: "ransomware" or "exfiltration".
std::string_view burst_kind_name(BurstKind k);

// smbtad's --alert-* options ([alerts] keys of smbtad.conf).
struct BurstConfig {
  bool enabled = true;
  // Events per minute (the last six 10-second buckets of record time) that start an episode.
  std::uint32_t destructive_per_minute = 600;
  std::uint32_t reads_per_minute = 3000;
  // ...and only when the minute's count is also this many times the user's baseline.
  double baseline_factor = 10.0;
  // Time constant of the baseline (an exponentially weighted mean of per-minute counts).
  int baseline_minutes = 60;
  // An episode ends when the rate has stayed below half the threshold this long.
  int quiet_seconds = 300;
  // Users x shares watched at most; more are not watched (and said once in the log).
  std::size_t max_keys = 100000;
};

// The start or the end of one episode, for the alert sinks (alert_sink.h).
struct BurstEvent {
  bool start = true;  // false: the episode ended
  BurstKind kind = BurstKind::kDestructive;
  std::string user, domain, share;
  std::int64_t started_ms = 0;  // record time of the event that crossed the threshold
  std::int64_t ended_ms = 0;    // end events: the last time the rate was above half the threshold
  std::uint64_t events = 0;     // events of the kind in the episode (at a start: in its minute)
  std::uint32_t rate = 0;       // events in the minute that crossed
  std::uint32_t threshold = 0;
  double baseline = 0;  // the user's per-minute baseline at the crossing
  std::string sample;   // the file of the crossing event
};

// Why: smbtad is the one place that sees every operation of every user as it happens, so it can
// tell a ransomware run or a mass copy from normal work while it is going on. It runs on the
// network thread for every record: the work per record is a switch on the op, a comparison with
// the previous record's user and share (a hash lookup otherwise) and a few counter updates.
// Rates use the records' own timestamps, so that the same stream gives the same alerts however
// fast it arrives (records older than the last minute of a user's stream, and a module's spool
// replayed, are not counted: they would pile up into the newest minute); the end of an episode
// is also noticed on the steady clock (on_tick) when a user falls silent.
class BurstDetector {
 public:
  explicit BurstDetector(BurstConfig config);

  // Counts `r`; appends the start or end of an episode to `out`. `steady_ms` is the arrival time
  // on a monotonic clock.
  void on_record(const smbta::Record& r, std::int64_t steady_ms, std::vector<BurstEvent>& out);
  // Ends episodes whose users have been quiet for the quiet period (steady clock) and forgets
  // users idle for a day. Call about once a second.
  void on_tick(std::int64_t steady_ms, std::vector<BurstEvent>& out);
  // Ends every episode (smbtad stops).
  void finish(std::vector<BurstEvent>& out);

  std::size_t keys() const { return keys_.size(); }
  std::uint64_t unwatched() const { return unwatched_; }
  const BurstConfig& config() const { return config_; }

 private:
  static constexpr int kBuckets = 6;
  static constexpr std::int64_t kBucketMs = 10'000;
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();

  // One kind's rate, baseline and episode for one user and share.
  struct Meter {
    std::array<std::uint32_t, kBuckets> buckets{};
    std::int64_t bucket = kNever;  // index (ms / kBucketMs) of the newest bucket
    std::uint32_t window = 0;      // the sum of the buckets: events in the last minute
    std::int64_t minute = kNever;  // the minute (ms / 60000) minute_count counts
    std::uint32_t minute_count = 0;
    double baseline = 0;
    bool active = false;
    std::int64_t started_ms = 0;
    std::uint64_t events = 0;
    std::int64_t hot_ms = 0;      // record time the rate was last at least half the threshold
    std::int64_t hot_steady = 0;  // the same moment on the steady clock
    std::uint32_t behind = 0;     // records in a row far older than the window
  };
  // The slot of bucket index `b` (negative before 1970).
  static std::size_t slot_of(std::int64_t b) {
    return static_cast<std::size_t>(((b % kBuckets) + kBuckets) % kBuckets);
  }
  // Who is counted: the map's key. Looked up by a view of the record's strings (no copy).
  struct Who {
    std::string user, domain, share;
  };
  struct WhoView {
    std::string_view user, domain, share;
  };
  // Why not std::hash: it costs twice as much per record, and the key would have to be copied
  // into one string first.
  struct WhoHash {
    using is_transparent = void;
    std::size_t operator()(const WhoView& w) const;
    std::size_t operator()(const Who& w) const {
      return (*this)(WhoView{w.user, w.domain, w.share});
    }
  };
  struct WhoEq {
    using is_transparent = void;
    static bool eq(const WhoView& a, const WhoView& b) {
      return a.share == b.share && a.user == b.user && a.domain == b.domain;
    }
    bool operator()(const Who& a, const Who& b) const {
      return eq({a.user, a.domain, a.share}, {b.user, b.domain, b.share});
    }
    bool operator()(const WhoView& a, const Who& b) const {
      return eq(a, {b.user, b.domain, b.share});
    }
    bool operator()(const Who& a, const WhoView& b) const {
      return eq({a.user, a.domain, a.share}, b);
    }
  };
  struct Key {
    const Who* who = nullptr;  // the map's key of this entry
    // Fingerprints (64-bit hashes) of the files last written and read: a change of file counts.
    std::uint64_t last_written = 0, last_read = 0;
    std::array<Meter, 2> meters;
    std::int64_t last_steady = 0;
  };

  void count(Key& k, BurstKind kind, const smbta::Record& r, std::int64_t steady_ms,
             std::vector<BurstEvent>& out);
  void end(Key& k, BurstKind kind, std::vector<BurstEvent>& out);
  std::uint32_t threshold(BurstKind kind) const {
    return kind == BurstKind::kDestructive ? config_.destructive_per_minute
                                           : config_.reads_per_minute;
  }
  Key* find(const smbta::Record& r, std::int64_t steady_ms);

  BurstConfig config_;
  double keep_ = 0;  // 1 - alpha of the baseline's exponential weighting, per minute
  std::unordered_map<Who, Key, WhoHash, WhoEq> keys_;
  Key* last_ = nullptr;  // the previous record's key: consecutive records mostly share it
  std::uint64_t unwatched_ = 0;
  std::int64_t next_sweep_ = 0;
};

}  // namespace smbtad

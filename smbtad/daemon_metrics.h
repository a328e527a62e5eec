// SPDX-License-Identifier: GPL-3.0-or-later
// The metrics smbtad exports (--metrics-listen), and the ingest path's cheap way to count them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "metrics_registry.h"
#include "smbta/record.h"

namespace smbtad {

// Why: one object names every family once (the Grafana dashboard and its test rely on these
// names) and keeps the network thread's lookups off the registry's lock: a record costs two
// hash lookups and a few relaxed atomic adds.
class DaemonMetrics {
  metrics::Registry registry_;  // first: every reference below points into it

 public:
  explicit DaemonMetrics(bool per_user);

  // Shares (share and user pairs with --metrics-per-user) and module addresses with series of
  // their own; further ones count as "_other_": a peer inventing names cannot grow smbtad.
  static constexpr std::size_t kMaxTrafficKeys = 2000;
  static constexpr std::size_t kMaxModules = 10000;

  metrics::Registry& registry() { return registry_; }
  const metrics::Registry& registry() const { return registry_; }

  // Network thread only.
  void on_record(std::string_view module, const smbta::Record& r);
  void on_drop_notice(std::string_view module, std::uint64_t records, std::uint64_t bytes);
  void on_bad_records(std::string_view module, std::uint64_t n);

  // Connections by kind: a client connection counts as a monitor once it holds a monitor.
  enum class Kind { kModule, kQuery, kMonitor };
  void on_accepted(bool module) { accepted_[module ? 0 : 1]->add(); }
  void on_refused(bool module) { refused_[module ? 0 : 1]->add(); }
  void set_open(Kind k, std::size_t n) { open_[static_cast<int>(k)]->set(static_cast<double>(n)); }

  // Levels and totals other parts keep, published every tick.
  metrics::Gauge& writer_backlog;
  metrics::Gauge& cache_entries;
  metrics::Gauge& cache_pending_rows;
  metrics::Gauge& database_connected;
  metrics::Gauge& reading_paused;
  metrics::Counter& rows_stored;
  metrics::Counter& rows_spooled;
  metrics::Counter& rows_rejected;
  metrics::Counter& failed_transactions;
  metrics::Counter& rows_purged;
  // Observed by the writer thread around each batch it stores.
  metrics::Histogram& write_seconds;

 private:
  struct ModuleCounters {
    metrics::Counter* received;
    metrics::Counter* dropped_records;
    metrics::Counter* dropped_bytes;
    metrics::Counter* bad;
  };
  ModuleCounters& module(std::string_view peer);
  struct ShareCounters {
    std::array<metrics::Counter*, smbta::kMaxKnownOp + 1> ops{};
    std::array<metrics::Counter*, smbta::kMaxKnownOp + 1> bytes{};
  };

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  bool per_user_;
  metrics::CounterFamily& received_;
  metrics::CounterFamily& module_dropped_records_;
  metrics::CounterFamily& module_dropped_bytes_;
  metrics::CounterFamily& bad_;
  metrics::CounterFamily& operations_;
  metrics::CounterFamily& bytes_;
  std::array<metrics::Counter*, 2> accepted_{};  // module, client
  std::array<metrics::Counter*, 2> refused_{};
  std::array<metrics::Gauge*, 3> open_{};
  std::unordered_map<std::string, ModuleCounters, Hash, std::equal_to<>> modules_;
  std::unordered_map<std::string, ShareCounters, Hash, std::equal_to<>> shares_;
  std::string key_;  // share, or share + '\0' + user: reused, no allocation per record
};

}  // namespace smbtad

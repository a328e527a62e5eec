// SPDX-License-Identifier: GPL-3.0-or-later
#include "daemon_metrics.h"

#include "smbta/version.h"

namespace smbtad {

namespace {
// Not a share name a module can send: the wire's strings carry no NUL.
constexpr std::string_view kOverflowKey{"\0\0overflow", 10};

// Label sets the families must hold so that only DaemonMetrics' own limits apply (theirs would
// replace the operation label by "_other_" too).
constexpr std::size_t kTrafficChildren =
    (DaemonMetrics::kMaxTrafficKeys + 1) * (smbta::kMaxKnownOp + 1);
constexpr std::size_t kModuleChildren = DaemonMetrics::kMaxModules + 2;

std::vector<std::string> traffic_labels(bool per_user) {
  if (per_user) return {"share", "operation", "user"};
  return {"share", "operation"};
}
// Seconds: a sqlite batch in a page cache takes well under a millisecond, a PostgreSQL
// checkpoint or a locked file seconds.
const std::vector<double> kWriteBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}  // namespace

DaemonMetrics::DaemonMetrics(bool per_user)
    : writer_backlog(registry_
                         .gauge("smbtad_writer_backlog_rows",
                                "Rows handed to the database writer and not yet stored or spooled")
                         .with({})),
      cache_entries(registry_
                        .gauge("smbtad_aggregation_cache_entries",
                               "Entries of the aggregation cache that merges records (-p)")
                        .with({})),
      cache_pending_rows(registry_
                             .gauge("smbtad_aggregation_cache_pending_rows",
                                    "Rows in the aggregation cache not yet handed to the writer")
                             .with({})),
      database_connected(registry_
                             .gauge("smbtad_database_connected",
                                    "1 while the writer holds a working database connection")
                             .with({})),
      reading_paused(registry_
                         .gauge("smbtad_module_reads_paused",
                                "1 while module sockets are not read because the database is "
                                "behind")
                         .with({})),
      rows_stored(
          registry_.counter("smbtad_rows_stored_total", "Rows stored in the database").with({})),
      rows_spooled(registry_
                       .counter("smbtad_rows_spooled_total",
                                "Rows written to the spool while the database could not take them")
                       .with({})),
      rows_rejected(registry_
                        .counter("smbtad_rows_rejected_total",
                                 "Rows the database refused, kept in the spool's rejected "
                                 "directory")
                        .with({})),
      failed_transactions(registry_
                              .counter("smbtad_database_failed_transactions_total",
                                       "Database transactions that failed")
                              .with({})),
      rows_purged(
          registry_.counter("smbtad_rows_purged_total", "Rows deleted by maintenance (retention)")
              .with({})),
      write_seconds(registry_
                        .histogram("smbtad_database_write_duration_seconds",
                                   "Time to store one batch of rows in the database", kWriteBounds)
                        .with({})),
      per_user_(per_user),
      received_(registry_.counter("smbtad_records_received_total",
                                  "File operation records received, by module address", {"module"},
                                  kModuleChildren)),
      module_dropped_records_(registry_.counter(
          "smbtad_module_dropped_records_total",
          "Records a module reports it could not deliver (its drop notices), by module address",
          {"module"}, kModuleChildren)),
      module_dropped_bytes_(
          registry_.counter("smbtad_module_dropped_bytes_total",
                            "Encoded bytes of the records a module reports it could not deliver",
                            {"module"}, kModuleChildren)),
      bad_(registry_.counter("smbtad_records_dropped_total",
                             "Records smbtad dropped because they could not be decoded or "
                             "were refused (unencrypted with --require-module-key), by module",
                             {"module"}, kModuleChildren)),
      operations_(registry_.counter("smbtad_operations_total",
                                    "File operations received, by share and operation",
                                    traffic_labels(per_user), kTrafficChildren)),
      bytes_(registry_.counter("smbtad_bytes_total",
                               "Bytes read and written (read, pread, write, pwrite, copy), by "
                               "share and operation",
                               traffic_labels(per_user), kTrafficChildren)) {
  registry_.gauge("smbtad_build_info", "Always 1; the version is a label", {"version"})
      .with({SMBTA_VERSION})
      .set(1);
  auto& accepted = registry_.counter("smbtad_connections_accepted_total",
                                     "Connections accepted, by kind (module, client)", {"kind"});
  auto& refused = registry_.counter("smbtad_connections_refused_total",
                                    "Connections refused at a connection limit, by kind", {"kind"});
  auto& open = registry_.gauge("smbtad_connections",
                               "Open connections, by kind (module, query, monitor)", {"kind"});
  accepted_ = {&accepted.with({"module"}), &accepted.with({"client"})};
  refused_ = {&refused.with({"module"}), &refused.with({"client"})};
  open_ = {&open.with({"module"}), &open.with({"query"}), &open.with({"monitor"})};
}

DaemonMetrics::ModuleCounters& DaemonMetrics::module(std::string_view peer) {
  if (auto it = modules_.find(peer); it != modules_.end()) return it->second;
  // Beyond the limit every new address counts as "_other_" (one entry, kept).
  if (modules_.size() >= kMaxModules) {
    peer = metrics::FamilyBase::kOverflowValue;
    if (auto it = modules_.find(peer); it != modules_.end()) return it->second;
  }
  const std::string p(peer);
  ModuleCounters c{&received_.with({p}), &module_dropped_records_.with({p}),
                   &module_dropped_bytes_.with({p}), &bad_.with({p})};
  return modules_.emplace(p, c).first->second;
}

void DaemonMetrics::on_record(std::string_view peer, const smbta::Record& r) {
  module(peer).received->add();
  const auto op = static_cast<std::size_t>(r.op);
  if (op > static_cast<std::size_t>(smbta::kMaxKnownOp)) return;
  key_.assign(r.share);
  if (per_user_) {
    key_ += '\0';
    key_ += r.user;
  }
  auto it = shares_.find(key_);
  bool overflow = false;
  if (it == shares_.end()) {
    // Beyond the limit, names a peer invents all count as "_other_".
    overflow = shares_.size() >= kMaxTrafficKeys;
    if (overflow) key_.assign(kOverflowKey);
    it = shares_.find(key_);
    if (it == shares_.end()) it = shares_.emplace(key_, ShareCounters{}).first;
  }
  overflow = overflow || it->first == kOverflowKey;
  ShareCounters& s = it->second;
  if (s.ops[op] == nullptr) {
    const std::string other(metrics::FamilyBase::kOverflowValue);
    std::vector<std::string> labels{overflow ? other : r.share, std::string(smbta::op_name(r.op))};
    if (per_user_) labels.push_back(overflow ? other : r.user);
    s.ops[op] = &operations_.with(labels);
    const bool carries_bytes =
        smbta::is_read(r.op) || smbta::is_write(r.op) || r.op == smbta::Op::kCopy;
    if (carries_bytes) s.bytes[op] = &bytes_.with(std::move(labels));
  }
  s.ops[op]->add();
  if (s.bytes[op] != nullptr) s.bytes[op]->add(r.length);
}

void DaemonMetrics::on_drop_notice(std::string_view peer, std::uint64_t records,
                                   std::uint64_t bytes) {
  auto& m = module(peer);
  m.dropped_records->add(records);
  m.dropped_bytes->add(bytes);
}

void DaemonMetrics::on_bad_records(std::string_view peer, std::uint64_t n) {
  if (n != 0) module(peer).bad->add(n);
}

}  // namespace smbtad

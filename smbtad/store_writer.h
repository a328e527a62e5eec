// SPDX-License-Identifier: GPL-3.0-or-later
// The thread that owns the database connection: batches, retries, spools, and maintenance.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "log_throttle.h"
#include "smbta/unique_fd.h"
#include "spool.h"
#include "store/event_store.h"
#include "store/loss_ledger.h"

namespace smbtad {

namespace metrics {
class Histogram;
}

struct WriterConfig {
  smbta::store::DbParams db;
  smbta::store::StatusInfo status;
  std::filesystem::path spool_dir;
  int maintenance_interval_s = 3600;
  std::int64_t retention_s = 86400;
  std::string retention_text = "1,00:00:00";  // as configured, for log lines
  bool rollups = true;
  bool file_rollup = false;
  std::size_t max_rows_per_transaction = 20000;
  metrics::Histogram* write_seconds = nullptr;  // --metrics-listen: time of each stored batch
};

struct WriterStats {
  std::uint64_t stored_rows = 0;
  std::uint64_t spooled_rows = 0;
  std::uint64_t purged_rows = 0;
  std::uint64_t failed_transactions = 0;
  std::uint64_t rejected_rows = 0;  // refused by the database itself, kept in spool/rejected
  std::uint64_t queued_rows = 0;
  bool connected = false;
};

// Why: database latency (a PostgreSQL checkpoint, a locked sqlite file, an outage) must never
// reach the network thread. submit() only takes a mutex and moves a vector; everything slow
// happens here. A lost connection sends rows to the spool, and the spool is replayed in order
// before newer rows once the database answers again.
class StoreWriter {
 public:
  explicit StoreWriter(WriterConfig config);
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  void start();
  // Rows submitted and not yet stored or spooled: what the writer holds in memory.
  std::size_t backlog() const;
  // An eventfd that becomes readable once the backlog fell below `low` after request_wake(low):
  // the network thread pauses reading modules while the database is behind and resumes then.
  int wake_fd() const { return wake_fd_.get(); }
  void request_wake(std::size_t low);
  // `loss`: the loss ledger's senders changed up to these rows (LossTracker::take_changed);
  // saved once these rows and every row before them are kept (stored or spooled).
  void submit(std::vector<smbta::store::Row>&& rows,
              std::vector<smbta::store::SenderLoss>&& loss = {});
  void submit_module(smbta::store::ModuleInfo info);
  // Stores (or spools) everything submitted so far, then ends the thread.
  void stop();
  WriterStats stats() const;

 private:
  void run();
  bool ensure_connected();
  void store_or_spool(std::vector<smbta::store::Row>& rows);
  bool replay_spool();
  // Starts a retention run when one is due; purge_some() then runs its bounded steps between
  // ingest batches.
  void maintain();
  void purge_some();
  // After a failed statement: drop the connection and wait longer before the next try.
  void back_off();
  // After a stored batch: the next fault starts with a short wait again.
  void recovered();

  WriterConfig config_;
  Spool spool_;
  // Rows the database refused on their own (never replayed automatically; an administrator
  // can inspect them). A spool segment that fails kMaxSegmentFailures times for a reason other
  // than a lost connection is stored row by row, and the refused rows end up here.
  Spool rejected_;
  static constexpr int kMaxSegmentFailures = 3;
  int segment_failures_ = 0;
  std::atomic<std::uint64_t> rejected_rows_{0};
  bool quarantine(const Spool::Segment& segment);
  std::unique_ptr<smbta::store::EventStore> store_;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::vector<smbta::store::Row>> queue_;
  std::size_t queued_rows_ = 0;  // submitted, not yet stored or spooled
  std::size_t wake_below_ = 0;   // 0: nobody waits
  smbta::UniqueFd wake_fd_;
  void maybe_wake();
  void release(std::size_t rows);
  std::vector<smbta::store::ModuleInfo> modules_;
  std::vector<smbta::store::SenderLoss> loss_queue_;  // submitted with rows, not yet taken
  // Ledger states whose rows are kept, by sender key, waiting for the database.
  std::unordered_map<std::string, smbta::store::SenderLoss> loss_ready_;
  // The table's rows under senders that started blank: survives reconnects (a base read again
  // after a save of our own would count that save twice).
  smbta::store::loss_ledger::Bases loss_bases_;
  static constexpr std::chrono::seconds kLossSaveInterval{2};
  std::chrono::steady_clock::time_point next_loss_save_{};
  // `now`: whatever the interval (smbtad stops).
  void save_loss(bool now);
  bool stopping_ = false;

  std::chrono::steady_clock::time_point next_connect_{};
  std::chrono::seconds backoff_{1};
  // A spool directory that refused a segment (its disk is full too) is not tried again before
  // this: serialising every pending row on each pass kept a core busy.
  std::chrono::steady_clock::time_point next_spool_try_{};
  std::chrono::seconds spool_backoff_{1};
  LogThrottle throttle_{std::chrono::seconds(30)};
  std::chrono::steady_clock::time_point next_maintenance_;
  // A retention run in progress. Why: deleting millions of rows in one call held every row
  // submitted meanwhile; in steps, each ingest batch waits for one step at most, and while rows
  // come in the steps get a bounded share of the writer's time (kPurgeShare in store_writer.cpp).
  struct PurgeRun {
    std::int64_t cutoff_ms = 0;
    std::uint64_t rows = 0;
    std::chrono::steady_clock::time_point started{};
    std::chrono::steady_clock::duration spent{};  // inside purge steps
  };
  std::optional<PurgeRun> purge_;
  std::chrono::steady_clock::time_point last_rows_{};  // when the last batch came in
  std::chrono::steady_clock::time_point next_trim_{};
  std::atomic<std::uint64_t> stored_{0}, spooled_{0}, purged_{0}, failed_{0};
  std::atomic<bool> connected_{false};
};

}  // namespace smbtad

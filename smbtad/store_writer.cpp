// SPDX-License-Identifier: GPL-3.0-or-later
#include "store_writer.h"

#include <malloc.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <system_error>

#include "metrics_registry.h"
#include "smbta/log.h"
#include "smbta/timestamp.h"
#include "store/prepare.h"

namespace smbtad {

using smbta::store::Row;
using smbta::store::StoreError;
using Clock = std::chrono::steady_clock;

StoreWriter::StoreWriter(WriterConfig config)
    : config_(std::move(config)),
      spool_(config_.spool_dir),
      rejected_(config_.spool_dir / "rejected", false),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      next_maintenance_(Clock::now() + std::chrono::seconds(config_.maintenance_interval_s)) {
  if (!wake_fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

std::size_t StoreWriter::backlog() const {
  std::lock_guard lock(mutex_);
  return queued_rows_;
}

void StoreWriter::request_wake(std::size_t low) {
  {
    std::lock_guard lock(mutex_);
    wake_below_ = std::max<std::size_t>(low, 1);
  }
  maybe_wake();
}

void StoreWriter::release(std::size_t rows) {
  {
    std::lock_guard lock(mutex_);
    queued_rows_ -= std::min(queued_rows_, rows);
  }
  maybe_wake();
}

void StoreWriter::maybe_wake() {
  std::lock_guard lock(mutex_);
  if (wake_below_ == 0 || queued_rows_ >= wake_below_) return;
  wake_below_ = 0;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

StoreWriter::~StoreWriter() {
  stop();
}

void StoreWriter::start() {
  // The first connection (schema, status) is made before smbtad serves anyone, so that a
  // reachable database is ready when the ports open; an unreachable one is retried later.
  ensure_connected();
  thread_ = std::thread([this] { run(); });
}

void StoreWriter::submit(std::vector<Row>&& rows, std::vector<smbta::store::SenderLoss>&& loss) {
  if (rows.empty() && loss.empty()) return;
  {
    std::lock_guard lock(mutex_);
    queued_rows_ += rows.size();
    if (!rows.empty()) queue_.push_back(std::move(rows));
    for (auto& s : loss) loss_queue_.push_back(std::move(s));
  }
  cv_.notify_one();
}

void StoreWriter::save_loss(bool now) {
  // At most every kLossSaveInterval (and whenever smbtad stops): each save upserts every
  // changed sender with its gap text (up to some 40 KB), and a busy sender changes every pass.
  if (loss_ready_.empty() || (!now && Clock::now() < next_loss_save_) || !ensure_connected())
    return;
  next_loss_save_ = Clock::now() + kLossSaveInterval;
  std::vector<smbta::store::SenderLoss> senders;
  senders.reserve(loss_ready_.size());
  for (const auto& [key, s] : loss_ready_) senders.push_back(s);
  try {
    store_->save_loss(senders, loss_bases_);
    loss_ready_.clear();
  } catch (const StoreError& e) {
    // Kept for the next pass: the counters are whole states, the next save brings them up to
    // date whenever it succeeds.
    std::uint64_t held = 0;
    if (throttle_.allow("loss", held))
      smbta::log::error("saving the loss ledger (smbta_loss) failed: {}; retrying{}", e.what(),
                        LogThrottle::held_back_note(held));
    if (e.connection_lost()) back_off();
  }
}

void StoreWriter::submit_module(smbta::store::ModuleInfo info) {
  {
    std::lock_guard lock(mutex_);
    modules_.push_back(std::move(info));
  }
  cv_.notify_one();
}

void StoreWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

WriterStats StoreWriter::stats() const {
  WriterStats s;
  s.stored_rows = stored_;
  s.spooled_rows = spooled_;
  s.purged_rows = purged_;
  s.failed_transactions = failed_;
  s.rejected_rows = rejected_rows_;
  s.connected = connected_;
  std::lock_guard lock(mutex_);
  s.queued_rows = queued_rows_;
  return s;
}

namespace {

constexpr std::chrono::seconds kMaxBackoff{30};

}  // namespace

void StoreWriter::back_off() {
  store_.reset();
  connected_ = false;
  next_connect_ = Clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void StoreWriter::recovered() {
  if (backoff_ == std::chrono::seconds(1)) return;
  backoff_ = std::chrono::seconds(1);
  for (auto topic : {"connect", "store", "replay", "spool"}) throttle_.clear(topic);
}

bool StoreWriter::ensure_connected() {
  if (store_) return true;
  const auto now = Clock::now();
  if (now < next_connect_) return false;
  try {
    auto store = smbta::store::prepare_database(config_.db, {config_.rollups, config_.file_rollup});
    store->write_status(config_.status);
    store_ = std::move(store);
    connected_ = true;
    // The wait is reset by a stored batch, not here: a full sqlite disk accepts the connection
    // and refuses every insert, and must not be retried every second.
    smbta::log::notice("connected to the {} database {}", config_.db.driver, config_.db.name);
    return true;
  } catch (const StoreError& e) {
    // At start-up a refusal stopped smbtad (Server::check_database); one that appears later
    // (a password changed under a running smbtad) is spooled like an outage, because the
    // records arriving meanwhile have nowhere else to go, and said as what it is.
    std::uint64_t held = 0;
    if (throttle_.allow("connect", held))
      smbta::log::error("database {} {}: {}; records are spooled to {}, retry in {} s{}",
                        config_.db.name, e.connection_lost() ? "unreachable" : "refuses smbtad",
                        e.what(), config_.spool_dir.string(), backoff_.count(),
                        LogThrottle::held_back_note(held));
    next_connect_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return false;
  }
}

void StoreWriter::store_or_spool(std::vector<Row>& rows) {
  if (rows.empty()) return;
  // Once anything is spooled, newer rows queue behind it so accumulating rows meet their
  // bucket's first row in order.
  if (spool_.empty() && ensure_connected()) {
    try {
      const auto started = Clock::now();
      store_->insert(rows);
      if (config_.write_seconds != nullptr)
        config_.write_seconds->observe(
            std::chrono::duration<double>(Clock::now() - started).count());
      stored_ += rows.size();
      release(rows.size());
      rows.clear();
      recovered();
      return;
    } catch (const StoreError& e) {
      ++failed_;
      // Either way the rows go to the spool and are stored from there later: a lost
      // connection, a full disk or a locked file waits for the database; anything else waits
      // for the administrator who fixes it. Nothing is thrown away here.
      std::uint64_t held = 0;
      if (throttle_.allow("store", held))
        smbta::log::error("storing {} rows failed{}: {}; spooling, retry in {} s{}", rows.size(),
                          e.connection_lost() ? " (database unavailable)" : "", e.what(),
                          backoff_.count(), LogThrottle::held_back_note(held));
      back_off();
    }
  }
  if (Clock::now() < next_spool_try_) return;  // stays pending in memory until then
  try {
    spool_.append(rows);
    spooled_ += rows.size();
    release(rows.size());
    rows.clear();
    spool_backoff_ = std::chrono::seconds(1);
    throttle_.clear("spool");
  } catch (const std::exception& e) {
    // Disk full and database down: the rows stay queued in memory (module reads pause once
    // too many wait) and the next try comes after a growing wait.
    std::uint64_t held = 0;
    if (throttle_.allow("spool", held))
      smbta::log::error("cannot spool {} rows: {}; kept in memory, retry in {} s{}", rows.size(),
                        e.what(), spool_backoff_.count(), LogThrottle::held_back_note(held));
    next_spool_try_ = Clock::now() + spool_backoff_;
    spool_backoff_ = std::min(spool_backoff_ * 2, kMaxBackoff);
  }
}

bool StoreWriter::replay_spool() {
  while (!spool_.empty()) {
    if (!ensure_connected()) return false;
    auto seg = spool_.front();
    if (!seg) return true;
    try {
      // Segments of smbta 2.0.0 have no generation and so no mark: stored as before.
      smbta::store::ReplayMark done;
      if (!seg->generation.empty()) done = store_->replay_mark(seg->generation);
      std::size_t skip = 0;
      if (!seg->generation.empty() && done.segment >= seg->seq)
        skip = done.segment > seg->seq ? seg->rows.size()
                                       : std::min<std::size_t>(done.rows, seg->rows.size());
      if (skip == seg->rows.size()) {
        // Stored by an earlier pass whose removal of the file failed (or was cut short).
        smbta::log::notice("spool segment {} was already stored; removing it", seg->seq);
        spool_.pop_front();
        segment_failures_ = 0;
        continue;
      }
      const std::span<const Row> rest = std::span<const Row>(seg->rows).subspan(skip);
      if (seg->generation.empty()) {
        store_->insert(rest);
      } else {
        store_->insert_replayed(rest, {seg->generation, seg->seq, seg->rows.size()});
      }
      stored_ += rest.size();
      spool_.pop_front();
      segment_failures_ = 0;
      recovered();
    } catch (const StoreError& e) {
      ++failed_;
      std::uint64_t held = 0;
      if (throttle_.allow("replay", held))
        smbta::log::error("replaying the spool failed: {}; retry in {} s{}", e.what(),
                          backoff_.count(), LogThrottle::held_back_note(held));
      // Only a segment the database refuses on its merits may be set aside (e.g. bytes
      // PostgreSQL rejects as UTF-8): retrying it forever would hold back everything queued
      // behind it. A lost connection, a full disk or a lock is the database's state, not the
      // rows' (StoreError::connection_lost), and waits however long it lasts.
      if (!e.connection_lost() && ++segment_failures_ >= kMaxSegmentFailures) {
        if (!quarantine(*seg)) return false;
        spool_.pop_front();
        segment_failures_ = 0;
        continue;
      }
      back_off();
      return false;
    }
  }
  return true;
}

bool StoreWriter::quarantine(const Spool::Segment& seg) {
  std::uint64_t rejected = 0;
  // Each row moves the mark with it, so a connection lost half way resumes after the last row
  // stored instead of storing the first ones again (segments of 2.0.0 have no mark).
  const bool marked = !seg.generation.empty();
  std::size_t first = 0;
  if (marked) {
    if (!ensure_connected()) return false;
    const auto done = store_->replay_mark(seg.generation);
    if (done.segment == seg.seq) first = std::min<std::size_t>(done.rows, seg.rows.size());
  }
  for (std::size_t i = first; i < seg.rows.size(); ++i) {
    if (!ensure_connected()) return false;
    const std::span<const Row> one(&seg.rows[i], 1);
    const smbta::store::ReplayMark mark{seg.generation, seg.seq, i + 1};
    try {
      if (marked) {
        store_->insert_replayed(one, mark);
      } else {
        store_->insert(one);
      }
      ++stored_;
    } catch (const StoreError& e) {
      if (e.connection_lost()) {
        back_off();
        return false;  // the segment stays and resumes at the mark
      }
      try {
        rejected_.append(one);
      } catch (const std::exception& io) {
        smbta::log::error("cannot keep a rejected row: {}", io.what());
        return false;
      }
      ++rejected;
      smbta::log::error("the database refuses a row ({}); kept in {}", e.what(),
                        (config_.spool_dir / "rejected").string());
      store_.reset();  // a failed pgsql transaction poisons nothing, but start clean
      connected_ = false;
      if (marked) {
        if (!ensure_connected()) return false;
        try {
          store_->insert_replayed({}, mark);
        } catch (const StoreError& again) {
          smbta::log::error("recording the replay position failed: {}", again.what());
          store_.reset();
          connected_ = false;
          return false;
        }
      }
    }
  }
  rejected_rows_ += rejected;
  smbta::log::warning("spool segment stored row by row: {} rows stored, {} rejected",
                      seg.rows.size() - first - rejected, rejected);
  return true;
}

namespace {

// While rows come in, retention steps take at most this share of the writer's time since the
// run began (ingest slows by about as much); once none came for kIngestQuiet they run back to
// back. The goal: ingest within 20 % of its rate while a run deletes millions of rows.
constexpr double kPurgeShare = 0.15;
// Rows come in at least every flush of the network thread (0.5 s) while modules send. Why not
// "rows are waiting right now": a writer that keeps up finds the queue empty after each batch,
// and a step after every batch took 60 % of its time under load (bench/retention_bench.sh).
constexpr auto kIngestQuiet = std::chrono::seconds(1);

}  // namespace

void StoreWriter::maintain() {
  const auto now = Clock::now();
  if (now < next_maintenance_ || purge_) return;
  if (!ensure_connected()) return;  // stays due; runs as soon as the database is back
  next_maintenance_ = now + std::chrono::seconds(config_.maintenance_interval_s);
  purge_ = PurgeRun{smbta::local_now_ms() - config_.retention_s * 1000, 0, now, {}};
}

void StoreWriter::purge_some() {
  if (!purge_ || !spool_.empty() || !ensure_connected()) return;
  auto rows_waiting = [this] {
    std::lock_guard lock(mutex_);
    return !queue_.empty() || stopping_;
  };
  PurgeRun& run = *purge_;
  try {
    for (;;) {
      const auto now = Clock::now();
      if ((rows_waiting() || now - last_rows_ < kIngestQuiet) &&
          std::chrono::duration<double>(run.spent).count() >
              kPurgeShare * std::chrono::duration<double>(now - run.started).count())
        return;  // the rows first
      const auto step =
          store_->purge_step(run.cutoff_ms, smbta::store::EventStore::kPurgeBatchRows);
      run.spent += Clock::now() - now;
      run.rows += step.rows;
      purged_ += step.rows;
      if (step.done) break;
      if (rows_waiting()) return;  // at most one step between two batches
    }
  } catch (const StoreError& e) {
    // The steps committed so far stay; the next run (or a reconnect) continues with the rest.
    smbta::log::error("maintenance failed: {}", e.what());
    purge_.reset();
    store_.reset();
    connected_ = false;
    return;
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - run.started).count();
  const std::int64_t cutoff = run.cutoff_ms;
  const std::uint64_t n = run.rows;
  const auto busy = std::chrono::duration_cast<std::chrono::milliseconds>(run.spent).count();
  purge_.reset();
  // Deleting data is worth a line at the default level: an administrator who misses rows
  // finds here how many went, when, and by which rule.
  const auto to_next =
      std::chrono::duration_cast<std::chrono::milliseconds>(next_maintenance_ - Clock::now());
  const std::string next =
      smbta::format_timestamp(smbta::local_now_ms() + std::max<std::int64_t>(to_next.count(), 0))
          .substr(0, 19);
  if (n > 0)
    smbta::log::notice(
        "maintenance: deleted {} rows older than {} (retention {}) in {} ms ({} ms of it "
        "deleting); next run at {}",
        n, smbta::format_timestamp(cutoff).substr(0, 19), config_.retention_text, ms, busy, next);
  else
    smbta::log::debug(1, "maintenance: no rows older than {} (retention {}); next run at {}",
                      smbta::format_timestamp(cutoff).substr(0, 19), config_.retention_text, next);
}

void StoreWriter::run() {
  std::vector<std::vector<Row>> batches;
  std::vector<smbta::store::ModuleInfo> modules;
  // Ledger states of the rows taken with them, latest per sender.
  std::unordered_map<std::string, smbta::store::SenderLoss> loss;
  std::vector<Row> pending;  // rows that could neither be stored nor spooled yet
  for (;;) {
    bool stopping;
    {
      std::unique_lock lock(mutex_);
      const auto wake = std::min(next_maintenance_, Clock::now() + std::chrono::seconds(1));
      cv_.wait_until(lock, wake, [&] {
        return stopping_ || !queue_.empty() || !modules_.empty() || !loss_queue_.empty();
      });
      batches.swap(queue_);
      modules.swap(modules_);
      for (auto& l : loss_queue_) {
        std::string key = l.key();
        loss.insert_or_assign(std::move(key), std::move(l));
      }
      loss_queue_.clear();
      stopping = stopping_;
    }
    // Coalesce into transactions of up to max_rows_per_transaction rows: fewer commits.
    for (auto& b : batches) {
      for (auto& r : b) {
        pending.push_back(std::move(r));
        if (pending.size() >= config_.max_rows_per_transaction) store_or_spool(pending);
      }
    }
    if (!batches.empty()) last_rows_ = Clock::now();
    batches.clear();
    if (!spool_.empty()) replay_spool();
    store_or_spool(pending);
    // A sender's state counts the rows handed over with it and before: saved only once all of
    // them are kept, so that the ledger never says "stored" of a row that is not.
    if (pending.empty()) {
      for (auto& [key, l] : loss) loss_ready_.insert_or_assign(key, std::move(l));
      loss.clear();
    }
    save_loss(stopping);
    if (!modules.empty() && ensure_connected()) {
      try {
        for (const auto& m : modules) store_->note_module(m);
        modules.clear();
      } catch (const StoreError& e) {
        smbta::log::error("updating the modules table failed: {}", e.what());
      }
    }
    maintain();
    purge_some();
    // Rows are allocated by the network thread and freed here; glibc keeps the freed chunks in
    // that thread's arena. Handing the free tops back once a second keeps the resident size
    // near what is in use (measured: peak RSS at precision 5 dropped from 66-69 MB).
    if (const auto now = Clock::now(); now >= next_trim_) {
      ::malloc_trim(0);
      next_trim_ = now + std::chrono::seconds(1);
    }
    if (stopping) {
      std::lock_guard lock(mutex_);
      if (!queue_.empty() || !loss_queue_.empty()) continue;
      if (!loss_ready_.empty())
        smbta::log::warning(
            "shutting down without saving the loss ledger of {} senders (database unreachable); "
            "their counters resume from the last saved state",
            loss_ready_.size());
      if (!pending.empty())
        smbta::log::error(
            "shutting down with {} rows neither stored nor spooled (database "
            "unreachable and spool directory not writable)",
            pending.size());
      break;
    }
  }
  if (!spool_.empty())
    smbta::log::notice("{} spooled segment(s) remain in {}; they are stored at the next start",
                       spool_.segments(), config_.spool_dir.string());
}

}  // namespace smbtad

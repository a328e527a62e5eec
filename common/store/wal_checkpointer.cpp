// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/wal_checkpointer.h"

namespace smbta::store {

WalCheckpointer::WalCheckpointer(sqlite3* writer) : writer_(writer) {
  const char* file = sqlite3_db_filename(writer, "main");
  if (!file || !*file) return;
  sqlite3* own = nullptr;
  const int rc = sqlite3_open_v2(file, &own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  own_.reset(own);  // closed on failure too
  if (rc != SQLITE_OK) {
    own_.reset();
    return;  // sqlite3's own checkpoints stay: slower, but nothing is lost
  }
  sqlite3_busy_timeout(own_.get(), 1000);
  // A connection learns that the database is in WAL mode only when it first reads it; until
  // then a checkpoint on it succeeds without copying anything.
  if (sqlite3_exec(own_.get(), "PRAGMA schema_version", nullptr, nullptr, nullptr) != SQLITE_OK) {
    own_.reset();
    return;
  }
  thread_ = std::thread([this] { run(); });
  // Replaces the auto-checkpoint hook that wal_autocheckpoint installed.
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  if (!thread_.joinable()) return;
  sqlite3_wal_autocheckpoint(writer_, kStartPages);  // sqlite3's own hook again
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

unsigned long WalCheckpointer::checkpoints() const {
  std::lock_guard lock(mutex_);
  return checkpoints_;
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto* me = static_cast<WalCheckpointer*>(self);
  if (pages >= kWriterPages) {
    // Behind: the writer pays, as it did with sqlite3's own hook (a failure is retried at the
    // next commit; the commit itself has succeeded).
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  if (pages >= kStartPages) {
    {
      std::lock_guard lock(me->mutex_);
      me->pages_ = pages;
    }
    me->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || pages_ >= kStartPages; });
    if (stop_) return;
    pages_ = 0;
    lock.unlock();
    // PASSIVE copies what no reader still needs and never waits for the writer; SQLITE_BUSY
    // (another checkpoint under way) is retried after the next commit.
    const int rc =
        sqlite3_wal_checkpoint_v2(own_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    if (rc == SQLITE_OK) ++checkpoints_;
  }
}

}  // namespace smbta::store

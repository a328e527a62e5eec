// SPDX-License-Identifier: GPL-3.0-or-later
// sqlite3 WAL checkpoints on a thread of their own, off the writer's commits.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace smbta::store {

// Why: sqlite3 checkpoints inside the COMMIT that lets the WAL pass 1,000 pages: it copies the
// WAL into the database and waits for fdatasync, and with synchronous=NORMAL that is the only
// wait for the disk left in a commit. On a 12-million-event database with the file rollups
// (random pages dirtied by every batch) most of the writer's time went there (gdb samples,
// bench/web_bench.sh's ingest). A second connection checkpoints instead, passively (it never
// blocks the writer), woken by the writer's commits. Should it fall behind (a reader pinning old
// frames, a slow disk), the writer checkpoints itself once the WAL is large, so the WAL stays
// bounded as before.
class WalCheckpointer {
 public:
  // Takes over the checkpoints of `writer`, a connection in WAL mode on a database file. For a
  // database without a file (":memory:", a temporary one) it leaves sqlite3's own in place.
  explicit WalCheckpointer(sqlite3* writer);
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  // Stops the thread and gives the checkpoints back to sqlite3 (and the writer's close).
  ~WalCheckpointer();

  // WAL pages after which the thread checkpoints (sqlite3's own threshold).
  static constexpr int kStartPages = 1000;
  // WAL pages after which the writer checkpoints itself (256 MiB with 16 KiB pages).
  static constexpr int kWriterPages = 16000;

  // Checkpoints the thread has run (for tests and metrics).
  unsigned long checkpoints() const;

 private:
  struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void run();

  sqlite3* writer_;
  std::unique_ptr<sqlite3, CloseDb> own_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  int pages_ = 0;  // WAL pages at the last commit
  bool stop_ = false;
  unsigned long checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace smbta::store

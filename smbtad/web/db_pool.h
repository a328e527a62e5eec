// SPDX-License-Identifier: GPL-3.0-or-later
// A small bounded pool of database connections for the web threads (never the ingest's).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "store/dbi_connection.h"
#include "store/event_store.h"

namespace smbtad::web {

// Why: each web request runs a query on a connection of its own, so that reports never wait for
// (or delay) the writer thread's connection; at most `size` connections exist, however many
// requests arrive, and a connection the database dropped is replaced on the next lease.
class DbPool {
 public:
  DbPool(smbta::store::DbParams params, std::size_t size);

  // A connection held for the lifetime of the lease; returned to the pool after.
  class Lease {
   public:
    Lease(DbPool& pool, std::unique_ptr<smbta::store::DbiConnection> c)
        : pool_(&pool), conn_(std::move(c)) {}
    Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    smbta::store::DbiConnection& operator*() { return *conn_; }
    // After a database error: the connection is dropped instead of returned.
    void discard() { conn_.reset(); }

   private:
    DbPool* pool_;
    std::unique_ptr<smbta::store::DbiConnection> conn_;
  };

  // Waits for a free slot; connects when the slot holds no connection (or a dead one). Throws
  // smbta::store::StoreError when the database cannot be reached.
  Lease lease();

 private:
  void give_back(std::unique_ptr<smbta::store::DbiConnection> c);

  smbta::store::DbParams params_;
  std::size_t free_slots_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<smbta::store::DbiConnection>> idle_;
};

}  // namespace smbtad::web

// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/db_pool.h"

namespace smbtad::web {

DbPool::DbPool(smbta::store::DbParams params, std::size_t size)
    : params_(std::move(params)), free_slots_(size) {
  // The web only reads: a database that is not there must not be created by a web request.
  params_.must_exist = true;
}

DbPool::Lease::~Lease() {
  if (pool_) pool_->give_back(std::move(conn_));
}

DbPool::Lease DbPool::lease() {
  std::unique_ptr<smbta::store::DbiConnection> c;
  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return free_slots_ > 0; });
    --free_slots_;
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  try {
    // A PostgreSQL restart leaves a connection dead; ask before use (one round trip).
    if (c && !c->ping()) c.reset();
    if (!c) c = std::make_unique<smbta::store::DbiConnection>(params_);
  } catch (...) {
    give_back(nullptr);
    throw;
  }
  return Lease(*this, std::move(c));
}

void DbPool::give_back(std::unique_ptr<smbta::store::DbiConnection> c) {
  {
    std::lock_guard lock(mutex_);
    ++free_slots_;
    if (c) idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

}  // namespace smbtad::web

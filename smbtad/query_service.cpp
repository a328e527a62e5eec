// SPDX-License-Identifier: GPL-3.0-or-later
#include "query_service.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "query/result_codec.h"
#include "smbta/log.h"
#include "smbta/v2_codec.h"
#include "store/dbi_connection.h"
#include "thread_priority.h"

namespace smbtad {

QueryService::QueryService(smbta::store::DbParams db)
    : db_params_(std::move(db)), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!wake_fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] {
    lower_report_thread_priority();
    run();
  });
}

QueryService::~QueryService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

bool QueryService::submit(std::uint64_t client, std::string request_body) {
  {
    std::lock_guard lock(mutex_);
    if (requests_.size() >= kMaxQueued) return false;
    requests_.emplace_back(client, std::move(request_body));
  }
  cv_.notify_one();
  return true;
}

std::vector<std::pair<std::uint64_t, std::string>> QueryService::take_done() {
  std::uint64_t v;
  [[maybe_unused]] auto n = ::read(wake_fd_.get(), &v, sizeof v);
  std::lock_guard lock(mutex_);
  return std::exchange(done_, {});
}

namespace {

bool is_database_error(std::string_view reply) {
  if (!reply.starts_with("QE")) return false;
  smbta::SubBlockReader rd(reply.substr(2));
  std::string_view message, kind;
  return rd.next(message) == smbta::ProtocolError::kNone &&
         rd.next(kind) == smbta::ProtocolError::kNone &&
         kind == std::to_string(static_cast<int>(smbta::query::QueryError::Kind::kDatabase));
}

}  // namespace

bool QueryService::usable(std::unique_ptr<smbta::store::DbiConnection>& db) {
  // A PostgreSQL restart leaves the connection dead, and the driver does not reconnect by
  // itself: every later statement would fail until smbtad restarts. Asking first costs one
  // round trip and lets the first query after a restart succeed.
  if (db && !db->ping()) {
    smbta::log::warning("the query connection to the {} database was lost; reconnecting",
                        db_params_.driver);
    db.reset();
    lost_ = true;
  }
  if (db) return true;
  try {
    db = std::make_unique<smbta::store::DbiConnection>(db_params_);
  } catch (const std::exception& e) {
    last_connect_error_ = e.what();
    return false;
  }
  if (lost_)
    smbta::log::notice("the query connection to the {} database is back", db_params_.driver);
  lost_ = false;
  return true;
}

std::string QueryService::answer(const std::string& body,
                                 std::unique_ptr<smbta::store::DbiConnection>& db) {
  std::string reply;
  // A connection that dies during the query gets one more try on a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!usable(db)) {
      lost_ = true;
      return smbta::query::error_reply_body(smbta::query::QueryError::Kind::kDatabase,
                                            "database unavailable: " + last_connect_error_);
    }
    smbta::query::QueryOptions opts;
    // The session frames (and encrypts) replies itself: the body only.
    reply = smbta::query::serve_query_body(body, *db, opts);
    if (!is_database_error(reply) || db->ping()) return reply;
    db.reset();
    lost_ = true;
  }
  return reply;
}

void QueryService::run() {
  std::unique_ptr<smbta::store::DbiConnection> db;
  for (;;) {
    std::pair<std::uint64_t, std::string> req;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !requests_.empty(); });
      if (stopping_) return;
      req = std::move(requests_.front());
      requests_.pop_front();
    }
    std::string reply = answer(req.second, db);
    {
      std::lock_guard lock(mutex_);
      done_.emplace_back(req.first, std::move(reply));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
  }
}

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
// Runs client queries ("QQ" requests) on a thread of their own with its own database connection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "smbta/unique_fd.h"
#include "store/dbi_connection.h"
#include "store/event_store.h"

namespace smbtad {

// Why: a report over millions of rows takes a good fraction of a second; run on the network
// thread it would stall every module connection, run on the writer thread it would delay
// storage. The query thread reads through its own connection; replies travel back to the
// network thread through a queue and an eventfd, addressed by the client's serial number so a
// client that left in the meantime is simply skipped.
class QueryService {
 public:
  static constexpr std::size_t kMaxQueued = 64;

  explicit QueryService(smbta::store::DbParams db);
  ~QueryService();
  QueryService(const QueryService&) = delete;
  QueryService& operator=(const QueryService&) = delete;

  // False when too many queries wait (the caller replies "busy").
  bool submit(std::uint64_t client, std::string request_body);
  // Replies ready for sending: (client serial, reply body).
  std::vector<std::pair<std::uint64_t, std::string>> take_done();
  int wake_fd() const { return wake_fd_.get(); }

 private:
  void run();
  // Connects, or reconnects a connection the database dropped; false when it cannot.
  bool usable(std::unique_ptr<smbta::store::DbiConnection>& db);
  std::string answer(const std::string& body, std::unique_ptr<smbta::store::DbiConnection>& db);

  smbta::store::DbParams db_params_;
  smbta::UniqueFd wake_fd_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<std::uint64_t, std::string>> requests_;
  std::vector<std::pair<std::uint64_t, std::string>> done_;
  bool stopping_ = false;
  // Query thread only: whether the connection was lost (for one line when it is back).
  bool lost_ = false;
  std::string last_connect_error_;
  std::thread thread_;
};

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
// webSMBTA's HTTP(S) listener in smbtad: cpp-httplib on a bounded pool of web threads.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "store/event_store.h"
#include "web/web_options.h"

namespace httplib {
class Server;
}

namespace smbtad {
class MonitorHub;
}

namespace smbtad::web {

class Api;
class DbPool;
class LiveFeed;
class LoginRateLimiter;
class SessionTable;
class StaticFiles;
class UsersFile;

// Why cpp-httplib (Debian's libcpp-httplib, built with OpenSSL): a small, well-kept library
// whose server runs every connection on a task queue that smbtad supplies, so the number of
// threads (kThreads) and of waiting connections (kMaxQueued) is fixed; request size
// (kMaxPayload), read, write and keep-alive times are bounded as well. Memory and threads stay
// bounded whatever the clients do, and nothing runs on the network (ingest) thread: requests
// read the database through a pool of their own connections (kDbConnections).
class WebListener {
 public:
  static constexpr std::size_t kThreads = 8;
  static constexpr std::size_t kMaxQueued = 64;
  // Each live view holds a web thread while it is open: half of them stay for requests.
  static constexpr std::size_t kMaxLiveStreams = kThreads / 2;
  static constexpr std::size_t kDbConnections = 4;
  static constexpr std::size_t kMaxPayload = 64 * 1024;

  // Loads the users file, checks the TLS key and binds the port (before smbtad daemonizes, so
  // that errors reach the terminal; no thread starts here). `db` is nullopt with -U 0. Throws
  // smbtad::ConfigError.
  WebListener(const WebOptions& options, std::optional<smbta::store::DbParams> db);
  ~WebListener();
  WebListener(const WebListener&) = delete;
  WebListener& operator=(const WebListener&) = delete;

  // Starts serving on a thread of its own.
  void start();
  // Ends every live view and stops serving (joins the web threads).
  void stop(MonitorHub& hub);
  LiveFeed& live() { return *live_; }
  // SIGHUP: re-reads the users file (see Api::reload_users).
  void reload_users();
  std::string describe() const;

 private:
  void halt();

  WebOptions options_;
  std::unique_ptr<UsersFile> users_;
  std::unique_ptr<SessionTable> sessions_;
  std::unique_ptr<LoginRateLimiter> limiter_;
  std::unique_ptr<DbPool> db_;
  std::unique_ptr<LiveFeed> live_;
  std::unique_ptr<StaticFiles> files_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<httplib::Server> server_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

// Refuses a TLS key file that others may read (or that is not a regular file). Throws
// smbtad::ConfigError naming the option.
void check_private_key_file(const std::string& path);

}  // namespace smbtad::web

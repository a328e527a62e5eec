// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/listener.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "options.h"
#include "smbta/log.h"
#include "web/api.h"
#include "web/bounded_pool.h"
#include "web/db_pool.h"
#include "web/live_feed.h"
#include "web/rate_limiter.h"
#include "web/sessions.h"
#include "web/static_files.h"
#include "web/users_file.h"

namespace smbtad::web {
namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

void check_private_key_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw ConfigError("--web-key " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ConfigError("--web-key " + path + ": not a regular file");
  // Group-readable keys are usual (Debian's ssl-cert group); readable by anyone is not.
  if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0)
    throw ConfigError("--web-key " + path +
                      ": readable or writable by others; run chmod 600 (or 640) on it");
}

WebListener::WebListener(const WebOptions& options, std::optional<smbta::store::DbParams> db)
    : options_(options) {
  try {
    users_ = std::make_unique<UsersFile>(options_.users_file);
  } catch (const std::exception& e) {
    throw ConfigError(std::string("--web-users: ") + e.what());
  }
  if (users_->list().empty())
    smbta::log::warning(
        "web: {} holds no user, so nobody can log in to the dashboard; add one with "
        "smbtad --web-passwd USER --web-role admin",
        options_.users_file);
  sessions_ = std::make_unique<SessionTable>();
  limiter_ = std::make_unique<LoginRateLimiter>();
  if (db) db_ = std::make_unique<DbPool>(std::move(*db), kDbConnections);
  live_ = std::make_unique<LiveFeed>(kMaxLiveStreams);
  files_ = std::make_unique<StaticFiles>(options_.root);
  api_ = std::make_unique<Api>(ApiParts{.users = *users_,
                                        .sessions = *sessions_,
                                        .limiter = *limiter_,
                                        .db = db_.get(),
                                        .live = live_.get(),
                                        .files = files_.get(),
                                        .tls = options_.tls()});
  if (options_.tls()) {
    check_private_key_file(options_.key_file);
    std::string why;
    const std::string cert = options_.cert_file, key = options_.key_file;
    auto tls = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1 ||
          SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1) {
        why = "--web-cert " + cert + ": " + openssl_error();
        return false;
      }
      if (SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
          SSL_CTX_check_private_key(&ctx) != 1) {
        why = "--web-key " + key + ": " + openssl_error();
        return false;
      }
      return true;
    });
    if (!tls->is_valid()) throw ConfigError(why.empty() ? "TLS set-up failed" : why);
    server_ = std::move(tls);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  // cpp-httplib takes ownership of the queue it gets from this factory (its API wants a raw
  // pointer). The API's queries run below ingest's priority (thread_priority.h).
  server_->new_task_queue = [] { return new BoundedPool(kThreads, kMaxQueued, true); };
  server_->set_payload_max_length(kMaxPayload);
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  // A kept-alive connection holds its web thread: after a few requests (or 2 idle seconds) it
  // goes back to the queue, so 20 busy browsers share 8 threads fairly instead of the first 8
  // keeping them (p99 went from 9.7 s to the figures in the report with 5 instead of 100).
  server_->set_keep_alive_timeout(2);
  server_->set_keep_alive_max_count(5);
  const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    api_->handle(req, res);
  };
  // Every path reaches Api::handle, which decides what may be answered.
  const std::string all = R"(/.*)";
  server_->Get(all, handler);
  server_->Post(all, handler);
  server_->Put(all, handler);
  server_->Delete(all, handler);
  server_->Patch(all, handler);
  server_->Options(all, handler);
  const bool tls = options_.tls();
  server_->set_error_handler([tls](const httplib::Request&, httplib::Response& res) {
    // Answers of httplib itself (400, 413, ...) get the headers Api::handle gives its own.
    if (!res.has_header("X-Content-Type-Options")) add_security_headers(res, tls);
    if (res.body.empty())
      res.set_content(Api::error_body("HTTP " + std::to_string(res.status)), "application/json");
  });
  if (!server_->bind_to_port(options_.host, options_.port))
    throw ConfigError("--web-listen " + options_.listen_text + ": cannot listen on " +
                      options_.host + " port " + std::to_string(options_.port) + ": " +
                      std::strerror(errno));
}

WebListener::~WebListener() {
  halt();
}

void WebListener::halt() {
  if (!thread_.joinable()) return;
  // stop() does nothing until the server listens: wait for that (or for its failure).
  while (!server_->is_running() && !finished_.load()) std::this_thread::yield();
  server_->stop();
  thread_.join();
}

std::string WebListener::describe() const {
  return (options_.tls() ? "https://" : "http://") +
         (options_.host.find(':') != std::string::npos ? "[" + options_.host + "]"
                                                       : options_.host) +
         ":" + std::to_string(options_.port) + "/ (files from " + options_.root + ")";
}

void WebListener::start() {
  thread_ = std::thread([this] {
    if (!server_->listen_after_bind()) smbta::log::error("web: the listener stopped with an error");
    finished_ = true;
  });
}

void WebListener::reload_users() {
  api_->reload_users(true);
}

void WebListener::stop(MonitorHub& hub) {
  live_->stop(hub);
  halt();
}

}  // namespace smbtad::web

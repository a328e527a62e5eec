// SPDX-License-Identifier: GPL-3.0-or-later
#include "alert_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "client_session.h"
#include "smbta/log.h"
#include "smbta/timestamp.h"
#include "smbta/unique_fd.h"
#include "store/alert_store.h"
#include "store/dbi_connection.h"

extern char** environ;

namespace smbtad {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t rounded(double v) {
  return static_cast<std::int64_t>(std::llround(v));
}

smbta::store::StoredAlert stored(const BurstEvent& e) {
  smbta::store::StoredAlert a;
  a.started_ms = e.started_ms;
  if (!e.start) a.ended_ms = e.ended_ms;
  a.kind = std::string(burst_kind_name(e.kind));
  a.user = e.user;
  a.domain = e.domain;
  a.share = e.share;
  a.events = static_cast<std::int64_t>(e.events);
  a.rate = e.rate;
  a.threshold = e.threshold;
  a.baseline = rounded(e.baseline);
  a.sample = e.sample;
  return a;
}

}  // namespace

std::string alert_json(const BurstEvent& e) {
  // The names come from the peer: each is clipped, so that the JSON stays well below a pipe's
  // buffer (the command's stdin) and the limit of one environment string (SMBTA_ALERT_JSON;
  // execve fails with E2BIG above 128 KiB), even if every byte is escaped as \u00XX.
  const auto clip = [](const std::string& v) {
    return v.size() <= kMaxJsonField ? v : v.substr(0, kMaxJsonField);
  };
  nlohmann::ordered_json j;
  j["alert"] = std::string(burst_kind_name(e.kind));
  j["phase"] = e.start ? "start" : "end";
  j["user"] = clip(e.user);
  j["domain"] = clip(e.domain);
  j["share"] = clip(e.share);
  j["started"] = smbta::format_timestamp(e.started_ms);
  if (!e.start) j["ended"] = smbta::format_timestamp(e.ended_ms);
  j["events"] = e.events;
  j["rate_per_minute"] = e.rate;
  j["threshold_per_minute"] = e.threshold;
  j["baseline_per_minute"] = rounded(e.baseline);
  j["sample"] = clip(e.sample);
  // Names come from the peer: invalid UTF-8 is replaced, never a reason to lose the alert.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string alert_log_line(const BurstEvent& e) {
  // Peer-supplied names are escaped (printable): no forged lines, no terminal escapes.
  if (e.start)
    return fmt::format(
        "ALERT {}: user {} (domain {}) on share {}: {} {} per minute since {} (threshold {}, "
        "baseline {}), e.g. {}",
        burst_kind_name(e.kind), printable(e.user), printable(e.domain), printable(e.share), e.rate,
        e.kind == BurstKind::kDestructive ? "renames/unlinks/overwrites" : "files read",
        smbta::format_timestamp(e.started_ms).substr(0, 19), e.threshold, rounded(e.baseline),
        printable(e.sample));
  return fmt::format(
      "alert {} of user {} (domain {}) on share {} started {} ended at {}: {} events",
      burst_kind_name(e.kind), printable(e.user), printable(e.domain), printable(e.share),
      smbta::format_timestamp(e.started_ms).substr(0, 19),
      smbta::format_timestamp(e.ended_ms).substr(0, 19), e.events);
}

AlertSink::AlertSink(AlertDelivery delivery, std::function<void(const BurstEvent&)> monitors)
    : delivery_(std::move(delivery)), monitors_(std::move(monitors)) {
  thread_ = std::thread([this] { run(); });
}

AlertSink::~AlertSink() {
  stop();
}

void AlertSink::raise(const BurstEvent& e) {
  if (e.start) {
    ++raised_;
    smbta::log::warning("{}", alert_log_line(e));
  } else {
    smbta::log::notice("{}", alert_log_line(e));
  }
  if (monitors_) monitors_(e);
  std::lock_guard lock(mutex_);
  if (queue_.size() >= kMaxQueued) {
    if (dropped_++ % 100 == 0)
      smbta::log::error(
          "alert delivery is {} alerts behind (command, webhook or database slow): this alert "
          "is only in the log and the monitors ({} so far)",
          queue_.size(), dropped_);
    return;
  }
  queue_.push_back(e);
  cv_.notify_one();
}

void AlertSink::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void AlertSink::run() {
  for (;;) {
    BurstEvent e;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      e = std::move(queue_.front());
      queue_.pop_front();
      stopping = stopping_;
    }
    deliver(e, stopping);
  }
}

void AlertSink::deliver(const BurstEvent& e, bool stopping) {
  if (delivery_.db) store(e);
  // The command and the webhook hear of each episode once, when it starts.
  if (!e.start) return;
  if (stopping && (!delivery_.command.empty() || !delivery_.webhook.empty())) {
    // smbtad stops: up to kMaxQueued alerts times two timeouts would hold it for an hour. The
    // alert is in the log (raise) and the database already.
    smbta::log::error(
        "smbtad stops: alert {} of user {} on share {} not given to --alert-command or "
        "--alert-webhook",
        burst_kind_name(e.kind), printable(e.user), printable(e.share));
    return;
  }
  const std::string json = alert_json(e);
  if (!delivery_.command.empty()) run_command(e, json);
  if (!delivery_.webhook.empty()) post_webhook(json);
}

void AlertSink::store(const BurstEvent& e) {
  try {
    // A connection per alert: alerts are rare, and a kept one would have to survive outages.
    smbta::store::DbiConnection db(*delivery_.db);
    if (e.start)
      smbta::store::alerts::insert(db, stored(e));
    else
      smbta::store::alerts::finish(db, stored(e));
  } catch (const std::exception& ex) {
    smbta::log::error("alert of user {} on share {} not stored in the database: {}",
                      printable(e.user), printable(e.share), ex.what());
  }
}

void AlertSink::run_command(const BurstEvent& e, const std::string& json) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    smbta::log::error("--alert-command not run: pipe: {}", std::strerror(errno));
    return;
  }
  smbta::UniqueFd rd(fds[0]), wr(fds[1]);
  std::vector<std::string> env_text;
  for (char** p = environ; p != nullptr && *p != nullptr; ++p)
    if (std::strncmp(*p, "SMBTA_ALERT", 11) != 0) env_text.emplace_back(*p);
  env_text.push_back("SMBTA_ALERT=" + std::string(burst_kind_name(e.kind)));
  const auto clip = [](const std::string& v) { return v.substr(0, kMaxJsonField); };
  env_text.push_back("SMBTA_ALERT_USER=" + clip(e.user));
  env_text.push_back("SMBTA_ALERT_DOMAIN=" + clip(e.domain));
  env_text.push_back("SMBTA_ALERT_SHARE=" + clip(e.share));
  env_text.push_back("SMBTA_ALERT_STARTED=" + smbta::format_timestamp(e.started_ms));
  env_text.push_back("SMBTA_ALERT_RATE=" + std::to_string(e.rate));
  env_text.push_back("SMBTA_ALERT_JSON=" + json);
  std::vector<char*> envp;
  for (auto& s : env_text) envp.push_back(s.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, rd.get(), 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A group of its own: a timeout kills whatever the shell started too.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);  // smbtad blocks its signals for the signalfd
  sigset_t dfl;
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &dfl);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string cmd = delivery_.command;
  char sh[] = "/bin/sh", dash_c[] = "-c";
  char* argv[] = {sh, dash_c, cmd.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  rd.reset();
  if (rc != 0) {
    smbta::log::error("--alert-command not run: {}", std::strerror(rc));
    return;
  }
  // The JSON (bounded, alert_json) fits in the pipe's buffer; all of it is written, and a
  // command that does not read it does not block us beyond its timeout.
  const auto deadline = Clock::now() + std::chrono::seconds(delivery_.timeout_s);
  const int flags = ::fcntl(wr.get(), F_GETFL);
  ::fcntl(wr.get(), F_SETFL, flags | O_NONBLOCK);
  const std::string body = json + "\n";
  std::size_t written = 0;
  while (written < body.size()) {
    const ssize_t n = ::write(wr.get(), body.data() + written, body.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && Clock::now() < deadline) {
      pollfd p{wr.get(), POLLOUT, 0};
      ::poll(&p, 1, 20);
      continue;
    }
    // EPIPE: the command does not read its stdin (it may use the environment).
    if (!(n < 0 && errno == EPIPE))
      smbta::log::error("--alert-command: only {} of {} bytes of the alert reached its stdin: {}",
                        written, body.size(), n < 0 ? std::strerror(errno) : "short write");
    break;
  }
  wr.reset();
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      smbta::log::error("--alert-command: waitpid: {}", std::strerror(errno));
      return;
    }
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      smbta::log::error("--alert-command did not finish within {} s (--alert-timeout): killed",
                        delivery_.timeout_s);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    smbta::log::debug(1, "--alert-command ran for the alert of user {}", printable(e.user));
    return;
  }
  if (WIFEXITED(status))
    smbta::log::error("--alert-command exited with status {}", WEXITSTATUS(status));
  else
    smbta::log::error("--alert-command ended by signal {}", WTERMSIG(status));
}

void AlertSink::post_webhook(const std::string& json) {
  // scheme://host[:port] and the path, as httplib's client takes them.
  const std::string& url = delivery_.webhook;
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const std::string origin = url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  try {
    httplib::Client client(origin);
    client.set_connection_timeout(delivery_.timeout_s, 0);
    client.set_read_timeout(delivery_.timeout_s, 0);
    client.set_write_timeout(delivery_.timeout_s, 0);
    auto res = client.Post(path, json, "application/json");
    if (!res) {
      smbta::log::error("--alert-webhook {}: {}", origin, httplib::to_string(res.error()));
      return;
    }
    if (res->status < 200 || res->status >= 300)
      smbta::log::error("--alert-webhook {}: HTTP status {}", origin, res->status);
  } catch (const std::exception& ex) {
    smbta::log::error("--alert-webhook {}: {}", origin, ex.what());
  }
}

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics_listener.h"

#include <httplib.h>

#include <chrono>

#include "cli/parse_integer.h"
#include "cli/usage_error.h"
#include "metrics_exposition.h"
#include "metrics_registry.h"
#include "smbta/log.h"

namespace smbtad::metrics {

namespace {
// Prometheus scrapes one connection at a time; two threads leave room for a curl beside it.
constexpr std::size_t kThreads = 2;
constexpr time_t kTimeoutS = 5;
}  // namespace

ListenAddress parse_listen_address(const std::string& text, const std::string& what) {
  ListenAddress a;
  std::string port = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw smbta::cli::UsageError(what + ": \"" + text + "\" is not [ADDRESS]:PORT");
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    if (text.find(':') != colon)
      throw smbta::cli::UsageError(what + ": \"" + text +
                                   "\": write an IPv6 address in brackets, [ADDRESS]:PORT");
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (a.host.empty()) throw smbta::cli::UsageError(what + ": empty address in \"" + text + "\"");
  a.port = static_cast<int>(smbta::cli::parse_integer(port, 1, 65535, what));
  return a;
}

MetricsListener::MetricsListener(const Registry& registry, const ListenAddress& where)
    : registry_(registry), where_(where), http_(std::make_unique<httplib::Server>()) {
  http_->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  http_->set_read_timeout(kTimeoutS);
  http_->set_write_timeout(kTimeoutS);
  http_->set_keep_alive_timeout(kTimeoutS);
  http_->set_keep_alive_max_count(100);
  http_->set_payload_max_length(4096);  // a scrape sends no body
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.expose(), std::string(kTextContentType));
  });
  http_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("smbtad: the metrics are at /metrics\n", "text/plain");
  });
  if (!http_->bind_to_port(where_.host, where_.port))
    throw std::runtime_error("--metrics-listen: cannot listen on " + what() +
                             " (address in use or not local?)");
}

MetricsListener::~MetricsListener() {
  stop();
}

void MetricsListener::start() {
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib's stop() does nothing before the thread runs its loop: wait for it (bounded).
  for (int i = 0; i < 2000 && !http_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  smbta::log::notice("serving metrics on http://{}/metrics", what());
}

void MetricsListener::stop() {
  if (!http_) return;
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string MetricsListener::what() const {
  return (where_.host.find(':') != std::string::npos ? "[" + where_.host + "]" : where_.host) +
         ":" + std::to_string(where_.port);
}

}  // namespace smbtad::metrics

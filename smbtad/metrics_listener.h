// SPDX-License-Identifier: GPL-3.0-or-later
// The HTTP listener of --metrics-listen: GET /metrics answers the registry's text.
#pragma once

#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace smbtad::metrics {

class Registry;

// "PORT", "HOST:PORT" or "[IPv6]:PORT" (host default localhost). Throws UsageError naming `what`.
struct ListenAddress {
  std::string host = "localhost";
  int port = 0;
};
ListenAddress parse_listen_address(const std::string& text, const std::string& what);

// Why: Prometheus scrapes over HTTP; this listener serves only /metrics, with a fixed small
// number of threads and short timeouts, so a slow or hostile scraper cannot hold smbtad's
// resources or reach the ingest path (it only reads atomics through the registry).
class MetricsListener {
 public:
  // Binds now (before daemonizing, so errors reach the terminal); serves after start().
  MetricsListener(const Registry& registry, const ListenAddress& where);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  // Starts the serving thread (after the fork: threads do not survive it).
  void start();
  void stop();
  std::string what() const;

 private:
  const Registry& registry_;
  ListenAddress where_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

}  // namespace smbtad::metrics

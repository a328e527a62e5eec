// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad's network thread: listeners, module sessions, the aggregation cache, timers, signals.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "aggregation_cache.h"
#include "alert_sink.h"
#include "burst_detector.h"
#include "client_session.h"
#include "daemon_metrics.h"
#include "event_loop.h"
#include "log_throttle.h"
#include "loop_handlers.h"
#include "loss_tracker.h"
#include "metrics_listener.h"
#include "module_session.h"
#include "monitor_hub.h"
#include "options.h"
#include "query_service.h"
#include "store_writer.h"
#include "web/listener.h"

namespace smbtad {

// What came in and what was refused, logged when smbtad stops.
struct IngestStats {
  std::uint64_t records = 0;
  std::uint64_t bad_records = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t connections_closed_on_error = 0;
  std::uint64_t dropped_by_modules = 0;  // from the modules' drop notices
  std::uint64_t client_connections_refused = 0;
  std::uint64_t clients_closed_idle = 0;  // --client-idle-timeout
  std::uint64_t duplicates = 0;           // records whose sequence number arrived before
};

// Why: one object wires the parts of the daemon in the order they must start and stop; main()
// only parses options and calls run().
class Server : public RecordSink, public ClientHost {
 public:
  // Binds every listener and checks the database (errors are thrown before daemonizing, so they
  // reach the terminal): smbta::store::StoreError when the database refuses smbtad for good
  // (driver missing, bad credentials, schema cannot be created); an unreachable one is retried.
  explicit Server(const Options& options);
  ~Server() override;

  // Starts the writer and serves until SIGTERM/SIGINT; then stores everything received.
  // `serving` is called once every listener listens (start-up is over); systemd hears READY=1
  // right after it.
  void run(const std::function<void()>& serving = {});

  void on_record(ModuleSession& from, const smbta::Record& r) override;
  void on_close(ModuleSession& s) override;

  MonitorHub& monitors() override { return hub_; }
  EventLoop& loop() override { return loop_; }
  std::string submit_query(ClientSession& from, std::string body) override;
  void on_client_close(ClientSession& s) override;
  bool require_key() const override { return options_.require_client_key; }
  bool require_authenticated() const override { return options_.require_authenticated; }
  std::chrono::seconds request_timeout() const override {
    return std::chrono::seconds(options_.idle_timeout_s);
  }

 private:
  class Listener;

  enum class Kind { kModule, kClient };
  // Also loads the loss ledger (duplicates are recognised across a restart).
  void check_database(const Options& o);
  void add_listeners(const ListenerSet& set, const std::string& socket_path, int port, Kind kind,
                     const std::string& who);
  void accept_from(int listen_fd, bool is_unix, Kind kind);
  void tick();
  void on_signal(int signo);
  std::string connection_summary() const;
  void flush_cache(bool final);
  void reap_closed();
  void close_idle_clients(std::chrono::steady_clock::time_point now);
  void pause_reading();
  void resume_reading();

  const Options& options_;
  std::optional<smbta::AesKey> key_;
  EventLoop loop_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<SignalEvents> signals_;
  std::unique_ptr<PeriodicTimer> ticker_;
  std::unique_ptr<EventFdReady> waker_;  // the writer caught up: read module sockets again
  std::unique_ptr<QueryService> queries_;
  std::unique_ptr<EventFdReady> query_replies_;
  void deliver_query_replies();
  bool reading_paused_ = false;  // the writer is behind: module sockets are not read
  std::unordered_map<int, std::unique_ptr<ModuleSession>> sessions_;
  std::vector<std::unique_ptr<ModuleSession>> closed_;
  std::unordered_map<int, std::unique_ptr<ClientSession>> clients_;
  std::vector<std::unique_ptr<ClientSession>> closed_clients_;
  // Queries submitted and not yet answered, by client serial.
  std::unordered_map<std::uint64_t, int> queries_pending_;
  std::size_t max_modules_ = 0;  // --max-connections
  std::size_t max_clients_ = 0;  // --max-client-connections, less if descriptors are short
  std::optional<smbta::AesKey> client_key_;
  MonitorHub hub_;
  unsigned ticks_ = 0;
  std::vector<char> read_buffer_;
  AggregationCache cache_;
  LossTracker loss_;
  // Ledger states taken while R/W records of theirs may still wait in cache_ (precision > 0):
  // handed to the writer only once every record they count is in rows handed over.
  struct HeldLoss {
    std::chrono::steady_clock::time_point taken;
    std::vector<smbta::store::SenderLoss> states;
  };
  std::deque<HeldLoss> held_loss_;
  LogThrottle duplicate_log_{std::chrono::seconds(10)};
  std::unique_ptr<StoreWriter> writer_;
  IngestStats stats_;
  // Drop notices are a module's own account of loss: worth a line, but a peer sending thousands
  // must not flood the log (10,000 lines in 0.06 s were seen). One topic per peer.
  LogThrottle drop_log_{std::chrono::seconds(10)};
  bool stopping_ = false;
  bool listeners_paused_ = false;

  // --- Operations: metrics (--metrics-listen) ---
  // Null unless --metrics-listen; the listener only reads the registry, and goes first.
  std::unique_ptr<DaemonMetrics> metrics_;
  std::unique_ptr<metrics::MetricsListener> metrics_listener_;
  void publish_metrics();
  void count_bad_records(ModuleSession& s);
  // The STATUS= line systemd shows (Type=notify).
  std::string service_status() const;
  // --- Burst alerts: after hub_ (the sink hands alerts to it); made in run(), after the fork ---
  std::unique_ptr<BurstDetector> bursts_;
  std::unique_ptr<AlertSink> alert_sink_;
  std::vector<BurstEvent> burst_events_;
  void raise_alerts();
  // --- end burst alerts ---
  // --- webSMBTA (smbtad/web/): after hub_, so it is destroyed first ---
  std::unique_ptr<web::WebListener> web_;
  std::unique_ptr<EventFdReady> web_live_;  // live views to add to or remove from hub_
  // --- end webSMBTA ---
};

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
#include "server.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "privileges.h"
#include "service_notify.h"
#include "smbta/key_file.h"
#include "smbta/log.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "socket_place.h"
#include "store/prepare.h"
#include "web/live_feed.h"
#include "writer_config.h"

namespace smbtad {

using Clock = std::chrono::steady_clock;

// Batches are handed to the writer at least every tick, or sooner when this many rows wait.
constexpr std::size_t kEarlyFlushRows = 8192;
// How long a ledger state waits at precision > 0 (see flush_cache): the cache's write delay,
// its walk interval and a tick, with room to spare.
constexpr auto kLedgerHold = 2 * AggregationCache::kWriteDelay + std::chrono::milliseconds(500);
// When the database falls this far behind, module sockets are not read (TCP pushes back on the
// senders) until the writer is down to the low mark: memory stays bounded whatever the load.
constexpr std::size_t kBacklogHigh = 20000;
constexpr std::size_t kBacklogLow = 5000;

class Server::Listener : public EventHandler {
 public:
  Listener(Server& s, smbta::UniqueFd fd, bool is_unix, Kind kind, std::string what)
      : server_(s), fd_(std::move(fd)), is_unix_(is_unix), kind_(kind), what_(std::move(what)) {}
  void on_events(std::uint32_t) override { server_.accept_from(fd_.get(), is_unix_, kind_); }
  Kind kind() const { return kind_; }
  int fd() const { return fd_.get(); }
  const std::string& what() const { return what_; }

 private:
  Server& server_;
  smbta::UniqueFd fd_;
  bool is_unix_;
  Kind kind_;
  std::string what_;
};

namespace {

smbta::AesKey load_key(const std::string& path, const std::string& option) {
  try {
    return smbta::load_key_file(path);
  } catch (const std::runtime_error& e) {
    throw ConfigError(option + ": " + e.what());
  }
}

// Descriptors beyond the connections: listeners, database, spool, log, eventfds.
constexpr rlim_t kSpareFds = 64;

// Raises the descriptor limit towards `wanted` connections; returns the limit in force.
rlim_t raise_fd_limit(std::size_t wanted) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return RLIM_INFINITY;
  const rlim_t want = static_cast<rlim_t>(wanted) + kSpareFds;
  if (rl.rlim_cur >= want) return rl.rlim_cur;
  rl.rlim_cur = std::min(want, rl.rlim_max);
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0 && ::getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return RLIM_INFINITY;
  return rl.rlim_cur;
}

}  // namespace

Server::Server(const Options& o)
    : options_(o), read_buffer_(64 * 1024), cache_(o.precision, 10000) {
  if (!o.keyfile.empty()) key_ = load_key(o.keyfile, "-k/--keyfile");
  max_modules_ = static_cast<std::size_t>(o.max_connections);
  max_clients_ = static_cast<std::size_t>(o.max_client_connections);
  const rlim_t fds = raise_fd_limit(max_modules_ + max_clients_);
  if (fds != RLIM_INFINITY && fds < max_modules_ + max_clients_ + kSpareFds) {
    // Too few descriptors for both limits: clients give way, so that running out of
    // descriptors never turns a module away.
    const std::size_t room = fds > max_modules_ + kSpareFds ? fds - max_modules_ - kSpareFds : 0;
    const std::size_t clients = std::min(max_clients_, std::max<std::size_t>(room, 16));
    smbta::log::warning(
        "descriptor limit {} is below --max-connections {} plus --max-client-connections {}; "
        "serving at most {} clients (raise the hard limit, e.g. LimitNOFILE=)",
        static_cast<unsigned long long>(fds), max_modules_, max_clients_, clients);
    max_clients_ = clients;
  }
  hub_.set_limits(
      {static_cast<std::size_t>(o.max_client_monitors), static_cast<std::size_t>(o.max_monitors)});
  if (!o.keyfile_clients.empty())
    client_key_ = load_key(o.keyfile_clients, "-K/--key-file-clients");
  else
    client_key_ = key_;  // 1.2.6 needed both files to hold the same key for this to work
  // Both sets may hold both kinds: local Samba servers on the Unix socket and remote ones over
  // TCP, served by one smbtad into one database.
  add_listeners(o.module_listeners, o.unix_socket_path, o.inet_port, Kind::kModule, "modules");
  add_listeners(o.client_listeners, o.client_socket_path, o.client_port(), Kind::kClient,
                "clients");
  for (auto& l : listeners_) loop_.add(l->fd(), EPOLLIN, l.get());
  // --- webSMBTA: binds now (errors reach the terminal); its threads start in run() ---
  if (o.web.enabled())
    web_ = std::make_unique<web::WebListener>(
        o.web, o.use_db ? std::optional<smbta::store::DbParams>(o.db) : std::nullopt);
  // --- end webSMBTA ---
  // Now, before daemonizing and before any thread starts: every thread inherits the mask, and
  // the signalfd reads the daemon's signals after the fork.
  signals_ = std::make_unique<SignalEvents>(std::initializer_list<int>{SIGTERM, SIGINT, SIGHUP},
                                            [this](int signo) { on_signal(signo); });
  ::signal(SIGPIPE, SIG_IGN);
  // --- Operations: metrics, then --user (ops block) ---
  if (o.metrics_port != 0) {
    metrics_ = std::make_unique<DaemonMetrics>(o.metrics_per_user);
    metrics_listener_ = std::make_unique<metrics::MetricsListener>(
        metrics_->registry(), metrics::ListenAddress{o.metrics_host, o.metrics_port});
  }
  // Every socket is bound and every key read: nothing left that needs root. The database is
  // checked (and a sqlite file created) as the user who will write it.
  drop_privileges(o);
  // --- end of the ops block ---
  if (o.use_db) check_database(o);
}

Server::~Server() {
  // The writer thread observes into metrics_ (declared after it): it ends first.
  metrics_listener_.reset();
  writer_.reset();
}

void Server::add_listeners(const ListenerSet& set, const std::string& socket_path, int port,
                           Kind kind, const std::string& who) {
  if (set.unix_socket) {
    prepare_socket_dir(socket_path);
    listeners_.push_back(std::make_unique<Listener>(*this,
                                                    smbta::net::listen_unix(socket_path, 0660, 0),
                                                    true, kind, who + " on " + socket_path));
    if (kind == Kind::kModule) explain_module_socket_trust(socket_path);
  }
  if (set.tcp) {
    for (auto& fd : smbta::net::listen_tcp(options_.bind_ip, port, 0))
      listeners_.push_back(std::make_unique<Listener>(
          *this, std::move(fd), false, kind,
          who + " on " + options_.bind_ip + " port " + std::to_string(port)));
  }
}

void Server::check_database(const Options& o) {
  // Before daemonizing, so that a database that will never take smbtad's rows stops it here,
  // with the reason on the terminal and a non-zero exit, instead of a daemon that spools forever.
  // The connection is not kept: the writer thread makes its own after the fork.
  try {
    auto store = smbta::store::prepare_database(o.db, {o.rollups, o.file_rollup});
    loss_.load(store->load_loss());
  } catch (const smbta::store::StoreError& e) {
    if (!e.connection_lost()) throw;
    smbta::log::warning(
        "database {} is not reachable yet: {}; smbtad starts and spools records "
        "to {} until it answers (without the loss ledger: records stored before are not "
        "recognised if a module sends them again)",
        o.db.name, e.what(), o.spool_dir);
  }
}

void Server::accept_from(int listen_fd, bool is_unix, Kind kind) {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    smbta::UniqueFd fd(
        ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: stop accepting until the next tick instead of spinning.
        smbta::log::error("cannot accept connections: {}; pausing the listeners for a moment",
                          std::strerror(errno));
        for (auto& l : listeners_) loop_.remove(l->fd());
        listeners_paused_ = true;
      }
      return;
    }
    // Separate limits: a flood of clients (idle or not) never takes a module's place.
    if (kind == Kind::kModule && sessions_.size() >= max_modules_) {
      if (metrics_) metrics_->on_refused(true);
      if (stats_.connections_refused++ % 1000 == 0)
        smbta::log::warning(
            "module connection limit {} reached; refusing module connections (--max-connections)",
            max_modules_);
      continue;
    }
    if (kind == Kind::kClient && clients_.size() >= max_clients_) {
      if (metrics_) metrics_->on_refused(false);
      if (stats_.client_connections_refused++ % 1000 == 0)
        smbta::log::warning(
            "client connection limit {} reached; refusing client connections "
            "(--max-client-connections)",
            max_clients_);
      continue;
    }
    std::string peer = is_unix ? "unix" : smbta::net::peer_address(ss);
    const int raw = fd.get();
    if (metrics_) metrics_->on_accepted(kind == Kind::kModule);
    if (kind == Kind::kClient) {
      smbta::log::debug(1, "client connection from {}", peer);
      auto client =
          std::make_unique<ClientSession>(std::move(fd), std::move(peer), client_key_, *this);
      loop_.add(raw, EPOLLIN | EPOLLRDHUP, client.get());
      clients_.emplace(raw, std::move(client));
      continue;
    }
    smbta::log::debug(1, "module connection from {}", peer);
    auto session = std::make_unique<ModuleSession>(
        std::move(fd), std::move(peer), smbta::DecoderLimits{options_.max_body}, key_, *this,
        std::span<char>(read_buffer_), options_.require_module_key, options_.require_authenticated);
    loop_.add(raw, reading_paused_ ? 0 : EPOLLIN | EPOLLRDHUP, session.get());
    sessions_.emplace(raw, std::move(session));
    ++stats_.connections_accepted;
  }
}

void Server::on_record(ModuleSession& from, const smbta::Record& r) {
  if (r.op == smbta::Op::kDropNotice) {
    // What the module could not deliver while smbtad was unreachable or slow: no file
    // operation, so it is logged and counted, not stored or monitored. A notice that arrived
    // before (a spool sent twice) reports drops counted already.
    if (writer_ && !loss_.note_drops(from.peer(), r, smbta::local_now_ms())) {
      ++stats_.duplicates;
      return;
    }
    stats_.dropped_by_modules += r.result;
    if (metrics_) metrics_->on_drop_notice(from.peer(), r.result, r.length);
    // The share name is the peer's text: escaped, so it cannot forge lines or send terminal
    // escapes. The totals are stored (self-check) whatever the log holds back.
    std::uint64_t held = 0;
    if (drop_log_.allow(from.peer(), held))
      smbta::log::warning(
          "module {} (share {}) reports {} records ({} bytes) it could not deliver{}", from.peer(),
          printable(r.share), r.result, r.length, LogThrottle::held_back_note(held));
    // self-check shows each module's drops (smbta_module_drops).
    if (writer_)
      writer_->submit_module({from.peer(), from.subrelease(), static_cast<int>(r.common_blocks) - 6,
                              r.result, r.length});
    return;
  }
  // A number that arrived before (a module's spool sent twice, a resend after a reconnect):
  // stored once, so not stored, monitored or counted again.
  if (writer_ && !loss_.admit(from.peer(), r, smbta::local_now_ms())) {
    ++stats_.duplicates;
    std::uint64_t held = 0;
    if (duplicate_log_.allow(from.peer(), held))
      smbta::log::notice("module {}: record {} of {} arrived before; not stored again{}",
                         from.peer(), r.sequence, printable(r.sender),
                         LogThrottle::held_back_note(held));
    return;
  }
  ++stats_.records;
  if (metrics_) metrics_->on_record(from.peer(), r);
  hub_.on_record(r);
  const auto now = Clock::now();
  if (bursts_) {
    bursts_->on_record(
        r, std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count(),
        burst_events_);
    if (!burst_events_.empty()) raise_alerts();
  }
  if (from.records() == 1 && writer_) {
    writer_->submit_module({from.peer(), from.subrelease(), static_cast<int>(r.common_blocks) - 6});
  }
  if (!writer_) return;
  cache_.add(r, now);
  if (cache_.ready_rows() >= kEarlyFlushRows) flush_cache(false);
}

void Server::raise_alerts() {
  for (const auto& e : burst_events_) alert_sink_->raise(e);
  burst_events_.clear();
}

void Server::on_close(ModuleSession& s) {
  loop_.remove(s.fd());
  stats_.bad_records += s.bad_records();
  stats_.connections_closed_on_error += s.closed_on_error();
  count_bad_records(s);
  auto it = sessions_.find(s.fd());
  if (it != sessions_.end()) {
    // Destroyed after the current dispatch round: a later event of this round may still name it.
    closed_.push_back(std::move(it->second));
    sessions_.erase(it);
  }
}

void Server::on_client_close(ClientSession& s) {
  loop_.remove(s.fd());
  queries_pending_.erase(s.serial());
  auto it = clients_.find(s.fd());
  if (it != clients_.end()) {
    closed_clients_.push_back(std::move(it->second));
    clients_.erase(it);
  }
}

std::string Server::submit_query(ClientSession& from, std::string body) {
  if (!queries_) return "this smbtad keeps no database (-U 0): ask smbtaquery in direct mode";
  if (!queries_->submit(from.serial(), std::move(body)))
    return "too many queries are waiting; try again";
  ++queries_pending_[from.serial()];  // a client waiting for its answer is not idle
  return {};
}

void Server::deliver_query_replies() {
  const auto now = Clock::now();
  for (auto& [serial, body] : queries_->take_done()) {
    if (auto it = queries_pending_.find(serial); it != queries_pending_.end() && --it->second == 0)
      queries_pending_.erase(it);
    for (auto& [fd, c] : clients_) {
      if (c->serial() == serial) {
        c->push(body);
        c->touch(now);
        break;
      }
    }
  }
}

void Server::flush_cache(bool final) {
  if (!writer_) return;
  std::vector<smbta::store::Row> rows;
  const auto now = Clock::now();
  cache_.flush(rows, now, final);
  auto changed = loss_.take_changed();
  if (cache_.precision() == 0 || final) {
    // Every record admitted so far is in these rows (or in rows handed over before): the
    // ledger's states go with them (after the older ones held, which they supersede).
    std::vector<smbta::store::SenderLoss> loss;
    for (auto& h : held_loss_)
      for (auto& st : h.states) loss.push_back(std::move(st));
    held_loss_.clear();
    for (auto& st : changed) loss.push_back(std::move(st));
    writer_->submit(std::move(rows), std::move(loss));
  } else {
    // A record merged into a bucket reaches rows kWriteDelay after it arrived, or after the
    // walk following that (a quarter of it) at the next flush (a tick, 0.5 s): a state is
    // handed over once that has surely passed, so the ledger never says "stored" of a record
    // that a crash would lose (and a resend would then be refused as a duplicate).
    if (!changed.empty()) held_loss_.push_back({now, std::move(changed)});
    std::vector<smbta::store::SenderLoss> loss;
    while (!held_loss_.empty() && now - held_loss_.front().taken >= kLedgerHold) {
      for (auto& st : held_loss_.front().states) loss.push_back(std::move(st));
      held_loss_.pop_front();
    }
    writer_->submit(std::move(rows), std::move(loss));
  }
  if (!final && !reading_paused_ && writer_->backlog() > kBacklogHigh) pause_reading();
}

void Server::pause_reading() {
  reading_paused_ = true;
  for (auto& [fd, s] : sessions_) loop_.modify(fd, 0, s.get());
  smbta::log::debug(1, "database behind by {} rows: pausing module reads", writer_->backlog());
  writer_->request_wake(kBacklogLow);
}

void Server::resume_reading() {
  if (!reading_paused_) return;
  reading_paused_ = false;
  const auto now = Clock::now();
  for (auto& [fd, s] : sessions_) {
    s->touch(now);
    loop_.modify(fd, EPOLLIN | EPOLLRDHUP, s.get());
  }
}

void Server::tick() {
  flush_cache(false);
  if (++ticks_ % 2 == 0) hub_.on_second();
  const auto now = Clock::now();
  if (bursts_) {
    bursts_->on_tick(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count(),
        burst_events_);
    if (!burst_events_.empty()) raise_alerts();
  }
  // A paused connection is not idle: it waits for the database, not the other way round.
  const std::chrono::seconds timeout(options_.idle_timeout_s);
  std::vector<ModuleSession*> idle;
  for (auto& [fd, s] : sessions_) {
    if (!reading_paused_ && s->idle_for(now, timeout)) idle.push_back(s.get());
    s->release_buffer_if_quiet(now - std::chrono::seconds(2));
  }
  for (ModuleSession* s : idle) {
    s->close(fmt::format("a record was not complete {} s after its first byte (--idle-timeout)",
                         timeout.count()));
  }
  publish_metrics();
  if (ticks_ % 20 == 0) service::status(service_status());  // systemctl status, every 10 s
  // Closing erases from clients_: first collect.
  std::vector<ClientSession*> clients;
  for (auto& [fd, c] : clients_) clients.push_back(c.get());
  for (ClientSession* c : clients) c->close_if_overdue(now);
  close_idle_clients(now);
  if (listeners_paused_) {
    for (auto& l : listeners_) loop_.add(l->fd(), EPOLLIN, l.get());
    listeners_paused_ = false;
  }
}

void Server::count_bad_records(ModuleSession& s) {
  if (metrics_) metrics_->on_bad_records(s.peer(), s.take_new_bad_records());
}

void Server::publish_metrics() {
  if (!metrics_) return;
  for (auto& [fd, s] : sessions_) count_bad_records(*s);
  std::size_t monitors = 0;
  for (const auto& [fd, c] : clients_) monitors += hub_.serves(c.get()) ? 1 : 0;
  metrics_->set_open(DaemonMetrics::Kind::kModule, sessions_.size());
  metrics_->set_open(DaemonMetrics::Kind::kMonitor, monitors);
  metrics_->set_open(DaemonMetrics::Kind::kQuery, clients_.size() - monitors);
  metrics_->cache_entries.set(static_cast<double>(cache_.entries()));
  metrics_->cache_pending_rows.set(static_cast<double>(cache_.pending_rows()));
  metrics_->reading_paused.set(reading_paused_ ? 1 : 0);
  if (!writer_) return;
  const auto ws = writer_->stats();
  metrics_->writer_backlog.set(static_cast<double>(writer_->backlog()));
  metrics_->database_connected.set(ws.connected ? 1 : 0);
  metrics_->rows_stored.set_total(ws.stored_rows);
  metrics_->rows_spooled.set_total(ws.spooled_rows);
  metrics_->rows_rejected.set_total(ws.rejected_rows);
  metrics_->rows_purged.set_total(ws.purged_rows);
  metrics_->failed_transactions.set_total(ws.failed_transactions);
}

void Server::close_idle_clients(Clock::time_point now) {
  // Clients that hold no monitor, wait for no answer and have been silent for the timeout:
  // smbtaquery connects for one query, so nothing a user runs stays like that.
  const std::chrono::seconds timeout(options_.client_idle_timeout_s);
  std::vector<ClientSession*> idle;
  for (auto& [fd, c] : clients_)
    if (now - c->last_activity() >= timeout && !queries_pending_.contains(c->serial()) &&
        !hub_.serves(c.get()))
      idle.push_back(c.get());
  for (ClientSession* c : idle) c->close({});  // erases from clients_
  if (!idle.empty())
    smbta::log::debug(1, "closed {} client connections idle for {} s (--client-idle-timeout)",
                      idle.size(), timeout.count());
  stats_.clients_closed_idle += idle.size();
}

void Server::reap_closed() {
  closed_.clear();
  // Client sessions too: every smbtaquery run and monitor reconnect is one, and smbtad runs for
  // months (their "results dropped" notice is logged here, when the client goes).
  closed_clients_.clear();
}

std::string Server::connection_summary() const {
  return fmt::format(
      "{} module connections accepted, {} refused (limit), {} closed on errors; {} client "
      "connections refused (limit), {} closed idle; {} records reported undelivered by modules, "
      "{} duplicates not stored",
      stats_.connections_accepted, stats_.connections_refused, stats_.connections_closed_on_error,
      stats_.client_connections_refused, stats_.clients_closed_idle, stats_.dropped_by_modules,
      stats_.duplicates);
}

void Server::on_signal(int signo) {
  if (signo == SIGHUP) {
    service::reloading();
    smbta::log::reopen();
    smbta::log::notice("SIGHUP: log reopened");
    if (web_) web_->reload_users();
    service::reloaded(service_status());
    return;
  }
  smbta::log::notice("signal {}: storing what was received, then exiting", signo);
  service::stopping("storing what was received, then exiting");
  stopping_ = true;
}

std::string Server::service_status() const {
  return fmt::format("{} module connections, {} client connections; {} records received",
                     sessions_.size(), clients_.size(), stats_.records);
}

void Server::run(const std::function<void()>& serving) {
  // Rows must be visible within 2 s: the cache is flushed every half second.
  ticker_ = std::make_unique<PeriodicTimer>(std::chrono::milliseconds(500), [this] { tick(); });
  loop_.add(signals_->fd(), EPOLLIN, signals_.get());
  loop_.add(ticker_->fd(), EPOLLIN, ticker_.get());
  if (options_.use_db) {
    WriterConfig wc = writer_config(options_);
    if (metrics_) wc.write_seconds = &metrics_->write_seconds;
    writer_ = std::make_unique<StoreWriter>(std::move(wc));
    writer_->start();
    smbta::log::notice(
        "maintenance: every {}, deletes rows older than {}; first run at {}",
        options_.maintenance_interval_text, options_.retention_text,
        smbta::format_timestamp(smbta::local_now_ms() + options_.maintenance_interval_s * 1000LL)
            .substr(0, 19));
    waker_ = std::make_unique<EventFdReady>(writer_->wake_fd(), true, [this] { resume_reading(); });
    loop_.add(writer_->wake_fd(), EPOLLIN, waker_.get());
    queries_ = std::make_unique<QueryService>(options_.db);
    // take_done() reads the eventfd itself.
    query_replies_ = std::make_unique<EventFdReady>(queries_->wake_fd(), false,
                                                    [this] { deliver_query_replies(); });
    loop_.add(queries_->wake_fd(), EPOLLIN, query_replies_.get());
  }
  // --- Burst alerts: the sink's thread starts here, after daemonizing ---
  if (options_.bursts.enabled) {
    bursts_ = std::make_unique<BurstDetector>(options_.bursts);
    AlertDelivery d;
    d.command = options_.alert_command;
    d.webhook = options_.alert_webhook;
    d.timeout_s = options_.alert_timeout_s;
    if (options_.use_db) d.db = options_.db;
    alert_sink_ = std::make_unique<AlertSink>(std::move(d),
                                              [this](const BurstEvent& e) { hub_.on_alert(e); });
  }
  // --- end burst alerts ---
  // Ports open only now: when a peer can connect, the database (if reachable) is ready.
  for (const auto& l : listeners_) {
    if (::listen(l->fd(), 1024) != 0)
      throw std::system_error(errno, std::generic_category(), "listen on " + l->what());
    smbta::log::notice("listening for {}", l->what());
  }
  if (metrics_listener_) metrics_listener_->start();
  // --- webSMBTA ---
  if (web_) {
    web_live_ = std::make_unique<EventFdReady>(web_->live().wake_fd(), false,
                                               [this] { web_->live().apply(hub_); });
    loop_.add(web_->live().wake_fd(), EPOLLIN, web_live_.get());
    web_->start();
    smbta::log::notice("web dashboard on {}", web_->describe());
  }
  // --- end webSMBTA ---
  if (serving) serving();
  service::ready("serving: " + service_status());
  while (!stopping_) {
    loop_.run_once(1000);
    reap_closed();
  }
  // --- webSMBTA: live views end, web threads stop before the hub and the database go ---
  if (web_) {
    loop_.remove(web_->live().wake_fd());
    web_->stop(hub_);
  }
  // --- end webSMBTA ---
  // Everything already received is decoded; partial records of open connections cannot be.
  for (auto& [fd, s] : sessions_) {
    loop_.remove(fd);
    stats_.bad_records += s->bad_records();
  }
  sessions_.clear();
  // --- Burst alerts: open episodes end; their ends are stored before smbtad exits ---
  if (bursts_) {
    bursts_->finish(burst_events_);
    raise_alerts();
    alert_sink_->stop();
  }
  // --- end burst alerts ---
  for (auto& [fd, c] : clients_) loop_.remove(fd);
  clients_.clear();
  if (writer_) {
    flush_cache(true);
    writer_->stop();
    publish_metrics();
    const auto ws = writer_->stats();
    smbta::log::notice(
        "stopped: {} records received, {} rows stored, {} rows spooled, {} rows rejected by the "
        "database, {} bad records; {}",
        stats_.records, ws.stored_rows, ws.spooled_rows, ws.rejected_rows, stats_.bad_records,
        connection_summary());
  } else {
    smbta::log::notice("stopped: {} records received, {} bad records; {}", stats_.records,
                       stats_.bad_records, connection_summary());
  }
}

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/monitor_feed.h"

#include <cstdlib>
#include <stdexcept>

#include "smbta/log.h"

namespace smbta::client {

std::chrono::milliseconds Backoff::next() {
  const auto d = next_;
  next_ = std::min(next_ * 2, max_);
  return d;
}

MonitorFeed::MonitorFeed(RealtimeOptions options, std::optional<AesKey> key, bool want_log,
                         Backoff backoff)
    : options_(std::move(options)), key_(key), want_log_(want_log), backoff_(backoff) {}

MonitorFeed::~MonitorFeed() = default;

int MonitorFeed::fd() const {
  return conn_ ? conn_->fd() : -1;
}

void MonitorFeed::fail(FeedListener& l, const std::string& why) {
  conn_.reset();
  next_tick_ = Clock::time_point::max();
  const auto delay = backoff_.next();
  next_attempt_ = Clock::now() + delay;
  l.on_unreachable(why, delay);
}

void MonitorFeed::try_connect(FeedListener& l) {
  if (conn_) return;
  try {
    auto c =
        std::make_unique<MonitorConnection>(connect_to_smbtad(options_), key_, options_.transport);
    const MonitorFilter filter = options_.filter();
    // LOG first: add() skips results of earlier monitors that arrive while it waits for the
    // identification, and a skipped log line matters less than a skipped second of bytes.
    if (want_log_)
      log_id_ = c->add(MonitorKind::kLog, filter, std::chrono::seconds(5), kLogWithBytes);
    if (options_.legacy_monitors) {
      read_id_ = c->add(MonitorKind::kRead, filter);
      write_id_ = c->add(MonitorKind::kWrite, filter);
      pending_ = Traffic{};
      next_tick_ = Clock::now() + std::chrono::seconds(1);
    } else {
      throughput_id_ = c->add(MonitorKind::kThroughput, filter);
    }
    conn_ = std::move(c);
  } catch (const std::exception& e) {
    fail(l, e.what());
    return;
  }
  backoff_.reset();
  smbta::log::debug(1, "monitors registered: throughput {}, read {}, write {}, log {}",
                    throughput_id_, read_id_, write_id_, log_id_);
  l.on_connected(options_.endpoint());
}

void MonitorFeed::drain(FeedListener& l) {
  if (!conn_) return;
  try {
    // next(0) returns what has arrived without waiting. The cap keeps a flood of log events
    // from starving the keyboard and the screen: the owner's poll() comes straight back.
    for (int i = 0; i < 2000; ++i) {
      auto m = conn_->next(std::chrono::milliseconds(0));
      if (!m) break;
      smbta::log::debug(9, "monitor {}: {}", m->id, m->value);
      if (m->is_error()) {
        smbta::log::warning("smbtad: {}", m->value);
        continue;
      }
      if (options_.legacy_monitors && (m->id == read_id_ || m->id == write_id_)) {
        // One operation's bytes; sums until the next tick.
        if (m->value.empty() || m->value.size() > 19 ||
            m->value.find_first_not_of("0123456789") != std::string::npos)
          throw std::runtime_error("malformed read/write message");
        (m->id == read_id_ ? pending_.read : pending_.write) +=
            std::strtoull(m->value.c_str(), nullptr, 10);
      } else if (!options_.legacy_monitors && m->id == throughput_id_) {
        if (m->fields.size() != 2) throw std::runtime_error("malformed throughput message");
        Traffic t;
        t.read = std::strtoull(m->fields[0].c_str(), nullptr, 10);
        t.write = std::strtoull(m->fields[1].c_str(), nullptr, 10);
        l.on_second(t);
      } else if (want_log_ && m->id == log_id_) {
        if (auto e = log_entry_from_fields(m->fields)) l.on_log(*e);
      }
    }
  } catch (const std::exception& e) {
    fail(l, std::string("lost the connection: ") + e.what());
  }
}

Clock::time_point MonitorFeed::next_tick() const {
  return next_tick_;
}

void MonitorFeed::tick(FeedListener& l) {
  if (!conn_ || Clock::now() < next_tick_) return;
  // Fixed one-second steps keep the reported seconds aligned; after a stall (suspended
  // terminal) the missed seconds are reported as one.
  next_tick_ += std::chrono::seconds(1);
  if (next_tick_ <= Clock::now()) next_tick_ = Clock::now() + std::chrono::seconds(1);
  l.on_second(pending_);
  pending_ = Traffic{};
}

}  // namespace smbta::client

// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/live_feed.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "smbta/record.h"
#include "smbta/v2_codec.h"

namespace smbtad::web {

std::optional<MonitorSpec> parse_live_object(std::string_view text) {
  MonitorSpec s;
  s.user = s.sid = s.share = s.file = s.domain = "*";
  if (text == "global") return s;
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
  const std::string_view kind = text.substr(0, colon);
  const std::string name(text.substr(colon + 1));
  if (kind == "domain")
    s.domain = name;
  else if (kind == "share")
    s.share = name;
  else if (kind == "user")
    s.user = name;
  else if (kind == "file")
    s.file = name;
  else
    return std::nullopt;
  return s;
}

namespace {

std::int64_t unix_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string sse(std::string_view event, const nlohmann::json& data) {
  return fmt::format("event: {}\ndata: {}\n\n", event,
                     data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

void LiveStream::registered(std::uint32_t throughput_id, std::uint32_t log_id) {
  std::lock_guard lock(mutex_);
  throughput_id_ = throughput_id;
  log_id_ = log_id;
}

void LiveStream::refused(std::string why) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(sse("error", {{"error", why}}));
    over_ = true;
  }
  cv_.notify_all();
}

void LiveStream::finish() {
  {
    std::lock_guard lock(mutex_);
    over_ = true;
  }
  cv_.notify_all();
}

void LiveStream::queue(std::string event) {
  // Caller holds mutex_.
  if (events_.size() >= kMaxQueued) {
    ++dropped_;
    return;
  }
  events_.push_back(std::move(event));
}

void LiveStream::push(std::string_view body) {
  smbta::SubBlockReader rd(body);
  std::string_view id_text;
  if (rd.next(id_text) != smbta::ProtocolError::kNone) return;
  std::uint64_t id = 0;
  if (!smbta::parse_decimal(id_text, id)) return;
  // The value is itself a sequence of sub-blocks (MonitorHub::on_record, on_second).
  std::string_view value;
  if (rd.next(value) != smbta::ProtocolError::kNone) return;
  smbta::SubBlockReader fields(value);
  std::vector<std::string_view> f;
  std::string_view v;
  while (f.size() < 8 && fields.next(v) == smbta::ProtocolError::kNone) f.push_back(v);
  const std::int64_t now = unix_now();
  {
    std::lock_guard lock(mutex_);
    if (id == throughput_id_ && f.size() >= 2) {
      std::uint64_t r = 0, w = 0;
      smbta::parse_decimal(f[0], r);
      smbta::parse_decimal(f[1], w);
      if (dropped_ > 0 && events_.size() < kMaxQueued) {
        events_.push_back(sse("activity", {{"t", now}, {"dropped", dropped_}}));
        dropped_ = 0;
      }
      // Throughput is never dropped: one line a second; the oldest activity gives way.
      if (events_.size() >= kMaxQueued) {
        events_.pop_front();
        ++dropped_;
      }
      events_.push_back(sse("throughput", {{"t", now}, {"read", r}, {"write", w}}));
    } else if (id == log_id_ && f.size() >= 7) {
      if (now != second_) {
        second_ = now;
        in_second_ = 0;
      }
      if (++in_second_ > kMaxActivityPerSecond) {
        ++dropped_;
        return;
      }
      std::uint64_t op = 0, bytes = 0;
      smbta::parse_decimal(f[0], op);
      smbta::parse_decimal(f[6], bytes);
      const auto name = smbta::op_name(static_cast<smbta::Op>(op));
      const std::string file = f[3] == " " ? std::string() : std::string(f[3]);
      queue(sse("activity", {{"t", now},
                             {"user", std::string(f[1])},
                             {"share", std::string(f[2])},
                             {"file", file},
                             {"domain", std::string(f[4])},
                             {"op", std::string(name)},
                             {"bytes", bytes}}));
    } else {
      return;
    }
  }
  cv_.notify_all();
}

bool LiveStream::wait(std::string& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return over_ || !events_.empty(); });
  while (!events_.empty()) {
    out += events_.front();
    events_.pop_front();
  }
  return !over_;
}

LiveFeed::LiveFeed(std::size_t max_streams)
    : max_streams_(max_streams), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!wake_fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

LiveFeed::~LiveFeed() = default;

void LiveFeed::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

std::shared_ptr<LiveStream> LiveFeed::open(MonitorSpec filter) {
  auto s = std::make_shared<LiveStream>(std::move(filter));
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || open_ >= max_streams_) return nullptr;
    ++open_;
    to_add_.push_back(s);
  }
  wake();
  return s;
}

void LiveFeed::close(const std::shared_ptr<LiveStream>& s) {
  {
    std::lock_guard lock(mutex_);
    --open_;
    to_remove_.push_back(s);
  }
  wake();
}

void LiveFeed::apply(MonitorHub& hub) {
  std::uint64_t v;
  [[maybe_unused]] auto n = ::read(wake_fd_.get(), &v, sizeof v);
  std::vector<std::shared_ptr<LiveStream>> add, remove;
  {
    std::lock_guard lock(mutex_);
    add.swap(to_add_);
    remove.swap(to_remove_);
  }
  for (auto& s : add) {
    MonitorSpec tp = s->filter();
    tp.fn = MonitorFn::kThroughput;
    MonitorSpec log = s->filter();
    log.fn = MonitorFn::kLog;
    log.param = std::string(kLogBytesParam);
    log.log_bytes = true;
    const MonitorAdded a = hub.add(s.get(), tp);
    const MonitorAdded b = a.id ? hub.add(s.get(), log) : MonitorAdded{};
    if (a.id == 0 || b.id == 0) {
      hub.remove_sink(s.get());
      s->refused(a.id == 0 ? a.refusal : b.refusal);
      continue;
    }
    s->registered(a.id, b.id);
    active_.push_back(s);
  }
  for (auto& s : remove) {
    hub.remove_sink(s.get());
    std::erase(active_, s);
  }
}

void LiveFeed::stop(MonitorHub& hub) {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  apply(hub);
  for (auto& s : active_) {
    hub.remove_sink(s.get());
    s->finish();
  }
  active_.clear();
}

}  // namespace smbtad::web

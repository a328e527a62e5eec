// SPDX-License-Identifier: GPL-3.0-or-later
#include "monitor_hub.h"

#include <algorithm>

#include "smbta/timestamp.h"
#include "smbta/v2_codec.h"

namespace smbtad {
namespace {

bool filter_matches(const std::string& filter, std::string_view value) {
  return filter == "*" || filter == value;
}

// The alert's names, cut so that all of them fit in the one sub-block of a message (9999 bytes).
std::string_view clip(std::string_view s) {
  return s.substr(0, 1500);
}

}  // namespace

std::string parse_monitor_request(std::string_view body, MonitorSpec& out) {
  if (!body.starts_with("~~")) return "not a monitor request";
  smbta::SubBlockReader rd(body.substr(2));
  std::string_view fields[7];
  static constexpr const char* kNames[] = {"function", "parameter", "user",  "SID",
                                           "share",    "file",      "domain"};
  for (int i = 0; i < 7; ++i) {
    if (rd.next(fields[i]) != smbta::ProtocolError::kNone)
      return std::string("monitor request: the ") + kNames[i] + " field is missing or malformed";
    if (i >= 2 && fields[i].empty())
      return std::string("monitor request: empty ") + kNames[i] + " filter (use * for any)";
  }
  std::uint64_t fn = 0;
  if (!smbta::parse_decimal(fields[0], fn)) return "monitor request: the function is not a number";
  switch (fn) {
    case 0:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      break;
    case 1:
      return "monitor request: function 1 (SMBTA_LOAD) is not implemented";
    default:
      return "monitor request: unknown function " + std::to_string(fn) +
             " (0 ADD, 2 LOG, 3 READ, 4 WRITE, 5 THROUGHPUT, 6 ALERT)";
  }
  out.fn = static_cast<MonitorFn>(fn);
  out.param.assign(fields[1]);
  out.log_bytes = out.fn == MonitorFn::kLog && fields[1] == kLogBytesParam;
  out.user.assign(fields[2]);
  out.sid.assign(fields[3]);
  out.share.assign(fields[4]);
  out.file.assign(fields[5]);
  out.domain.assign(fields[6]);
  return {};
}

MonitorAdded MonitorHub::add(MonitorSink* sink, MonitorSpec spec) {
  // A linear count is cheap: there are never more than limits_.total monitors.
  const auto mine = static_cast<std::size_t>(std::count_if(
      monitors_.begin(), monitors_.end(), [&](const Monitor& m) { return m.sink == sink; }));
  if (mine >= limits_.per_client)
    return {0, "too many monitors on this connection: smbtad allows " +
                   std::to_string(limits_.per_client) + " per connection (--max-client-monitors)"};
  if (monitors_.size() >= limits_.total)
    return {0, "smbtad serves its maximum of " + std::to_string(limits_.total) +
                   " monitors (--max-monitors); try again when other clients have gone"};
  const std::uint32_t id = next_id_++;
  monitors_.push_back(Monitor{id, sink, std::move(spec)});
  return {id, {}};
}

void MonitorHub::remove_sink(MonitorSink* sink) {
  std::erase_if(monitors_, [&](const Monitor& m) { return m.sink == sink; });
}

bool MonitorHub::matches(const MonitorSpec& s, const smbta::Record& r) {
  return filter_matches(s.user, r.user) && filter_matches(s.sid, r.sid) &&
         filter_matches(s.share, r.share) && filter_matches(s.file, r.path) &&
         filter_matches(s.domain, r.domain);
}

void MonitorHub::send(Monitor& m, std::string_view value) {
  scratch_.clear();
  smbta::append_sub_block(scratch_, std::to_string(m.id));
  smbta::append_sub_block(scratch_, value);
  m.sink->push(scratch_);
}

void MonitorHub::on_record(const smbta::Record& r) {
  if (monitors_.empty()) return;
  const std::uint64_t bytes = r.length == smbta::kFailedResult ? 0 : r.length;
  for (auto& m : monitors_) {
    if (!matches(m.spec, r)) continue;
    switch (m.spec.fn) {
      case MonitorFn::kAdd:
        send(m, std::to_string(++m.count));
        break;
      case MonitorFn::kRead:
        if (smbta::is_read(r.op)) send(m, std::to_string(bytes));
        break;
      case MonitorFn::kWrite:
        if (smbta::is_write(r.op)) send(m, std::to_string(bytes));
        break;
      case MonitorFn::kThroughput:
        if (smbta::is_read(r.op)) m.read_bytes += bytes;
        if (smbta::is_write(r.op)) m.write_bytes += bytes;
        break;
      case MonitorFn::kLog: {
        // op id, user, share, filename, domain, timestamp; the 1.2.6 clients expect " " as the
        // file name of directory operations.
        std::string value;
        smbta::append_sub_block(value, std::to_string(static_cast<int>(r.op)));
        smbta::append_sub_block(value, r.user);
        smbta::append_sub_block(value, r.share);
        const bool has_file = smbta::is_read_write(r.op) || r.op == smbta::Op::kOpen ||
                              r.op == smbta::Op::kClose || r.op == smbta::Op::kUnlink ||
                              r.op == smbta::Op::kCopy;
        smbta::append_sub_block(value, has_file ? std::string_view(r.path) : std::string_view(" "));
        smbta::append_sub_block(value, r.domain);
        smbta::append_sub_block(value, smbta::format_timestamp(r.timestamp_ms));
        if (m.spec.log_bytes) smbta::append_sub_block(value, std::to_string(bytes));
        send(m, value);
        break;
      }
      case MonitorFn::kSmbtaLoad:
      case MonitorFn::kAlert:
        break;
    }
  }
}

void MonitorHub::on_alert(const BurstEvent& e) {
  for (auto& m : monitors_) {
    if (m.spec.fn != MonitorFn::kAlert || !filter_matches(m.spec.user, e.user) ||
        !filter_matches(m.spec.share, e.share) || !filter_matches(m.spec.domain, e.domain))
      continue;
    // phase, kind, user, domain, share, started, ended (empty at the start), events, rate per
    // minute, threshold, baseline, sample file (docs/protocol.md).
    std::string value;
    smbta::append_sub_block(value, e.start ? "start" : "end");
    smbta::append_sub_block(value, burst_kind_name(e.kind));
    smbta::append_sub_block(value, clip(e.user));
    smbta::append_sub_block(value, clip(e.domain));
    smbta::append_sub_block(value, clip(e.share));
    smbta::append_sub_block(value, smbta::format_timestamp(e.started_ms));
    smbta::append_sub_block(value, e.start ? std::string() : smbta::format_timestamp(e.ended_ms));
    smbta::append_sub_block(value, std::to_string(e.events));
    smbta::append_sub_block(value, std::to_string(e.rate));
    smbta::append_sub_block(value, std::to_string(e.threshold));
    smbta::append_sub_block(value, std::to_string(static_cast<std::int64_t>(e.baseline + 0.5)));
    smbta::append_sub_block(value, clip(e.sample));
    send(m, value);
  }
}

void MonitorHub::on_second() {
  for (auto& m : monitors_) {
    if (m.spec.fn != MonitorFn::kThroughput) continue;
    std::string value;
    smbta::append_sub_block(value, std::to_string(m.read_bytes));
    smbta::append_sub_block(value, std::to_string(m.write_bytes));
    m.read_bytes = m.write_bytes = 0;
    send(m, value);
  }
}

}  // namespace smbtad

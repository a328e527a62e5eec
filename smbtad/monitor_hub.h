// SPDX-License-Identifier: GPL-3.0-or-later
// Real-time monitors: matches each record against the clients' filters and queues results.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "burst_detector.h"
#include "smbta/record.h"

namespace smbtad {

// Monitor functions of docs/protocol.md, "Client port"; THROUGHPUT is smbta's addition (1.2.6 had
// removed throughput from the daemon, leaving every client to compute it).
enum class MonitorFn : int {
  kAdd = 0,
  kSmbtaLoad = 1,  // never implemented; refused with an error reply
  kLog = 2,
  kRead = 3,
  kWrite = 4,
  kThroughput = 5,
  // smbta's addition: the burst detector's alerts (start and end of each episode) of the
  // users, shares and domains the filters match.
  kAlert = 6,
};

struct MonitorSpec {
  MonitorFn fn = MonitorFn::kAdd;
  std::string param;
  // LOG registered with the parameter "bytes": each entry carries the record's byte count as a
  // seventh field (1.2.x clients send another parameter and get the six fields they parse).
  bool log_bytes = false;
  std::string user, sid, share, file, domain;  // "*" matches anything
};

// The LOG parameter that asks for the byte count in each entry (docs/protocol.md).
inline constexpr std::string_view kLogBytesParam = "bytes";

// Parses the body of a registration ("~~" + 7 sub-blocks). Returns an error message, or empty
// on success. 1.2.6 exited on a bad request; here the client gets the message as a reply.
std::string parse_monitor_request(std::string_view body, MonitorSpec& out);

// Where a monitor's results go: a client connection's bounded send queue.
class MonitorSink {
 public:
  virtual ~MonitorSink() = default;
  virtual void push(std::string_view body) = 0;
};

// Why: every monitor is matched against every record on the network thread, so their number is
// ingest's cost (200,000 on one connection made it 50 times slower); both bounds are smbtad
// options (--max-client-monitors, --max-monitors).
struct MonitorLimits {
  std::size_t per_client = 64;
  std::size_t total = 256;
};

// The outcome of a registration: the new id, or 0 and why it was refused.
struct MonitorAdded {
  std::uint32_t id = 0;
  std::string refusal;
};

// Why: one place knows every monitor; ingest calls on_record() for each record and pays nothing
// when no monitor is registered. Results are appended to the sinks' queues, never sent from
// here, so a slow client cannot slow the network thread.
class MonitorHub {
 public:
  explicit MonitorHub(MonitorLimits limits = {}) : limits_(limits) {}
  void set_limits(MonitorLimits limits) { limits_ = limits; }
  // Registers and returns the new id (ids start at 1 and are never reused), or refuses when
  // `sink` or smbtad as a whole has reached its limit.
  MonitorAdded add(MonitorSink* sink, MonitorSpec spec);
  void remove_sink(MonitorSink* sink);
  void on_record(const smbta::Record& r);
  // Called once a second: THROUGHPUT monitors report the bytes of the past second.
  void on_second();
  // An alert's start or end, for the ALERT monitors whose user, share and domain filters match.
  void on_alert(const BurstEvent& e);
  std::size_t size() const { return monitors_.size(); }
  // Whether `sink` holds a monitor (a client waiting for results is not idle).
  bool serves(const MonitorSink* sink) const {
    return std::any_of(monitors_.begin(), monitors_.end(),
                       [&](const Monitor& m) { return m.sink == sink; });
  }

 private:
  struct Monitor {
    std::uint32_t id;
    MonitorSink* sink;
    MonitorSpec spec;
    std::uint64_t count = 0;
    std::uint64_t read_bytes = 0, write_bytes = 0;  // THROUGHPUT: current second
  };
  static bool matches(const MonitorSpec& s, const smbta::Record& r);
  void send(Monitor& m, std::string_view value);

  MonitorLimits limits_;
  std::vector<Monitor> monitors_;
  std::uint32_t next_id_ = 1;
  std::string scratch_;
};

}  // namespace smbtad

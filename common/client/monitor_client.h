// SPDX-License-Identifier: GPL-3.0-or-later
// Client side of smbtad's real-time monitor channel (docs/protocol.md, "Client port").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/client_channel.h"
#include "smbta/legacy_cipher.h"
#include "smbta/unique_fd.h"

namespace smbta::client {

// The monitor functions (docs/protocol.md, "Client port"); the values are on the wire.
// kAlert: smbtad's burst alerts (docs/protocol.md, "ALERT"); its messages carry 12 fields.
enum class MonitorKind : int {
  kAdd = 0,
  kLog = 2,
  kRead = 3,
  kWrite = 4,
  kThroughput = 5,
  kAlert = 6
};

// The five filters of a registration; "*" matches anything. Why a struct: a registration
// always carries all five, in this order.
struct MonitorFilter {
  std::string user = "*", sid = "*", share = "*", file = "*", domain = "*";
};

// Why: callers dispatch on the id and read LOG and THROUGHPUT fields without re-parsing.
// One message pushed by smbtad: a monitor id and its value. For LOG, `fields` holds the six
// nested values (op id, user, share, file, domain, timestamp); for THROUGHPUT, read and write
// bytes of the last second.
struct MonitorMessage {
  std::uint32_t id = 0;
  std::string value;
  std::vector<std::string> fields;
  bool is_error() const { return id == 0; }
};

// The LOG parameter with which smbtad adds each entry's byte count as a seventh field; smbtad
// versions that do not know it send the six fields.
inline constexpr std::string_view kLogWithBytes = "bytes";

// The registration body: "~~" + function + param + the five filters.
std::string monitor_request(MonitorKind kind, const MonitorFilter& filter,
                            std::string_view param = "NULL");

// Why: every real-time client needs the same framing, decryption and id bookkeeping; a class
// owning the socket and a decoder keeps them from doing it three slightly different ways.
class MonitorConnection {
 public:
  // Takes a connected socket (smbta::net::connect_tcp / connect_unix). kAuthenticated needs the
  // key and sends the transport's hello at once (ClientChannel).
  explicit MonitorConnection(UniqueFd fd, std::optional<AesKey> key = std::nullopt,
                             ClientTransport transport = ClientTransport::kLegacy);

  // Registers and waits for the identification; throws std::runtime_error with smbtad's error
  // reply, or on timeout or a closed connection.
  std::uint32_t add(MonitorKind kind, const MonitorFilter& filter,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5),
                    std::string_view param = "NULL");
  // Sends raw bytes (tests of bad requests).
  void send_raw(std::string_view bytes);
  // The next message within `timeout`, or nullopt; a timeout of 0 returns what has arrived
  // without waiting. Throws when the connection closed.
  std::optional<MonitorMessage> next(std::chrono::milliseconds timeout);
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;  // before channel_, which borrows it
  ClientChannel channel_;
};

}  // namespace smbta::client

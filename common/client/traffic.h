// SPDX-License-Identifier: GPL-3.0-or-later
// What smbtad's monitors report to a real-time client: bytes per span and LOG entries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smbta::client {

// Why: smbtamonitor shows, and rrddriver stores, the same two numbers; one plain value is what
// the monitor feed hands both of them.
//
// Bytes read and written in some span (a second, an interval, since start).
struct Traffic {
  std::uint64_t read = 0;
  std::uint64_t write = 0;
  std::uint64_t rw() const { return read + write; }
  bool operator==(const Traffic&) const = default;
};

// Why: the LOG monitor's six nested fields, typed once where the feed receives them.
//
// One entry of smbtad's LOG monitor (docs/protocol.md, "Client port").
struct LogEntry {
  int op = 0;
  std::string user, share, file, domain, timestamp;
  // The record's bytes, when smbtad sent them (LOG registered with kLogWithBytes).
  std::optional<std::uint64_t> bytes = std::nullopt;
  bool operator==(const LogEntry&) const = default;
};

// Parses a LOG message's fields (six, or seven with the byte count); nullopt when the count is
// different or the op id or the byte count is not a number.
std::optional<LogEntry> log_entry_from_fields(const std::vector<std::string>& fields);

}  // namespace smbta::client

// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/monitor_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "smbta/net.h"
#include "smbta/v2_codec.h"

namespace smbta::client {

std::string monitor_request(MonitorKind kind, const MonitorFilter& f, std::string_view param) {
  std::string body = "~~";
  append_sub_block(body, std::to_string(static_cast<int>(kind)));
  append_sub_block(body, param);
  for (const std::string* s : {&f.user, &f.sid, &f.share, &f.file, &f.domain})
    append_sub_block(body, *s);
  return body;
}

MonitorConnection::MonitorConnection(UniqueFd fd, std::optional<AesKey> key,
                                     ClientTransport transport)
    : fd_(std::move(fd)), channel_(fd_.get(), key, transport) {}

void MonitorConnection::send_raw(std::string_view bytes) {
  net::write_all(fd_.get(), bytes.data(), bytes.size());
}

std::uint32_t MonitorConnection::add(MonitorKind kind, const MonitorFilter& filter,
                                     std::chrono::milliseconds timeout, std::string_view param) {
  channel_.send(monitor_request(kind, filter, param), static_cast<int>(timeout.count()));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("smbtad did not answer the registration");
    auto m = next(left);
    if (!m) continue;
    if (m->is_error()) throw std::runtime_error("smbtad refused the monitor: " + m->value);
    if (m->value.empty()) return m->id;  // identification: the id alone
    // A result of an earlier monitor that arrived first: not ours; keep waiting.
  }
}

std::optional<MonitorMessage> MonitorConnection::next(std::chrono::milliseconds timeout) {
  std::string_view body;
  try {
    if (!channel_.receive(body, static_cast<int>(std::max<std::int64_t>(timeout.count(), 0))))
      return std::nullopt;
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("monitor stream: ") + e.what());
  }
  SubBlockReader rd(body);
  std::string_view id, value;
  MonitorMessage m;
  std::uint64_t n = 0;
  if (rd.next(id) != ProtocolError::kNone || !parse_decimal(id, n) || n > UINT32_MAX)
    throw std::runtime_error(
        channel_.last_encrypted()
            ? "monitor stream: smbtad's encrypted message does not decrypt with this key: key "
              "mismatch? (-k must name a file with the key smbtad uses for clients: its -K, "
              "else its -k)"
            : "monitor stream: malformed message");
  m.id = static_cast<std::uint32_t>(n);
  if (rd.next(value) == ProtocolError::kNone) {
    m.value.assign(value);
    SubBlockReader inner(value);
    std::string_view f;
    while (!inner.rest().empty() && inner.next(f) == ProtocolError::kNone) m.fields.emplace_back(f);
    if (!inner.rest().empty()) m.fields.clear();  // a plain value, not nested sub-blocks
  }
  return m;
}

}  // namespace smbta::client

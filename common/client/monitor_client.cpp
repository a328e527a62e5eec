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

MonitorConnection::MonitorConnection(UniqueFd fd, std::optional<AesKey> key)
    : fd_(std::move(fd)), decoder_({}, key) {
  if (key) cipher_.emplace(*key);
}

void MonitorConnection::send_body(std::string_view body) {
  std::string frame;
  frame = frame_body(body, cipher_ ? &*cipher_ : nullptr);
  net::write_all(fd_.get(), frame.data(), frame.size());
}

void MonitorConnection::send_raw(std::string_view bytes) {
  net::write_all(fd_.get(), bytes.data(), bytes.size());
}

std::uint32_t MonitorConnection::add(MonitorKind kind, const MonitorFilter& filter,
                                     std::chrono::milliseconds timeout, std::string_view param) {
  send_body(monitor_request(kind, filter, param));
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
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // The socket is polled at least once, so that a timeout of 0 (or one that has run out by the
  // time it is converted to whole milliseconds) still reads what has already arrived.
  bool polled = false;
  for (;;) {
    std::string_view body;
    const auto st = decoder_.next_body(body);
    if (st == StreamDecoder::Status::kFatal)
      throw std::runtime_error(std::string("monitor stream: ") +
                               std::string(describe(decoder_.error())));
    if (st == StreamDecoder::Status::kRecord) {
      SubBlockReader rd(body);
      std::string_view id, value;
      MonitorMessage m;
      std::uint64_t n = 0;
      if (rd.next(id) != ProtocolError::kNone || !parse_decimal(id, n) || n > UINT32_MAX)
        throw std::runtime_error(
            decoder_.last_header().encrypted
                ? "monitor stream: smbtad's encrypted message does not decrypt with this key: "
                  "key mismatch? (-k must name a file with the key smbtad uses for clients: its "
                  "-K, else its -k)"
                : "monitor stream: malformed message");
      m.id = static_cast<std::uint32_t>(n);
      if (rd.next(value) == ProtocolError::kNone) {
        m.value.assign(value);
        SubBlockReader inner(value);
        std::string_view f;
        while (!inner.rest().empty() && inner.next(f) == ProtocolError::kNone)
          m.fields.emplace_back(f);
        if (!inner.rest().empty()) m.fields.clear();  // a plain value, not nested sub-blocks
      }
      return m;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && polled) return std::nullopt;
    polled = true;
    pollfd p{fd_.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (r < 0 && errno != EINTR)
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    char buf[16384];
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n == 0) throw std::runtime_error("smbtad closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw std::runtime_error(std::string("receive: ") + std::strerror(errno));
    }
    decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

}  // namespace smbta::client

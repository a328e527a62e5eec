// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_session.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "smbta/log.h"
#include "smbta/v2_codec.h"

namespace smbtad {

using Status = smbta::StreamDecoder::Status;

namespace {
std::uint64_t next_serial() {
  static std::uint64_t serial = 0;  // network thread only
  return ++serial;
}
}  // namespace

ClientSession::ClientSession(smbta::UniqueFd fd, std::string peer, std::optional<smbta::AesKey> key,
                             ClientHost& host)
    : fd_(std::move(fd)),
      serial_(next_serial()),
      peer_(std::move(peer)),
      decoder_({}, key),
      host_(host) {
  if (key) cipher_.emplace(*key);
}

ClientSession::~ClientSession() {
  if (dropped_ > 0)
    smbta::log::notice("client {} did not read fast enough: {} results dropped", peer_, dropped_);
}

void ClientSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) smbta::log::warning("client connection from {} closed: {}", peer_, reason);
  host_.monitors().remove_sink(this);
  host_.on_client_close(*this);
  fd_.reset();
}

void ClientSession::push_error(std::string_view message) {
  // Monitor id 0 never exists: a client that does not know error replies sees an unknown id.
  std::string body;
  smbta::append_sub_block(body, "0");
  smbta::append_sub_block(body, std::string("ERROR: ").append(message));
  push(body);
}

void ClientSession::push(std::string_view body) {
  if (closed_ || !send_error_.empty()) return;
  std::string frame;
  frame = smbta::frame_body(body, encrypt_replies_ && cipher_ ? &*cipher_ : nullptr);
  out_bytes_ += frame.size();
  out_.push_back(std::move(frame));
  // Drop the oldest whole messages (never the one being sent) to stay within the bound.
  while (out_bytes_ > kMaxQueuedBytes && out_.size() > 1) {
    auto victim = out_offset_ > 0 ? std::next(out_.begin()) : out_.begin();
    out_bytes_ -= victim->size();
    out_.erase(victim);
    ++dropped_;
  }
  if (!want_write_) flush();
}

void ClientSession::flush() {
  while (!out_.empty()) {
    const std::string& f = out_.front();
    const ssize_t n = ::send(fd_.get(), f.data() + out_offset_, f.size() - out_offset_,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      // Not closed here: push() runs inside the monitor hub's loop. The socket reports the
      // error to epoll, and on_events closes the session.
      send_error_ = std::string("send error: ") + std::strerror(errno);
      out_.clear();
      out_bytes_ = 0;
      out_offset_ = 0;
      return;
    }
    out_offset_ += static_cast<std::size_t>(n);
    if (out_offset_ == f.size()) {
      out_bytes_ -= f.size();
      out_.pop_front();
      out_offset_ = 0;
    }
  }
  update_interest();
}

void ClientSession::update_interest() {
  const bool want = !out_.empty();
  if (want == want_write_ || closed_) return;
  want_write_ = want;
  host_.loop().modify(fd_.get(), EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u), this);
}

void ClientSession::on_events(std::uint32_t events) {
  if (closed_) return;
  if (!send_error_.empty()) {
    close(send_error_);
    return;
  }
  if (events & EPOLLOUT) flush();
  if (closed_ || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
  char buf[16384];
  const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    close(std::string("receive error: ") + std::strerror(errno));
    return;
  }
  if (n == 0) {
    close(decoder_.finish() == Status::kFatal ? smbta::describe(decoder_.error()) : "");
    return;
  }
  decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  std::string_view body;
  for (;;) {
    const Status st = decoder_.next_body(body);
    if (st == Status::kNeedMore) break;
    if (st == Status::kFatal) {
      // The framing is lost: say why, then close.
      push_error(smbta::describe(decoder_.error()));
      flush();
      close(smbta::describe(decoder_.error()));
      return;
    }
    encrypt_replies_ = decoder_.last_header().encrypted;
    if (host_.require_key() && !encrypt_replies_) {
      push_error("this smbtad answers only encrypted requests: use the shared key (-k)");
      continue;
    }
    handle(body);
    if (closed_) return;
  }
}

void ClientSession::handle(std::string_view body) {
  if (body.starts_with("~~")) {
    MonitorSpec spec;
    if (auto err = parse_monitor_request(body, spec); !err.empty()) {
      push_error(err);
      return;
    }
    const std::uint32_t id = host_.monitors().add(this, std::move(spec));
    char ident[16];
    std::snprintf(ident, sizeof ident, "%010u", id);
    std::string reply;
    smbta::append_sub_block(reply, ident);
    push(reply);
    smbta::log::debug(1, "client {}: monitor {} registered", peer_, id);
    return;
  }
  if (body.starts_with("QQ")) {
    if (auto err = host_.submit_query(*this, std::string(body)); !err.empty()) push_error(err);
    return;
  }
  push_error("unknown request: expected a monitor registration (~~) or a query (QQ)");
}

}  // namespace smbtad

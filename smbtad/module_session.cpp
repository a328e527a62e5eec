// SPDX-License-Identifier: GPL-3.0-or-later
#include "module_session.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "smbta/log.h"

namespace smbtad {

using Status = smbta::StreamDecoder::Status;

ModuleSession::ModuleSession(smbta::UniqueFd fd, std::string peer, smbta::DecoderLimits limits,
                             std::optional<smbta::AesKey> key, RecordSink& sink,
                             std::span<char> read_buffer, bool require_key,
                             bool require_authenticated)
    : fd_(std::move(fd)),
      peer_(std::move(peer)),
      decoder_(limits, key),
      sink_(sink),
      read_buffer_(read_buffer),
      last_data_(Clock::now()),
      has_key_(key.has_value()),
      require_key_(require_key && key.has_value()) {
  decoder_.require_authenticated(require_authenticated && key.has_value());
}

bool ModuleSession::send_reply() {
  const std::string reply = decoder_.take_reply();
  if (reply.empty()) return true;
  // The server's hello (59 bytes) into an empty socket buffer: it fits, or the peer is gone.
  const ssize_t n = ::send(fd_.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n != static_cast<ssize_t>(reply.size())) {
    close(std::string("cannot send the authenticated transport's hello: ") +
          (n < 0 ? std::strerror(errno) : "short send"));
    return false;
  }
  smbta::log::debug(1, "module {}: authenticated transport (AES-256-GCM)", peer_);
  return true;
}

bool ModuleSession::accept_plaintext() {
  // The legacy V2 header says per record whether it is encrypted, so a key alone does not keep
  // clear text out: whoever reaches the port can send records unencrypted.
  if (require_key_) {
    close(
        "a record in clear text, but this smbtad requires encrypted records "
        "(--require-module-key); give the module the key (smb_traffic_analyzer:key_file)");
    return false;
  }
  if (!plaintext_logged_) {
    plaintext_logged_ = true;
    smbta::log::warning(
        "module {}: records arrive in clear text although smbtad has a key (-k); accepted "
        "(--require-module-key refuses them)",
        peer_);
  }
  return true;
}

void ModuleSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  closed_on_error_ = !reason.empty();
  if (!reason.empty()) smbta::log::warning("module connection from {} closed: {}", peer_, reason);
  sink_.on_close(*this);
  fd_.reset();
}

bool ModuleSession::idle_for(Clock::time_point now, std::chrono::seconds timeout) const {
  return !closed_ && record_clock_.overdue(now, timeout);
}

void ModuleSession::on_events(std::uint32_t) {
  if (closed_) return;
  // Level-triggered, one read per wakeup: every connection gets its turn.
  const ssize_t n = ::recv(fd_.get(), read_buffer_.data(), read_buffer_.size(), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    close(std::string("receive error: ") + std::strerror(errno));
    return;
  }
  if (n == 0) {
    if (decoder_.finish() == Status::kFatal) {
      close(smbta::describe(decoder_.error()));
    } else {
      smbta::log::debug(1, "module connection from {} closed after {} records", peer_, records_);
      close({});
    }
    return;
  }
  last_data_ = Clock::now();
  decoder_.feed(std::string_view(read_buffer_.data(), static_cast<std::size_t>(n)));
  const std::uint64_t frames_before = decoder_.frames();
  for (;;) {
    const Status st = decoder_.next(record_);
    if (st == Status::kRecord) {
      if (has_key_ && !decoder_.authenticated() && !decoder_.last_header().encrypted &&
          !accept_plaintext())
        return;
      ++records_;
      sink_.on_record(*this, record_);
    } else if (st == Status::kBadRecord) {
      // The frame boundary held, so the stream goes on. The first few bad records of a
      // connection are worth a warning each; after that they are only counted, so a broken
      // sender cannot flood the log.
      constexpr std::uint64_t kLoggedBadRecords = 10;
      if (bad_records_++ < kLoggedBadRecords)
        smbta::log::warning(
            "module {}: record dropped: {}{}", peer_, smbta::describe(decoder_.error()),
            bad_records_ == kLoggedBadRecords ? " (further drops only counted)" : "");
    } else if (st == Status::kFatal) {
      close(smbta::describe(decoder_.error()));
      return;
    } else {
      break;
    }
  }
  if (!send_reply()) return;
  // A trickle of bytes keeps the connection busy but never gives a record more time.
  record_clock_.after_read(decoder_.buffered() > 0, decoder_.frames() != frames_before, last_data_);
}

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_session.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "smbta/aead_frame.h"
#include "smbta/log.h"
#include "smbta/v2_codec.h"

namespace smbtad {

using Status = smbta::StreamDecoder::Status;

namespace {
std::uint64_t next_serial() {
  static std::uint64_t serial = 0;  // network thread only
  return ++serial;
}

// What the administrator needs on both sides when the keys differ: the wrong key decrypts to
// noise, which is neither a registration nor a query.
constexpr std::string_view kKeyMismatchReply =
    "smbtad could not read the encrypted request: key mismatch? The client's key file must hold "
    "the key smbtad uses for clients (-K, else -k)";
constexpr std::string_view kNoKeyReply =
    "this smbtad has no client key (-K or -k) and cannot read encrypted requests: key mismatch? "
    "Run the client without a key file, or give smbtad the client's key";

bool looks_like_request(std::string_view body) {
  return body.starts_with("~~") || body.starts_with("QQ");
}

// Why: a peer (or a misconfigured client retrying every few seconds) must not be able to fill
// the log: warnings of one kind pass at most kBurst per minute, and the next one that passes
// says how many were left out.
class LogBudget {
 public:
  static constexpr int kBurst = 10;
  // True when a line may be written now; `suppressed` is how many were refused since the last.
  bool take(std::uint64_t& suppressed) {
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= std::chrono::minutes(1)) {
      window_start_ = now;
      used_ = 0;
    }
    if (used_ >= kBurst) {
      ++suppressed_;
      return false;
    }
    ++used_;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  std::chrono::steady_clock::time_point window_start_{};
  int used_ = 0;
  std::uint64_t suppressed_ = 0;
};

// One budget per kind of line (network thread only), so that a flood of one kind does not
// silence the others.
LogBudget& key_mismatch_budget() {
  static LogBudget budget;
  return budget;
}
LogBudget& close_budget() {
  static LogBudget budget;
  return budget;
}
LogBudget& refusal_budget() {
  static LogBudget budget;
  return budget;
}

// " (N more ... not logged)" after lines a budget held back, else empty.
std::string held_back(std::uint64_t suppressed, std::string_view what) {
  return suppressed > 0 ? fmt::format(" ({} more {} not logged)", suppressed, what) : std::string();
}

}  // namespace

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max) + 2);
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      // Also every byte of UTF-8: a C1 control (ESC's 8-bit form) or a direction override is
      // as good as an escape sequence to a terminal or a log viewer.
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

ClientSession::ClientSession(smbta::UniqueFd fd, std::string peer, std::optional<smbta::AesKey> key,
                             ClientHost& host)
    : fd_(std::move(fd)),
      serial_(next_serial()),
      peer_(std::move(peer)),
      decoder_({}, key),
      host_(host) {
  if (key) cipher_.emplace(*key);
  decoder_.require_authenticated(host.require_authenticated() && key.has_value());
}

ClientSession::~ClientSession() {
  if (dropped_ > 0)
    smbta::log::notice("client {} did not read fast enough: {} results dropped", peer_, dropped_);
}

void ClientSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  // Every peer can make smbtad close its connection on purpose: within a budget.
  std::uint64_t suppressed = 0;
  if (!reason.empty() && close_budget().take(suppressed))
    smbta::log::warning("client connection from {} closed: {}{}", peer_, reason,
                        held_back(suppressed, "client connections closed on errors"));
  host_.monitors().remove_sink(this);
  host_.on_client_close(*this);
  fd_.reset();
}

bool ClientSession::close_if_overdue(RecordClock::Clock::time_point now) {
  if (closed_ || !request_clock_.overdue(now, host_.request_timeout())) return false;
  close(fmt::format("a request was not complete {} s after its first byte (--idle-timeout)",
                    host_.request_timeout().count()));
  return true;
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
  const bool sealed = decoder_.authenticated();
  if (sealed) {
    out_bytes_ += body.size() + smbta::kHeaderSize + smbta::kAeadOverhead;
    out_.emplace_back(body);
  } else {
    std::string frame;
    frame = smbta::frame_body(body, encrypt_replies_ && cipher_ ? &*cipher_ : nullptr);
    out_bytes_ += frame.size();
    out_.push_back(std::move(frame));
    ++wire_ready_;
  }
  // Drop the oldest whole messages (never the one being sent, nor one already sealed) to stay
  // within the bound.
  const std::size_t first = sealed ? wire_ready_ : (out_offset_ > 0 ? 1 : 0);
  while (out_bytes_ > kMaxQueuedBytes && out_.size() > std::max<std::size_t>(first, 1)) {
    auto victim = out_.begin() + static_cast<std::ptrdiff_t>(first);
    out_bytes_ -=
        sealed ? victim->size() + smbta::kHeaderSize + smbta::kAeadOverhead : victim->size();
    out_.erase(victim);
    if (!sealed) --wire_ready_;
    ++dropped_;
  }
  if (!want_write_) flush();
}

void ClientSession::flush() {
  while (!out_.empty()) {
    if (wire_ready_ == 0) {
      std::string sealed;
      decoder_.sealer()->seal(out_.front(), sealed);
      out_.front() = std::move(sealed);
      wire_ready_ = 1;
    }
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
      wire_ready_ = 0;
      return;
    }
    out_offset_ += static_cast<std::size_t>(n);
    if (out_offset_ == f.size()) {
      out_bytes_ -= std::min(out_bytes_, f.size());
      out_.pop_front();
      --wire_ready_;
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
  last_activity_ = std::chrono::steady_clock::now();
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
  // Checked at every arrival as well as by the host's timer: a trickle of bytes keeps the
  // connection busy but never makes a request's time longer.
  const auto now = RecordClock::Clock::now();
  if (close_if_overdue(now)) return;
  decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  const std::uint64_t frames_before = decoder_.frames();
  std::string_view body;
  for (;;) {
    const Status st = decoder_.next_body(body);
    if (std::string hello = decoder_.take_reply(); !hello.empty()) {
      // The server's hello goes out before anything sealed (the queue is empty: the client's
      // hello is its first frame).
      out_bytes_ += hello.size();
      out_.push_front(std::move(hello));
      ++wire_ready_;
      smbta::log::debug(1, "client {}: authenticated transport (AES-256-GCM)", peer_);
      flush();
    }
    if (st == Status::kNeedMore) break;
    if (st == Status::kFatal) {
      // The framing is lost: say why, then close.
      const bool no_key = decoder_.error() == smbta::ProtocolError::kEncryptedWithoutKey;
      encrypt_replies_ = false;
      push_error(no_key ? kNoKeyReply : smbta::describe(decoder_.error()));
      flush();
      if (no_key)
        report_key_mismatch("an encrypted request, but smbtad has no client key (-K, -k)");
      close(smbta::describe(decoder_.error()));
      return;
    }
    encrypt_replies_ = decoder_.last_header().encrypted;
    if (host_.require_key() && !encrypt_replies_ && !decoder_.authenticated()) {
      push_error("this smbtad answers only encrypted requests: use the shared key (-k)");
      continue;
    }
    if (encrypt_replies_ && !looks_like_request(body)) {
      // A reply under smbtad's key would be noise to the client as well: this one goes out
      // in plain text, so that the client can show it.
      encrypt_replies_ = false;
      push_error(kKeyMismatchReply);
      report_key_mismatch(
          "an encrypted request that decrypts to neither a registration nor a query");
      continue;
    }
    handle(body);
    if (closed_) return;
  }
  // Every way out of the loop above but this one closed the session.
  request_clock_.after_read(decoder_.buffered() > 0, decoder_.frames() != frames_before, now);
}

void ClientSession::report_key_mismatch(std::string_view what) {
  if (key_mismatch_logged_) return;
  key_mismatch_logged_ = true;
  std::uint64_t suppressed = 0;
  if (!key_mismatch_budget().take(suppressed)) return;
  smbta::log::warning("client {}: {}: key mismatch? (smbtad's client key is -K, else -k){}", peer_,
                      what, held_back(suppressed, "such connections"));
}

void ClientSession::handle(std::string_view body) {
  if (body.starts_with("~~")) {
    MonitorSpec spec;
    if (auto err = parse_monitor_request(body, spec); !err.empty()) {
      push_error(err);
      return;
    }
    // Peer-supplied text goes into the log only escaped.
    const std::string what =
        smbta::log::level() >= 1
            ? fmt::format("function {}, user {}, share {}, file {}, domain {}",
                          static_cast<int>(spec.fn), printable(spec.user), printable(spec.share),
                          printable(spec.file), printable(spec.domain))
            : std::string();
    const MonitorAdded added = host_.monitors().add(this, std::move(spec));
    if (added.id == 0) {
      std::uint64_t suppressed = 0;
      if (refusals_++ == 0 && refusal_budget().take(suppressed))
        smbta::log::warning("client {}: monitor refused: {}{}", peer_, added.refusal,
                            held_back(suppressed, "connections with refused monitors"));
      push_error(added.refusal);
      return;
    }
    char ident[16];
    std::snprintf(ident, sizeof ident, "%010u", added.id);
    std::string reply;
    smbta::append_sub_block(reply, ident);
    push(reply);
    smbta::log::debug(1, "client {}: monitor {} registered ({})", peer_, added.id, what);
    return;
  }
  if (body.starts_with("QQ")) {
    if (auto err = host_.submit_query(*this, std::string(body)); !err.empty()) push_error(err);
    return;
  }
  smbta::log::debug(1, "client {}: unknown request {}", peer_, printable(body, 40));
  push_error("unknown request: expected a monitor registration (~~) or a query (QQ)");
}

}  // namespace smbtad

// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/stream_decoder.h"

#include <cstring>

namespace smbta {

StreamDecoder::StreamDecoder(DecoderLimits limits, std::optional<AesKey> key)
    : limits_(limits), psk_(key) {
  if (key) cipher_.emplace(*key);
}

void StreamDecoder::expect_server_hello(const AeadRandom& client_random) {
  client_side_ = true;
  own_hello_.clear();
  append_aead_hello(own_hello_, client_random);
}

// Which frames the connection's state allows, decided from the header alone so that a refused
// frame costs no buffering of its body.
ProtocolError StreamDecoder::check_transport(const FrameHeader& h) const {
  if (h.hello) {
    if (!psk_) return ProtocolError::kAeadHelloWithoutKey;
    if (opener_ || frames_ > 0) return ProtocolError::kAeadUnexpectedHello;
    return ProtocolError::kNone;
  }
  if (h.authenticated) return opener_ ? ProtocolError::kNone : ProtocolError::kAeadWithoutHello;
  if (opener_) return ProtocolError::kAeadDowngrade;
  if (require_aead_ || client_side_) return ProtocolError::kAeadRequired;
  if (h.encrypted && !cipher_) return ProtocolError::kEncryptedWithoutKey;
  return ProtocolError::kNone;
}

ProtocolError StreamDecoder::take_hello(std::string_view header, std::string_view body) {
  AeadRandom peer;
  if (auto e = parse_aead_hello(body, peer); e != ProtocolError::kNone) return e;
  std::string theirs(header);
  theirs.append(body);
  if (client_side_) {
    const AeadKeys k = derive_aead_keys(*psk_, own_hello_, theirs);
    opener_.emplace(k.to_client);
    sealer_.emplace(k.to_server);
    return ProtocolError::kNone;
  }
  const AeadRandom mine = random_ ? random_() : make_aead_random();
  std::string ours;
  append_aead_hello(ours, mine);
  const AeadKeys k = derive_aead_keys(*psk_, theirs, ours);
  opener_.emplace(k.to_server);
  sealer_.emplace(k.to_client);
  reply_ += ours;
  return ProtocolError::kNone;
}

void StreamDecoder::compact() {
  if (begin_ == 0) return;
  if (begin_ != end_) std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

void StreamDecoder::feed(std::string_view bytes) {
  auto span = prepare(bytes.size());
  if (!bytes.empty()) std::memcpy(span.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

std::span<char> StreamDecoder::prepare(std::size_t n) {
  if (buf_.size() - end_ < n) {
    compact();
    if (buf_.size() - end_ < n) buf_.resize(end_ + n);
  }
  return {buf_.data() + end_, n};
}

void StreamDecoder::commit(std::size_t n) {
  end_ += n;
}

void StreamDecoder::release_if_idle() {
  if (begin_ == end_ && !buf_.empty()) {
    std::vector<char>().swap(buf_);
    begin_ = end_ = 0;
  }
}

StreamDecoder::Status StreamDecoder::fatal(ProtocolError e) {
  error_ = e;
  dead_ = true;
  return Status::kFatal;
}

StreamDecoder::Status StreamDecoder::next_body(std::string_view& body) {
  if (dead_) return Status::kFatal;
  const std::string_view avail(buf_.data() + begin_, end_ - begin_);
  if (!have_header_) {
    if (avail.size() < kHeaderSize) {
      // Reject garbage and V1 lines as soon as their first bytes arrive instead of waiting for
      // 26 bytes that a V1 sender may never send.
      if (auto e = check_header_prefix(avail); e != ProtocolError::kNone) return fatal(e);
      return Status::kNeedMore;
    }
    if (auto e = parse_header(avail.substr(0, kHeaderSize), limits_.max_body, header_);
        e != ProtocolError::kNone)
      return fatal(e);
    if (auto e = check_transport(header_); e != ProtocolError::kNone) return fatal(e);
    have_header_ = true;
  }
  if (avail.size() < kHeaderSize + header_.body_length) return Status::kNeedMore;

  body = avail.substr(kHeaderSize, header_.body_length);
  const std::string_view header_bytes = avail.substr(0, kHeaderSize);
  begin_ += kHeaderSize + header_.body_length;
  have_header_ = false;
  ++frames_;
  if (header_.hello) {
    if (auto e = take_hello(header_bytes, body); e != ProtocolError::kNone) return fatal(e);
    return next_body(body);  // the hello is the transport's, not the caller's
  }
  if (header_.authenticated) {
    if (auto e = opener_->open(header_bytes, body, plain_); e != ProtocolError::kNone)
      return fatal(e);
    body = plain_;
    return Status::kRecord;
  }
  // The bytes stay where they are until the next feed/prepare, so `body` remains valid even
  // when the buffer is now logically empty.
  if (header_.encrypted) {
    cipher_->decrypt(body, plain_);
    body = plain_;
  }
  return Status::kRecord;
}

StreamDecoder::Status StreamDecoder::next(Record& out) {
  std::string_view body;
  const Status st = next_body(body);
  if (st != Status::kRecord) return st;
  error_ = parse_body(body, out);
  if (error_ == ProtocolError::kNone) return Status::kRecord;
  // A wrong key turns the whole body into noise, so the first sub-block length is not digits.
  // A right key with a bad record gets past that, and keeps its specific error.
  if (header_.encrypted &&
      (error_ == ProtocolError::kSubBlockNonDigitLength ||
       error_ == ProtocolError::kSubBlockPastBody || error_ == ProtocolError::kBadCommonCount))
    error_ = ProtocolError::kUndecipherable;
  return Status::kBadRecord;
}

StreamDecoder::Status StreamDecoder::finish() {
  if (dead_) return Status::kFatal;
  if (begin_ != end_) return fatal(ProtocolError::kTruncatedStream);
  return Status::kNeedMore;
}

}  // namespace smbta

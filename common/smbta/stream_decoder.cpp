// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/stream_decoder.h"

#include <cstring>

namespace smbta {

StreamDecoder::StreamDecoder(DecoderLimits limits, std::optional<AesKey> key) : limits_(limits) {
  if (key) cipher_.emplace(*key);
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
    if (header_.encrypted && !cipher_) return fatal(ProtocolError::kEncryptedWithoutKey);
    have_header_ = true;
  }
  if (avail.size() < kHeaderSize + header_.body_length) return Status::kNeedMore;

  body = avail.substr(kHeaderSize, header_.body_length);
  begin_ += kHeaderSize + header_.body_length;
  have_header_ = false;
  ++frames_;
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

// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/v2_codec.h"

#include <charconv>
#include <limits>
#include <stdexcept>

#include "smbta/timestamp.h"

namespace smbta {
namespace {

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  append_sub_block(out, std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

ProtocolError read_number(SubBlockReader& rd, std::uint64_t& out, ProtocolError bad,
                          std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
  std::string_view v;
  if (auto e = rd.next(v); e != ProtocolError::kNone) return e;
  if (!parse_decimal(v, out)) return bad;
  return out <= max ? ProtocolError::kNone : ProtocolError::kNumberOutOfRange;
}

ProtocolError read_string(SubBlockReader& rd, std::string& out) {
  std::string_view v;
  if (auto e = rd.next(v); e != ProtocolError::kNone) return e;
  out.assign(v);
  return ProtocolError::kNone;
}

}  // namespace

bool parse_decimal(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  for (char c : text)
    if (!is_digit(c)) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

ProtocolError check_header_prefix(std::string_view p) {
  static constexpr std::string_view kV1 = "V1,", kV2 = "V2.";
  const std::string_view magic = p.substr(0, 3);
  if (magic != kV2.substr(0, magic.size())) {
    if (magic != kV1.substr(0, magic.size())) return ProtocolError::kBadMagic;
    return magic.size() == 3 ? ProtocolError::kProtocolV1 : ProtocolError::kNone;
  }
  if (p.size() > 3 && !is_digit(p[3])) return ProtocolError::kBadMagic;
  return ProtocolError::kNone;
}

ProtocolError parse_header(std::string_view h, std::uint64_t max_body, FrameHeader& out) {
  if (auto e = check_header_prefix(h.substr(0, 4)); e != ProtocolError::kNone) return e;
  if (h.size() < kHeaderSize) return ProtocolError::kTruncatedStream;
  if (h[5] != '0' && h[5] != 'E' && h[5] != 'A' && h[5] != 'H') return ProtocolError::kBadFlags;
  std::uint64_t len = 0;
  for (std::size_t i = 9; i < kHeaderSize; ++i) {
    if (!is_digit(h[i])) return ProtocolError::kNonDigitLength;
    len = len * 10 + static_cast<std::uint64_t>(h[i] - '0');  // 17 digits fit in 64 bits
  }
  if (len == 0) return ProtocolError::kZeroLength;
  if (len > max_body) return ProtocolError::kLengthOverLimit;
  out.encrypted = h[5] == 'E';
  out.authenticated = h[5] == 'A';
  out.hello = h[5] == 'H';
  out.subrelease = h[3] - '0';
  out.body_length = len;
  if (out.encrypted && len % 16 != 0) return ProtocolError::kCipherLengthNotBlockMultiple;
  return ProtocolError::kNone;
}

void append_header(std::string& out, std::uint64_t body_length, bool encrypted) {
  append_header(out, body_length, encrypted ? 'E' : '0');
}

void append_header(std::string& out, std::uint64_t body_length, char flag) {
  char buf[kHeaderSize] = {'V', '2', '.', '0', '0', flag, '0', '0', '0'};
  std::uint64_t v = body_length;
  for (std::size_t i = kHeaderSize; i-- > 9;) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, kHeaderSize);
}

namespace {

void append_sub_block_length(std::string& out, std::size_t size) {
  if (size > kMaxSubBlockValue)
    throw std::length_error("V2 sub-block value longer than 9999 bytes");
  auto n = static_cast<unsigned>(size);
  const char len[4] = {static_cast<char>('0' + n / 1000), static_cast<char>('0' + n / 100 % 10),
                       static_cast<char>('0' + n / 10 % 10), static_cast<char>('0' + n % 10)};
  out.append(len, 4);
}

// One sub-block whose value is `head` followed by `tail`, without a string of the two: the
// encoder runs in smbd for every record.
void append_sub_block_of(std::string& out, std::string_view head, std::string_view tail) {
  append_sub_block_length(out, head.size() + tail.size());
  out.append(head);
  out.append(tail);
}

}  // namespace

void append_sub_block(std::string& out, std::string_view value) {
  append_sub_block_length(out, value.size());
  out.append(value);
}

void encode_body(const Record& r, std::string& out) {
  std::uint32_t count = std::max<std::uint32_t>(r.common_blocks, 6);
  if (!r.client_ip.empty()) count = std::max<std::uint32_t>(count, 7);
  if (r.latency_us) count = std::max<std::uint32_t>(count, 8);
  if (r.sequence != 0) count = std::max<std::uint32_t>(count, 9);
  append_number(out, count);  // "00017" for the Samba 4.x module
  append_number(out, static_cast<std::uint64_t>(r.op));
  append_sub_block(out, r.user);
  append_sub_block(out, r.sid);
  append_sub_block(out, r.share);
  append_sub_block(out, r.domain);
  char ts[kTimestampTextSize];
  format_timestamp(r.timestamp_ms, ts);
  append_sub_block(out, std::string_view(ts, sizeof ts));
  if (count >= 7) append_sub_block(out, r.client_ip);
  if (count >= 8) {
    if (r.latency_us)
      append_number(out, *r.latency_us);
    else
      append_sub_block(out, {});
  }
  if (count >= 9) {
    if (r.sequence != 0) {
      // "[r]<sequence>:<sender>"
      char seq[1 + 20 + 1];
      char* p = seq;
      if (r.replayed) *p++ = 'r';
      p = std::to_chars(p, seq + sizeof seq - 1, r.sequence).ptr;
      *p++ = ':';
      append_sub_block_of(out, std::string_view(seq, static_cast<std::size_t>(p - seq)), r.sender);
    } else
      append_sub_block(out, {});
  }
  for (std::uint32_t i = 9; i < count; ++i) append_sub_block(out, {});
  switch (shape_of(r.op)) {
    case OpShape::kFileLength:
      append_sub_block(out, r.path);
      append_number(out, r.length);
      break;
    case OpShape::kPathModeResult:
    case OpShape::kFileModeResult:
      append_sub_block(out, r.path);
      append_number(out, r.mode);
      append_number(out, r.result);
      break;
    case OpShape::kPathResult:
      append_sub_block(out, r.path);
      append_number(out, r.result);
      break;
    case OpShape::kTwoPathsResult:
      append_sub_block(out, r.path);
      append_sub_block(out, r.path2);
      append_number(out, r.result);
      break;
    case OpShape::kTwoPathsLength:
      append_sub_block(out, r.path);
      append_sub_block(out, r.path2);
      append_number(out, r.length);
      break;
    case OpShape::kPathSizeResult:
      append_sub_block(out, r.path);
      append_number(out, r.length);
      append_number(out, r.result);
      break;
    case OpShape::kCounts:
      append_number(out, r.result);
      append_number(out, r.length);
      break;
  }
}

std::string frame_body(std::string_view body, LegacyCipher* cipher) {
  std::string out;
  if (cipher != nullptr) {
    std::string enc;
    cipher->encrypt(body, enc);
    out.reserve(kHeaderSize + enc.size());
    append_header(out, enc.size(), true);
    out += enc;
  } else {
    out.reserve(kHeaderSize + body.size());
    append_header(out, body.size(), false);
    out += body;
  }
  return out;
}

std::string encode_frame(const Record& r, LegacyCipher* cipher) {
  std::string body;
  encode_body(r, body);
  return frame_body(body, cipher);
}

ProtocolError SubBlockReader::next(std::string_view& value) {
  if (rest_.size() < 4) return ProtocolError::kSubBlockPastBody;
  std::size_t n = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (!is_digit(rest_[i])) return ProtocolError::kSubBlockNonDigitLength;
    n = n * 10 + static_cast<std::size_t>(rest_[i] - '0');
  }
  if (n > rest_.size() - 4) return ProtocolError::kSubBlockPastBody;
  value = rest_.substr(4, n);
  rest_.remove_prefix(4 + n);
  return ProtocolError::kNone;
}

namespace {

// Common block 9: ["r"] sequence ":" sender. A value of another shape is skipped like any
// unknown common block (receiver rule 4): it is not this extension.
void parse_sequence(std::string_view v, Record& out) {
  const bool replayed = !v.empty() && v.front() == 'r';
  if (replayed) v.remove_prefix(1);
  const auto colon = v.find(':');
  if (colon == std::string_view::npos) return;
  std::uint64_t seq = 0;
  const std::string_view sender = v.substr(colon + 1);
  if (!parse_decimal(v.substr(0, colon), seq) || seq == 0 || seq > kMaxSequence || sender.empty() ||
      sender.size() > kMaxSenderLength)
    return;
  for (unsigned char c : sender)
    if (c < 0x21 || c > 0x7e) return;
  out.sequence = seq;
  out.sender.assign(sender);
  out.replayed = replayed;
}

}  // namespace

ProtocolError parse_body(std::string_view body, Record& out) {
  SubBlockReader rd(body);
  std::uint64_t count = 0;
  if (auto e = read_number(rd, count, ProtocolError::kBadCommonCount); e != ProtocolError::kNone)
    return e;
  if (count < 6) return ProtocolError::kTooFewCommonBlocks;
  std::uint64_t op = 0;
  if (auto e = read_number(rd, op, ProtocolError::kBadOpId); e != ProtocolError::kNone) return e;
  auto known = op_from_int(op > 1000 ? -1 : static_cast<long long>(op));
  if (!known) return ProtocolError::kUnknownOp;
  out.op = *known;
  out.common_blocks = static_cast<std::uint32_t>(std::min<std::uint64_t>(count, 0xffffffffu));
  ProtocolError e;
  if ((e = read_string(rd, out.user)) != ProtocolError::kNone) return e;
  if ((e = read_string(rd, out.sid)) != ProtocolError::kNone) return e;
  if ((e = read_string(rd, out.share)) != ProtocolError::kNone) return e;
  if ((e = read_string(rd, out.domain)) != ProtocolError::kNone) return e;
  std::string_view ts;
  if ((e = rd.next(ts)) != ProtocolError::kNone) return e;
  auto ms = parse_timestamp(ts);
  if (!ms) return ProtocolError::kBadTimestamp;
  out.timestamp_ms = *ms;
  out.client_ip.clear();
  out.latency_us.reset();
  out.sequence = 0;
  out.sender.clear();
  out.replayed = false;
  for (std::uint64_t i = 6; i < count; ++i) {
    std::string_view v;
    if ((e = rd.next(v)) != ProtocolError::kNone) return e;
    if (i == 6) {
      out.client_ip.assign(v);
    } else if (i == 7 && !v.empty()) {
      std::uint64_t lat = 0;
      if (!parse_decimal(v, lat)) return ProtocolError::kBadNumber;
      if (lat > kMaxLatencyUs) return ProtocolError::kNumberOutOfRange;
      out.latency_us = lat;
    } else if (i == 8) {
      parse_sequence(v, out);
    }
  }
  out.path2.clear();
  out.length = 0;
  out.mode = 0;
  out.result = 0;
  std::uint64_t mode = 0;
  constexpr auto kBad = ProtocolError::kBadNumber;
  switch (shape_of(out.op)) {
    case OpShape::kFileLength:
      if ((e = read_string(rd, out.path)) != ProtocolError::kNone) return e;
      return read_number(rd, out.length, kBad, kMaxTransferLength);
    case OpShape::kPathModeResult:
    case OpShape::kFileModeResult:
      if ((e = read_string(rd, out.path)) != ProtocolError::kNone) return e;
      if ((e = read_number(rd, mode, kBad, 0xffffffffu)) != ProtocolError::kNone) return e;
      out.mode = static_cast<std::uint32_t>(mode);
      return read_number(rd, out.result, kBad, kMaxResult);
    case OpShape::kPathResult:
      if ((e = read_string(rd, out.path)) != ProtocolError::kNone) return e;
      return read_number(rd, out.result, kBad, kMaxResult);
    case OpShape::kTwoPathsResult:
      if ((e = read_string(rd, out.path)) != ProtocolError::kNone) return e;
      if ((e = read_string(rd, out.path2)) != ProtocolError::kNone) return e;
      return read_number(rd, out.result, kBad, kMaxResult);
    case OpShape::kTwoPathsLength:
      if ((e = read_string(rd, out.path)) != ProtocolError::kNone) return e;
      if ((e = read_string(rd, out.path2)) != ProtocolError::kNone) return e;
      return read_number(rd, out.length, kBad, kMaxCopyLength);
    case OpShape::kPathSizeResult:
      if ((e = read_string(rd, out.path)) != ProtocolError::kNone) return e;
      if ((e = read_number(rd, out.length, kBad, kMaxFileSize)) != ProtocolError::kNone) return e;
      return read_number(rd, out.result, kBad, kMaxResult);
    case OpShape::kCounts:
      out.path.clear();
      if ((e = read_number(rd, out.result, kBad, kMaxDropCount)) != ProtocolError::kNone) return e;
      return read_number(rd, out.length, kBad, kMaxDropCount);
  }
  return ProtocolError::kNone;
}

}  // namespace smbta

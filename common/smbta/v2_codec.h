// SPDX-License-Identifier: GPL-3.0-or-later
// Encoding and decoding of protocol V2 headers and record bodies (docs/protocol.md, "Framing" and
// "Module records").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "smbta/legacy_cipher.h"
#include "smbta/protocol_error.h"
#include "smbta/record.h"

namespace smbta {

inline constexpr std::size_t kHeaderSize = 26;
inline constexpr std::size_t kMaxSubBlockValue = 9999;  // %04u cannot say more

// Why: the header is parsed once into typed fields before any body byte is trusted.
struct FrameHeader {
  bool encrypted = false;      // 'E': legacy AES-128-ECB body
  bool authenticated = false;  // 'A': AES-256-GCM sealed frame (aead_frame.h)
  bool hello = false;          // 'H': hello of the authenticated transport
  int subrelease = 0;
  std::uint64_t body_length = 0;
};

// Checks a complete 26-byte header. `max_body` bounds the length field.
ProtocolError parse_header(std::string_view header, std::uint64_t max_body, FrameHeader& out);
// Early verdict on a header prefix (fewer than 26 bytes): kProtocolV1, kBadMagic or kNone.
ProtocolError check_header_prefix(std::string_view prefix);

void append_header(std::string& out, std::uint64_t body_length, bool encrypted);
// A header with flag byte 5 given ('0', 'E', 'A' or 'H').
void append_header(std::string& out, std::uint64_t body_length, char flag);
void append_sub_block(std::string& out, std::string_view value);

// Appends the plaintext body of `r`. Throws std::length_error if a value exceeds 9999 bytes,
// which the 4-digit sub-block length cannot express.
void encode_body(const Record& r, std::string& out);
// Header + body, encrypted with `cipher` when given.
std::string encode_frame(const Record& r, LegacyCipher* cipher = nullptr);
// Header + any body (monitor and query messages too), encrypted with `cipher` when given: the
// one place that knows the header's length is the ciphertext's.
std::string frame_body(std::string_view body, LegacyCipher* cipher = nullptr);

// Parses a plaintext body into `out` (reusing its string capacity). Bytes after the last
// expected sub-block (encryption filler) are ignored. Returns kNone on success.
ProtocolError parse_body(std::string_view body, Record& out);

// A cursor over sub-blocks: every length is 4 digits and bounds-checked against the body.
class SubBlockReader {
 public:
  explicit SubBlockReader(std::string_view body) : rest_(body) {}
  ProtocolError next(std::string_view& value);
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Strict unsigned decimal (1-20 digits, no sign, no overflow).
bool parse_decimal(std::string_view text, std::uint64_t& out);

}  // namespace smbta

// SPDX-License-Identifier: GPL-3.0-or-later
// The reasons a V2 stream or record is rejected, each with a message fit for a log line.
#pragma once

#include <string_view>

namespace smbta {

// Why: every rejection rule has its own code so that tests can assert the specific rule and the
// daemon can log and count each one.
enum class ProtocolError {
  kNone = 0,
  // Stream-level: the framing can no longer be trusted; the connection must be closed.
  kBadMagic,
  kProtocolV1,
  kBadFlags,
  kNonDigitLength,
  kZeroLength,
  kLengthOverLimit,
  kEncryptedWithoutKey,
  kCipherLengthNotBlockMultiple,
  kTruncatedStream,
  // Record-level: the frame was complete, only its body is unusable; the stream continues.
  kSubBlockNonDigitLength,
  kSubBlockPastBody,
  kBadCommonCount,
  kTooFewCommonBlocks,
  kBadOpId,
  kUnknownOp,
  kBadNumber,
  kBadTimestamp,
  kNumberOutOfRange,
  // An encrypted frame whose plaintext is not a record: almost always a key that differs from
  // the sender's (legacy AES-ECB has no integrity check that would say so directly).
  kUndecipherable,
  // Authenticated transport (aead_frame.h): all close the connection.
  kAeadBadHello,         // a hello frame of the wrong size or version
  kAeadHelloWithoutKey,  // a hello, but this side has no key file
  kAeadUnexpectedHello,  // a hello after the first frame
  kAeadWithoutHello,     // a sealed frame before any hello
  kAeadRequired,         // a legacy frame where only the authenticated transport is accepted
  kAeadDowngrade,        // a legacy frame after the hello
  kAeadShortFrame,       // a sealed frame too short for sequence and tag
  kAeadOutOfSequence,    // replayed, reordered, or a frame missing
  kAeadAuthFailed,       // tag mismatch: tampered, truncated inside, or another key
};

std::string_view describe(ProtocolError e);
bool is_stream_fatal(ProtocolError e);

}  // namespace smbta

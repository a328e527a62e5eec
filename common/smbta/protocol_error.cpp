// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/protocol_error.h"

namespace smbta {

std::string_view describe(ProtocolError e) {
  switch (e) {
    case ProtocolError::kNone:
      return "no error";
    case ProtocolError::kBadMagic:
      return "header does not start with \"V2.\" and a sub-release digit";
    case ProtocolError::kProtocolV1:
      return "protocol V1 is not supported; set smb_traffic_analyzer:protocol_version = V2";
    case ProtocolError::kBadFlags:
      return "header flag byte 5 is none of '0', 'E', 'A', 'H'";
    case ProtocolError::kNonDigitLength:
      return "header length field contains a non-digit";
    case ProtocolError::kZeroLength:
      return "header length field is zero";
    case ProtocolError::kLengthOverLimit:
      return "header length exceeds the maximum body size";
    case ProtocolError::kEncryptedWithoutKey:
      return "encrypted record received but no key is configured";
    case ProtocolError::kCipherLengthNotBlockMultiple:
      return "encrypted body length is not a multiple of 16";
    case ProtocolError::kTruncatedStream:
      return "stream ended in the middle of a record";
    case ProtocolError::kSubBlockNonDigitLength:
      return "sub-block length contains a non-digit";
    case ProtocolError::kSubBlockPastBody:
      return "sub-block extends past the end of the body";
    case ProtocolError::kBadCommonCount:
      return "common block count is not a number";
    case ProtocolError::kTooFewCommonBlocks:
      return "fewer than 6 common blocks";
    case ProtocolError::kBadOpId:
      return "operation id is not a number";
    case ProtocolError::kUnknownOp:
      return "unknown operation id";
    case ProtocolError::kBadNumber:
      return "numeric field is not a decimal number";
    case ProtocolError::kBadTimestamp:
      return "timestamp is not \"YYYY-MM-DD hh:mm:ss.mmm\"";
    case ProtocolError::kNumberOutOfRange:
      return "numeric field is larger than any module sends";
    case ProtocolError::kUndecipherable:
      return "encrypted record does not decrypt to a record: is the key the same on both sides?";
    case ProtocolError::kAeadBadHello:
      return "authenticated transport: malformed hello";
    case ProtocolError::kAeadHelloWithoutKey:
      return "authenticated transport requested, but no key is configured (-k)";
    case ProtocolError::kAeadUnexpectedHello:
      return "authenticated transport: hello in the middle of a stream";
    case ProtocolError::kAeadWithoutHello:
      return "authenticated transport: sealed frame without a hello first";
    case ProtocolError::kAeadRequired:
      return "legacy frame refused: this smbtad requires the authenticated transport "
             "(--transport authenticated); set smb_traffic_analyzer:transport = authenticated";
    case ProtocolError::kAeadDowngrade:
      return "authenticated transport: legacy frame after the hello (downgrade refused)";
    case ProtocolError::kAeadShortFrame:
      return "authenticated transport: frame too short for sequence number and tag";
    case ProtocolError::kAeadOutOfSequence:
      return "authenticated transport: frame out of sequence (replayed, reordered or missing)";
    case ProtocolError::kAeadAuthFailed:
      return "authenticated transport: frame failed authentication (tampered, or the key "
             "differs from the sender's)";
  }
  return "unknown error";
}

bool is_stream_fatal(ProtocolError e) {
  return (e != ProtocolError::kNone && e <= ProtocolError::kTruncatedStream) ||
         e >= ProtocolError::kAeadBadHello;
}

}  // namespace smbta

// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/record.h"

namespace smbta {

OpShape shape_of(Op op) {
  switch (op) {
    case Op::kRead:
    case Op::kPread:
    case Op::kWrite:
    case Op::kPwrite:
      return OpShape::kFileLength;
    case Op::kMkdir:
    case Op::kChmod:
    case Op::kSetAcl:
    case Op::kSetAttr:
    case Op::kConnect:
      return OpShape::kPathModeResult;
    case Op::kRename:
    case Op::kChown:
      return OpShape::kTwoPathsResult;
    case Op::kTruncate:
    case Op::kAllocate:
      return OpShape::kPathSizeResult;
    case Op::kOpen:
      return OpShape::kFileModeResult;
    case Op::kCopy:
      return OpShape::kTwoPathsLength;
    case Op::kDropNotice:
      return OpShape::kCounts;
    case Op::kRmdir:
    case Op::kChdir:
    case Op::kClose:
    case Op::kUnlink:
    case Op::kSetTimes:
      return OpShape::kPathResult;
  }
  return OpShape::kPathResult;
}

std::string_view op_name(Op op) {
  switch (op) {
    case Op::kRead:
      return "read";
    case Op::kPread:
      return "pread";
    case Op::kWrite:
      return "write";
    case Op::kPwrite:
      return "pwrite";
    case Op::kMkdir:
      return "mkdir";
    case Op::kRmdir:
      return "rmdir";
    case Op::kRename:
      return "rename";
    case Op::kChdir:
      return "chdir";
    case Op::kOpen:
      return "open";
    case Op::kClose:
      return "close";
    case Op::kUnlink:
      return "unlink";
    case Op::kCopy:
      return "copy";
    case Op::kTruncate:
      return "truncate";
    case Op::kAllocate:
      return "allocate";
    case Op::kChmod:
      return "chmod";
    case Op::kChown:
      return "chown";
    case Op::kSetAcl:
      return "setacl";
    case Op::kSetAttr:
      return "setattr";
    case Op::kSetTimes:
      return "settimes";
    case Op::kConnect:
      return "connect";
    case Op::kDropNotice:
      return "drop-notice";
  }
  return "unknown";
}

std::optional<Op> op_from_int(long long value) {
  if (value == static_cast<long long>(Op::kDropNotice)) return Op::kDropNotice;
  if (value < 0 || value > kMaxKnownOp) return std::nullopt;
  return static_cast<Op>(value);
}

}  // namespace smbta

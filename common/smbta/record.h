// SPDX-License-Identifier: GPL-3.0-or-later
// The typed form of one SMBTA protocol V2 record, shared by every smbta program.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smbta {

// VFS operation ids as the Samba module numbers them (enum vfs_id). Ids 0-9 are protocol V2 as
// shipped by Samba 3.6-4.3; ids from 10 on are smbta additions that older receivers drop as
// unknown without losing the connection.
enum class Op : std::uint8_t {
  kRead = 0,
  kPread = 1,
  kWrite = 2,
  kPwrite = 3,
  kMkdir = 4,
  kRmdir = 5,
  kRename = 6,
  kChdir = 7,
  kOpen = 8,
  kClose = 9,
  kUnlink = 10,
  kCopy = 11,  // server-side copy (copy_chunk): source, destination, bytes
  // Changes of a file's size and metadata (who changed permissions is a common audit question)
  // and the session's properties: smbta additions a 1.2.x receiver drops as unknown.
  kTruncate = 12,  // path, new size, result
  kAllocate = 13,  // path, offset + length of the allocation, result
  kChmod = 14,     // path, mode, result
  kChown = 15,     // path, "uid:gid" (-1: unchanged), result
  kSetAcl = 16,    // path, security_info_sent bits, result
  kSetAttr = 17,   // path, DOS attributes, result
  kSetTimes = 18,  // path, result
  kConnect = 19,   // tree connect: SMB dialect (path), encryption/signing flags (mode), result
  // Not a file operation: the module's notice that it could not deliver `result` records
  // (`length` bytes encoded) since its previous notice, e.g. while smbtad was unreachable.
  kDropNotice = 90,
};

inline constexpr int kMaxKnownOp = 19;

// Which operation-specific sub-blocks follow the common blocks of an op.
enum class OpShape : std::uint8_t {
  kFileLength,      // read/pread/write/pwrite: filename, length
  kPathModeResult,  // mkdir: path, mode, result
  kPathResult,      // rmdir, chdir, unlink, close: path, result
  kTwoPathsResult,  // rename: source, destination, result
  kFileModeResult,  // open: filename, mode, result
  kTwoPathsLength,  // copy: source, destination, length
  kPathSizeResult,  // truncate, allocate: path, size (in Record::length), result
  kCounts,          // drop notice: records (in Record::result), bytes (in Record::length)
};

OpShape shape_of(Op op);
std::string_view op_name(Op op);
std::optional<Op> op_from_int(long long value);

inline bool is_read(Op op) {
  return op == Op::kRead || op == Op::kPread;
}
inline bool is_write(Op op) {
  return op == Op::kWrite || op == Op::kPwrite;
}
inline bool is_read_write(Op op) {
  return is_read(op) || is_write(op);
}

// The value the module sends for a failed call: -1 printed with %u.
inline constexpr std::uint64_t kFailedResult = 4294967295ULL;

// The largest value the decoder accepts in each numeric field. Why: the store sums these fields
// in 64-bit integers (events, rollups, reports); a single 2^63 from a hostile or broken peer
// would make every report over it fail with "integer overflow". Each bound is what a real module
// can send: every module prints a call's result and byte count with %u of a 32-bit value; a
// server-side copy can move more than 4 GiB in one request, so it gets 1 TiB; a drop notice sums
// many records. With these bounds a 64-bit sum needs 2^31 maximal records to overflow.
inline constexpr std::uint64_t kMaxTransferLength = 0xffffffffULL;  // read/write: %u
inline constexpr std::uint64_t kMaxCopyLength = 1ULL << 40;         // server-side copy
inline constexpr std::uint64_t kMaxResult = 0xffffffffULL;          // %u of the hook's int
inline constexpr std::uint64_t kMaxLatencyUs = 1ULL << 40;          // about 12.7 days
inline constexpr std::uint64_t kMaxDropCount = 1ULL << 48;          // records or bytes dropped
inline constexpr std::uint64_t kMaxFileSize = 1ULL << 62;           // truncate/allocate: off_t
inline constexpr std::uint64_t kMaxSequence = 1ULL << 62;           // a module's record number
inline constexpr std::size_t kMaxSenderLength = 128;                // host:pid:random

// Why: one value type for a record lets the decoder, the aggregation cache, the monitors and the
// store agree on field meaning, and lets the decoder reuse string capacity across records.
struct Record {
  Op op = Op::kRead;
  std::string user;
  std::string sid;
  std::string share;
  std::string domain;
  // Local wall-clock time of the Samba host, as milliseconds since 1970-01-01 00:00:00 read as
  // if it were UTC. The wire carries no zone; keeping the naive value makes the text round trip
  // exact and free of DST arithmetic.
  std::int64_t timestamp_ms = 0;
  std::string client_ip;                    // common block 7; empty when absent
  std::optional<std::uint64_t> latency_us;  // common block 8 (smbta addition)
  std::uint32_t common_blocks = 7;          // count as received (decoder) or to send (encoder)
  // Common block 9 (smbta addition, docs/protocol.md "Sequence numbers"): the sending module
  // process and its record number, so that smbtad can tell gaps and duplicates apart. 0: none.
  std::uint64_t sequence = 0;
  std::string sender;     // the module process: "host:pid:random"; empty with sequence 0
  bool replayed = false;  // sent again from the module's spool, not as it happened

  std::string path;          // filename, path or rename/copy source
  std::string path2;         // rename/copy destination
  std::uint64_t length = 0;  // bytes transferred (R/W, copy); new size (truncate, allocate)
  std::uint32_t mode = 0;    // mkdir/open create mode; chmod mode, ACL/attribute/connect bits
  std::uint64_t result = 0;  // hook return printed %u: 4294967295 means failure

  bool operator==(const Record&) const = default;
};

}  // namespace smbta

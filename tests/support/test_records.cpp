// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/test_records.h"

#include <string>

#include "smbta/timestamp.h"

namespace smbta::testing {
namespace {

std::string pick(std::mt19937_64& rng, std::initializer_list<const char*> options) {
  std::uniform_int_distribution<std::size_t> d(0, options.size() - 1);
  return *(options.begin() + d(rng));
}

void fill_op_fields(Record& r, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::uint64_t> len(0, 1 << 20);
  r.path = pick(rng, {"docs/report.odt", "a", "Überweisung 2012.pdf", "x;y'z\"%_.txt",
                      "deep/path/with spaces/and|pipes/file.bin", ""});
  switch (shape_of(r.op)) {
    case OpShape::kFileLength:
      r.length = len(rng);
      break;
    case OpShape::kPathModeResult:
    case OpShape::kFileModeResult:
      r.mode = static_cast<std::uint32_t>(len(rng) & 0777);
      r.result = rng() % 2 ? 0 : kFailedResult;
      break;
    case OpShape::kPathResult:
      r.result = rng() % 2 ? 0 : kFailedResult;
      break;
    case OpShape::kTwoPathsResult:
      r.path2 = pick(rng, {"docs/new.txt", "b", "renamed file"});
      r.result = rng() % 2 ? 0 : kFailedResult;
      break;
    case OpShape::kTwoPathsLength:
      r.path2 = pick(rng, {"copy/of/file", "c"});
      r.length = len(rng);
      break;
    case OpShape::kPathSizeResult:
      r.length = len(rng);
      r.result = rng() % 2 ? 0 : kFailedResult;
      break;
    case OpShape::kCounts:
      r.path.clear();
      r.result = rng() % 10000;
      r.length = len(rng);
      break;
  }
}

}  // namespace

Record example_record(Op op) {
  Record r;
  r.op = op;
  r.user = "holger";
  r.sid = "S-1-5-21-3623811015-3361044348-30300820-1013";
  r.share = "data";
  r.domain = "WORKGROUP";
  r.timestamp_ms = *parse_timestamp("2012-05-11 16:01:47.042");
  r.client_ip = "192.168.1.23";
  r.common_blocks = 7;
  r.path = "docs/report.odt";
  return r;
}

Record example_record(Op op, std::string user, std::string share, std::string path,
                      std::uint64_t length) {
  Record r = example_record(op);
  r.user = std::move(user);
  r.share = std::move(share);
  r.path = std::move(path);
  r.length = length;
  return r;
}

Record random_record(std::mt19937_64& rng) {
  Record r;
  r.op = static_cast<Op>(rng() % (kMaxKnownOp + 1));
  r.user = pick(rng, {"holger", "anna", "user-554215023", "o'brien", "müller", "x"});
  r.sid = pick(rng, {"S-1-5-21-3623811015-3361044348-30300820-1013", "S-1-5-21-1-2-3-500", ""});
  r.share = pick(rng, {"data", "home", "Projekte 2012", "a;b"});
  r.domain = pick(rng, {"WORKGROUP", "EXAMPLE", ""});
  r.timestamp_ms = *parse_timestamp("2012-05-11 16:01:47.042") +
                   static_cast<std::int64_t>(rng() % (3650LL * 86400000));
  const auto blocks = rng() % 3;
  r.common_blocks = static_cast<std::uint32_t>(6 + blocks);
  if (blocks >= 1) r.client_ip = pick(rng, {"192.168.1.23", "::1", "fe80::1%eth0"});
  if (blocks >= 2) r.latency_us = rng() % 1000000;
  fill_op_fields(r, rng);
  return r;
}

std::vector<Record> random_records(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Record> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(random_record(rng));
  return v;
}

std::vector<Record> realistic_mix(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Record> out;
  out.reserve(n);
  static constexpr Op kMix[] = {Op::kRead,  Op::kRead, Op::kRead,  Op::kWrite, Op::kWrite,
                                Op::kPread, Op::kOpen, Op::kClose, Op::kChdir, Op::kRename};
  for (std::size_t i = 0; i < n; ++i) {
    Record r = example_record(kMix[rng() % std::size(kMix)]);
    r.user = "user" + std::to_string(rng() % 50);
    r.share = "share" + std::to_string(rng() % 8);
    r.timestamp_ms += static_cast<std::int64_t>(i);
    fill_op_fields(r, rng);
    r.path = "projects/dir" + std::to_string(rng() % 100);
    if (shape_of(r.op) == OpShape::kFileLength || r.op == Op::kOpen || r.op == Op::kClose)
      r.path += "/file" + std::to_string(rng() % 1000) + ".dat";
    if (r.length > 65536) r.length %= 65537;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace smbta::testing

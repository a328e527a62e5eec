// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbtad/db_rows.h"

#include <algorithm>
#include <map>

#include "smbta/timestamp.h"
#include "support/store_fixture.h"

namespace smbtad::testing {
namespace {

const std::string kNull = "<null>";

std::string num(std::uint64_t v) {
  return std::to_string(v);
}

int stored_vfs_id(smbta::Op op) {
  if (op == smbta::Op::kPread) return 0;
  if (op == smbta::Op::kPwrite) return 2;
  return static_cast<int>(op);
}

DataRow row_for(const smbta::Record& r, std::uint64_t length) {
  using smbta::Op;
  const bool rw = smbta::is_read_write(r.op);
  std::string string2 = kNull;
  const smbta::OpShape shape = smbta::shape_of(r.op);
  if (shape == smbta::OpShape::kTwoPathsResult || shape == smbta::OpShape::kTwoPathsLength)
    string2 = r.path2;
  if (shape == smbta::OpShape::kPathModeResult || shape == smbta::OpShape::kFileModeResult)
    string2 = num(r.mode);
  if (shape == smbta::OpShape::kPathSizeResult) string2 = num(r.length);
  const bool has_length = rw || r.op == Op::kCopy;
  return {std::to_string(stored_vfs_id(r.op)),
          r.user,
          r.sid,
          r.share,
          r.domain,
          smbta::format_timestamp(r.timestamp_ms),
          r.path,
          has_length ? num(length) : kNull,
          has_length ? kNull : num(r.result),
          string2};
}

std::uint64_t moved(const smbta::Record& r) {
  return r.length == smbta::kFailedResult && smbta::is_read_write(r.op) ? 0 : r.length;
}

}  // namespace

std::vector<DataRow> expected_rows(const std::vector<smbta::Record>& records, int precision) {
  std::vector<DataRow> out;
  if (precision == 0) {
    for (const auto& r : records) out.push_back(row_for(r, moved(r)));
  } else {
    // Key -> (first record, byte sum), first by arrival order.
    std::map<std::tuple<int, std::int64_t, std::string, std::string, std::string, std::string,
                        std::string>,
             std::pair<smbta::Record, std::uint64_t>>
        buckets;
    const std::int64_t width = precision * 1000LL;
    for (const auto& r : records) {
      if (!smbta::is_read_write(r.op)) {
        out.push_back(row_for(r, moved(r)));
        continue;
      }
      const int kind = smbta::is_read(r.op) ? 0 : 2;
      std::int64_t b = r.timestamp_ms / width;
      if (r.timestamp_ms < 0 && r.timestamp_ms % width != 0) --b;
      auto key = std::make_tuple(kind, b, r.user, r.sid, r.domain, r.share, r.path);
      auto it = buckets.find(key);
      if (it == buckets.end()) {
        smbta::Record first = r;
        first.op = kind == 0 ? smbta::Op::kRead : smbta::Op::kWrite;
        buckets.emplace(key, std::make_pair(first, moved(r)));
      } else {
        it->second.second += moved(r);
      }
    }
    for (auto& [k, v] : buckets) out.push_back(row_for(v.first, v.second));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<DataRow> actual_rows(smbta::store::DbiConnection& db) {
  auto res = db.query("SELECT vfs_id, username, usersid, share, domain, " +
                      smbta::store::testing::data_timestamp_expr(db) +
                      ", string1, length, result, string2 FROM data");
  std::vector<DataRow> out;
  while (res.next()) {
    DataRow row;
    for (unsigned i = 1; i <= 10; ++i) {
      if (i == 1 || i == 8 || i == 9) {
        auto v = res.get_int(i);
        row.push_back(v ? std::to_string(*v) : kNull);
      } else {
        row.push_back(res.get_text(i).value_or(kNull));
      }
    }
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t count_rows(smbta::store::DbiConnection& db) {
  auto res = db.query("SELECT count(*) FROM data");
  return res.next() ? static_cast<std::uint64_t>(res.get_int(1).value_or(0)) : 0;
}

}  // namespace smbtad::testing

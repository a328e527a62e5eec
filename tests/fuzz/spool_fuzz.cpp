// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: smbtad's reader of spool segments (files a crash, a full disk or another program
// may have left damaged). Property: a segment is either refused as a whole or read into rows
// that serialize and read back equal.
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "spool.h"

namespace {

bool same_rows(const std::vector<smbta::store::Row>& a, const std::vector<smbta::store::Row>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(a[i].rec == b[i].rec) || a[i].merged != b[i].merged ||
        a[i].accumulate != b[i].accumulate || a[i].bucket_start_ms != b[i].bucket_start_ms ||
        a[i].bucket_ms != b[i].bucket_ms)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<smbta::store::Row> rows;
  if (!smbtad::Spool::deserialize(bytes, rows)) return 0;
  std::vector<smbta::store::Row> back;
  SMBTA_FUZZ_CHECK(smbtad::Spool::deserialize(smbtad::Spool::serialize(rows), back));
  SMBTA_FUZZ_CHECK(same_rows(rows, back));
  return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: the query result codec that smbtaquery, smbtamonitor and rrddriver decode from
// smbtad. Property: bytes either decode or throw std::runtime_error, and whatever decodes
// re-encodes to tables that decode equal (the codec is exact).
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "fuzz_check.h"
#include "query/result_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<smbta::query::ResultTable> tables;
  try {
    tables = smbta::query::decode_results(bytes, 16);
  } catch (const std::runtime_error&) {
    return 0;
  }
  const std::string again = smbta::query::encode_results(tables);
  SMBTA_FUZZ_CHECK(smbta::query::decode_results(again) == tables);
  return 0;
}

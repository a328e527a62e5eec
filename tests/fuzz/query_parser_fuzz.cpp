// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: the query language parser (smbtaquery -q, and queries over smbtad's client port).
// Property: any text either parses or throws ParseError whose position lies inside the text, and
// describing the error (the caret line users see) never fails.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "query/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)smbta::query::parse(text, 1'700'000'000'000);
  } catch (const smbta::query::ParseError& e) {
    SMBTA_FUZZ_CHECK(e.pos() <= text.size());
    (void)smbta::query::describe(e, text);
  }
  return 0;
}

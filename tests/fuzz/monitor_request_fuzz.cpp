// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: smbtad's parser of monitor registrations (the body after the V2 header).
// Property: a request is either refused with a message or yields a spec whose fields are all set.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "monitor_hub.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  smbtad::MonitorSpec spec;
  const std::string error = smbtad::parse_monitor_request(body, spec);
  if (error.empty()) {
    // kAlert is the highest function smbtad knows (the ALERT monitor of the burst detector).
    SMBTA_FUZZ_CHECK(static_cast<int>(spec.fn) >= 0 &&
                     static_cast<int>(spec.fn) <= static_cast<int>(smbtad::MonitorFn::kAlert));
  }
  return 0;
}

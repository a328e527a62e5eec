// SPDX-License-Identifier: GPL-3.0-or-later
// The traffic the install tests feed to a staged smbtad, and what its reports must then say.
#pragma once

#include <cstdint>
#include <vector>

#include "smbta/record.h"

namespace smbta::testing {

// Why: the guide's report examples name user holger, share data and domain EXAMPLE; records of
// exactly those (and of others that must stay out of the narrower reports) make their output
// checkable. All records carry the current local time, so "since yesterday" includes them.
//   holger (EXAMPLE, share data):  reads 3 MiB and writes 1 MiB of projects/plan.odt
//   anna   (EXAMPLE, share data):  writes 2 MiB of reports/q4.ods
//   bert   (EXAMPLE, share scratch): reads 512 KiB of tmp/build.log
std::vector<Record> guide_traffic();

inline constexpr std::uint64_t kGuideTrafficBytes = 6815744;  // 6.5 MiB read and written

}  // namespace smbta::testing

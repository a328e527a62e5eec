// SPDX-License-Identifier: GPL-3.0-or-later
// The database layout of SMBTA 1.2.4-1.2.6, for conversion and compatibility tests.
#pragma once

#include "store/dbi_connection.h"

namespace smbta::testing {

// Creates the empty tables `smbtad -T` of SMBTA 1.2.6 created (smbtad.md §5): data, status
// (with its one SMBTAD row of version 1.2.6) and modules. Why: smbta must recognise and convert
// such databases, and none can be made with smbta's own programs.
void create_126_schema(store::DbiConnection& db);

}  // namespace smbta::testing

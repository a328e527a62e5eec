// SPDX-License-Identifier: GPL-3.0-or-later
// What the `data` view should hold for a list of sent records, and what it does hold.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "smbta/record.h"
#include "store/dbi_connection.h"

namespace smbtad::testing {

// One `data` row as text: vfs_id, username, usersid, share, domain, timestamp, string1, length,
// result, string2 (NULL as "<null>").
using DataRow = std::vector<std::string>;

// The rows smbtad must store for `records` at `precision` seconds (0: one per record).
std::vector<DataRow> expected_rows(const std::vector<smbta::Record>& records, int precision);
std::vector<DataRow> actual_rows(smbta::store::DbiConnection& db);
std::uint64_t count_rows(smbta::store::DbiConnection& db);

}  // namespace smbtad::testing

// SPDX-License-Identifier: GPL-3.0-or-later
// smbtaquery -C: converts an SMBTA 1.2.4-1.2.6 database (one `data` table) to the smbta schema.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "store/dbi_connection.h"

namespace smbta::store {

// What a conversion found (dry run) or did.
struct ConvertReport {
  bool needed = false;        // false: nothing to convert (already current or empty)
  std::uint64_t rows = 0;     // rows of the 1.2.x data table
  std::uint64_t rw_rows = 0;  // of which read/write rows
  std::int64_t rw_bytes = 0;  // their byte sum; preserved exactly (checked before commit)
  std::uint64_t users = 0;    // distinct (user, SID, domain)
  std::string from_version;   // status.smbtad_database_version before
};

// Why: the conversion is a batch job on someone's only copy of years of data. It runs in
// steps that are each one transaction and can be repeated: (1) rename `data` to
// smbta_legacy_data and mark the status row, (2) create the current schema, (3) copy every row
// into the normalized tables, check that row count and read/write byte sum match, drop the
// legacy table and commit. A crash at any point leaves either the untouched 1.2.x database or
// a state from which a second run finishes the job; a finished database converts to nothing.
//
// `progress(done, total)` is called as the copy advances (done rows of total). `dry_run`
// reports without changing anything. Throws StoreError (nothing committed in the
// failing step) or std::runtime_error when the byte sums disagree.
ConvertReport convert_legacy(DbiConnection& db, bool dry_run,
                             const std::function<void(std::uint64_t, std::uint64_t)>& progress);

}  // namespace smbta::store

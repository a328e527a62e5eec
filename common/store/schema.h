// SPDX-License-Identifier: GPL-3.0-or-later
// The smbta database schema: per-driver DDL, the 1.2.6-compatible `data` view, version checks.
#pragma once

#include <string_view>

#include "store/dbi_connection.h"

namespace smbta::store::schema {

// Written to status.smbtad_database_version; the original tools compare X.Y.Z there.
inline constexpr std::string_view kSchemaVersion = "2.0.0";

// Advice given when a database from SMBTA 1.2.x is found.
inline constexpr std::string_view kConvertAdvice =
    "the database holds an SMBTA 1.2.x schema (a `data` table); run smbtaquery -C to convert it";

// Creates every table, index and view that is missing and the status row, in one transaction.
// Throws StoreError (also for drivers without a schema: only sqlite3 and pgsql have one).
void create(DbiConnection& db);

// Whether a table (or view) of this name exists in the current schema.
bool has_table(DbiConnection& db, std::string_view name);

// True when the current schema is complete; false for an empty or partly created database;
// throws StoreError with advice for a 1.2.x or a newer schema.
bool ready(DbiConnection& db);

}  // namespace smbta::store::schema

// SPDX-License-Identifier: GPL-3.0-or-later
// A database made ready for smbtad: opened, the schema created, the chosen rollups installed.
#pragma once

#include <memory>

#include "store/event_store.h"
#include "store/rollup.h"

namespace smbta::store {

// Opens the database, creates what is missing of the schema and installs the rollups chosen in
// `rollups`; rollups not chosen are left as they are. Idempotent: smbtad -T runs it once, smbtad's
// writer at every (re)connection. Throws StoreError (connection_lost = true when the server is
// unreachable).
std::unique_ptr<EventStore> prepare_database(const DbParams& params, RollupSet rollups);

}  // namespace smbta::store

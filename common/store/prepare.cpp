// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/prepare.h"

#include "store/dbi_connection.h"

namespace smbta::store {

std::unique_ptr<EventStore> prepare_database(const DbParams& params, RollupSet rollups) {
  auto store = EventStore::open(params);
  store->create_schema();
  if (rollups.hourly || rollups.files) {
    // Triggers keep the rollups exact for every insert, growth and purge (rollup.h). The
    // EventStore does not lend its connection, so the rollups are installed over a second one.
    DbiConnection c(params);
    install_rollups(c, rollups);
  }
  return store;
}

}  // namespace smbta::store

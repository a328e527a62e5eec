// SPDX-License-Identifier: GPL-3.0-or-later
// What the writer thread is told of smbtad's options: the database, spool, retention, status row.
#pragma once

#include "options.h"
#include "store_writer.h"

namespace smbtad {

// The writer's configuration for `o`, including the status row smbtad-report shows.
WriterConfig writer_config(const Options& o);

}  // namespace smbtad

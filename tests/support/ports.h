// SPDX-License-Identifier: GPL-3.0-or-later
// Loopback ports for daemons started by tests.
#pragma once

namespace smbta::testing {

// An even loopback port that, with its successor, nobody listens on right now (smbtad takes
// port and port + 1), drawn from 45000-59000: away from the ranges the VFS tests (20000-45000)
// and the PostgreSQL fixture (20000-40000) use. Another process may still take it before the
// caller binds it: callers that can, draw again.
int free_port();

}  // namespace smbta::testing

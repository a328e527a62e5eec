// SPDX-License-Identifier: GPL-3.0-or-later
// Where smbtad's Unix sockets live: creating their directory, and whether modules will trust it.
#pragma once

#include <string>

namespace smbtad {

// Creates the socket's directory (one level, mode 0755, owned by smbtad's user) when it does not
// exist, as for the default /run/smbtad (a tmpfs, empty after boot). Throws std::runtime_error
// naming the directory and what to do when it cannot be created.
void prepare_socket_dir(const std::string& socket_path);

// Why: the module refuses a socket that someone other than root or its socket_owner could have
// bound (smbta/socket_trust.h); smbtad says so at start-up instead of leaving the administrator
// to find "refusing to send" in smbd's log. Logs a warning when the module would refuse
// `socket_path`, and a notice naming the socket_owner the module needs when smbtad is not root.
void explain_module_socket_trust(const std::string& socket_path);

}  // namespace smbtad

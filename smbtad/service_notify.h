// SPDX-License-Identifier: GPL-3.0-or-later
// Telling systemd (Type=notify) when smbtad is ready, reloading, stopping, and what it does.
#pragma once

#include <string_view>

namespace smbtad::service {

// Why: with Type=notify, units ordered after smbtad (and `systemctl start`) wait until its ports
// accept connections and its database is checked, not just until the process exists. Every
// call does nothing when NOTIFY_SOCKET is not set (not started by systemd).
void ready(std::string_view status);
void reloading();
void reloaded(std::string_view status);
void stopping(std::string_view status);
void status(std::string_view status);

}  // namespace smbtad::service

// SPDX-License-Identifier: GPL-3.0-or-later
// SIGINT and SIGTERM end a run after the action under way, so that its report is complete.
#pragma once

namespace smbta::torture {

// Installs the handlers (once); stop_requested() turns true at the first signal.
void install_stop_handlers();
bool stop_requested();

}  // namespace smbta::torture

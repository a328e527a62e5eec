// SPDX-License-Identifier: GPL-3.0-or-later
// Waiting for a condition in tests instead of sleeping for a fixed time.
#pragma once

#include <chrono>
#include <functional>

namespace smbta::testing {

// Polls `condition` every 50 ms for at most `limit`; true as soon as it held. Why: daemons and
// child processes act asynchronously, and a fixed sleep is either too short on a loaded machine
// or wastes time everywhere else.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace smbta::testing

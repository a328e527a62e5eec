// SPDX-License-Identifier: GPL-3.0-or-later
// Not running as root: the refusal (--allow-root) and the drop to --user once sockets are open.
#pragma once

#include <sys/types.h>

#include <string>

namespace smbtad {

struct Options;

// Why: smbtad parses data from the network; as root a flaw would own the machine. Started as
// root it must either drop to an unprivileged user (--user) or be told to stay (--allow-root).
// Throws ConfigError (exit status 2) when root has neither, or --user cannot be used.
void check_root_policy(const Options& o);

// Switches to o.run_as_user (its supplementary groups, primary group, then uid) and checks that
// root cannot be regained. Does nothing without --user or when already that user. Files smbtad
// keeps open and reopens (--log-file) are given to the user first. Throws ConfigError.
void drop_privileges(const Options& o);

}  // namespace smbtad

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The default ports and socket paths every smbta program (and the C module) starts from.
 *
 * Why: they were typed in about ten places (options, help texts, status rows); one header keeps
 * smbtad, its clients and the module agreeing. Plain macros, because the module is C. */
#ifndef SMBTA_DEFAULTS_H
#define SMBTA_DEFAULTS_H

/* Modules connect here (smbtad -i, the module's `port`). */
#define SMBTA_DEFAULT_MODULE_PORT 3490
/* Clients (smbtaquery, smbtamonitor, rrddriver) connect here: the module port + 1 (smbtad -q). */
#define SMBTA_DEFAULT_CLIENT_PORT 3491
/* The 1.2.x Unix socket paths (smbtad -u / -n, the module's `socket_path`). */
#define SMBTA_DEFAULT_MODULE_SOCKET "/var/tmp/stadsocket"
#define SMBTA_DEFAULT_CLIENT_SOCKET "/var/tmp/stadsocket_client"

#endif

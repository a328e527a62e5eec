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
/* The module's Unix socket (smbtad -u, the module's `socket_path`): in a root-owned directory
 * that smbtad creates 0755. 1.2.x used /var/tmp/stadsocket, in a world-writable directory where
 * anyone could bind it while smbtad was down and collect what the module (root, inside smbd)
 * sends; that path still works when both sides are configured with it. */
#define SMBTA_DEFAULT_MODULE_SOCKET_DIR "/run/smbtad"
#define SMBTA_DEFAULT_MODULE_SOCKET SMBTA_DEFAULT_MODULE_SOCKET_DIR "/stadsocket"
/* The clients' Unix socket (smbtad -n, smbtaquery/smbtamonitor/rrddriver -n), as in 1.2.x. It
 * stays: the processes connecting to it are ordinary users' tools that send queries, not
 * records, so a process squatting on it while smbtad is down learns queries and can forge
 * answers (encrypted ones only with the client key), but gets no traffic data. */
#define SMBTA_DEFAULT_CLIENT_SOCKET "/var/tmp/stadsocket_client"

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whether a Unix socket path can only have been bound by root or smbtad's user (C API).
 *
 * Why: the VFS module runs as root inside smbd and hands every record to whatever listens on its
 * socket path. While smbtad is down, anyone who can create a socket there, or replace a
 * directory on the way to it, would collect the records. The module therefore checks the path
 * before each connection, and smbtad checks its own socket at start-up, with this one rule:
 *   - the path is absolute;
 *   - every directory looked up on the way (also those a symbolic link leads through) is owned by
 *     root or the trusted user, and is not writable by group or others unless its sticky bit is
 *     set (as on /tmp: then nobody can remove or rename another user's entries);
 *   - the last component is a socket owned by root or the trusted user (a symbolic link is
 *     followed, its target checked by the same rule).
 * Nothing here throws; errors are return values. C, because the module is C. */
#ifndef SMBTA_SOCKET_TRUST_H
#define SMBTA_SOCKET_TRUST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 0 when `path` passes the rule above, with `trusted_uid` (< 0: none) trusted besides root.
 * Otherwise an errno value, and the reason, naming the offending path, in err (errlen bytes,
 * always NUL-terminated when errlen > 0): ENOENT when nothing is there (smbtad not running),
 * EPERM for an owner or mode that breaks the rule, ENOTSOCK, ENOTDIR, ELOOP, EINVAL (a
 * relative path), or the error of lstat/readlink. */
int smbta_c_socket_trusted(const char* path, long trusted_uid, char* err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif

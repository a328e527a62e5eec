/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libcrypto on demand for the VFS module (see libcrypto_dl.cpp). */
#ifndef SMBTA_VFS_LIBCRYPTO_DL_H
#define SMBTA_VFS_LIBCRYPTO_DL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Loads libcrypto and resolves the functions the encoder's cipher uses, once per process.
 * Returns 0 when they are available, or -1 and a message (always NUL-terminated) in err.
 * Call only from smbd's main thread (tree connect). */
int smbta_libcrypto_load(char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif

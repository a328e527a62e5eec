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

/* HMAC-SHA256 of data under key into out (32 bytes). 0 on success; -1 when libcrypto is not
 * loaded or fails. */
int smbta_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		      unsigned char out[32]);

#ifdef __cplusplus
}
#endif

#endif

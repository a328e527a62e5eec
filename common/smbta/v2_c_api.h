/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A small C-callable face of the V2 encoder (v2_codec.h), the legacy cipher and key files.
 *
 * Why: the Samba VFS module is C (Samba's API is C), smbtad is C++. Both must put exactly the
 * same bytes on the wire, so the module does not carry its own encoder: it calls this one.
 * Nothing here throws or aborts; errors are return values. Not thread-safe per cipher object. */
#ifndef SMBTA_V2_C_API_H
#define SMBTA_V2_C_API_H

#include <stddef.h>
#include <stdint.h>

#include "smbta/defaults.h" /* default port and socket path of the module */

#ifdef __cplusplus
extern "C" {
#endif

/* Op ids as in record.h (enum class Op). */
enum smbta_c_op {
  SMBTA_C_OP_READ = 0,
  SMBTA_C_OP_PREAD = 1,
  SMBTA_C_OP_WRITE = 2,
  SMBTA_C_OP_PWRITE = 3,
  SMBTA_C_OP_MKDIR = 4,
  SMBTA_C_OP_RMDIR = 5,
  SMBTA_C_OP_RENAME = 6,
  SMBTA_C_OP_CHDIR = 7,
  SMBTA_C_OP_OPEN = 8,
  SMBTA_C_OP_CLOSE = 9,
  SMBTA_C_OP_UNLINK = 10,
  SMBTA_C_OP_COPY = 11,
  /* smbta additions (docs/protocol.md, "Operations added by smbta"): */
  SMBTA_C_OP_TRUNCATE = 12, /* path, new size (length), result */
  SMBTA_C_OP_ALLOCATE = 13, /* path, offset + length (length), result */
  SMBTA_C_OP_CHMOD = 14,    /* path, mode, result */
  SMBTA_C_OP_CHOWN = 15,    /* path, "uid:gid" (path2), result */
  SMBTA_C_OP_SETACL = 16,   /* path, security_info_sent (mode), result */
  SMBTA_C_OP_SETATTR = 17,  /* path, DOS attributes (mode), result */
  SMBTA_C_OP_SETTIMES = 18, /* path, result */
  SMBTA_C_OP_CONNECT = 19   /* dialect (path), encryption/signing flags (mode), result */
};

/* Number of op ids below the drop notice (the module's per-share operations mask). */
#define SMBTA_C_OP_COUNT 20

/* The value a failed call's result or length is sent as (-1 printed with %u). */
#define SMBTA_C_FAILED 4294967295ULL

/* Op id of the module's drop notice (smbta addition): after the common blocks come
 * `records` (decimal: records this process could not deliver since the previous notice) and
 * `bytes` (their encoded size). Receivers that do not know the id drop the record and keep the
 * connection (docs/protocol.md, Receiver rules, rule 5); smbta's own receivers count it. */
#define SMBTA_C_OP_DROP_NOTICE 90

struct smbta_c_record {
  int op;           /* enum smbta_c_op */
  const char* user; /* NULL reads as "" everywhere */
  const char* sid;
  const char* share;
  const char* domain;
  const char* client_ip; /* common block 7 */
  int64_t timestamp_ms;  /* naive local time (smbta_c_local_now_ms); 0 = now */
  int64_t latency_us;    /* common block 8 when >= 0; < 0 = leave it out (7 blocks) */
  const char* path;      /* filename / path / source */
  const char* path2;     /* rename destination */
  uint64_t length;       /* R/W/copy bytes; truncate/allocate size */
  uint32_t mode;         /* mkdir/open create mode */
  uint64_t result;       /* hook result as %u */
  /* Common block 9 (docs/protocol.md, "Sequence numbers"): set by the sink, not the hooks. */
  uint64_t sequence;  /* 1, 2, ... per sender; 0 = no block 9 (as a 1.2.x module) */
  const char* sender; /* "host:pid:random", printable ASCII, at most 128 bytes */
  int replayed;       /* non-zero: sent again from the module's spool */
};

struct smbta_c_cipher;

/* Reads a key file (key_file.h rules: one 16-character token, mode 0600 or stricter).
 * Returns 0 and fills key, or -1 and writes a message (always NUL-terminated) into err. */
int smbta_c_load_key_file(const char* path, unsigned char key[16], char* err, size_t errlen);

/* NULL on allocation failure. */
struct smbta_c_cipher* smbta_c_cipher_new(const unsigned char key[16]);
void smbta_c_cipher_free(struct smbta_c_cipher* cipher);

/* Encodes one frame (26-byte header + body, the body encrypted when cipher != NULL) into
 * buf[0..cap). Returns the frame size: when it is > cap nothing was written and the caller
 * retries with a larger buffer. Returns 0 when the record cannot be encoded (a value longer than
 * 9999 bytes, unknown op, allocation failure). */
size_t smbta_c_encode_frame(const struct smbta_c_record* r, struct smbta_c_cipher* cipher,
                            char* buf, size_t cap);

/* The drop notice frame (see SMBTA_C_OP_DROP_NOTICE); `r` supplies the common blocks, its
 * op-specific fields are ignored. Same return convention. */
size_t smbta_c_encode_drop_notice(const struct smbta_c_record* r, uint64_t records, uint64_t bytes,
                                  struct smbta_c_cipher* cipher, char* buf, size_t cap);

/* Current local wall-clock time as naive milliseconds (timestamp.h local_now_ms). */
int64_t smbta_c_local_now_ms(void);

/* Samba 4.x str_checksum(): Bob Jenkins' lookup3 hashlittle(s, strlen(s), 0) as int32
 * (docs/protocol.md, Anonymization): "holger" -> 489043484. */
int32_t smbta_c_str_checksum(const char* s);

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The module's side of the authenticated transport: handshake and sealing for one sink. */
/*
 * Why a type of its own: the sink (smbta_sink.c) queues plain V2 frames and knows sockets; this
 * link knows the handshake, the per-connection keys and the sequence numbers
 * (common/smbta/aead_frame.h, docs/protocol.md "Authenticated transport"). Frames are sealed
 * only when they are about to be sent, because the keys exist only once smbtad has answered
 * the hello of that connection: records queued while smbtad was away are sealed for the
 * connection that finally carries them. Implemented in C++ (smbta_aead.cpp) over common/'s
 * AeadSealer; libcrypto is reached through libcrypto_dl.cpp like the legacy cipher.
 */
#ifndef SMBTA_VFS_AEAD_H
#define SMBTA_VFS_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct smbta_aead_link;

/* A link keyed from the key file's 16 bytes; NULL when libcrypto is not usable. */
struct smbta_aead_link *smbta_aead_link_new(const unsigned char key[16]);
void smbta_aead_link_free(struct smbta_aead_link *l);

/* A new connection: forgets the previous one (its unsent wire bytes too) and queues this
 * connection's hello as the first bytes to send. Returns 0, or -1 when the random generator
 * failed. */
int smbta_aead_link_start(struct smbta_aead_link *l);

/* Bytes smbtad sent. Before the handshake is complete they are its hello: returns how many
 * bytes it took (the rest belong to whoever reads smbtad's later messages), or -1 and a
 * message in err when they are not a valid hello. After the handshake returns 0. */
long smbta_aead_link_receive(struct smbta_aead_link *l, const char *data, size_t n, char *err,
			     size_t errlen);

/* True once smbtad's hello arrived: frames can be sealed. */
bool smbta_aead_link_ready(const struct smbta_aead_link *l);

/* Seals whole plain V2 frames from the start of [data, data + n) while the wire buffer holds
 * less than a batch; returns the bytes of plain frames taken (0: none) and their number in
 * *frames. */
size_t smbta_aead_link_seal(struct smbta_aead_link *l, const char *data, size_t n,
			    uint64_t *frames);

/* The wire bytes not yet sent (the hello, sealed frames), and how many were sent. */
const char *smbta_aead_link_pending(const struct smbta_aead_link *l, size_t *n);
void smbta_aead_link_sent(struct smbta_aead_link *l, size_t n);

/* Sealed frames not completely sent: lost when the connection breaks. */
uint64_t smbta_aead_link_unsent_frames(const struct smbta_aead_link *l);

#ifdef __cplusplus
}
#endif

#endif

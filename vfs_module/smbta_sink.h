/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbta_sink: the VFS module's bounded record queue and its non-blocking connection to smbtad. */
/*
 * Why a type of its own: delivering records (the queue bound, connect and reconnect with
 * backoff, batched non-blocking sends from smbd's tevent loop, drop accounting and the drop
 * notice, the linger at the last disconnect) is transport, and knows nothing of the VFS hooks
 * that produce the records. Keeping it apart leaves vfs_smb_traffic_analyzer.c the thin Samba
 * glue that turns VFS calls into records.
 *
 * Include after "includes.h" (talloc, tevent). One sink exists per smbd process and distinct
 * target (TCP host/port or Unix socket path, plus key file); tree connects that use the same
 * target share it. All calls are made on smbd's event loop thread.
 */
#ifndef SMBTA_VFS_SINK_H
#define SMBTA_VFS_SINK_H

#include <stdbool.h>

#include "smbta/v2_c_api.h"

#define SMBTA_SINK_DEFAULT_QUEUE_SIZE (4 * 1024 * 1024)
#define SMBTA_SINK_MIN_QUEUE_SIZE (64 * 1024)
#define SMBTA_SINK_DEFAULT_FLUSH_MS 10
#define SMBTA_SINK_DEFAULT_SPOOL_DIR "/var/lib/samba/smbta-spool"
#define SMBTA_SINK_DEFAULT_SPOOL_SIZE (32LL * 1024 * 1024)
#define SMBTA_SINK_SENDER_MAX 96 /* "host:pid:random" of common block 9, with its NUL */

struct smbta_sink;

/* Where a sink sends, and its bounds. The first user of a target sets the bounds. */
struct smbta_sink_config {
	bool unix_socket;
	const char *host; /* TCP */
	int port;
	const char *socket_path;  /* Unix socket */
	const char *socket_owner; /* Unix socket: a user (name or uid) trusted besides root to
				   * own it and its directories (smbtad's user); NULL: root only */
	const char *key_file;     /* NULL: records are sent unencrypted */
	bool authenticated;       /* the authenticated transport (AES-256-GCM, smbta_aead.h)
				   * instead of legacy AES-128-ECB; needs key_file */
	int queue_size;           /* bytes; below SMBTA_SINK_MIN_QUEUE_SIZE: the default */
	int send_buffer;          /* SO_SNDBUF; 0 = the kernel's default */
	int flush_ms;             /* 0 .. 1000; 0 sends after every request */
	const char *spool_dir;    /* the module's spool (smbta_spool.h); NULL: none */
	long long spool_size;     /* bytes; 0: no spool */
};

/* Fills the common blocks (user, SID, share, domain, client IP, timestamp) of a drop notice
 * from the identity of `origin`, the opaque pointer the records were put with. */
typedef void (*smbta_sink_identity_fn)(void *origin, struct smbta_c_record *r);

/* The sink for cfg's target in this process, created (and connected) on first use; NULL when
 * it cannot be set up (the reason is logged; a bad key file never falls back to sending in
 * clear text). Every successful call is paired with one smbta_sink_release(). */
struct smbta_sink *smbta_sink_get(struct tevent_context *ev, const struct smbta_sink_config *cfg,
				  smbta_sink_identity_fn identity);

/* Encodes r into the queue and schedules sending it; never blocks. While smbtad cannot be
 * reached, or the queue is full, the record goes to the spool (if configured); when that is
 * full too it is dropped and counted, and reported later with a drop notice in origin's name.
 * A process that reaches smbtad replays the spool's segments once its queue is empty. */
void smbta_sink_put(struct smbta_sink *s, const struct smbta_c_record *r, void *origin);

/* One user (origin) is done with the sink. The last one tries briefly to send what is queued
 * and frees the sink. */
void smbta_sink_release(struct smbta_sink *s, void *origin);

/* "smbtad at HOST port PORT" or "smbtad at unix socket PATH", for log lines. */
const char *smbta_sink_label(const struct smbta_sink *s);

#endif

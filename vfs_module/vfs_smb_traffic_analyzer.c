/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smb_traffic_analyzer: Samba VFS module reporting file activity to smbtad (protocol V2).
 *
 * smbta re-implementation for Samba 4.17 (VFS interface 47). Records are encoded by smbta's
 * common V2 encoder (common/smbta/v2_c_api.h), so the module and smbtad cannot drift apart.
 *
 * Never blocking smbd
 * -------------------
 * Each smbd process (smbd forks one per client) owns its sinks: one per distinct target
 * (TCP host/port or Unix socket path, plus key file), shared by all tree connects of that
 * process that use it. A sink is a bounded byte queue of whole encoded frames plus a
 * non-blocking socket driven from smbd's own tevent loop:
 *   - a hook encodes its record straight into the queue and schedules a tevent immediate,
 *     so all records produced while serving one request go out in one send() after it;
 *   - when the socket is full, a TEVENT_FD_WRITE event resumes sending; while the socket is
 *     down, a tevent timer reconnects with exponential backoff (100 ms .. 10 s);
 *   - when the queue is full the record is dropped and counted; once there is room again a
 *     drop notice record (op 90) and a log line report how many records were lost.
 * Why tevent and not a sender thread: the VFS hooks already run on smbd's event loop thread, so
 * there is no locking, nothing to re-create after fork, and no thread that smbd's own fork()
 * calls (printing, notifyd, ...) would leave in an undefined state. The cost of a syscall per
 * loop iteration is paid only when there is something to send.
 */

#include "includes.h"
#include "smbd/smbd.h"
#include "smbd/globals.h"
#include "auth.h"
#include "../libcli/security/security.h"
#include "lib/tsocket/tsocket.h"
#include "lib/util/tevent_unix.h"
#include "lib/global_contexts.h"

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "smbta/v2_c_api.h"
#include "libcrypto_dl.h"

#undef DBGC_CLASS
#define DBGC_CLASS DBGC_VFS

#define MODULE "smb_traffic_analyzer"
#define DEFAULT_PORT 3490
#define DEFAULT_SOCKET_PATH "/var/tmp/stadsocket"
#define DEFAULT_QUEUE_SIZE (4 * 1024 * 1024)
#define MIN_QUEUE_SIZE (64 * 1024)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define DEFAULT_FLUSH_MS 10
#define FLUSH_BYTES (32 * 1024) /* send at once when this much is queued */
/* at the last tree disconnect: give up after this long without progress */
#define LINGER_IDLE_MS 50
#define LINGER_TOTAL_MS 500 /* ... or after this long in total */

/* ------------------------------------------------------------------------------------------ */
/* Sinks                                                                                       */

enum sink_state { SINK_DOWN, SINK_CONNECTING, SINK_UP };

struct smbta_conn;

struct smbta_sink {
	struct smbta_sink *prev, *next;
	char *id;    /* "tcp:host:port|keyfile" or "unix:path|keyfile" */
	char *label; /* for log lines */
	bool unix_socket;
	char *host, *port, *socket_path;
	struct smbta_c_cipher *cipher;
	int refcount;
	pid_t pid;
	pthread_t owner;
	int send_buffer; /* SO_SNDBUF, 0 = kernel default */

	struct tevent_context *ev;
	enum sink_state state;
	int fd;
	struct tevent_fd *fde;
	struct tevent_timer *retry;
	struct tevent_immediate *im;
	bool im_scheduled;
	struct tevent_timer *flush_te;
	unsigned flush_ms; /* 0: send after every request */
	unsigned backoff_ms;
	bool down_logged;

	/* Queue: bytes [head, tail) of buf are unsent whole frames, except that the frame starting
	 * before `boundary` may already be partly sent. */
	char *buf;
	size_t cap, max, head, tail, boundary;

	uint64_t drop_records, drop_bytes; /* not yet reported */
	uint64_t total_drop_records;
	uint64_t sent_frames;
	struct smbta_conn *last_conn; /* identity for drop notices */
};

static struct smbta_sink *sinks;
static pid_t sinks_pid;

/* Per tree connect. */
struct smbta_conn {
	struct smbta_sink *sink;
	char *share;
	char *client_ip;
	/* identity, recomputed when conn->session_info changes (SMB1 can switch users on a conn) */
	const struct auth_session_info *session_info;
	char *user, *sid, *domain;
	char *anon_prefix;
	bool total_anon;
	bool latency;
};

static void sink_flush(struct smbta_sink *s);
static void sink_connect(struct smbta_sink *s);

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t frame_size_at(const char *p)
{
	/* Header: "V2." + 6 flag bytes + 17-digit body length. */
	size_t len = 0;
	int i;
	for (i = 9; i < 26; i++) {
		len = len * 10 + (size_t)(p[i] - '0');
	}
	return 26 + len;
}

static void sink_update_fd_flags(struct smbta_sink *s)
{
	uint16_t flags = 0;
	if (s->fde == NULL) {
		return;
	}
	if (s->state == SINK_CONNECTING) {
		/* tevent reports a socket error (a refused connect) only to fds waiting for READ */
		flags = TEVENT_FD_READ | TEVENT_FD_WRITE;
	} else if (s->state == SINK_UP) {
		flags = TEVENT_FD_READ; /* smbtad never sends: readable means EOF or error */
		if (s->head < s->tail) {
			flags |= TEVENT_FD_WRITE;
		}
	}
	tevent_fd_set_flags(s->fde, flags);
}

static void sink_retry_handler(struct tevent_context *ev, struct tevent_timer *te,
			       struct timeval now, void *private_data)
{
	struct smbta_sink *s = talloc_get_type_abort(private_data, struct smbta_sink);
	s->retry = NULL;
	DBG_DEBUG(MODULE ": %s: reconnecting\n", s->label);
	sink_connect(s);
}

static void sink_schedule_retry(struct smbta_sink *s)
{
	if (s->retry != NULL || s->refcount <= 0) {
		return;
	}
	DBG_DEBUG(MODULE ": %s: reconnecting in %u ms\n", s->label, s->backoff_ms);
	s->retry = tevent_add_timer(
		s->ev, s,
		tevent_timeval_current_ofs(s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000),
		sink_retry_handler, s);
	s->backoff_ms = MIN(s->backoff_ms * 2, BACKOFF_MAX_MS);
}

static void sink_close_fd(struct smbta_sink *s)
{
	TALLOC_FREE(s->fde);
	if (s->fd != -1) {
		close(s->fd);
		s->fd = -1;
	}
	s->state = SINK_DOWN;
}

/* The connection failed or broke: drop the rest of a partly sent frame (the receiver discards
 * a truncated frame with the connection anyway) and reconnect later. */
static void sink_down(struct smbta_sink *s, const char *what, int err)
{
	if (!s->down_logged) {
		DBG_WARNING(MODULE ": %s %s: %s; records are queued (up to %zu bytes) "
				   "and the module reconnects\n",
			    what, s->label, err != 0 ? strerror(err) : "closed by peer", s->max);
		s->down_logged = true;
	} else {
		DBG_INFO(MODULE ": %s %s: %s\n", what, s->label,
			 err != 0 ? strerror(err) : "closed by peer");
	}
	if (s->boundary > s->head) {
		s->drop_records += 1;
		s->drop_bytes += s->boundary - s->head;
		s->total_drop_records += 1;
		s->head = s->boundary;
	}
	sink_close_fd(s);
	sink_schedule_retry(s);
}

static void sink_fd_handler(struct tevent_context *ev, struct tevent_fd *fde, uint16_t flags,
			    void *private_data)
{
	struct smbta_sink *s = talloc_get_type_abort(private_data, struct smbta_sink);

	if (s->state == SINK_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
			err = errno;
		}
		if (err != 0) {
			sink_down(s, "cannot connect to", err);
			return;
		}
		s->state = SINK_UP;
	} else if (s->state == SINK_UP && (flags & TEVENT_FD_READ)) {
		char scratch[256];
		ssize_t n = recv(s->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		if (n == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			sink_down(s, "lost connection to", n == 0 ? 0 : errno);
			return;
		}
	}
	if (s->state == SINK_UP) {
		if (s->down_logged) {
			DBG_WARNING(MODULE ": connected to %s\n", s->label);
			s->down_logged = false;
		}
		s->backoff_ms = BACKOFF_MIN_MS;
		sink_flush(s);
	}
}

static int sink_connect_addr(struct smbta_sink *s, const struct sockaddr *sa, socklen_t salen)
{
	int fd, ret, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		return errno;
	}
	if (s->send_buffer > 0) {
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s->send_buffer, sizeof(s->send_buffer));
	}
	/* A Unix socket may only be writable by root; the connection outlives the privilege. */
	become_root();
	ret = connect(fd, sa, salen);
	err = errno;
	unbecome_root();
	if (ret == 0 || err == EINPROGRESS) {
		s->fd = fd;
		s->state = ret == 0 ? SINK_UP : SINK_CONNECTING;
		return 0;
	}
	close(fd);
	return err;
}

static void sink_connect(struct smbta_sink *s)
{
	int err = 0;

	if (s->state != SINK_DOWN || s->refcount <= 0) {
		return;
	}
	if (s->unix_socket) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		if (strlcpy(sun.sun_path, s->socket_path, sizeof(sun.sun_path)) >=
		    sizeof(sun.sun_path)) {
			err = ENAMETOOLONG;
		} else {
			err = sink_connect_addr(s, (struct sockaddr *)&sun, sizeof(sun));
		}
	} else {
		struct addrinfo hints = {
			.ai_socktype = SOCK_STREAM,
			.ai_flags = AI_ADDRCONFIG,
		};
		struct addrinfo *res = NULL, *ai;
		int gai = getaddrinfo(s->host, s->port, &hints, &res);
		if (gai != 0) {
			if (!s->down_logged) {
				DBG_WARNING(MODULE ": cannot resolve %s: %s\n", s->label,
					    gai_strerror(gai));
				s->down_logged = true;
			}
			sink_schedule_retry(s);
			return;
		}
		err = ENOENT;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			err = sink_connect_addr(s, ai->ai_addr, ai->ai_addrlen);
			if (err == 0) {
				break;
			}
		}
		freeaddrinfo(res);
	}
	if (err != 0) {
		sink_down(s, "cannot connect to", err);
		return;
	}
	s->fde = tevent_add_fd(s->ev, s, s->fd, 0, sink_fd_handler, s);
	if (s->fde == NULL) {
		sink_down(s, "out of memory for", ENOMEM);
		return;
	}
	if (s->state == SINK_UP) {
		sink_fd_handler(s->ev, s->fde, 0, s);
	} else {
		sink_update_fd_flags(s);
	}
}

static void sink_immediate_handler(struct tevent_context *ev, struct tevent_immediate *im,
				   void *private_data)
{
	struct smbta_sink *s = talloc_get_type_abort(private_data, struct smbta_sink);
	s->im_scheduled = false;
	sink_flush(s);
}

static void sink_flush_timer_handler(struct tevent_context *ev, struct tevent_timer *te,
				     struct timeval now, void *private_data)
{
	struct smbta_sink *s = talloc_get_type_abort(private_data, struct smbta_sink);
	s->flush_te = NULL;
	sink_flush(s);
}

/* Records are sent in batches: after flush_ms, or at once when FLUSH_BYTES are queued. Every
 * send() wakes the receiver, and on a small machine that shares its CPUs with smbd, waking it
 * for every SMB request costs more than the module's own work. */
static void sink_kick(struct smbta_sink *s)
{
	if (s->state != SINK_UP || s->im_scheduled) {
		return;
	}
	if (s->flush_ms == 0 || s->tail - s->head >= FLUSH_BYTES) {
		if (s->im == NULL) {
			return;
		}
		TALLOC_FREE(s->flush_te);
		tevent_schedule_immediate(s->im, s->ev, sink_immediate_handler, s);
		s->im_scheduled = true;
		return;
	}
	if (s->flush_te == NULL) {
		s->flush_te = tevent_add_timer(s->ev, s,
					       tevent_timeval_current_ofs(0, s->flush_ms * 1000),
					       sink_flush_timer_handler, s);
	}
}

/* Makes room for n more bytes; false when the queue bound does not allow it. */
static bool sink_reserve(struct smbta_sink *s, size_t n)
{
	size_t used = s->tail - s->head;
	if (s->tail + n <= s->cap) {
		return true;
	}
	if (used + n > s->max) {
		return false;
	}
	if (s->head > 0) {
		memmove(s->buf, s->buf + s->head, used);
		s->boundary -= s->head;
		s->tail = used;
		s->head = 0;
		if (s->tail + n <= s->cap) {
			return true;
		}
	}
	{
		size_t ncap = MAX(s->cap * 2, used + n);
		char *nbuf;
		ncap = MIN(ncap, s->max);
		nbuf = talloc_realloc(s, s->buf, char, ncap);
		if (nbuf == NULL) {
			return false;
		}
		s->buf = nbuf;
		s->cap = ncap;
	}
	return true;
}

static void smbta_fill_common(struct smbta_conn *c, struct smbta_c_record *r);

/* Encodes into the queue; returns the frame size, or 0 when it was dropped. */
static size_t sink_put(struct smbta_sink *s, const struct smbta_c_record *r, bool notice,
		       uint64_t records, uint64_t bytes)
{
	size_t n;
	for (;;) {
		char *dst = s->buf + s->tail;
		size_t room = s->cap - s->tail;
		n = notice ? smbta_c_encode_drop_notice(r, records, bytes, s->cipher, dst, room)
			   : smbta_c_encode_frame(r, s->cipher, dst, room);
		if (n == 0) {
			return 0;
		}
		if (n <= room) {
			s->tail += n;
			return n;
		}
		if (!sink_reserve(s, n)) {
			return 0;
		}
	}
}

/* Reports drops once the queue has room again (and we know whose identity to use). */
static void sink_maybe_notice(struct smbta_sink *s)
{
	struct smbta_c_record r = {.latency_us = -1};
	uint64_t records = s->drop_records, bytes = s->drop_bytes;

	if (records == 0 || s->last_conn == NULL || s->state != SINK_UP) {
		return;
	}
	if ((s->tail - s->head) > s->max / 2) {
		return;
	}
	smbta_fill_common(s->last_conn, &r);
	r.latency_us = -1;
	if (sink_put(s, &r, true, records, bytes) == 0) {
		return;
	}
	DBG_WARNING(MODULE ": %s: dropped %" PRIu64 " records (%" PRIu64 " bytes) while "
			   "smbtad was unreachable or too slow; %" PRIu64 " dropped since start\n",
		    s->label, records, bytes, s->total_drop_records);
	s->drop_records = 0;
	s->drop_bytes = 0;
	sink_kick(s);
}

static void sink_flush(struct smbta_sink *s)
{
	while (s->state == SINK_UP && s->head < s->tail) {
		ssize_t n = send(s->fd, s->buf + s->head, s->tail - s->head,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			s->head += (size_t)n;
			while (s->boundary < s->head) {
				s->boundary += frame_size_at(s->buf + s->boundary);
				s->sent_frames++;
			}
			continue;
		}
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		sink_down(s, "lost connection to", n < 0 ? errno : 0);
		return;
	}
	if (s->head == s->tail) {
		s->head = s->tail = s->boundary = 0;
	}
	if (s->drop_records > 0) {
		sink_maybe_notice(s);
	}
	sink_update_fd_flags(s);
}

static void sink_enqueue(struct smbta_conn *c, const struct smbta_c_record *r)
{
	struct smbta_sink *s = c->sink;
	size_t n;

	if (!pthread_equal(pthread_self(), s->owner)) {
		/* Not smbd's event loop thread (no hook we wrap does this in 4.17): the queue has
		 * no lock, so the record is counted as lost rather than risking the process. */
		s->drop_records++;
		s->total_drop_records++;
		return;
	}
	s->last_conn = c;
	if (s->drop_records > 0) {
		sink_maybe_notice(s);
	}
	n = sink_put(s, r, false, 0, 0);
	if (n == 0) {
		if (s->drop_records == 0) {
			DBG_WARNING(MODULE ": %s: queue full (%zu bytes), dropping records until "
					   "smbtad takes them again\n",
				    s->label, s->max);
		}
		s->drop_records++;
		s->drop_bytes += smbta_c_encode_frame(r, s->cipher, NULL, 0);
		s->total_drop_records++;
		return;
	}
	sink_kick(s);
}

static int sink_destructor(struct smbta_sink *s)
{
	if (s->fd != -1) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->cipher != NULL) {
		smbta_c_cipher_free(s->cipher);
		s->cipher = NULL;
	}
	return 0;
}

/* Called at the last tree disconnect of a sink, which is usually just before the smbd process
 * exits: send what is queued if the receiver takes it promptly, never wait long. */
static void sink_linger(struct smbta_sink *s)
{
	int64_t start = mono_us(), last_progress = start;

	while (s->head < s->tail && (s->state == SINK_UP || s->state == SINK_CONNECTING)) {
		struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
		int64_t now = mono_us();
		int timeout;
		size_t before = s->head;

		if (now - last_progress > LINGER_IDLE_MS * 1000 ||
		    now - start > LINGER_TOTAL_MS * 1000) {
			break;
		}
		timeout = (int)((LINGER_IDLE_MS * 1000 - (now - last_progress)) / 1000) + 1;
		if (poll(&pfd, 1, timeout) <= 0) {
			continue;
		}
		if (s->state == SINK_CONNECTING) {
			sink_fd_handler(s->ev, s->fde, TEVENT_FD_WRITE, s);
		} else {
			sink_flush(s);
		}
		if (s->head != before) {
			last_progress = mono_us();
		}
	}
	if (s->head < s->tail || s->drop_records > 0) {
		uint64_t left = 0;
		size_t p = s->boundary > s->head ? s->boundary : s->head;
		left += s->boundary > s->head ? 1 : 0;
		while (p < s->tail) {
			p += frame_size_at(s->buf + p);
			left++;
		}
		DBG_WARNING(MODULE ": %s: %" PRIu64 " records could not be delivered before the "
				   "last disconnect (%" PRIu64
				   " dropped earlier, not yet reported)\n",
			    s->label, left, s->drop_records);
	}
}

static struct smbta_sink *sink_get(struct tevent_context *ev, bool unix_socket, const char *host,
				   int port, const char *socket_path, const char *key_file,
				   int queue_size, int send_buffer, int flush_ms)
{
	struct smbta_sink *s;
	char *id;

	if (sinks_pid != getpid()) {
		/* Inherited from the parent over fork: the parent owns those sockets and their event
		 * context. Forget them (their memory belongs to the pre-fork image). */
		for (s = sinks; s != NULL; s = s->next) {
			if (s->fd != -1) {
				close(s->fd);
			}
		}
		sinks = NULL;
		sinks_pid = getpid();
	}
	id = unix_socket ? talloc_asprintf(talloc_tos(), "unix:%s|%s", socket_path,
					   key_file ? key_file : "")
			 : talloc_asprintf(talloc_tos(), "tcp:%s:%d|%s", host, port,
					   key_file ? key_file : "");
	if (id == NULL) {
		return NULL;
	}
	for (s = sinks; s != NULL; s = s->next) {
		if (strcmp(s->id, id) == 0 && s->ev == ev) {
			TALLOC_FREE(id);
			s->refcount++;
			if (s->state == SINK_DOWN && s->retry == NULL) {
				sink_connect(s);
			}
			return s;
		}
	}

	s = talloc_zero(NULL, struct smbta_sink);
	if (s == NULL) {
		TALLOC_FREE(id);
		return NULL;
	}
	s->fd = -1;
	talloc_set_destructor(s, sink_destructor);
	s->id = talloc_steal(s, id);
	s->unix_socket = unix_socket;
	if (unix_socket) {
		s->socket_path = talloc_strdup(s, socket_path);
		s->label = talloc_asprintf(s, "smbtad at unix socket %s", socket_path);
	} else {
		s->host = talloc_strdup(s, host);
		s->port = talloc_asprintf(s, "%d", port);
		s->label = talloc_asprintf(s, "smbtad at %s port %d", host, port);
	}
	s->ev = ev;
	s->pid = getpid();
	s->owner = pthread_self();
	s->backoff_ms = BACKOFF_MIN_MS;
	s->im = tevent_create_immediate(s);
	/* The first share to use a target sets its queue bound. */
	s->max = queue_size >= MIN_QUEUE_SIZE ? (size_t)queue_size : DEFAULT_QUEUE_SIZE;
	s->send_buffer = send_buffer > 0 ? send_buffer : 0;
	s->flush_ms = flush_ms >= 0 && flush_ms <= 1000 ? (unsigned)flush_ms : DEFAULT_FLUSH_MS;
	s->refcount = 1;
	if (s->label == NULL || s->im == NULL ||
	    (unix_socket ? s->socket_path == NULL : (s->host == NULL || s->port == NULL))) {
		TALLOC_FREE(s);
		return NULL;
	}
	if (key_file != NULL) {
		unsigned char key[16];
		char err[256];
		int ret;
		become_root();
		ret = smbta_c_load_key_file(key_file, key, err, sizeof(err));
		unbecome_root();
		if (ret != 0) {
			DBG_ERR(MODULE ": %s; records to %s are NOT sent (refusing to send them "
				       "unencrypted)\n",
				err, s->label);
			TALLOC_FREE(s);
			return NULL;
		}
		/* libcrypto is loaded here, not linked: processes that encrypt nothing never
		 * pay for loading it (libcrypto_dl.cpp). */
		if (smbta_libcrypto_load(err, sizeof(err)) != 0) {
			memset(key, 0, sizeof(key));
			DBG_ERR(MODULE ": %s; records to %s are NOT sent (refusing to send them "
				       "unencrypted)\n",
				err, s->label);
			TALLOC_FREE(s);
			return NULL;
		}
		s->cipher = smbta_c_cipher_new(key);
		memset(key, 0, sizeof(key));
		if (s->cipher == NULL) {
			DBG_ERR(MODULE ": cannot set up AES-128 for %s; records to it are NOT "
				       "sent\n",
				s->label);
			TALLOC_FREE(s);
			return NULL;
		}
	}
	DLIST_ADD(sinks, s);
	sink_connect(s);
	return s;
}

static void sink_release(struct smbta_sink *s)
{
	if (--s->refcount > 0) {
		return;
	}
	if (s->drop_records > 0 && s->state == SINK_UP) {
		sink_maybe_notice(s);
	}
	sink_linger(s);
	DBG_INFO(MODULE ": %s: closing after %" PRIu64 " records, %" PRIu64 " dropped\n", s->label,
		 s->sent_frames, s->total_drop_records);
	DLIST_REMOVE(sinks, s);
	TALLOC_FREE(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                     */

static char *smbta_anonymize(TALLOC_CTX *ctx, struct smbta_conn *c, const char *value)
{
	if (c->anon_prefix == NULL) {
		return talloc_strdup(ctx, value);
	}
	if (c->total_anon) {
		return talloc_strdup(ctx, c->anon_prefix);
	}
	return talloc_asprintf(ctx, "%s%i", c->anon_prefix, (int)smbta_c_str_checksum(value));
}

static void smbta_refresh_identity(struct smbta_conn *c, connection_struct *conn)
{
	const struct auth_session_info *si = conn->session_info;
	struct dom_sid_buf sidbuf;
	const char *user = "", *sid = "", *domain = "";

	if (c->session_info == si && c->user != NULL) {
		return;
	}
	TALLOC_FREE(c->user);
	TALLOC_FREE(c->sid);
	TALLOC_FREE(c->domain);
	if (si != NULL) {
		if (si->unix_info != NULL && si->unix_info->sanitized_username != NULL) {
			user = si->unix_info->sanitized_username;
		}
		if (si->security_token != NULL && si->security_token->num_sids > 0) {
			sid = dom_sid_str_buf(&si->security_token->sids[0], &sidbuf);
		}
		if (si->info != NULL && si->info->domain_name != NULL) {
			domain = si->info->domain_name;
		}
	}
	c->user = smbta_anonymize(c, c, user);
	c->sid = smbta_anonymize(c, c, sid);
	c->domain = talloc_strdup(c, domain);
	c->session_info = si;
}

static void smbta_fill_common(struct smbta_conn *c, struct smbta_c_record *r)
{
	r->user = c->user;
	r->sid = c->sid;
	r->share = c->share;
	r->domain = c->domain;
	r->client_ip = c->client_ip;
	r->timestamp_ms = smbta_c_local_now_ms();
}

static struct smbta_conn *smbta_get(vfs_handle_struct *handle)
{
	struct smbta_conn *c = (struct smbta_conn *)handle->data;
	if (c == NULL || c->sink == NULL) {
		return NULL;
	}
	smbta_refresh_identity(c, handle->conn);
	return c;
}

static void smbta_send(vfs_handle_struct *handle, int op, const char *path, const char *path2,
		       uint64_t length, uint32_t mode, int64_t result, int64_t start_us)
{
	struct smbta_conn *c = smbta_get(handle);
	struct smbta_c_record r = {.op = op};

	if (c == NULL) {
		return;
	}
	smbta_fill_common(c, &r);
	r.latency_us = c->latency && start_us > 0 ? mono_us() - start_us : -1;
	r.path = path;
	r.path2 = path2;
	r.length = length;
	r.mode = mode;
	/* The original printed the int result with %u: -1 -> 4294967295. */
	r.result = (uint64_t)(uint32_t)(int32_t)result;
	sink_enqueue(c, &r);
}

static uint64_t smbta_length(ssize_t n)
{
	return n < 0 ? SMBTA_C_FAILED : (uint64_t)n;
}

static const char *fsp_name(const files_struct *fsp)
{
	if (fsp == NULL || fsp->fsp_name == NULL || fsp->fsp_name->base_name == NULL) {
		return "";
	}
	return fsp->fsp_name->base_name;
}

/* Share-relative path of dirfsp/atname (4.17 passes the last component relative to dirfsp). */
static const char *at_path(TALLOC_CTX *ctx, const struct files_struct *dirfsp,
			   const struct smb_filename *atname)
{
	struct smb_filename *full;
	if (atname == NULL || atname->base_name == NULL) {
		return "";
	}
	if (dirfsp == NULL || atname->base_name[0] == '/') {
		return atname->base_name;
	}
	full = full_path_from_dirfsp_atname(ctx, dirfsp, atname);
	if (full == NULL || full->base_name == NULL) {
		return atname->base_name;
	}
	return full->base_name;
}

/* ------------------------------------------------------------------------------------------ */
/* VFS hooks                                                                                   */

static void smbta_conn_free(void **data)
{
	struct smbta_conn *c = (struct smbta_conn *)*data;
	if (c == NULL) {
		return;
	}
	if (c->sink != NULL) {
		struct smbta_sink *s = c->sink;
		if (s->last_conn == c) {
			/* keep the identity for a final drop notice during the linger */
			s->last_conn = s->refcount == 1 ? c : NULL;
		}
		sink_release(s);
		c->sink = NULL;
	}
	TALLOC_FREE(c);
	*data = NULL;
}

static int smb_traffic_analyzer_connect(vfs_handle_struct *handle, const char *service,
					const char *user)
{
	connection_struct *conn = handle->conn;
	int snum = SNUM(conn);
	int ret = SMB_VFS_NEXT_CONNECT(handle, service, user);
	struct smbta_conn *c;
	const char *proto, *mode, *host, *socket_path, *key_file, *prefix;
	bool unix_socket;
	int port, queue_size;
	static bool v1_logged;

	if (ret < 0) {
		return ret;
	}
	/* From here on nothing may fail the tree connect: without a sink the share simply is
	 * not reported (and the reason is logged). */
	c = talloc_zero(NULL, struct smbta_conn);
	if (c == NULL) {
		DBG_ERR(MODULE ": out of memory; share %s is not reported\n", service);
		return ret;
	}
	proto = lp_parm_const_string(snum, MODULE, "protocol_version", "V2");
	if (!strequal(proto, "V2") && !v1_logged) {
		DBG_WARNING(MODULE ": protocol_version = %s is not supported; sending V2\n", proto);
		v1_logged = true;
	}
	mode = lp_parm_const_string(snum, MODULE, "mode", "internet_socket");
	unix_socket = mode != NULL && strstr(mode, "unix_domain_socket") != NULL;
	host = lp_parm_const_string(snum, MODULE, "host", "localhost");
	port = lp_parm_int(snum, MODULE, "port", DEFAULT_PORT);
	socket_path = lp_parm_const_string(snum, MODULE, "socket_path", DEFAULT_SOCKET_PATH);
	key_file = lp_parm_const_string(snum, MODULE, "key_file", NULL);
	if (key_file != NULL && key_file[0] == '\0') {
		key_file = NULL;
	}
	queue_size = lp_parm_int(snum, MODULE, "queue_size", DEFAULT_QUEUE_SIZE);
	prefix = lp_parm_const_string(snum, MODULE, "anonymize_prefix", NULL);
	if (prefix != NULL) {
		c->anon_prefix = talloc_strdup(c, prefix);
		/* As in the original: any value, even "no", switches total anonymization on. */
		c->total_anon =
			lp_parm_const_string(snum, MODULE, "total_anonymization", NULL) != NULL;
	}
	c->latency = lp_parm_bool(snum, MODULE, "latency", true);
	c->share = lp_servicename(c, loadparm_s3_global_substitution(), snum);
	c->client_ip = NULL;
	if (conn->sconn != NULL && conn->sconn->remote_address != NULL &&
	    tsocket_address_is_inet(conn->sconn->remote_address, "ip")) {
		c->client_ip = tsocket_address_inet_addr_string(conn->sconn->remote_address, c);
	}
	if (c->client_ip == NULL) {
		c->client_ip = talloc_strdup(c, "");
	}
	if (c->share == NULL || c->client_ip == NULL) {
		DBG_ERR(MODULE ": out of memory; share %s is not reported\n", service);
		TALLOC_FREE(c);
		return ret;
	}
	c->sink = sink_get(conn->sconn != NULL && conn->sconn->ev_ctx != NULL
				   ? conn->sconn->ev_ctx
				   : global_event_context(),
			   unix_socket, host, port, socket_path, key_file, queue_size,
			   lp_parm_int(snum, MODULE, "send_buffer", 0),
			   lp_parm_int(snum, MODULE, "flush_interval", DEFAULT_FLUSH_MS));
	if (c->sink == NULL) {
		DBG_ERR(MODULE ": share %s is not reported\n", service);
		TALLOC_FREE(c);
		return ret;
	}
	SMB_VFS_HANDLE_SET_DATA(handle, c, smbta_conn_free, struct smbta_conn, return ret);
	DBG_DEBUG(MODULE ": share %s reports to %s\n", service, c->sink->label);
	return ret;
}

static int smb_traffic_analyzer_mkdirat(vfs_handle_struct *handle, struct files_struct *dirfsp,
					const struct smb_filename *smb_fname, mode_t mode)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_MKDIRAT(handle, dirfsp, smb_fname, mode);
	if (handle->data != NULL) {
		smbta_send(handle, SMBTA_C_OP_MKDIR, at_path(talloc_tos(), dirfsp, smb_fname), NULL,
			   0, (uint32_t)mode, result, t0);
	}
	return result;
}

static int smb_traffic_analyzer_unlinkat(vfs_handle_struct *handle, struct files_struct *dirfsp,
					 const struct smb_filename *smb_fname, int flags)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_UNLINKAT(handle, dirfsp, smb_fname, flags);
	if (handle->data != NULL) {
		smbta_send(handle, (flags & AT_REMOVEDIR) ? SMBTA_C_OP_RMDIR : SMBTA_C_OP_UNLINK,
			   at_path(talloc_tos(), dirfsp, smb_fname), NULL, 0, 0, result, t0);
	}
	return result;
}

static int smb_traffic_analyzer_renameat(vfs_handle_struct *handle, struct files_struct *srcfsp,
					 const struct smb_filename *smb_fname_src,
					 struct files_struct *dstfsp,
					 const struct smb_filename *smb_fname_dst)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_RENAMEAT(handle, srcfsp, smb_fname_src, dstfsp, smb_fname_dst);
	if (handle->data != NULL) {
		smbta_send(handle, SMBTA_C_OP_RENAME, at_path(talloc_tos(), srcfsp, smb_fname_src),
			   at_path(talloc_tos(), dstfsp, smb_fname_dst), 0, 0, result, t0);
	}
	return result;
}

static int smb_traffic_analyzer_chdir(vfs_handle_struct *handle,
				      const struct smb_filename *smb_fname)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_CHDIR(handle, smb_fname);
	if (handle->data != NULL) {
		smbta_send(handle, SMBTA_C_OP_CHDIR, smb_fname->base_name, NULL, 0, 0, result, t0);
	}
	return result;
}

/* Handles smbd opens for its own bookkeeping (several per client request) are not client
 * opens; reporting them would only multiply the traffic:
 *  - pathref fsps (O_PATH handles for stat and *at() calls);
 *  - internal directory fsps (is_dirfsp), e.g. the directory scan of the case-insensitive
 *    name lookup before every create of a new file; smbd never hands them to a client;
 *  - O_PATH descriptors on fsps that are not (or no longer) marked pathref: the directory
 *    walk of openat_pathref_dirfsp_nosymlink() (every create below the share root) opens
 *    them and closes the intermediate directories before marking the last one pathref, and
 *    reopen_from_procfd() (a client open of an existing file) clears the mark before it
 *    opens the real descriptor and closes the O_PATH one. An O_PATH descriptor can neither
 *    read nor write, so no client open has one.
 * Client opens of directories (listings) are reported like files. */
static bool smbta_internal_open(const struct files_struct *fsp, const struct vfs_open_how *how)
{
	if (fsp->fsp_flags.is_pathref || fsp->fsp_flags.is_dirfsp) {
		return true;
	}
#ifdef O_PATH
	if (how->flags & O_PATH) {
		return true;
	}
#endif
	return false;
}

static bool smbta_internal_close(const struct files_struct *fsp)
{
	if (fsp->fsp_flags.is_pathref || fsp->fsp_flags.is_dirfsp) {
		return true;
	}
#ifdef O_PATH
	/* Both happen before the FSA layer takes the fsp (is_fsa), so a client's close of an
	 * open file never pays for the fcntl(). */
	if (!fsp->fsp_flags.is_fsa) {
		int fd = fsp_get_pathref_fd(fsp);
		int fl = fd != -1 ? fcntl(fd, F_GETFL) : -1;
		return fl != -1 && (fl & O_PATH);
	}
#endif
	return false;
}

static int smb_traffic_analyzer_openat(vfs_handle_struct *handle, const struct files_struct *dirfsp,
				       const struct smb_filename *smb_fname,
				       struct files_struct *fsp, const struct vfs_open_how *how)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_OPENAT(handle, dirfsp, smb_fname, fsp, how);
	if (handle->data != NULL && !smbta_internal_open(fsp, how)) {
		const char *name = fsp_name(fsp);
		if (name[0] == '\0') {
			name = at_path(talloc_tos(), dirfsp, smb_fname);
		}
		smbta_send(handle, SMBTA_C_OP_OPEN, name, NULL, 0, (uint32_t)how->mode, result, t0);
	}
	return result;
}

static int smb_traffic_analyzer_close(vfs_handle_struct *handle, files_struct *fsp)
{
	int64_t t0 = mono_us();
	bool internal = handle->data != NULL && smbta_internal_close(fsp);
	int result = SMB_VFS_NEXT_CLOSE(handle, fsp);
	if (handle->data != NULL && !internal) {
		smbta_send(handle, SMBTA_C_OP_CLOSE, fsp_name(fsp), NULL, 0, 0, result, t0);
	}
	return result;
}

static ssize_t smb_traffic_analyzer_pread(vfs_handle_struct *handle, files_struct *fsp, void *data,
					  size_t n, off_t offset)
{
	int64_t t0 = mono_us();
	ssize_t result = SMB_VFS_NEXT_PREAD(handle, fsp, data, n, offset);
	if (handle->data != NULL) {
		smbta_send(handle, SMBTA_C_OP_PREAD, fsp_name(fsp), NULL, smbta_length(result), 0,
			   0, t0);
	}
	return result;
}

static ssize_t smb_traffic_analyzer_pwrite(vfs_handle_struct *handle, files_struct *fsp,
					   const void *data, size_t n, off_t offset)
{
	int64_t t0 = mono_us();
	ssize_t result = SMB_VFS_NEXT_PWRITE(handle, fsp, data, n, offset);
	if (handle->data != NULL) {
		smbta_send(handle, SMBTA_C_OP_PWRITE, fsp_name(fsp), NULL, smbta_length(result), 0,
			   0, t0);
	}
	return result;
}

static ssize_t smb_traffic_analyzer_sendfile(vfs_handle_struct *handle, int tofd,
					     files_struct *fromfsp, const DATA_BLOB *hdr,
					     off_t offset, size_t n)
{
	int64_t t0 = mono_us();
	ssize_t result = SMB_VFS_NEXT_SENDFILE(handle, tofd, fromfsp, hdr, offset, n);
	if (handle->data != NULL) {
		smbta_send(handle, SMBTA_C_OP_READ, fsp_name(fromfsp), NULL, smbta_length(result),
			   0, 0, t0);
	}
	return result;
}

static ssize_t smb_traffic_analyzer_recvfile(vfs_handle_struct *handle, int fromfd,
					     files_struct *tofsp, off_t offset, size_t n)
{
	int64_t t0 = mono_us();
	ssize_t result = SMB_VFS_NEXT_RECVFILE(handle, fromfd, tofsp, offset, n);
	if (handle->data != NULL) {
		smbta_send(handle, SMBTA_C_OP_WRITE, fsp_name(tofsp), NULL, smbta_length(result), 0,
			   0, t0);
	}
	return result;
}

/* Async reads and writes (the only path SMB2 I/O takes in 4.17), wrapped as vfs_time_audit
 * does: the byte count and the latency are known in the completion. */
struct smbta_rw_state {
	vfs_handle_struct *handle;
	files_struct *fsp;
	int64_t t0;
	ssize_t ret;
	struct vfs_aio_state vfs_aio_state;
};

static void smb_traffic_analyzer_pread_done(struct tevent_req *subreq);

static struct tevent_req *smb_traffic_analyzer_pread_send(vfs_handle_struct *handle,
							  TALLOC_CTX *mem_ctx,
							  struct tevent_context *ev,
							  files_struct *fsp, void *data, size_t n,
							  off_t offset)
{
	struct tevent_req *req, *subreq;
	struct smbta_rw_state *state;

	req = tevent_req_create(mem_ctx, &state, struct smbta_rw_state);
	if (req == NULL) {
		return NULL;
	}
	state->handle = handle;
	state->fsp = fsp;
	state->t0 = mono_us();
	subreq = SMB_VFS_NEXT_PREAD_SEND(state, ev, handle, fsp, data, n, offset);
	if (tevent_req_nomem(subreq, req)) {
		return tevent_req_post(req, ev);
	}
	tevent_req_set_callback(subreq, smb_traffic_analyzer_pread_done, req);
	return req;
}

static void smb_traffic_analyzer_pread_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct smbta_rw_state *state = tevent_req_data(req, struct smbta_rw_state);

	state->ret = SMB_VFS_PREAD_RECV(subreq, &state->vfs_aio_state);
	TALLOC_FREE(subreq);
	if (state->handle->data != NULL) {
		smbta_send(state->handle, SMBTA_C_OP_PREAD, fsp_name(state->fsp), NULL,
			   smbta_length(state->ret), 0, 0, state->t0);
	}
	tevent_req_done(req);
}

static ssize_t smb_traffic_analyzer_rw_recv(struct tevent_req *req,
					    struct vfs_aio_state *vfs_aio_state)
{
	struct smbta_rw_state *state = tevent_req_data(req, struct smbta_rw_state);

	if (tevent_req_is_unix_error(req, &vfs_aio_state->error)) {
		return -1;
	}
	*vfs_aio_state = state->vfs_aio_state;
	return state->ret;
}

static void smb_traffic_analyzer_pwrite_done(struct tevent_req *subreq);

static struct tevent_req *smb_traffic_analyzer_pwrite_send(vfs_handle_struct *handle,
							   TALLOC_CTX *mem_ctx,
							   struct tevent_context *ev,
							   files_struct *fsp, const void *data,
							   size_t n, off_t offset)
{
	struct tevent_req *req, *subreq;
	struct smbta_rw_state *state;

	req = tevent_req_create(mem_ctx, &state, struct smbta_rw_state);
	if (req == NULL) {
		return NULL;
	}
	state->handle = handle;
	state->fsp = fsp;
	state->t0 = mono_us();
	subreq = SMB_VFS_NEXT_PWRITE_SEND(state, ev, handle, fsp, data, n, offset);
	if (tevent_req_nomem(subreq, req)) {
		return tevent_req_post(req, ev);
	}
	tevent_req_set_callback(subreq, smb_traffic_analyzer_pwrite_done, req);
	return req;
}

static void smb_traffic_analyzer_pwrite_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct smbta_rw_state *state = tevent_req_data(req, struct smbta_rw_state);

	state->ret = SMB_VFS_PWRITE_RECV(subreq, &state->vfs_aio_state);
	TALLOC_FREE(subreq);
	if (state->handle->data != NULL) {
		smbta_send(state->handle, SMBTA_C_OP_PWRITE, fsp_name(state->fsp), NULL,
			   smbta_length(state->ret), 0, 0, state->t0);
	}
	tevent_req_done(req);
}

static struct vfs_fn_pointers vfs_smb_traffic_analyzer_fns = {
	.connect_fn = smb_traffic_analyzer_connect,
	.mkdirat_fn = smb_traffic_analyzer_mkdirat,
	.unlinkat_fn = smb_traffic_analyzer_unlinkat,
	.renameat_fn = smb_traffic_analyzer_renameat,
	.chdir_fn = smb_traffic_analyzer_chdir,
	.openat_fn = smb_traffic_analyzer_openat,
	.close_fn = smb_traffic_analyzer_close,
	.pread_fn = smb_traffic_analyzer_pread,
	.pwrite_fn = smb_traffic_analyzer_pwrite,
	.pread_send_fn = smb_traffic_analyzer_pread_send,
	.pread_recv_fn = smb_traffic_analyzer_rw_recv,
	.pwrite_send_fn = smb_traffic_analyzer_pwrite_send,
	.pwrite_recv_fn = smb_traffic_analyzer_rw_recv,
	.sendfile_fn = smb_traffic_analyzer_sendfile,
	.recvfile_fn = smb_traffic_analyzer_recvfile,
};

NTSTATUS samba_init_module(TALLOC_CTX *ctx) __attribute__((visibility("default")));
NTSTATUS samba_init_module(TALLOC_CTX *ctx)
{
	return smb_register_vfs(SMB_VFS_INTERFACE_VERSION, MODULE, &vfs_smb_traffic_analyzer_fns);
}

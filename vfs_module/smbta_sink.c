/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smbta_sink: the bounded record queue of an smbd process and its connection to smbtad (see
 * smbta_sink.h for why it is apart from the VFS hooks).
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

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "smbta_sink.h"
#include "smbta_spool.h"
#include "libcrypto_dl.h"
#include "smbta_aead.h"
#include "smbta/socket_trust.h"

#undef DBGC_CLASS
#define DBGC_CLASS DBGC_VFS /* the module's log lines, wherever they come from */

#define MODULE "smb_traffic_analyzer"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define FLUSH_BYTES (32 * 1024) /* send at once when this much is queued */
/* at the last tree disconnect: give up after this long without progress */
#define LINGER_IDLE_MS 50
#define LINGER_TOTAL_MS 500 /* ... or after this long in total */
#define SPOOL_LOOK_MS 5000

enum sink_state { SINK_DOWN, SINK_CONNECTING, SINK_UP };

struct smbta_sink {
	struct smbta_sink *prev, *next;
	char *id;    /* "tcp:host:port|keyfile" or "unix:path|keyfile" */
	char *label; /* for log lines */
	bool unix_socket;
	char *host, *port, *socket_path;
	long socket_owner_uid; /* trusted besides root for the Unix socket; -1: none */
	struct smbta_c_cipher *cipher;
	struct smbta_aead_link *aead; /* authenticated transport: queued frames are plain */
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

	/* Common block 9: this process's name for itself towards smbtad and the number of the
	 * next record. A dropped record keeps its number, so smbtad sees a gap that the drop
	 * notice explains; any other gap is loss nobody reported (docs/protocol.md). */
	char sender[SMBTA_SINK_SENDER_MAX];
	uint64_t next_seq;

	/* Records kept on disk while smbtad is away (NULL: no spool). A claimed segment is
	 * replayed a piece at a time, each at most half the queue's bound (another process may
	 * have written it with a larger queue; the other half takes live records meanwhile): the
	 * piece is put into the empty queue, its frames occupying [0, replay_end) while
	 * `replaying`. */
	struct smbta_spool *spool;
	char *replay_data;             /* the claimed segment's whole frames */
	size_t replay_len, replay_off; /* ... and where its next piece starts */
	size_t replay_end;
	bool replaying;
	/* Whether a look into the spool may find something: the directory is read (as root) only
	 * then, not at every flush that empties the queue, which is smbd's hot path. Set by a new
	 * connection and by this process's own spooling, cleared by a look that finds nothing;
	 * segments other processes leave are found by a look every SPOOL_LOOK_MS. */
	bool spool_maybe;
	struct timespec spool_looked;
	uint64_t spooled_records, replayed_segments;

	uint64_t drop_records, drop_bytes; /* not yet reported */
	uint64_t total_drop_records;
	uint64_t sent_frames;
	void *last_origin; /* identity for drop notices */
	smbta_sink_identity_fn identity;
};

static struct smbta_sink *sinks;
static pid_t sinks_pid;
static pthread_t sinks_thread; /* where the sinks are made and used (smbd's event loop) */

static void sink_flush(struct smbta_sink *s);
static void sink_spill(struct smbta_sink *s);
static void sink_replay_release(struct smbta_sink *s);
static void sink_count_drop(struct smbta_sink *s, uint64_t records, uint64_t bytes);
static void sink_connect(struct smbta_sink *s);

/* The queue's frame at `off` belongs to the piece of a replayed segment being sent: if the
 * connection breaks, it stays in its segment (which is replayed again; smbtad drops the frames
 * it already has by their sequence numbers) and is neither spilled nor counted as dropped. */
static bool in_replay(const struct smbta_sink *s, size_t off)
{
	return s->replaying && off <= s->replay_end;
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

/* Authenticated transport: the hello and sealed frames wait in the link; queued frames can be
 * sealed only once smbtad's hello has arrived. */
static bool sink_aead_wants_write(struct smbta_sink *s)
{
	size_t pending;
	smbta_aead_link_pending(s->aead, &pending);
	return pending > 0 || (smbta_aead_link_ready(s->aead) && s->head < s->tail);
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
		if (s->aead != NULL ? sink_aead_wants_write(s) : s->head < s->tail) {
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
	if (s->aead != NULL) {
		/* Sealed for this connection only: what it did not carry completely is lost, unless
		 * it belongs to the replayed segment, which stays in the spool for the next replay
		 * (nothing beyond the piece is sealed while it is sent: sink_send_sealed). */
		uint64_t lost = smbta_aead_link_unsent_frames(s->aead);
		if (!s->replaying) {
			sink_count_drop(s, lost, 0);
		}
	}
	if (s->boundary > s->head) {
		/* A partly sent frame of a replayed segment stays in the segment. */
		if (!in_replay(s, s->boundary)) {
			sink_count_drop(s, 1, s->boundary - s->head);
		}
		s->head = s->boundary;
	}
	if (s->spool != NULL) {
		sink_spill(s);
	}
	sink_close_fd(s);
	sink_schedule_retry(s);
}

/* smbtad's hello; false when the connection was given up. */
static bool sink_aead_receive(struct smbta_sink *s, const char *data, size_t n)
{
	char err[256];
	if (smbta_aead_link_receive(s->aead, data, n, err, sizeof(err)) < 0) {
		DBG_ERR(MODULE ": %s: authenticated transport refused: %s (does smbtad have the "
			       "same key, -k, and support transport = authenticated?)\n",
			s->label, err);
		sink_down(s, "gave up the connection to", EPROTO);
		return false;
	}
	return true;
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
		if (n > 0 && s->aead != NULL && !sink_aead_receive(s, scratch, (size_t)n)) {
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
	if ((ret == 0 || err == EINPROGRESS) && s->aead != NULL &&
	    smbta_aead_link_start(s->aead) != 0) {
		close(fd);
		return EIO;
	}
	if (ret == 0 || err == EINPROGRESS) {
		s->fd = fd;
		s->state = ret == 0 ? SINK_UP : SINK_CONNECTING;
		s->spool_maybe = true; /* what was spooled while smbtad was away */
		return 0;
	}
	close(fd);
	return err;
}

/* Before every connection to the Unix socket: records go only to a socket that root or the
 * socket_owner bound, in directories nobody else can change (smbta/socket_trust.h). A socket
 * that fails the rule is treated like an unreachable smbtad: records queue (and are dropped
 * when the queue is full), the module retries, and the reason is logged once per outage. */
static bool sink_socket_trusted(struct smbta_sink *s, int *err)
{
	char reason[512];
	int ret;

	become_root(); /* the path may lead through directories only root can search */
	ret = smbta_c_socket_trusted(s->socket_path, s->socket_owner_uid, reason, sizeof(reason));
	unbecome_root();
	if (ret == 0) {
		return true;
	}
	if (ret == ENOENT) {
		*err = ENOENT; /* nobody listens: smbtad is down, reported as such */
		return false;
	}
	*err = 0;
	if (!s->down_logged) {
		DBG_ERR(MODULE ": refusing to send records to %s: %s (see socket_owner in "
			       "vfs_smb_traffic_analyzer(8)); records are queued and the module "
			       "retries\n",
			s->label, reason);
		s->down_logged = true;
	} else {
		DBG_INFO(MODULE ": still refusing %s: %s\n", s->label, reason);
	}
	sink_schedule_retry(s);
	return false;
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
		} else if (!sink_socket_trusted(s, &err)) {
			if (err == 0) {
				return; /* refused and logged; the retry is scheduled */
			}
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
		s->replay_end = s->replay_end > s->head ? s->replay_end - s->head : 0;
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

/* r with this process's name and the next sequence number (common block 9); the caller
 * moves next_seq on once the number is given out (a dropped record keeps its number too). */
static struct smbta_c_record sink_numbered(const struct smbta_sink *s,
					   const struct smbta_c_record *r, bool replayed)
{
	struct smbta_c_record numbered = *r;

	numbered.sequence = s->next_seq;
	numbered.sender = s->sender;
	numbered.replayed = replayed ? 1 : 0;
	return numbered;
}

/* Encodes into the queue with the next sequence number; returns the frame size, or 0 when it
 * did not fit (the number is then still free: the caller decides what becomes of it). */
static size_t sink_put(struct smbta_sink *s, const struct smbta_c_record *r, bool notice,
		       uint64_t records, uint64_t bytes)
{
	struct smbta_c_record numbered = sink_numbered(s, r, r->replayed != 0);
	size_t n;

	for (;;) {
		char *dst = s->buf + s->tail;
		size_t room = s->cap - s->tail;
		n = notice ? smbta_c_encode_drop_notice(&numbered, records, bytes, s->cipher, dst,
							room)
			   : smbta_c_encode_frame(&numbered, s->cipher, dst, room);
		if (n == 0) {
			return 0;
		}
		if (n <= room) {
			s->tail += n;
			s->next_seq++;
			return n;
		}
		if (!sink_reserve(s, n)) {
			return 0;
		}
	}
}

/* Frames in [p, p + n) from the start; a partial or malformed frame (a segment cut short)
 * ends them, and so does the first frame that would take them beyond `limit` (unless it is the
 * first: a frame is never split). Returns the length of the whole frames. */
static size_t whole_frames(const char *p, size_t n, size_t limit, uint64_t *count)
{
	size_t off = 0;
	*count = 0;
	while (n - off >= 26) {
		size_t len;
		int i;
		if (memcmp(p + off, "V2.", 3) != 0) {
			break;
		}
		for (i = 9; i < 26; i++) {
			if (p[off + i] < '0' || p[off + i] > '9') {
				return off;
			}
		}
		len = frame_size_at(p + off);
		if (len > n - off || (off > 0 && len > limit - MIN(off, limit))) {
			break;
		}
		off += len;
		(*count)++;
	}
	return off;
}

static void sink_count_drop(struct smbta_sink *s, uint64_t records, uint64_t bytes)
{
	s->drop_records += records;
	s->drop_bytes += bytes;
	s->total_drop_records += records;
}

/* A drop notice's common blocks, in the name of the last user (whose identity the log line of
 * the drops names too); false when there is nothing to report or nobody to report it for. */
static bool sink_notice_origin(struct smbta_sink *s, struct smbta_c_record *r)
{
	if (s->drop_records == 0 || s->last_origin == NULL) {
		return false;
	}
	*r = (struct smbta_c_record){.latency_us = -1};
	s->identity(s->last_origin, r);
	r->latency_us = -1; /* a notice times nothing */
	return true;
}

/* While smbtad is away: the record goes to the spool, marked as replayed, with its number. */
static void sink_spool_record(struct smbta_sink *s, const struct smbta_c_record *r)
{
	struct smbta_c_record numbered = sink_numbered(s, r, true);
	char stack[8192];
	char *buf = stack;
	size_t n;

	s->next_seq++;
	n = smbta_c_encode_frame(&numbered, s->cipher, stack, sizeof(stack));
	if (n > sizeof(stack)) {
		buf = talloc_size(s, n);
		n = buf != NULL ? smbta_c_encode_frame(&numbered, s->cipher, buf, n) : 0;
	}
	if (n > 0 && smbta_spool_append(s->spool, buf, n, false)) {
		s->spooled_records++;
		s->spool_maybe = true;
	} else {
		sink_count_drop(s, 1, n);
	}
	if (buf != stack) {
		TALLOC_FREE(buf);
	}
}

/* The process ends with drops not reported (smbtad was never reachable): the notice goes to
 * the spool, beyond its bound, so that the next replayer delivers the account too. */
static void sink_spool_notice(struct smbta_sink *s)
{
	struct smbta_c_record r;
	char buf[8192];
	size_t n;

	if (!sink_notice_origin(s, &r)) {
		return;
	}
	r = sink_numbered(s, &r, true);
	n = smbta_c_encode_drop_notice(&r, s->drop_records, s->drop_bytes, s->cipher, buf,
				       sizeof(buf));
	if (n == 0 || n > sizeof(buf) || !smbta_spool_append(s->spool, buf, n, true)) {
		return;
	}
	s->next_seq++;
	/* The drops may be records beyond spool_size or a frame half-sent when the connection
	 * broke: the text names neither cause. */
	DBG_WARNING(MODULE ": %s: dropped %" PRIu64 " records (%" PRIu64 " bytes) that "
			   "smbtad did not take and the spool could not keep; the drop notice "
			   "waits in the spool\n",
		    s->label, s->drop_records, s->drop_bytes);
	s->drop_records = 0;
	s->drop_bytes = 0;
}

/* The connection is gone: what is queued goes to the spool (a replayed segment's frames stay
 * in their segment, which is released for the next replayer). */
static void sink_spill(struct smbta_sink *s)
{
	size_t from = s->head;
	uint64_t count;
	size_t len;

	if (s->replaying) {
		from = MAX(s->head, s->replay_end);
	}
	sink_replay_release(s);
	/* In pieces of at most a segment: the queue may hold several times a segment's size, and a
	 * segment beyond that is refused by whoever replays it. */
	while (from < s->tail) {
		len = whole_frames(s->buf + from, s->tail - from,
				   smbta_spool_segment_size(s->spool), &count);
		if (len == 0) {
			break;
		}
		if (smbta_spool_append(s->spool, s->buf + from, len, false)) {
			s->spooled_records += count;
			s->spool_maybe = true;
		} else {
			sink_count_drop(s, count, len);
		}
		from += len;
	}
	s->head = s->tail = s->boundary = 0;
}

/* The claimed segment goes back to the spool, for whoever replays next. */
static void sink_replay_release(struct smbta_sink *s)
{
	TALLOC_FREE(s->replay_data);
	s->replay_len = s->replay_off = 0;
	s->replay_end = 0;
	s->replaying = false;
	smbta_spool_unclaim(s->spool);
}

/* Claims the oldest free segment of the spool (this process's own included); false when there
 * is none with frames. */
static bool sink_replay_claim(struct smbta_sink *s)
{
	int tries;

	smbta_spool_seal(s->spool);
	for (tries = 0; tries < 16; tries++) {
		char *data = NULL;
		size_t len = 0, valid;
		uint64_t count;

		if (!smbta_spool_claim(s->spool, &data, &len)) {
			s->spool_maybe = false;
			clock_gettime_mono(&s->spool_looked);
			return false;
		}
		valid = whole_frames(data, len, SIZE_MAX, &count);
		if (valid == 0) {
			TALLOC_FREE(data);
			smbta_spool_done(s->spool);
			continue;
		}
		s->replay_data = data;
		s->replay_len = valid;
		s->replay_off = 0;
		DBG_INFO(MODULE ": %s: replaying %" PRIu64 " spooled records\n", s->label, count);
		return true;
	}
	return false;
}

/* The queue is empty and smbtad takes records: the next piece of the claimed segment (or of
 * the oldest free one) goes into the queue. One piece per call, so that a long spool costs
 * smbd's loop a bounded time per iteration. */
static bool sink_replay_next(struct smbta_sink *s)
{
	if (!smbta_spool_claimed(s->spool) && !s->spool_maybe) {
		struct timespec now;
		clock_gettime_mono(&now);
		if (nsec_time_diff(&now, &s->spool_looked) < SPOOL_LOOK_MS * 1000000LL) {
			return false;
		}
	}
	while (smbta_spool_claimed(s->spool) || sink_replay_claim(s)) {
		uint64_t count;
		size_t len = whole_frames(s->replay_data + s->replay_off,
					  s->replay_len - s->replay_off, s->max / 2, &count);
		if (len > s->max / 2) {
			/* One frame beyond this queue's bound (not a frame this module makes): it
			 * cannot be replayed from here, and would hold up every segment behind it. */
			DBG_WARNING(MODULE
				    ": %s: a spooled frame of %zu bytes is too large for the queue "
				    "(%zu bytes); it is skipped\n",
				    s->label, len, s->max);
		} else if (!sink_reserve(s, len)) {
			sink_replay_release(s); /* out of memory: the segment waits for later */
			return false;
		} else {
			memcpy(s->buf + s->tail, s->replay_data + s->replay_off, len);
			s->tail += len;
			s->replay_off += len;
			s->replay_end = s->tail;
			s->replaying = true;
			return true;
		}
		s->replay_off += len;
		if (len == 0 || s->replay_off >= s->replay_len) {
			TALLOC_FREE(s->replay_data);
			smbta_spool_done(s->spool);
		}
	}
	return false;
}

/* "host:pid:random": unique per smbd process (a pid is reused, the random part is not), and
 * printable so that smbtad can show it. */
static void sink_make_sender(struct smbta_sink *s)
{
	char host[65] = "";
	uint32_t rnd = 0;
	size_t i;

	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
		strlcpy(host, "samba", sizeof(host));
	}
	for (i = 0; host[i] != '\0'; i++) {
		if ((unsigned char)host[i] < 0x21 || (unsigned char)host[i] > 0x7e) {
			host[i] = '_';
		}
	}
	generate_random_buffer((uint8_t *)&rnd, sizeof(rnd));
	snprintf(s->sender, sizeof(s->sender), "%s:%d:%08" PRIx32, host, (int)getpid(), rnd);
	s->next_seq = 1;
}

/* Reports drops once the queue has room again (and we know whose identity to use). */
static void sink_maybe_notice(struct smbta_sink *s)
{
	struct smbta_c_record r;
	uint64_t records = s->drop_records, bytes = s->drop_bytes;

	if (s->state != SINK_UP || (s->tail - s->head) > s->max / 2 || !sink_notice_origin(s, &r)) {
		return;
	}
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

/* A piece of a replayed segment is through once every frame of it went to the kernel (under
 * the authenticated transport: sealed, and the sealed bytes sent); after its last piece the
 * segment is done. */
static void sink_replay_check_done(struct smbta_sink *s)
{
	size_t pending = 0;

	if (!s->replaying || s->state != SINK_UP || s->head < s->replay_end) {
		return;
	}
	if (s->aead != NULL) {
		smbta_aead_link_pending(s->aead, &pending);
	}
	if (pending > 0) {
		return;
	}
	s->replaying = false;
	s->replay_end = 0;
	if (s->replay_off < s->replay_len) {
		return; /* the next piece once the queue is empty (sink_flush) */
	}
	TALLOC_FREE(s->replay_data);
	smbta_spool_done(s->spool);
	s->replayed_segments++;
}

/* Sends the link's hello and sealed frames, sealing queued frames a batch at a time; false
 * when the connection was lost. While a piece of a replayed segment is sent, nothing beyond it
 * is sealed: if the connection breaks, the link's unsent frames are all the segment's, which
 * stays in the spool, and none is counted as dropped. */
static bool sink_send_sealed(struct smbta_sink *s)
{
	while (s->state == SINK_UP) {
		size_t n;
		const char *p = smbta_aead_link_pending(s->aead, &n);
		ssize_t sent;
		if (n == 0) {
			uint64_t frames = 0;
			size_t limit, used;
			sink_replay_check_done(s);
			limit = s->replaying ? s->replay_end : s->tail;
			if (limit <= s->head) {
				return true;
			}
			used = smbta_aead_link_seal(s->aead, s->buf + s->head, limit - s->head,
						    &frames);
			if (used == 0) {
				return true;
			}
			s->head += used;
			s->boundary = s->head;
			s->sent_frames += frames;
			continue;
		}
		sent = send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent > 0) {
			smbta_aead_link_sent(s->aead, (size_t)sent);
			continue;
		}
		if (sent < 0 && errno == EINTR) {
			continue;
		}
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return true;
		}
		sink_down(s, "lost connection to", sent < 0 ? errno : 0);
		return false;
	}
	return true;
}

/* Authenticated transport: sealed bytes (or the hello) not yet sent. */
static bool sink_link_busy(struct smbta_sink *s)
{
	size_t pending = 0;
	if (s->aead != NULL) {
		smbta_aead_link_pending(s->aead, &pending);
	}
	return pending > 0;
}

static void sink_flush(struct smbta_sink *s)
{
	if (s->aead != NULL && !sink_send_sealed(s)) {
		return;
	}
	while (s->aead == NULL && s->state == SINK_UP && s->head < s->tail) {
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
	sink_replay_check_done(s);
	if (s->head == s->tail) {
		s->head = s->tail = s->boundary = 0;
	}
	if (s->drop_records > 0) {
		sink_maybe_notice(s);
	}
	/* The next segment once the queue (and the link's sealed bytes) are through, so that the
	 * link never holds live frames and a segment's at the same time (sink_down). */
	if (s->spool != NULL && s->state == SINK_UP && s->head == s->tail && !s->replaying &&
	    !sink_link_busy(s) && sink_replay_next(s)) {
		sink_kick(s);
	}
	sink_update_fd_flags(s);
}

void smbta_sink_put(struct smbta_sink *s, const struct smbta_c_record *r, void *origin)
{
	size_t n;

	if (!pthread_equal(pthread_self(), s->owner)) {
		/* Not smbd's event loop thread (no hook we wrap does this in 4.17): the queue has
		 * no lock, so the record is counted as lost rather than risking the process. */
		s->drop_records++;
		s->total_drop_records++;
		return;
	}
	s->last_origin = origin;
	if (s->drop_records > 0) {
		sink_maybe_notice(s);
	}
	if (s->spool != NULL && s->state == SINK_DOWN) {
		sink_spool_record(s, r);
		return;
	}
	n = sink_put(s, r, false, 0, 0);
	if (n == 0 && s->spool != NULL) {
		sink_spool_record(s, r); /* smbtad is too slow: the disk takes the rest */
		return;
	}
	if (n == 0) {
		s->next_seq++; /* the dropped record keeps its number: the notice explains the gap */
		if (s->drop_records == 0) {
			DBG_WARNING(MODULE ": %s: queue full (%zu bytes), dropping records until "
					   "smbtad takes them again\n",
				    s->label, s->max);
		}
		sink_count_drop(s, 1, smbta_c_encode_frame(r, s->cipher, NULL, 0));
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
	smbta_aead_link_free(s->aead);
	s->aead = NULL;
	return 0;
}

static int64_t us_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime_mono(&now);
	return nsec_time_diff(&now, t) / 1000;
}

/* The end of sink_linger with a spool: what smbtad did not take promptly waits on disk for the
 * next process, and so does the account of what was dropped. */
static void sink_linger_spool(struct smbta_sink *s)
{
	/* Sealed frames smbtad did not get completely are lost with the connection (a
	 * replayed segment's stay in the segment; after sink_down they are counted). */
	if (s->aead != NULL && s->state != SINK_DOWN && !s->replaying) {
		sink_count_drop(s, smbta_aead_link_unsent_frames(s->aead), 0);
	}
	/* What smbtad did not take promptly waits on disk for the next process. */
	if (s->head < s->tail) {
		if (s->boundary > s->head) {
			s->head = s->boundary; /* partly sent: smbtad has the rest or not */
			if (!in_replay(s, s->head)) {
				sink_count_drop(s, 1, 0);
			}
		}
		sink_spill(s);
	}
	sink_spool_notice(s);
	smbta_spool_seal(s->spool);
	sink_replay_release(s);
	if (s->spooled_records > 0) {
		DBG_NOTICE(MODULE ": %s: %" PRIu64 " records kept in the spool while smbtad "
				  "was unreachable\n",
			   s->label, s->spooled_records);
	}
}

/* Called at the last tree disconnect of a sink, which is usually just before the smbd process
 * exits: send what is queued if the receiver takes it promptly, never wait long. */
static void sink_linger(struct smbta_sink *s)
{
	struct timespec start, last_progress;

	clock_gettime_mono(&start);
	last_progress = start;

	while ((s->head < s->tail || (s->aead != NULL && sink_aead_wants_write(s))) &&
	       (s->state == SINK_UP || s->state == SINK_CONNECTING)) {
		struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
		bool handshake = s->aead != NULL && !smbta_aead_link_ready(s->aead);
		if (handshake) {
			/* smbtad's hello, before anything can be sealed */
			size_t pending;
			smbta_aead_link_pending(s->aead, &pending);
			pfd.events = pending > 0 ? POLLOUT | POLLIN : POLLIN;
		}
		int64_t idle_us = us_since(&last_progress);
		int timeout;
		size_t before = s->head;

		if (idle_us > LINGER_IDLE_MS * 1000 || us_since(&start) > LINGER_TOTAL_MS * 1000) {
			break;
		}
		timeout = (int)((LINGER_IDLE_MS * 1000 - idle_us) / 1000) + 1;
		if (poll(&pfd, 1, timeout) <= 0) {
			continue;
		}
		if (s->state == SINK_CONNECTING) {
			sink_fd_handler(s->ev, s->fde, TEVENT_FD_WRITE, s);
		} else if (handshake && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
			sink_fd_handler(s->ev, s->fde, TEVENT_FD_READ, s);
			if (s->aead != NULL && smbta_aead_link_ready(s->aead)) {
				clock_gettime_mono(&last_progress);
			}
		} else {
			sink_flush(s);
		}
		if (s->head != before) {
			clock_gettime_mono(&last_progress);
		}
	}
	if (s->spool != NULL) {
		sink_linger_spool(s);
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

/* socket_owner: a user name, or a numeric uid. */
static bool sink_resolve_owner(const char *owner, long *uid)
{
	struct passwd *pw;
	char *end = NULL;
	unsigned long n;

	errno = 0;
	n = strtoul(owner, &end, 10);
	if (errno == 0 && end != owner && *end == '\0' && n < (unsigned long)INT32_MAX) {
		*uid = (long)n;
		return true;
	}
	pw = getpwnam(owner);
	if (pw == NULL) {
		return false;
	}
	*uid = (long)pw->pw_uid;
	return true;
}

/* In the child of any fork: the spool's descriptors go at once, not at the child's first
 * smbta_sink_get (which a child that serves no share never calls). A flock belongs to the open
 * file description, which the child shares: while it kept it open, the parent's seal or unclaim
 * released nothing, and no other process could replay the segment until the child exited.
 * Only close(2) here (async-signal-safe, as a fork handler must be); the sockets stay for
 * smbta_sink_get, since the child's copy of tevent may still refer to them. Only in a fork
 * from the thread that owns the sinks: another thread's fork may have caught that thread
 * changing the list. */
static void sink_atfork_child(void)
{
	struct smbta_sink *s;

	if (sinks == NULL || !pthread_equal(pthread_self(), sinks_thread)) {
		return;
	}
	for (s = sinks; s != NULL; s = s->next) {
		if (s->spool != NULL) {
			smbta_spool_close_inherited(s->spool);
		}
	}
}

struct smbta_sink *smbta_sink_get(struct tevent_context *ev, const struct smbta_sink_config *cfg,
				  smbta_sink_identity_fn identity)
{
	static bool atfork_registered; /* inherited by children with the handler itself */
	struct smbta_sink *s;
	char *id;

	if (sinks_pid != getpid()) {
		/* Inherited from the parent over fork: the parent owns those sockets and their event
		 * context. Forget them (their memory belongs to the pre-fork image). */
		for (s = sinks; s != NULL; s = s->next) {
			if (s->fd != -1) {
				close(s->fd);
			}
			if (s->spool != NULL) {
				smbta_spool_close_inherited(s->spool);
			}
		}
		sinks = NULL;
		sinks_pid = getpid();
	}
	if (sinks == NULL) {
		sinks_thread = pthread_self();
	}
	if (!atfork_registered) {
		/* glibc removes the handler if smbd unloads the module */
		if (pthread_atfork(NULL, NULL, sink_atfork_child) != 0) {
			DBG_WARNING(MODULE
				    ": pthread_atfork failed; a forked child keeps the spool's "
				    "locks until it exits\n");
		}
		atfork_registered = true;
	}
	id = cfg->unix_socket
		     ? talloc_asprintf(talloc_tos(), "unix:%s|%s|%s|%d", cfg->socket_path,
				       cfg->socket_owner ? cfg->socket_owner : "",
				       cfg->key_file ? cfg->key_file : "", (int)cfg->authenticated)
		     : talloc_asprintf(talloc_tos(), "tcp:%s:%d|%s|%d", cfg->host, cfg->port,
				       cfg->key_file ? cfg->key_file : "", (int)cfg->authenticated);
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
	s->unix_socket = cfg->unix_socket;
	s->socket_owner_uid = -1;
	if (cfg->unix_socket) {
		s->socket_path = talloc_strdup(s, cfg->socket_path);
		s->label = talloc_asprintf(s, "smbtad at unix socket %s", cfg->socket_path);
		if (cfg->socket_owner != NULL && cfg->socket_owner[0] != '\0' &&
		    !sink_resolve_owner(cfg->socket_owner, &s->socket_owner_uid)) {
			DBG_ERR(MODULE ": socket_owner = %s is no user of this system; only a "
				       "socket owned by root is trusted\n",
				cfg->socket_owner);
		}
	} else {
		s->host = talloc_strdup(s, cfg->host);
		s->port = talloc_asprintf(s, "%d", cfg->port);
		s->label = talloc_asprintf(s, "smbtad at %s port %d", cfg->host, cfg->port);
	}
	s->ev = ev;
	s->pid = getpid();
	s->owner = pthread_self();
	s->backoff_ms = BACKOFF_MIN_MS;
	sink_make_sender(s);
	s->im = tevent_create_immediate(s);
	/* The first share to use a target sets its queue bound. */
	s->max = cfg->queue_size >= SMBTA_SINK_MIN_QUEUE_SIZE ? (size_t)cfg->queue_size
							      : SMBTA_SINK_DEFAULT_QUEUE_SIZE;
	s->send_buffer = cfg->send_buffer > 0 ? cfg->send_buffer : 0;
	s->flush_ms = cfg->flush_ms >= 0 && cfg->flush_ms <= 1000 ? (unsigned)cfg->flush_ms
								  : SMBTA_SINK_DEFAULT_FLUSH_MS;
	s->identity = identity;
	s->refcount = 1;
	if (s->label == NULL || s->im == NULL ||
	    (cfg->unix_socket ? s->socket_path == NULL : (s->host == NULL || s->port == NULL))) {
		TALLOC_FREE(s);
		return NULL;
	}
	if (cfg->authenticated && cfg->key_file == NULL) {
		DBG_ERR(MODULE ": transport = authenticated needs a key_file; records to %s are "
			       "NOT sent\n",
			s->label);
		TALLOC_FREE(s);
		return NULL;
	}
	if (cfg->key_file != NULL) {
		unsigned char key[16];
		char err[256];
		int ret;
		become_root();
		ret = smbta_c_load_key_file(cfg->key_file, key, err, sizeof(err));
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
		if (cfg->authenticated) {
			s->aead = smbta_aead_link_new(key);
		} else {
			s->cipher = smbta_c_cipher_new(key);
		}
		memset(key, 0, sizeof(key));
		if (cfg->authenticated && s->aead == NULL) {
			DBG_ERR(MODULE
				": cannot set up the authenticated transport for %s; records "
				"to it are NOT sent\n",
				s->label);
			TALLOC_FREE(s);
			return NULL;
		}
		if (!cfg->authenticated && s->cipher == NULL) {
			DBG_ERR(MODULE ": cannot set up AES-128 for %s; records to it are NOT "
				       "sent\n",
				s->label);
			TALLOC_FREE(s);
			return NULL;
		}
	}
	if (cfg->spool_size > 0) {
		s->spool = smbta_spool_open(s, cfg->spool_dir, (uint64_t)cfg->spool_size, s->id,
					    s->max / 2);
	}
	DLIST_ADD(sinks, s);
	sink_connect(s);
	return s;
}

void smbta_sink_release(struct smbta_sink *s, void *origin)
{
	if (s->last_origin == origin) {
		/* The last user keeps its identity for a final drop notice during the linger. */
		s->last_origin = s->refcount == 1 ? origin : NULL;
	}
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

const char *smbta_sink_label(const struct smbta_sink *s)
{
	return s->label;
}

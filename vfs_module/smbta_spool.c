/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smbta_spool: segment files of encoded frames that smbtad could not take (see smbta_spool.h
 * for the layout and why it is apart from the sink).
 *
 * Costs on smbd's event loop: while smbtad is away, each record is one write(2) into the page
 * cache of an already open file (no fsync: a power cut may lose what the kernel had not written,
 * a crash of smbd loses nothing). Opening, renaming and scanning happen once per segment
 * (1 MiB), replay reads one segment at a time.
 */

#include "includes.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "smbta_spool.h"

#undef DBGC_CLASS
#define DBGC_CLASS DBGC_VFS

#define MODULE "smb_traffic_analyzer"

struct smbta_spool {
	char *dir;          /* <dir>/<target> */
	uint64_t max_bytes; /* bound of all segments together */
	size_t segment_size;
	uint64_t seen_bytes;     /* segments of all processes at the last scan, but fd's */
	struct timespec scanned; /* when (monotonic) */

	int fd;        /* this process's open segment, flock'ed; -1: none */
	char *fd_name; /* its name in dir (the scan leaves it to fd_bytes) */
	uint64_t fd_bytes;
	bool full_logged;

	int claim_fd; /* the segment being replayed, flock'ed; -1: none */
	char *claim_path;
};

static int spool_destructor(struct smbta_spool *sp)
{
	smbta_spool_seal(sp);
	if (sp->claim_fd != -1) {
		close(sp->claim_fd); /* unlocked: someone replays it later */
		sp->claim_fd = -1;
	}
	return 0;
}

/* Creates dir as root with mode 0700 and checks what is there: a spool another user could
 * write into would let that user inject records in any name. */
static bool spool_prepare_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		DBG_ERR(MODULE ": cannot create spool directory %s: %s; records are not spooled\n",
			dir, strerror(errno));
		return false;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 0077) != 0) {
		DBG_ERR(MODULE ": spool directory %s must be a directory owned by root with mode "
			       "0700; records are not spooled\n",
			dir);
		return false;
	}
	return true;
}

/* A target id ("tcp:host:port|key") as one safe file name component. */
static char *spool_target_name(TALLOC_CTX *mem, const char *target)
{
	char *name = talloc_strdup(mem, target);
	char *p;

	if (name == NULL) {
		return NULL;
	}
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-') {
			*p = '_';
		}
	}
	if (strlen(name) > 200) {
		name[200] = '\0';
	}
	return name;
}

struct smbta_spool *smbta_spool_open(TALLOC_CTX *mem, const char *dir, uint64_t max_bytes,
				     const char *target, size_t segment_size)
{
	struct smbta_spool *sp;
	char *name;
	bool ok;

	if (max_bytes == 0 || dir == NULL || dir[0] == '\0') {
		return NULL;
	}
	sp = talloc_zero(mem, struct smbta_spool);
	if (sp == NULL) {
		return NULL;
	}
	sp->fd = -1;
	sp->claim_fd = -1;
	sp->max_bytes = max_bytes;
	sp->segment_size = MIN(MAX(segment_size, 4096), SMBTA_SPOOL_SEGMENT_SIZE);
	name = spool_target_name(sp, target);
	sp->dir = name != NULL ? talloc_asprintf(sp, "%s/%s", dir, name) : NULL;
	if (sp->dir == NULL) {
		TALLOC_FREE(sp);
		return NULL;
	}
	talloc_set_destructor(sp, spool_destructor);
	become_root();
	ok = spool_prepare_dir(dir) && spool_prepare_dir(sp->dir);
	unbecome_root();
	if (!ok) {
		TALLOC_FREE(sp);
		return NULL;
	}
	return sp;
}

static bool is_segment_name(const char *n)
{
	size_t len = strlen(n);
	return len > 4 && strcmp(n + len - 4, ".seg") == 0 && isdigit((unsigned char)n[0]);
}

/* Names sort by age (seconds and nanoseconds of creation, fixed width). */
static int segment_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sums the segments' sizes (but that of this process's open segment, counted in fd_bytes);
 * with `oldest`, also finds the oldest segment nobody holds and
 * returns it opened and locked (as root: the directory is root's). */
static uint64_t spool_scan(struct smbta_spool *sp, int *oldest_fd, char **oldest_path)
{
	DIR *d;
	struct dirent *e;
	uint64_t total = 0;
	char **names = NULL;
	size_t count = 0, i;

	d = opendir(sp->dir);
	if (d == NULL) {
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (!is_segment_name(e->d_name) ||
		    (sp->fd_name != NULL && strcmp(e->d_name, sp->fd_name) == 0)) {
			continue;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			total += (uint64_t)st.st_size;
			if (oldest_fd != NULL) {
				char **n = talloc_realloc(sp, names, char *, count + 1);
				if (n != NULL) {
					names = n;
					names[count] = talloc_strdup(names, e->d_name);
					if (names[count] != NULL) {
						count++;
					}
				}
			}
		}
	}
	closedir(d);
	if (oldest_fd != NULL) {
		*oldest_fd = -1;
		if (count > 0) {
			qsort(names, count, sizeof(names[0]), segment_name_cmp);
		}
		for (i = 0; i < count; i++) {
			char *path = talloc_asprintf(sp, "%s/%s", sp->dir, names[i]);
			int fd;
			if (path == NULL) {
				break;
			}
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
				struct stat st;
				/* Removed by its replayer between readdir and open: gone. */
				if (fstat(fd, &st) == 0 && st.st_nlink > 0) {
					*oldest_fd = fd;
					*oldest_path = path;
					break;
				}
			}
			if (fd != -1) {
				close(fd);
			}
			TALLOC_FREE(path);
		}
	}
	TALLOC_FREE(names);
	sp->seen_bytes = total;
	clock_gettime_mono(&sp->scanned);
	return total;
}

static bool spool_new_segment(struct smbta_spool *sp)
{
	struct timespec now;
	char *path, *tmp;
	int fd = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	path = talloc_asprintf(talloc_tos(), "%s/%012lld%09ld-%d.seg", sp->dir,
			       (long long)now.tv_sec, (long)now.tv_nsec, (int)getpid());
	tmp = path != NULL ? talloc_asprintf(path, "%s.new", path) : NULL;
	if (tmp == NULL) {
		TALLOC_FREE(path);
		return false;
	}
	become_root();
	spool_scan(sp, NULL, NULL);
	/* Created under another name and locked before it is renamed into view: a replayer never
	 * sees a segment its writer does not hold yet. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd != -1 && (flock(fd, LOCK_EX | LOCK_NB) != 0 || rename(tmp, path) != 0)) {
		unlink(tmp);
		close(fd);
		fd = -1;
	}
	unbecome_root();
	if (fd == -1) {
		DBG_WARNING(MODULE ": cannot create a spool segment in %s: %s\n", sp->dir,
			    strerror(errno));
		TALLOC_FREE(path);
		return false;
	}
	sp->fd_name = talloc_strdup(sp, strrchr(path, '/') + 1);
	TALLOC_FREE(path);
	sp->fd = fd;
	sp->fd_bytes = 0;
	return true;
}

bool smbta_spool_append(struct smbta_spool *sp, const char *frames, size_t n, bool over_bound)
{
	ssize_t w;

	if (sp->fd != -1 && sp->fd_bytes + n > sp->segment_size) {
		smbta_spool_seal(sp);
	}
	if (sp->fd == -1 && !spool_new_segment(sp)) {
		return false;
	}
	if (!over_bound && sp->seen_bytes + sp->fd_bytes + n > sp->max_bytes) {
		struct timespec now;
		/* Full at the last look: others may have replayed segments since (a process that
		 * cannot reach smbtad itself would otherwise drop records until it opens its next
		 * segment, which a full spool never lets it do). At most once a second. */
		clock_gettime_mono(&now);
		if (nsec_time_diff(&now, &sp->scanned) >= 1000000000LL) {
			become_root();
			spool_scan(sp, NULL, NULL);
			unbecome_root();
		}
	}
	if (!over_bound && sp->seen_bytes + sp->fd_bytes + n > sp->max_bytes) {
		if (!sp->full_logged) {
			DBG_WARNING(MODULE ": spool %s is full (%" PRIu64 " bytes, "
					   "smb_traffic_analyzer:spool_size); records are "
					   "dropped and reported\n",
				    sp->dir, sp->max_bytes);
			sp->full_logged = true;
		}
		return false;
	}
	/* At the segment's end as this process counts it, not at the file offset: after a short
	 * write the offset stays beyond the cut, and a write there would leave a hole of zeros
	 * that ends the segment's whole frames (everything after it would be lost). */
	w = pwrite(sp->fd, frames, n, (off_t)sp->fd_bytes);
	if (w != (ssize_t)n) {
		/* A short write leaves a partial frame: cut it off so the segment stays whole (if the
		 * cut fails, the next append overwrites it). */
		if (w > 0 && ftruncate(sp->fd, (off_t)sp->fd_bytes) != 0) {
			DBG_WARNING(MODULE ": spool %s: %s\n", sp->dir, strerror(errno));
		}
		if (!sp->full_logged) {
			DBG_WARNING(MODULE
				    ": cannot write to spool %s: %s; records are dropped and "
				    "reported\n",
				    sp->dir, w < 0 ? strerror(errno) : "disk full");
			sp->full_logged = true;
		}
		return false;
	}
	sp->fd_bytes += n;
	sp->full_logged = false;
	return true;
}

void smbta_spool_seal(struct smbta_spool *sp)
{
	if (sp->fd == -1) {
		return;
	}
	close(sp->fd); /* drops the lock: the segment is replayable */
	sp->fd = -1;
	TALLOC_FREE(sp->fd_name);
	sp->seen_bytes += sp->fd_bytes;
	sp->fd_bytes = 0;
}

bool smbta_spool_claim(struct smbta_spool *sp, char **data, size_t *len)
{
	int fd = -1;
	char *path = NULL;
	struct stat st;
	char *buf;
	size_t got = 0;
	int err = 0;

	if (sp->claim_fd != -1) {
		return false;
	}
	become_root();
	spool_scan(sp, &fd, &path);
	unbecome_root();
	if (fd == -1) {
		return false;
	}
	if (fstat(fd, &st) != 0 || st.st_size > SMBTA_SPOOL_SEGMENT_SIZE + 65536) {
		/* Not a segment this module wrote (at most one frame beyond the segment size). */
		DBG_WARNING(MODULE ": spool segment %s is not usable; removing it\n", path);
		become_root();
		unlink(path);
		unbecome_root();
		close(fd);
		TALLOC_FREE(path);
		return false;
	}
	buf = talloc_size(sp, (size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		TALLOC_FREE(path);
		return false;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			err = r < 0 ? errno : 0;
			break;
		}
		got += (size_t)r;
	}
	if (got != (size_t)st.st_size) {
		/* Done would remove the whole file for the part that was read: it stays for a later
		 * claim (by this process or another). */
		DBG_WARNING(MODULE ": cannot read spool segment %s (%zu of %zu bytes): %s; it is "
				   "replayed later\n",
			    path, got, (size_t)st.st_size,
			    err != 0 ? strerror(err) : "shorter than its size");
		TALLOC_FREE(buf);
		close(fd);
		TALLOC_FREE(path);
		return false;
	}
	sp->claim_fd = fd;
	sp->claim_path = path;
	*data = buf;
	*len = got;
	return true;
}

void smbta_spool_done(struct smbta_spool *sp)
{
	if (sp->claim_fd == -1) {
		return;
	}
	become_root();
	if (unlink(sp->claim_path) != 0) {
		DBG_WARNING(MODULE ": cannot remove replayed spool segment %s: %s\n",
			    sp->claim_path, strerror(errno));
	}
	unbecome_root();
	close(sp->claim_fd);
	sp->claim_fd = -1;
	TALLOC_FREE(sp->claim_path);
}

void smbta_spool_unclaim(struct smbta_spool *sp)
{
	if (sp->claim_fd == -1) {
		return;
	}
	close(sp->claim_fd);
	sp->claim_fd = -1;
	TALLOC_FREE(sp->claim_path);
}

bool smbta_spool_claimed(const struct smbta_spool *sp)
{
	return sp->claim_fd != -1;
}

size_t smbta_spool_segment_size(const struct smbta_spool *sp)
{
	return sp->segment_size;
}

uint64_t smbta_spool_bytes(const struct smbta_spool *sp)
{
	return sp->seen_bytes + sp->fd_bytes;
}

void smbta_spool_close_inherited(struct smbta_spool *sp)
{
	if (sp->fd != -1) {
		close(sp->fd);
		sp->fd = -1;
	}
	if (sp->claim_fd != -1) {
		close(sp->claim_fd);
		sp->claim_fd = -1;
	}
}

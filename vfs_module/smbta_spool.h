/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbta_spool: the module's bounded on-disk spool of records smbtad could not take yet. */
/*
 * Why a type of its own: keeping records across an outage of smbtad (and across the end of the
 * smbd process that produced them) is storage, with its own rules - files, locks between smbd
 * processes, a size bound - that the sink's connection handling should not carry.
 *
 * Layout: <dir>/<target>/ (root, 0700) holds segment files of whole encoded frames, named
 * "<seconds:12><nanoseconds:9>-<pid>.seg" so that names sort by age. The process writing a
 * segment holds an exclusive flock(2) on it; a process replaying one takes the same lock, so a
 * segment is written by one process and replayed by one at a time. A segment whose writer died
 * is unlocked and is replayed like any other. Include after "includes.h".
 */
#ifndef SMBTA_VFS_SPOOL_H
#define SMBTA_VFS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMBTA_SPOOL_SEGMENT_SIZE (1024 * 1024) /* a segment is closed beyond this */

struct smbta_spool;

/* Opens (creating it root-owned 0700) the spool of one target under dir; NULL when the spool is
 * disabled (max_bytes 0) or unusable (logged). `target` names the sink's target; segments are
 * closed beyond segment_size (at most SMBTA_SPOOL_SEGMENT_SIZE: a replayed segment must fit
 * the sink's queue). */
struct smbta_spool *smbta_spool_open(TALLOC_CTX *mem, const char *dir, uint64_t max_bytes,
				     const char *target, size_t segment_size);

/* Appends whole frames to this process's open segment; false when the size bound (or the disk)
 * does not allow it: the caller counts them as dropped. One pwrite(2) per call. `over_bound`:
 * the bound does not apply (a drop notice: without it the drops would go unreported). */
bool smbta_spool_append(struct smbta_spool *sp, const char *frames, size_t n, bool over_bound);

/* The size beyond which a segment is closed: a caller with more frames than this appends
 * them in pieces of at most this size (a larger segment is not replayed). */
size_t smbta_spool_segment_size(const struct smbta_spool *sp);

/* Closes this process's open segment, if any (it becomes replayable by others at once). */
void smbta_spool_seal(struct smbta_spool *sp);

/* Claims the oldest segment nobody else holds, and reads it into *data (talloc'd on sp,
 * *len bytes of whole frames). Returns false when there is none. Only one claim at a time. */
bool smbta_spool_claim(struct smbta_spool *sp, char **data, size_t *len);

/* The claimed segment's frames were all handed to smbtad: remove it. */
void smbta_spool_done(struct smbta_spool *sp);

/* The connection broke during the replay: the segment stays, for whoever replays next (smbtad
 * drops the frames it already has by their sequence numbers). */
void smbta_spool_unclaim(struct smbta_spool *sp);

/* True while a claimed segment waits for smbta_spool_done(). */
bool smbta_spool_claimed(const struct smbta_spool *sp);

/* After fork: the child closes the parent's descriptors (and with them nothing of the locks,
 * which stay the parent's) and leaves the rest alone. */
void smbta_spool_close_inherited(struct smbta_spool *sp);

/* Bytes of segments in the spool at the last look (for log lines). */
uint64_t smbta_spool_bytes(const struct smbta_spool *sp);

#endif

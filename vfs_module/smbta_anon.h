/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbta_anon: what the VFS module sends in place of the names that identify a user. */
/*
 * Why a type of its own: anonymization is a privacy rule that spans every field of a record
 * (user, SID, share, paths), with three modes of different strength and a secret key that must
 * be checked before anything is sent. Kept apart, the rule is one file that can be read and
 * tested as a whole, and the VFS hooks only ask it for the names to send.
 *
 * Include after "includes.h" (talloc, loadparm).
 */
#ifndef SMBTA_VFS_ANON_H
#define SMBTA_VFS_ANON_H

#include <stdbool.h>

/* How user names and SIDs are replaced (smb_traffic_analyzer:anonymize_prefix,
 * total_anonymization, pseudonym_key_file). */
enum smbta_anon_mode {
	SMBTA_ANON_NONE,   /* sent as they are */
	SMBTA_ANON_PREFIX, /* prefix + lookup3 hash: 1.2.x compatible, reversible by anyone with a
			       * list of names (hash them and compare) */
	SMBTA_ANON_PSEUDONYM, /* prefix + HMAC-SHA256 under a secret key: stable per user, not
			       * reversible without the key */
	SMBTA_ANON_TOTAL,     /* the prefix alone: every user is the same one */
};

/* A share's anonymization settings (talloc'ed; the key is wiped when it is freed). */
struct smbta_anon;

/* Reads the share's parameters. Returns false when the share must not be reported at all (a
 * pseudonym key file that is missing, unreadable, not owned by root, readable by group or others,
 * or of the wrong size; the reason is logged): names are never sent in clear text instead.
 * *out is NULL when the share does not anonymize. */
bool smbta_anon_setup(TALLOC_CTX *mem_ctx, int snum, const char *service, struct smbta_anon **out);

enum smbta_anon_mode smbta_anon_mode(const struct smbta_anon *a);

/* The value sent for a user name (kind "user") or SID (kind "sid"). */
char *smbta_anon_name(TALLOC_CTX *ctx, const struct smbta_anon *a, const char *kind,
		      const char *value);

/* The user's names that must not appear in a record, and what replaces them (a user's
 * anonymized name). Names are compared without regard to ASCII case; a name of three or more
 * bytes is replaced wherever it occurs, a shorter one only where it is a whole path component
 * (so that a user "al" does not rewrite "calendar"). */
struct smbta_anon_names {
	const char *names[3];
	const char *replacement;
};

/* s with every occurrence of the names replaced (s itself when there is none). */
const char *smbta_anon_rewrite(TALLOC_CTX *ctx, const struct smbta_anon_names *n, const char *s);

/* A path as sent on an anonymizing share: an absolute server path inside the share (chdir)
 * relative to the share root ("." for the root), so that the server's directory layout (e.g.
 * /home/anna) is not sent; then smbta_anon_rewrite. */
const char *smbta_anon_path(TALLOC_CTX *ctx, const struct smbta_anon_names *n,
			    const char *connectpath, const char *path);

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smbta_anon: the names the VFS module sends in place of those that identify a user (see
 * smbta_anon.h for why it is apart from the hooks).
 *
 * The pseudonym is HMAC-SHA256 over "user\0NAME" (or "sid\0SID") under the key of
 * pseudonym_key_file, its first 8 bytes as 16 lower-case hex digits after the prefix. The
 * key stays on the Samba server: smbtad and whoever reads its database see a stable name per
 * user that nobody can map back to a user without the key (an administrator who has it can
 * compute a given user's pseudonym, vfs_smb_traffic_analyzer(8) shows how). The key is read as
 * root at tree connect from a root-owned file that nobody else can read; libcrypto is loaded
 * only then (libcrypto_dl.cpp).
 */

#include "includes.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "smbta_anon.h"
#include "libcrypto_dl.h"
#include "smbta/v2_c_api.h"

#undef DBGC_CLASS
#define DBGC_CLASS DBGC_VFS

#define MODULE "smb_traffic_analyzer"
#define KEY_MIN 16
#define KEY_MAX 4096
#define PSEUDONYM_BYTES 8

struct smbta_anon {
	enum smbta_anon_mode mode;
	char *prefix;
	unsigned char *key; /* pseudonym mode */
	size_t key_len;
};

static int anon_destructor(struct smbta_anon *a)
{
	if (a->key != NULL) {
		memset_s(a->key, a->key_len, 0, a->key_len);
	}
	return 0;
}

/* The key file's bytes into a->key, as root. False with the reason in why. */
static bool anon_read_key(struct smbta_anon *a, const char *path, char *why, size_t whylen)
{
	unsigned char buf[KEY_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, err;

	become_root();
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	err = errno;
	unbecome_root();
	if (fd == -1) {
		snprintf(why, whylen, "cannot open it: %s", strerror(err));
		return false;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot stat it: %s", strerror(errno));
		close(fd);
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
	} else if (st.st_uid != 0) {
		snprintf(why, whylen, "owned by uid %u, not root", (unsigned)st.st_uid);
	} else if ((st.st_mode & 077) != 0) {
		snprintf(why, whylen, "mode %04o: readable or writable by group or others",
			 (unsigned)(st.st_mode & 07777));
	} else {
		why[0] = '\0';
	}
	if (why[0] != '\0') {
		close(fd);
		return false;
	}
	n = 0;
	err = 0;
	while ((size_t)n < sizeof(buf)) {
		ssize_t got = read(fd, buf + n, sizeof(buf) - (size_t)n);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got <= 0) {
			if (got < 0) {
				err = errno;
				n = -1;
			}
			break;
		}
		n += got;
	}
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "cannot read it: %s", strerror(err));
		return false;
	}
	if (n < KEY_MIN || n > KEY_MAX) {
		memset_s(buf, sizeof(buf), 0, sizeof(buf));
		snprintf(why, whylen, "%zd bytes; a key has %d to %d bytes", n, KEY_MIN, KEY_MAX);
		return false;
	}
	a->key = talloc_memdup(a, buf, (size_t)n);
	a->key_len = (size_t)n;
	memset_s(buf, sizeof(buf), 0, sizeof(buf));
	if (a->key == NULL) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	return true;
}

bool smbta_anon_setup(TALLOC_CTX *mem_ctx, int snum, const char *service, struct smbta_anon **out)
{
	const char *prefix = lp_parm_const_string(snum, MODULE, "anonymize_prefix", NULL);
	const char *key_file = lp_parm_const_string(snum, MODULE, "pseudonym_key_file", NULL);
	struct smbta_anon *a;
	char why[256];

	*out = NULL;
	if (key_file != NULL && key_file[0] == '\0') {
		key_file = NULL;
	}
	if (prefix == NULL && key_file == NULL) {
		return true;
	}
	a = talloc_zero(mem_ctx, struct smbta_anon);
	if (a == NULL) {
		DBG_ERR(MODULE ": out of memory; share %s is not reported\n", service);
		return false;
	}
	talloc_set_destructor(a, anon_destructor);
	a->prefix = talloc_strdup(a, prefix != NULL ? prefix : "");
	if (a->prefix == NULL) {
		TALLOC_FREE(a);
		DBG_ERR(MODULE ": out of memory; share %s is not reported\n", service);
		return false;
	}
	/* As in the original: any value, even "no", switches total anonymization on; it needs
	 * the prefix, and then no key is needed. */
	if (prefix != NULL &&
	    lp_parm_const_string(snum, MODULE, "total_anonymization", NULL) != NULL) {
		a->mode = SMBTA_ANON_TOTAL;
	} else if (key_file != NULL) {
		a->mode = SMBTA_ANON_PSEUDONYM;
		if (!anon_read_key(a, key_file, why, sizeof(why)) ||
		    smbta_libcrypto_load(why, sizeof(why)) != 0) {
			DBG_ERR(MODULE ": pseudonym_key_file %s refused: %s; share %s is NOT "
				       "reported (user names are never sent instead)\n",
				key_file, why, service);
			TALLOC_FREE(a);
			return false;
		}
	} else {
		a->mode = SMBTA_ANON_PREFIX;
	}
	*out = a;
	return true;
}

enum smbta_anon_mode smbta_anon_mode(const struct smbta_anon *a)
{
	return a != NULL ? a->mode : SMBTA_ANON_NONE;
}

char *smbta_anon_name(TALLOC_CTX *ctx, const struct smbta_anon *a, const char *kind,
		      const char *value)
{
	switch (smbta_anon_mode(a)) {
	case SMBTA_ANON_NONE:
		return talloc_strdup(ctx, value);
	case SMBTA_ANON_TOTAL:
		return talloc_strdup(ctx, a->prefix);
	case SMBTA_ANON_PREFIX:
		return talloc_asprintf(ctx, "%s%i", a->prefix, (int)smbta_c_str_checksum(value));
	case SMBTA_ANON_PSEUDONYM: {
		/* "kind\0value": a user and a SID of the same text get different pseudonyms. */
		size_t klen = strlen(kind) + 1, vlen = strlen(value);
		unsigned char mac[32];
		char hex[2 * PSEUDONYM_BYTES + 1];
		char *msg = talloc_size(ctx, klen + vlen);
		int i;

		if (msg == NULL) {
			return NULL;
		}
		memcpy(msg, kind, klen);
		memcpy(msg + klen, value, vlen);
		if (smbta_hmac_sha256(a->key, a->key_len, msg, klen + vlen, mac) != 0) {
			/* Never the raw name: a fixed marker the receiver stores as it is. */
			TALLOC_FREE(msg);
			DBG_ERR(MODULE ": HMAC-SHA256 failed; sending %s\"?\" as the %s\n",
				a->prefix, kind);
			return talloc_asprintf(ctx, "%s?", a->prefix);
		}
		TALLOC_FREE(msg);
		for (i = 0; i < PSEUDONYM_BYTES; i++) {
			snprintf(hex + 2 * i, 3, "%02x", mac[i]);
		}
		memset_s(mac, sizeof(mac), 0, sizeof(mac));
		return talloc_asprintf(ctx, "%s%s", a->prefix, hex);
	}
	}
	return NULL;
}

static bool anon_equal_ascii_case(const char *a, const char *b, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z') {
			x += 'a' - 'A';
		}
		if (y >= 'A' && y <= 'Z') {
			y += 'a' - 'A';
		}
		if (x != y) {
			return false; /* also at the end of a: b has no NUL before len */
		}
	}
	return true;
}

/* Where name occurs in s at or after from (ASCII case ignored), or NULL. */
static const char *anon_find(const char *s, const char *from, const char *name, size_t len)
{
	bool whole = len < 3;
	const char *p;

	for (p = from; *p != '\0'; p++) {
		if (!anon_equal_ascii_case(p, name, len)) {
			continue;
		}
		if (!whole || ((p == s || p[-1] == '/') && (p[len] == '\0' || p[len] == '/'))) {
			return p;
		}
	}
	return NULL;
}

const char *smbta_anon_rewrite(TALLOC_CTX *ctx, const struct smbta_anon_names *n, const char *s)
{
	const char *cur = s;
	size_t i;

	if (s == NULL || n->replacement == NULL) {
		return s;
	}
	for (i = 0; i < ARRAY_SIZE(n->names); i++) {
		const char *name = n->names[i];
		size_t len = name != NULL ? strlen(name) : 0;
		const char *from, *hit;
		char *out;

		if (len == 0 || (hit = anon_find(cur, cur, name, len)) == NULL) {
			continue;
		}
		out = talloc_strdup(ctx, "");
		from = cur;
		while (out != NULL && hit != NULL) {
			out = talloc_asprintf_append_buffer(out, "%.*s%s", (int)(hit - from), from,
							    n->replacement);
			from = hit + len;
			hit = anon_find(cur, from, name, len);
		}
		out = out != NULL ? talloc_strdup_append_buffer(out, from) : NULL;
		/* Out of memory: nothing that could name the user is sent. */
		cur = out != NULL ? out : n->replacement;
	}
	return cur;
}

const char *smbta_anon_path(TALLOC_CTX *ctx, const struct smbta_anon_names *n,
			    const char *connectpath, const char *path)
{
	if (path != NULL && path[0] == '/' && connectpath != NULL && connectpath[0] == '/') {
		size_t len = strlen(connectpath);
		while (len > 1 && connectpath[len - 1] == '/') {
			len--;
		}
		if (strncmp(path, connectpath, len) == 0 &&
		    (path[len] == '\0' || path[len] == '/' || len == 1)) {
			const char *rel = path + len;
			while (*rel == '/') {
				rel++;
			}
			path = *rel != '\0' ? rel : ".";
		}
	}
	return smbta_anon_rewrite(ctx, n, path);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smb_traffic_analyzer: Samba VFS module reporting file activity to smbtad (protocol V2).
 *
 * smbta re-implementation for Samba 4.17 to 4.22 (VFS interfaces 47 to 50), one source: where
 * the interface differs between releases, SMB_VFS_INTERFACE_VERSION picks the variant (search
 * for it; each place says what changed). Records are encoded by smbta's
 * common V2 encoder (common/smbta/v2_c_api.h), so the module and smbtad cannot drift apart.
 * This file is the Samba glue: it turns VFS calls into records and hands them to a sink
 * (smbta_sink.h), the bounded queue and non-blocking connection that delivers them without
 * ever making smbd wait.
 */

#include "includes.h"

#include <pwd.h>

#include "smbd/smbd.h"
#include "smbd/globals.h"
/* get_valid_smbXsrv_session() is declared in smbd/globals.h in Samba 4.17 and in a header of its own in 4.22 and later
 * (the header's presence is the test: the release that moved it was not checked). */
#if __has_include("smbd/smbXsrv_session.h")
#include "smbd/smbXsrv_session.h"
#endif
#include "auth.h"
#include "../libcli/security/security.h"
#include "lib/tsocket/tsocket.h"
#include "lib/util/tevent_unix.h"
#include "lib/util/tevent_ntstatus.h"
#include "lib/global_contexts.h"

#include "smbta/v2_c_api.h"
#include "smbta/version.h"
#include "smbta_sink.h"
#include "smbta_anon.h"

/* 4.17 (interface 47) changed openat to the vfs_open_how form this module uses. */
#if SMB_VFS_INTERFACE_VERSION < 47
#error "smb_traffic_analyzer needs Samba 4.17 or newer (VFS interface 47 or later)"
#endif

/* Samba 4.22 (interface 50) added rename flags to renameat (struct vfs_rename_how, e.g.
 * VFS_RENAME_HOW_NO_REPLACE); the module passes them on as they are. */
#if SMB_VFS_INTERFACE_VERSION >= 50
#define SMBTA_RENAME_HOW_PARAM , const struct vfs_rename_how *how
#else
#define SMBTA_RENAME_HOW_PARAM
#endif

#undef DBGC_CLASS
#define DBGC_CLASS DBGC_VFS

#define MODULE "smb_traffic_analyzer"

/* Per tree connect. */
struct smbta_conn {
	struct smbta_sink *sink;
	char *share_name; /* as smbd names it: a [homes] share has the user's name */
	char *client_ip;
	/* identity, recomputed when conn->session_info changes (SMB1 can switch users on a conn) */
	const struct auth_session_info *session_info;
	char *user, *sid, *domain;
	const char *share; /* as sent: share_name, or share_anon on an anonymizing share */
	char *share_anon;
	/* Anonymization (smbta_anon.h); NULL: names are sent as they are. The user's own names,
	 * replaced by the anonymized user name wherever they occur in a share name or path. */
	struct smbta_anon *anon;
	struct smbta_anon_names hide;
	bool latency;
	/* smb_traffic_analyzer:operations: bit (1 << op) set for each op reported. */
	uint32_t ops;
	/* Inside SMB_VFS_CREATE_FILE: the attributes, times and modes smbd sets on a new file are
	 * part of the create, not a change the client asked for. */
	int in_create;
	/* A failed open was reported by openat during the current create (no second record). */
	bool open_failure_sent;
	/* The directory of the last chdir reported (smb_traffic_analyzer_chdir). */
	char *last_chdir;
	/* Directories the client lists (fdopendir), closed by closedir rather than close. */
	struct smbta_dir *dirs;
	/* A mkdir under smbd's temporary name (smbta_tmpdir_final), held back until the rename
	 * that completes it: the temporary path, the mode and the start of the mkdirat. */
	char *pending_mkdir;
	uint32_t pending_mkdir_mode;
	int64_t pending_mkdir_t0;
};

/* One directory stream of a client's directory handle: smbd closes it with closedir (which
 * also closes the descriptor), so SMB_VFS_CLOSE never sees that handle's close. */
struct smbta_dir {
	struct smbta_dir *next;
	DIR *dir;
	char *path;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                     */

static void smbta_refresh_identity(struct smbta_conn *c, connection_struct *conn)
{
	const struct auth_session_info *si = conn->session_info;
	struct dom_sid_buf sidbuf;
	const char *user = "", *sid = "", *domain = "";
	size_t i;

	if (c->session_info == si && c->user != NULL) {
		return;
	}
	TALLOC_FREE(c->user);
	TALLOC_FREE(c->sid);
	TALLOC_FREE(c->domain);
	for (i = 0; i < ARRAY_SIZE(c->hide.names); i++) {
		c->hide.names[i] = NULL;
	}
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
	c->user = smbta_anon_name(c, c->anon, "user", user);
	c->sid = smbta_anon_name(c, c->anon, "sid", sid);
	c->domain = talloc_strdup(c, domain);
	TALLOC_FREE(c->share_anon);
	c->share = c->share_name;
	if (c->anon != NULL && si != NULL) {
		/* The names a user is known by on this server: the one sent as the user, the Unix
		 * account, and the account name the client gave (they differ in case or with a
		 * domain). Pointers into si, which lives as long as it is conn->session_info. */
		const char *names[3] = {user, NULL, NULL};
		size_t n = 1;
		if (si->unix_info != NULL) {
			names[n++] = si->unix_info->unix_name;
		}
		if (si->info != NULL) {
			names[n++] = si->info->account_name;
		}
		for (i = 0; i < n; i++) {
			size_t j;
			bool dup = names[i] == NULL || names[i][0] == '\0';
			for (j = 0; j < i && !dup; j++) {
				dup = c->hide.names[j] != NULL &&
				      strcasecmp_m(c->hide.names[j], names[i]) == 0;
			}
			c->hide.names[i] = dup ? NULL : names[i];
		}
		c->hide.replacement = c->user;
		c->share = smbta_anon_rewrite(c, &c->hide, c->share_name);
		if (c->share != c->share_name) {
			c->share_anon = discard_const_p(char, c->share);
		}
	}
	c->session_info = si;
}

/* Also the sink's smbta_sink_identity_fn: the origin of every record put is its smbta_conn. */
static void smbta_fill_common(void *origin, struct smbta_c_record *r)
{
	const struct smbta_conn *c = (const struct smbta_conn *)origin;

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

	if (c == NULL || !(c->ops & (1u << op))) {
		return;
	}
	smbta_fill_common(c, &r);
	r.latency_us = c->latency && start_us > 0 ? mono_us() - start_us : -1;
	r.path = path;
	r.path2 = path2;
	if (c->anon != NULL) {
		/* Nothing that names the user leaves the server: paths inside the share relative to
		 * its root (chdir sends absolute ones), the user's names replaced. */
		const char *root = handle->conn->connectpath;
		r.path = smbta_anon_path(talloc_tos(), &c->hide, root, path);
		r.path2 = smbta_anon_path(talloc_tos(), &c->hide, root, path2);
	}
	r.length = length;
	r.mode = mode;
	/* The original printed the int result with %u: -1 -> 4294967295. */
	r.result = (uint64_t)(uint32_t)(int32_t)result;
	smbta_sink_put(c->sink, &r, c);
}

/* The share's module state when op is reported on it (enable and operations), else NULL: the
 * hooks ask before they compute paths. */
static struct smbta_conn *smbta_wants(vfs_handle_struct *handle, int op)
{
	struct smbta_conn *c = (struct smbta_conn *)handle->data;
	return c != NULL && (c->ops & (1u << op)) ? c : NULL;
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
		smbta_sink_release(c->sink, c);
		c->sink = NULL;
	}
	TALLOC_FREE(c);
	*data = NULL;
}

/* Op names of smb_traffic_analyzer:operations, index = op id (record.h's op_name). */
static const char *const smbta_op_names[SMBTA_C_OP_COUNT] = {
	"read",  "pread", "write",  "pwrite",  "mkdir",    "rmdir",    "rename",
	"chdir", "open",  "close",  "unlink",  "copy",     "truncate", "allocate",
	"chmod", "chown", "setacl", "setattr", "settimes", "connect",
};

static int smbta_op_by_name(const char *name)
{
	int i;
	for (i = 0; i < SMBTA_C_OP_COUNT; i++) {
		if (strequal(name, smbta_op_names[i])) {
			return i;
		}
	}
	return -1;
}

/* smb_traffic_analyzer:operations, in the style of full_audit:success: op names, "all" (every
 * op), "none", and "!op" to leave one out, read left to right. Unset: all. Unknown names are
 * logged and ignored. */
static uint32_t smbta_parse_operations(const char *service, const char **list)
{
	const uint32_t all = (1u << SMBTA_C_OP_COUNT) - 1;
	uint32_t ops = 0;

	if (list == NULL) {
		return all;
	}
	for (; *list != NULL; list++) {
		const char *name = *list;
		bool exclude = name[0] == '!';
		uint32_t bits;
		int op;

		if (exclude) {
			name++;
		}
		if (strequal(name, "all")) {
			bits = all;
		} else if (strequal(name, "none")) {
			bits = all;
			exclude = !exclude;
		} else if ((op = smbta_op_by_name(name)) >= 0) {
			bits = 1u << op;
		} else {
			DBG_WARNING(MODULE ": share %s: unknown operation '%s' in "
					   "smb_traffic_analyzer:operations ignored\n",
				    service, *list);
			continue;
		}
		ops = exclude ? ops & ~bits : ops | bits;
	}
	return ops;
}

/* SMB dialect of the client connection, as the protocol names smbd's "server min protocol"
 * uses. */
static const char *smbta_dialect(const connection_struct *conn)
{
	const struct smbXsrv_connection *xconn = NULL;

	if (conn->sconn != NULL && conn->sconn->client != NULL) {
		xconn = conn->sconn->client->connections;
	}
	if (xconn == NULL) {
		return "";
	}
	switch (xconn->protocol) {
	case PROTOCOL_NT1:
		return "NT1";
	case PROTOCOL_SMB2_02:
		return "SMB2_02";
	case PROTOCOL_SMB2_10:
		return "SMB2_10";
	case PROTOCOL_SMB3_00:
		return "SMB3_00";
	case PROTOCOL_SMB3_02:
		return "SMB3_02";
	case PROTOCOL_SMB3_11:
		return "SMB3_11";
	default:
		return "";
	}
}

/* The session's part of the connect record's flags, from the smbXsrv_session the tree connect
 * belongs to (conn->vuid is its wire id, validated by smbd before the tree connect):
 *   bits 16-19  its encryption flags (SMBXSRV_ENCRYPTION_*: 1 required, 2 desired, 4 an
 *               encrypted request was received, 8 an unencrypted one was),
 *   bits 20-22  its signing flags (SMBXSRV_SIGNING_*: 1 required, 2 a signed request was
 *               received, 4 an unsigned one was),
 *   bits 24-27  the cipher negotiated for it (SMB2_ENCRYPTION_*: 0 none, 1 AES-128-CCM,
 *               2 AES-128-GCM, 3 AES-256-CCM, 4 AES-256-GCM),
 *   bits 28-30  its signing algorithm + 1 (1 HMAC-SHA256, 2 AES-128-CMAC, 3 AES-128-GMAC;
 *               0 unknown, as for SMB1).
 * smbd updates the "received" flags before it serves a request, so at the tree connect they
 * say whether the tree connect itself came encrypted (smbclient -e). 0 when the session cannot
 * be found. */
static uint32_t smbta_session_flags(const connection_struct *conn)
{
	struct smbXsrv_session *session = NULL;
	const struct smbXsrv_session_global0 *g;
	uint32_t flags;

	if (conn->sconn == NULL || conn->sconn->client == NULL ||
	    !NT_STATUS_IS_OK(
		    get_valid_smbXsrv_session(conn->sconn->client, conn->vuid, &session)) ||
	    session == NULL || session->global == NULL) {
		return 0;
	}
	g = session->global;
	flags = (uint32_t)(g->encryption_flags & 0x0f) << 16 |
		(uint32_t)(g->signing_flags & 0x07) << 20 |
		(uint32_t)(g->encryption_cipher <= 0x0f ? g->encryption_cipher : 0) << 24;
	if (g->signing_algo <= SMB2_SIGNING_AES128_GMAC) {
		flags |= (uint32_t)(g->signing_algo + 1) << 28;
	}
	return flags;
}

/* The tree connect's record: the dialect, and as flags the tree's encryption flags (bits 0-7:
 * 1 required, 2 desired: SMBXSRV_ENCRYPTION_*) and signing flags (bits 8-15:
 * SMBXSRV_SIGNING_*), then the session's (smbta_session_flags). conn->tcon (set before
 * SMB_VFS_CONNECT in 4.17 and 4.22 alike) is the SMB2 or SMB1 tree connect; its global record
 * carries the flags smbd decided from the session and the share's "smb encrypt". The client's
 * address is common block 7 of every record. */
static void smbta_send_connect(vfs_handle_struct *handle, int64_t t0)
{
	const connection_struct *conn = handle->conn;
	uint32_t flags = 0;

	if (smbta_wants(handle, SMBTA_C_OP_CONNECT) == NULL) {
		return;
	}
	if (conn->tcon != NULL && conn->tcon->global != NULL) {
		flags = (uint32_t)conn->tcon->global->encryption_flags |
			(uint32_t)conn->tcon->global->signing_flags << 8;
	}
	flags |= smbta_session_flags(conn);
	smbta_send(handle, SMBTA_C_OP_CONNECT, smbta_dialect(conn), NULL, 0, flags, 0, t0);
}

static int smb_traffic_analyzer_connect(vfs_handle_struct *handle, const char *service,
					const char *user)
{
	connection_struct *conn = handle->conn;
	int snum = SNUM(conn);
	int64_t t0 = mono_us();
	int ret = SMB_VFS_NEXT_CONNECT(handle, service, user);
	struct smbta_conn *c;
	struct smbta_sink_config cfg = {0};
	const char *proto, *mode, *transport;
	static bool v1_logged, version_logged;

	if (ret < 0) {
		return ret;
	}
	if (!lp_parm_bool(snum, MODULE, "enable", true)) {
		DBG_DEBUG(MODULE ": share %s: enable = no, not reported\n", service);
		return ret;
	}
	if (!version_logged) {
		DBG_INFO(MODULE ": smbta %s, Samba VFS interface %d\n", SMBTA_VERSION,
			 SMB_VFS_INTERFACE_VERSION);
		version_logged = true;
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
	cfg.unix_socket = mode != NULL && strstr(mode, "unix_domain_socket") != NULL;
	cfg.host = lp_parm_const_string(snum, MODULE, "host", "localhost");
	cfg.port = lp_parm_int(snum, MODULE, "port", SMBTA_DEFAULT_MODULE_PORT);
	cfg.socket_path =
		lp_parm_const_string(snum, MODULE, "socket_path", SMBTA_DEFAULT_MODULE_SOCKET);
	cfg.socket_owner = lp_parm_const_string(snum, MODULE, "socket_owner", NULL);
	cfg.key_file = lp_parm_const_string(snum, MODULE, "key_file", NULL);
	if (cfg.key_file != NULL && cfg.key_file[0] == '\0') {
		cfg.key_file = NULL;
	}
	/* A misspelt value must not fall back to the weaker legacy transport. */
	transport = lp_parm_const_string(snum, MODULE, "transport", "legacy");
	cfg.authenticated = strequal(transport, "authenticated");
	if (!cfg.authenticated && !strequal(transport, "legacy")) {
		DBG_ERR(MODULE ": share %s: transport = %s is neither legacy nor authenticated; "
			       "the share is not reported\n",
			service, transport);
		TALLOC_FREE(c);
		return ret;
	}
	cfg.queue_size = lp_parm_int(snum, MODULE, "queue_size", SMBTA_SINK_DEFAULT_QUEUE_SIZE);
	cfg.send_buffer = lp_parm_int(snum, MODULE, "send_buffer", 0);
	cfg.flush_ms = lp_parm_int(snum, MODULE, "flush_interval", SMBTA_SINK_DEFAULT_FLUSH_MS);
	/* smbta_sink.h: records kept on disk while smbtad is away */
	cfg.spool_dir =
		lp_parm_const_string(snum, MODULE, "spool_dir", SMBTA_SINK_DEFAULT_SPOOL_DIR);
	cfg.spool_size = (long long)lp_parm_ulonglong(snum, MODULE, "spool_size",
						      SMBTA_SINK_DEFAULT_SPOOL_SIZE);
	if (!smbta_anon_setup(c, snum, service, &c->anon)) {
		TALLOC_FREE(c);
		return ret;
	}
	c->latency = lp_parm_bool(snum, MODULE, "latency", true);
	c->ops = smbta_parse_operations(service,
					lp_parm_string_list(snum, MODULE, "operations", NULL));
	c->share_name = lp_servicename(c, loadparm_s3_global_substitution(), snum);
	c->client_ip = NULL;
	if (conn->sconn != NULL && conn->sconn->remote_address != NULL &&
	    tsocket_address_is_inet(conn->sconn->remote_address, "ip")) {
		c->client_ip = tsocket_address_inet_addr_string(conn->sconn->remote_address, c);
	}
	if (c->client_ip == NULL) {
		c->client_ip = talloc_strdup(c, "");
	}
	if (c->share_name == NULL || c->client_ip == NULL) {
		DBG_ERR(MODULE ": out of memory; share %s is not reported\n", service);
		TALLOC_FREE(c);
		return ret;
	}
	c->sink = smbta_sink_get(conn->sconn != NULL && conn->sconn->ev_ctx != NULL
					 ? conn->sconn->ev_ctx
					 : global_event_context(),
				 &cfg, smbta_fill_common);
	if (c->sink == NULL) {
		DBG_ERR(MODULE ": share %s is not reported\n", service);
		TALLOC_FREE(c);
		return ret;
	}
	SMB_VFS_HANDLE_SET_DATA(handle, c, smbta_conn_free, struct smbta_conn, return ret);
	DBG_DEBUG(MODULE ": share %s reports to %s\n", service, smbta_sink_label(c->sink));
	smbta_send_connect(handle, t0);
	return ret;
}

/* Samba 4.22 creates a directory that needs setting up (inherited ACLs, DOS attributes, owner)
 * under a temporary name in the same directory, SMBD_TMPDIR_PREFIX "<server id>:<name>", and
 * renames it to <name> when it is ready, or removes it when that fails (mkdir_internal() in
 * smbd/open.c), so that no client sees it half made. The client asked for one mkdir, and one
 * is reported: the mkdirat of the temporary name is held back, and the rename that completes
 * it is reported as the mkdir of <name>. Returns the share-relative path with <name> for the
 * temporary one, NULL for any other path (always on releases without SMBD_TMPDIR_PREFIX). */
static const char *smbta_tmpdir_final(TALLOC_CTX *ctx, const char *path)
{
#ifdef SMBD_TMPDIR_PREFIX
	const char *last = strrchr(path, '/');
	const char *id_end, *name;

	last = last != NULL ? last + 1 : path;
	if (strncmp(last, SMBD_TMPDIR_PREFIX, sizeof(SMBD_TMPDIR_PREFIX) - 1) != 0) {
		return NULL;
	}
	/* The server id is "[vnn:]pid%unique": <name> follows the ':' after the '%'. */
	id_end = strchr(last + sizeof(SMBD_TMPDIR_PREFIX) - 1, '%');
	name = id_end != NULL ? strchr(id_end, ':') : NULL;
	if (name == NULL) {
		return NULL;
	}
	return talloc_asprintf(ctx, "%.*s%s", (int)(last - path), path, name + 1);
#else
	return NULL;
#endif
}

/* Takes the held-back mkdir of the temporary path tmp: its mode and start. False when there is
 * none for tmp (then *mode and *t0 are left as they are). */
static bool smbta_take_pending_mkdir(struct smbta_conn *c, const char *tmp, uint32_t *mode,
				     int64_t *t0)
{
	bool found = c->pending_mkdir != NULL && strcmp(c->pending_mkdir, tmp) == 0;

	if (found) {
		*mode = c->pending_mkdir_mode;
		*t0 = c->pending_mkdir_t0;
	}
	TALLOC_FREE(c->pending_mkdir);
	return found;
}

static int smb_traffic_analyzer_mkdirat(vfs_handle_struct *handle, struct files_struct *dirfsp,
					const struct smb_filename *smb_fname, mode_t mode)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_MKDIRAT(handle, dirfsp, smb_fname, mode);
	int saved_errno = errno;
	struct smbta_conn *c = (struct smbta_conn *)handle->data;
	const char *path, *final;

	if (c == NULL) {
		return result;
	}
	path = at_path(talloc_tos(), dirfsp, smb_fname);
	final = smbta_tmpdir_final(talloc_tos(), path);
	if (final != NULL && result == 0) {
		TALLOC_FREE(c->pending_mkdir);
		c->pending_mkdir = talloc_strdup(c, path);
		c->pending_mkdir_mode = (uint32_t)mode;
		c->pending_mkdir_t0 = t0;
		errno = saved_errno;
		return result;
	}
	/* EINVAL for the temporary name: smbd tries again under the real name. */
	if (final == NULL || saved_errno != EINVAL) {
		smbta_send(handle, SMBTA_C_OP_MKDIR, final != NULL ? final : path, NULL, 0,
			   (uint32_t)mode, result, t0);
	}
	errno = saved_errno;
	return result;
}

static int smb_traffic_analyzer_unlinkat(vfs_handle_struct *handle, struct files_struct *dirfsp,
					 const struct smb_filename *smb_fname, int flags)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_UNLINKAT(handle, dirfsp, smb_fname, flags);
	int saved_errno = errno;
	struct smbta_conn *c = (struct smbta_conn *)handle->data;
	const char *path, *final;

	if (c == NULL) {
		return result;
	}
	path = at_path(talloc_tos(), dirfsp, smb_fname);
	final = (flags & AT_REMOVEDIR) ? smbta_tmpdir_final(talloc_tos(), path) : NULL;
	if (final != NULL) {
		/* The temporary directory of a mkdir whose set-up failed: the mkdir failed. Any
		 * other one is a stale leftover smbd removes while listing: housekeeping. */
		uint32_t mode = 0;
		int64_t mkdir_t0 = t0;
		if (smbta_take_pending_mkdir(c, path, &mode, &mkdir_t0)) {
			smbta_send(handle, SMBTA_C_OP_MKDIR, final, NULL, 0, mode, -1, mkdir_t0);
		}
	} else {
		smbta_send(handle, (flags & AT_REMOVEDIR) ? SMBTA_C_OP_RMDIR : SMBTA_C_OP_UNLINK,
			   path, NULL, 0, 0, result, t0);
	}
	errno = saved_errno;
	return result;
}

static int
smb_traffic_analyzer_renameat(vfs_handle_struct *handle, struct files_struct *srcfsp,
			      const struct smb_filename *smb_fname_src, struct files_struct *dstfsp,
			      const struct smb_filename *smb_fname_dst SMBTA_RENAME_HOW_PARAM)
{
	int64_t t0 = mono_us();
	/* Not a macro for the extra argument: the preprocessor counts a macro's arguments
	 * before it expands them. */
#if SMB_VFS_INTERFACE_VERSION >= 50
	int result =
		SMB_VFS_NEXT_RENAMEAT(handle, srcfsp, smb_fname_src, dstfsp, smb_fname_dst, how);
#else
	int result = SMB_VFS_NEXT_RENAMEAT(handle, srcfsp, smb_fname_src, dstfsp, smb_fname_dst);
#endif
	int saved_errno = errno;
	struct smbta_conn *c = (struct smbta_conn *)handle->data;
	const char *src, *dst;

	if (c == NULL) {
		return result;
	}
	src = at_path(talloc_tos(), srcfsp, smb_fname_src);
	dst = at_path(talloc_tos(), dstfsp, smb_fname_dst);
	if (smbta_tmpdir_final(talloc_tos(), src) != NULL) {
		/* smbd's temporary directory gets its name: the mkdir the client asked for. */
		uint32_t mode = 0;
		int64_t mkdir_t0 = t0;
		smbta_take_pending_mkdir(c, src, &mode, &mkdir_t0);
		smbta_send(handle, SMBTA_C_OP_MKDIR, dst, NULL, 0, mode, result, mkdir_t0);
	} else {
		smbta_send(handle, SMBTA_C_OP_RENAME, src, dst, 0, 0, result, t0);
	}
	errno = saved_errno;
	return result;
}

/* Since Samba 4.15 smbd forgets its cached working directory at every change of the security
 * context (smbd/sec_ctx.c, Samba bug 14682), so it changes to the share root again for almost
 * every request (and back after the few that work in a subdirectory): three to eight chdir calls
 * per file copied, all to the directory it is already in, none asked for by the client (SMB2
 * has no chdir). Reported are a change to another directory than the last one reported on the
 * tree connect, and every failure. */
static int smb_traffic_analyzer_chdir(vfs_handle_struct *handle,
				      const struct smb_filename *smb_fname)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_CHDIR(handle, smb_fname);
	int saved_errno = errno;
	struct smbta_conn *c = smbta_wants(handle, SMBTA_C_OP_CHDIR);
	const char *path = smb_fname->base_name;

	if (c != NULL &&
	    (result != 0 || c->last_chdir == NULL || strcmp(c->last_chdir, path) != 0)) {
		smbta_send(handle, SMBTA_C_OP_CHDIR, path, NULL, 0, 0, result, t0);
		if (result == 0) {
			TALLOC_FREE(c->last_chdir);
			c->last_chdir = talloc_strdup(c, path);
		}
	}
	errno = saved_errno;
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
	int saved_errno = errno;
	struct smbta_conn *c = smbta_wants(handle, SMBTA_C_OP_OPEN);
	if (c != NULL && !smbta_internal_open(fsp, how)) {
		const char *name = fsp_name(fsp);
		if (name[0] == '\0') {
			name = at_path(talloc_tos(), dirfsp, smb_fname);
		}
		smbta_send(handle, SMBTA_C_OP_OPEN, name, NULL, 0, (uint32_t)how->mode, result, t0);
		if (result < 0) {
			c->open_failure_sent = true;
		}
	}
	errno = saved_errno;
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

/* Every client open goes through create_file. Most failed opens never reach openat (smbd
 * finds a missing name or a denied access on the pathref handle first): those are reported
 * here, as an open of the requested name with result 4294967295 (failed, as 1.2.x receivers
 * read it) and the NTSTATUS in the mode field. Opens that smbd defers (sharing violations,
 * oplock breaks) are retried and reported when they finish. */
static NTSTATUS smb_traffic_analyzer_create_file(
	vfs_handle_struct *handle, struct smb_request *req, struct files_struct *dirfsp,
	struct smb_filename *smb_fname, uint32_t access_mask, uint32_t share_access,
	uint32_t create_disposition, uint32_t create_options, uint32_t file_attributes,
	uint32_t oplock_request, const struct smb2_lease *lease, uint64_t allocation_size,
	uint32_t private_flags, struct security_descriptor *sd, struct ea_list *ea_list,
	files_struct **result_fsp, int *pinfo, const struct smb2_create_blobs *in_context_blobs,
	struct smb2_create_blobs *out_context_blobs)
{
	struct smbta_conn *c = (struct smbta_conn *)handle->data;
	int64_t t0 = mono_us();
	bool outer_failure_sent = false;
	NTSTATUS status;

	if (c != NULL) {
		c->in_create++;
		outer_failure_sent = c->open_failure_sent;
		c->open_failure_sent = false;
	}
	status = SMB_VFS_NEXT_CREATE_FILE(
		handle, req, dirfsp, smb_fname, access_mask, share_access, create_disposition,
		create_options, file_attributes, oplock_request, lease, allocation_size,
		private_flags, sd, ea_list, result_fsp, pinfo, in_context_blobs, out_context_blobs);
	if (c == NULL) {
		return status;
	}
	c->in_create--;
	if (!NT_STATUS_IS_OK(status) && !c->open_failure_sent &&
	    smbta_wants(handle, SMBTA_C_OP_OPEN) != NULL &&
	    !(req != NULL && req->xconn != NULL && open_was_deferred(req->xconn, req->mid))) {
		smbta_send(handle, SMBTA_C_OP_OPEN, at_path(talloc_tos(), dirfsp, smb_fname), NULL,
			   0, NT_STATUS_V(status), -1, t0);
	}
	c->open_failure_sent = outer_failure_sent;
	return status;
}

/* Size and metadata changes, reported around the call. Those smbd makes while it creates a
 * file (DOS attributes, inherited modes and owners) belong to the create and are not. */
static bool smbta_in_create(vfs_handle_struct *handle)
{
	const struct smbta_conn *c = (const struct smbta_conn *)handle->data;
	return c != NULL && c->in_create > 0;
}

static int smb_traffic_analyzer_ftruncate(vfs_handle_struct *handle, files_struct *fsp,
					  off_t offset)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_FTRUNCATE(handle, fsp, offset);
	int saved_errno = errno;
	if (smbta_wants(handle, SMBTA_C_OP_TRUNCATE) != NULL) {
		smbta_send(handle, SMBTA_C_OP_TRUNCATE, fsp_name(fsp), NULL, (uint64_t)offset, 0,
			   result, t0);
	}
	errno = saved_errno;
	return result;
}

static int smb_traffic_analyzer_fallocate(vfs_handle_struct *handle, files_struct *fsp,
					  uint32_t mode, off_t offset, off_t len)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_FALLOCATE(handle, fsp, mode, offset, len);
	int saved_errno = errno;
	if (smbta_wants(handle, SMBTA_C_OP_ALLOCATE) != NULL) {
		smbta_send(handle, SMBTA_C_OP_ALLOCATE, fsp_name(fsp), NULL,
			   (uint64_t)(offset + len), 0, result, t0);
	}
	errno = saved_errno;
	return result;
}

static int smb_traffic_analyzer_fchmod(vfs_handle_struct *handle, files_struct *fsp, mode_t mode)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_FCHMOD(handle, fsp, mode);
	int saved_errno = errno;
	if (smbta_wants(handle, SMBTA_C_OP_CHMOD) != NULL && !smbta_in_create(handle)) {
		smbta_send(handle, SMBTA_C_OP_CHMOD, fsp_name(fsp), NULL, 0, (uint32_t)mode, result,
			   t0);
	}
	errno = saved_errno;
	return result;
}

/* The anonymized name of the user uid (its decimal when it has no name). */
static char *smbta_owner_name(TALLOC_CTX *ctx, const struct smbta_conn *c, uid_t uid)
{
	struct passwd pw, *found = NULL;
	char buf[1024];
	char num[24];
	const char *name = num;

	snprintf(num, sizeof(num), "%lld", (long long)uid);
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found != NULL &&
	    found->pw_name != NULL) {
		name = found->pw_name;
	}
	return smbta_anon_name(ctx, c->anon, "user", name);
}

static int smb_traffic_analyzer_fchown(vfs_handle_struct *handle, files_struct *fsp, uid_t uid,
				       gid_t gid)
{
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_FCHOWN(handle, fsp, uid, gid);
	int saved_errno = errno;
	if (smbta_wants(handle, SMBTA_C_OP_CHOWN) != NULL && !smbta_in_create(handle)) {
		/* (uid_t)-1 / (gid_t)-1: left as it was. */
		char *owner = talloc_asprintf(talloc_tos(), "%lld:%lld",
					      uid == (uid_t)-1 ? -1LL : (long long)uid,
					      gid == (gid_t)-1 ? -1LL : (long long)gid);
		const struct smbta_conn *c = (const struct smbta_conn *)handle->data;
		if (c->anon != NULL && uid != (uid_t)-1 && owner != NULL) {
			/* A uid names a user: the new owner is sent as that user's anonymized
			 * name, as the user field would carry it. */
			char *name = smbta_owner_name(talloc_tos(), c, uid);
			TALLOC_FREE(owner);
			owner = name != NULL
					? talloc_asprintf(talloc_tos(), "%s:%lld", name,
							  gid == (gid_t)-1 ? -1LL : (long long)gid)
					: NULL;
			TALLOC_FREE(name);
		}
		smbta_send(handle, SMBTA_C_OP_CHOWN, fsp_name(fsp), owner, 0, 0, result, t0);
		TALLOC_FREE(owner);
	}
	errno = saved_errno;
	return result;
}

static bool smbta_own_write_time(const files_struct *fsp, const struct smb_file_time *ft)
{
	return !fsp->fsp_flags.write_time_forced && !is_omit_timespec(&ft->mtime) &&
	       is_omit_timespec(&ft->atime) && is_omit_timespec(&ft->ctime) &&
	       is_omit_timespec(&ft->create_time);
}

static int smb_traffic_analyzer_fntimes(vfs_handle_struct *handle, files_struct *fsp,
					struct smb_file_time *ft)
{
	/* smbd keeps a written file's write time itself: at its close or after the first write
	 * (update_write_time_on_close, trigger_write_time_update_immediate) it sets the write
	 * time alone, not sticky. A client's request sets the write time sticky
	 * (write_time_forced) or sets other times. Asked before the call: vfs_default fills
	 * in the times left out. */
	bool own = smbta_own_write_time(fsp, ft);
	int64_t t0 = mono_us();
	int result = SMB_VFS_NEXT_FNTIMES(handle, fsp, ft);
	int saved_errno = errno;
	if (!own && smbta_wants(handle, SMBTA_C_OP_SETTIMES) != NULL && !smbta_in_create(handle)) {
		smbta_send(handle, SMBTA_C_OP_SETTIMES, fsp_name(fsp), NULL, 0, 0, result, t0);
	}
	errno = saved_errno;
	return result;
}

static NTSTATUS smb_traffic_analyzer_fset_dos_attributes(vfs_handle_struct *handle,
							 struct files_struct *fsp, uint32_t dosmode)
{
	int64_t t0 = mono_us();
	NTSTATUS status = SMB_VFS_NEXT_FSET_DOS_ATTRIBUTES(handle, fsp, dosmode);
	if (smbta_wants(handle, SMBTA_C_OP_SETATTR) != NULL && !smbta_in_create(handle)) {
		smbta_send(handle, SMBTA_C_OP_SETATTR, fsp_name(fsp), NULL, 0, dosmode,
			   NT_STATUS_IS_OK(status) ? 0 : -1, t0);
	}
	return status;
}

/* A client's security descriptor is reported also when it comes with a create. */
static NTSTATUS smb_traffic_analyzer_fset_nt_acl(vfs_handle_struct *handle, files_struct *fsp,
						 uint32_t security_info_sent,
						 const struct security_descriptor *psd)
{
	int64_t t0 = mono_us();
	NTSTATUS status = SMB_VFS_NEXT_FSET_NT_ACL(handle, fsp, security_info_sent, psd);
	if (smbta_wants(handle, SMBTA_C_OP_SETACL) != NULL) {
		smbta_send(handle, SMBTA_C_OP_SETACL, fsp_name(fsp), NULL, 0, security_info_sent,
			   NT_STATUS_IS_OK(status) ? 0 : -1, t0);
	}
	return status;
}

/* Directory handles. smbd reads a listed directory through a DIR stream on the handle's
 * descriptor and closes both with closedir; the close of such a handle never reaches
 * SMB_VFS_CLOSE. The streams of client handles are remembered here (a short list: a client
 * lists few directories at a time) and their closedir is reported as the handle's close. */
static DIR *smb_traffic_analyzer_fdopendir(vfs_handle_struct *handle, files_struct *fsp,
					   const char *mask, uint32_t attr)
{
	DIR *dir = SMB_VFS_NEXT_FDOPENDIR(handle, fsp, mask, attr);
	int saved_errno = errno;
	struct smbta_conn *c = smbta_wants(handle, SMBTA_C_OP_CLOSE);

	if (dir != NULL && c != NULL && !fsp->fsp_flags.is_pathref && !fsp->fsp_flags.is_dirfsp) {
		struct smbta_dir *d = talloc_zero(c, struct smbta_dir);
		if (d != NULL) {
			d->dir = dir;
			d->path = talloc_strdup(d, fsp_name(fsp));
			d->next = c->dirs;
			c->dirs = d;
		}
	}
	errno = saved_errno;
	return dir;
}

static int smb_traffic_analyzer_closedir(vfs_handle_struct *handle, DIR *dir)
{
	struct smbta_conn *c = (struct smbta_conn *)handle->data;
	struct smbta_dir **pd, *d = NULL;
	int64_t t0 = mono_us();
	int result;
	int saved_errno;

	if (c != NULL) {
		for (pd = &c->dirs; *pd != NULL; pd = &(*pd)->next) {
			if ((*pd)->dir == dir) {
				d = *pd;
				*pd = d->next;
				break;
			}
		}
	}
	result = SMB_VFS_NEXT_CLOSEDIR(handle, dir);
	saved_errno = errno;
	if (d != NULL) {
		smbta_send(handle, SMBTA_C_OP_CLOSE, d->path != NULL ? d->path : "", NULL, 0, 0,
			   result, t0);
		TALLOC_FREE(d);
	}
	errno = saved_errno;
	return result;
}

/* Server-side copy (FSCTL_SRV_COPYCHUNK, what Windows Explorer uses within a share, and
 * FSCTL_DUP_EXTENTS_TO_FILE). The client first asks for a resume key of the source
 * (offload_read: FSCTL_SRV_REQUEST_RESUME_KEY), then names the source by that key in each
 * copy request (offload_write, once per chunk). The module remembers the last few keys this
 * process handed out with their source paths; one copy record per chunk carries the bytes
 * copied, the source and the destination. */
#define SMBTA_TOKENS 16
#define SMBTA_TOKEN_MAX 32
static struct smbta_token {
	uint8_t key[SMBTA_TOKEN_MAX];
	size_t len;
	char *path; /* talloc'ed on the NULL context */
} smbta_tokens[SMBTA_TOKENS];
static unsigned smbta_token_next;

static void smbta_token_remember(const DATA_BLOB *token, const char *path)
{
	struct smbta_token *t;
	if (token == NULL || token->length == 0 || token->length > SMBTA_TOKEN_MAX) {
		return;
	}
	t = &smbta_tokens[smbta_token_next++ % SMBTA_TOKENS];
	TALLOC_FREE(t->path);
	memcpy(t->key, token->data, token->length);
	t->len = token->length;
	t->path = talloc_strdup(NULL, path);
}

static const char *smbta_token_source(const DATA_BLOB *token)
{
	unsigned i;
	if (token == NULL) {
		return "";
	}
	for (i = 0; i < SMBTA_TOKENS; i++) {
		const struct smbta_token *t = &smbta_tokens[i];
		if (t->path != NULL && t->len == token->length &&
		    memcmp(t->key, token->data, t->len) == 0) {
			return t->path;
		}
	}
	return "";
}

struct smbta_offload_read_state {
	vfs_handle_struct *handle;
	files_struct *fsp;
	uint32_t fsctl;
	uint32_t flags;
	uint64_t xferlen;
	DATA_BLOB token;
};

static void smb_traffic_analyzer_offload_read_done(struct tevent_req *subreq);

static struct tevent_req *
smb_traffic_analyzer_offload_read_send(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
				       vfs_handle_struct *handle, files_struct *fsp, uint32_t fsctl,
				       uint32_t ttl, off_t offset, size_t to_copy)
{
	struct tevent_req *req, *subreq;
	struct smbta_offload_read_state *state;

	req = tevent_req_create(mem_ctx, &state, struct smbta_offload_read_state);
	if (req == NULL) {
		return NULL;
	}
	state->handle = handle;
	state->fsp = fsp;
	state->fsctl = fsctl;
	subreq =
		SMB_VFS_NEXT_OFFLOAD_READ_SEND(state, ev, handle, fsp, fsctl, ttl, offset, to_copy);
	if (tevent_req_nomem(subreq, req)) {
		return tevent_req_post(req, ev);
	}
	tevent_req_set_callback(subreq, smb_traffic_analyzer_offload_read_done, req);
	return req;
}

static void smb_traffic_analyzer_offload_read_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct smbta_offload_read_state *state =
		tevent_req_data(req, struct smbta_offload_read_state);
	NTSTATUS status;

	status = SMB_VFS_NEXT_OFFLOAD_READ_RECV(subreq, state->handle, state, &state->flags,
						&state->xferlen, &state->token);
	TALLOC_FREE(subreq);
	if (tevent_req_nterror(req, status)) {
		return;
	}
	if (smbta_wants(state->handle, SMBTA_C_OP_COPY) != NULL) {
		smbta_token_remember(&state->token, fsp_name(state->fsp));
	}
	tevent_req_done(req);
}

static NTSTATUS smb_traffic_analyzer_offload_read_recv(struct tevent_req *req,
						       vfs_handle_struct *handle,
						       TALLOC_CTX *mem_ctx, uint32_t *flags,
						       uint64_t *xferlen, DATA_BLOB *token)
{
	struct smbta_offload_read_state *state =
		tevent_req_data(req, struct smbta_offload_read_state);
	NTSTATUS status;

	if (tevent_req_is_nterror(req, &status)) {
		tevent_req_received(req);
		return status;
	}
	*flags = state->flags;
	*xferlen = state->xferlen;
	token->length = state->token.length;
	token->data = talloc_move(mem_ctx, &state->token.data);
	tevent_req_received(req);
	return NT_STATUS_OK;
}

struct smbta_offload_write_state {
	vfs_handle_struct *handle;
	const char *src;
	const char *dst;
	int64_t t0;
	off_t copied;
};

static void smb_traffic_analyzer_offload_write_done(struct tevent_req *subreq);

static struct tevent_req *smb_traffic_analyzer_offload_write_send(
	vfs_handle_struct *handle, TALLOC_CTX *mem_ctx, struct tevent_context *ev, uint32_t fsctl,
	DATA_BLOB *token, off_t transfer_offset, files_struct *dest_fsp, off_t dest_off, off_t num)
{
	struct tevent_req *req, *subreq;
	struct smbta_offload_write_state *state;

	req = tevent_req_create(mem_ctx, &state, struct smbta_offload_write_state);
	if (req == NULL) {
		return NULL;
	}
	state->handle = handle;
	state->t0 = mono_us();
	if (smbta_wants(handle, SMBTA_C_OP_COPY) != NULL) {
		/* Copied now: the source's entry may be replaced before the copy completes. */
		state->src = talloc_strdup(state, smbta_token_source(token));
		state->dst = talloc_strdup(state, fsp_name(dest_fsp));
	}
	subreq = SMB_VFS_NEXT_OFFLOAD_WRITE_SEND(handle, state, ev, fsctl, token, transfer_offset,
						 dest_fsp, dest_off, num);
	if (tevent_req_nomem(subreq, req)) {
		return tevent_req_post(req, ev);
	}
	tevent_req_set_callback(subreq, smb_traffic_analyzer_offload_write_done, req);
	return req;
}

static void smb_traffic_analyzer_offload_write_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct smbta_offload_write_state *state =
		tevent_req_data(req, struct smbta_offload_write_state);
	NTSTATUS status;

	status = SMB_VFS_NEXT_OFFLOAD_WRITE_RECV(state->handle, subreq, &state->copied);
	TALLOC_FREE(subreq);
	if (state->dst != NULL) {
		smbta_send(state->handle, SMBTA_C_OP_COPY, state->src, state->dst,
			   NT_STATUS_IS_OK(status) ? (uint64_t)state->copied : SMBTA_C_FAILED, 0, 0,
			   state->t0);
	}
	if (tevent_req_nterror(req, status)) {
		return;
	}
	tevent_req_done(req);
}

static NTSTATUS smb_traffic_analyzer_offload_write_recv(vfs_handle_struct *handle,
							struct tevent_req *req, off_t *copied)
{
	struct smbta_offload_write_state *state =
		tevent_req_data(req, struct smbta_offload_write_state);
	NTSTATUS status;

	*copied = state->copied;
	if (tevent_req_is_nterror(req, &status)) {
		tevent_req_received(req);
		return status;
	}
	tevent_req_received(req);
	return NT_STATUS_OK;
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
	.create_file_fn = smb_traffic_analyzer_create_file,
	.ftruncate_fn = smb_traffic_analyzer_ftruncate,
	.fallocate_fn = smb_traffic_analyzer_fallocate,
	.fchmod_fn = smb_traffic_analyzer_fchmod,
	.fchown_fn = smb_traffic_analyzer_fchown,
	.fntimes_fn = smb_traffic_analyzer_fntimes,
	.fset_dos_attributes_fn = smb_traffic_analyzer_fset_dos_attributes,
	.fset_nt_acl_fn = smb_traffic_analyzer_fset_nt_acl,
	.fdopendir_fn = smb_traffic_analyzer_fdopendir,
	.closedir_fn = smb_traffic_analyzer_closedir,
	.offload_read_send_fn = smb_traffic_analyzer_offload_read_send,
	.offload_read_recv_fn = smb_traffic_analyzer_offload_read_recv,
	.offload_write_send_fn = smb_traffic_analyzer_offload_write_send,
	.offload_write_recv_fn = smb_traffic_analyzer_offload_write_recv,
};

NTSTATUS samba_init_module(TALLOC_CTX *ctx) __attribute__((visibility("default")));
NTSTATUS samba_init_module(TALLOC_CTX *ctx)
{
	return smb_register_vfs(SMB_VFS_INTERFACE_VERSION, MODULE, &vfs_smb_traffic_analyzer_fns);
}

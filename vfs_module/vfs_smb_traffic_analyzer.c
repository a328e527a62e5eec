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
#include "smbd/smbd.h"
#include "smbd/globals.h"
#include "auth.h"
#include "../libcli/security/security.h"
#include "lib/tsocket/tsocket.h"
#include "lib/util/tevent_unix.h"
#include "lib/global_contexts.h"

#include "smbta/v2_c_api.h"
#include "smbta/version.h"
#include "smbta_sink.h"

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
	char *share;
	char *client_ip;
	/* identity, recomputed when conn->session_info changes (SMB1 can switch users on a conn) */
	const struct auth_session_info *session_info;
	char *user, *sid, *domain;
	char *anon_prefix;
	bool total_anon;
	bool latency;
	/* A mkdir under smbd's temporary name (smbta_tmpdir_final), held back until the rename
	 * that completes it: the temporary path, the mode and the start of the mkdirat. */
	char *pending_mkdir;
	uint32_t pending_mkdir_mode;
	int64_t pending_mkdir_t0;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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
	smbta_sink_put(c->sink, &r, c);
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

static int smb_traffic_analyzer_connect(vfs_handle_struct *handle, const char *service,
					const char *user)
{
	connection_struct *conn = handle->conn;
	int snum = SNUM(conn);
	int ret = SMB_VFS_NEXT_CONNECT(handle, service, user);
	struct smbta_conn *c;
	struct smbta_sink_config cfg = {0};
	const char *proto, *mode, *prefix;
	static bool v1_logged, version_logged;

	if (ret < 0) {
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
	cfg.queue_size = lp_parm_int(snum, MODULE, "queue_size", SMBTA_SINK_DEFAULT_QUEUE_SIZE);
	cfg.send_buffer = lp_parm_int(snum, MODULE, "send_buffer", 0);
	cfg.flush_ms = lp_parm_int(snum, MODULE, "flush_interval", SMBTA_SINK_DEFAULT_FLUSH_MS);
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

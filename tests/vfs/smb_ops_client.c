/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smbta_smb_ops: the SMB requests the vfs tests need and smbclient cannot send, through Samba's
 * own client library (libsmbclient): a server-side copy (FSCTL_SRV_COPYCHUNK_WRITE, as Windows
 * Explorer copies within a share), a truncate, DOS attributes, times and an ACL entry.
 *
 * Usage: smbta_smb_ops PORT USER PASSWORD URL COMMAND [ARG]   (URL: smb://host/share/path)
 *   copy DST_URL   server-side copy of URL to DST_URL; prints the bytes copied
 *   truncate SIZE  sets URL's end of file
 *   readonly       sets the DOS read-only attribute (chmod 0444)
 *   utimes         sets URL's access and write times to 2012-05-11 16:01:47 UTC
 *   setacl         adds an ACE (BUILTIN\Users: read) to URL's security descriptor
 * Exit 0 on success, 1 with a message on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "libsmbclient.h"

static int die(const char* what) {
  fprintf(stderr, "smbta_smb_ops: %s: %s\n", what, strerror(errno));
  return 1;
}

// Progress of the copy; libsmbclient calls it after each chunk (non-zero: go on).
static int copy_progress(off_t n, void* priv) {
  (void)n;
  (void)priv;
  return 1;
}

static const char* user_name;
static const char* password;

static void auth(const char* server, const char* share, char* workgroup, int wglen, char* user,
                 int userlen, char* pass, int passlen) {
  (void)server;
  (void)share;
  (void)workgroup;
  (void)wglen;
  snprintf(user, (size_t)userlen, "%s", user_name);
  snprintf(pass, (size_t)passlen, "%s", password);
}

int main(int argc, char** argv) {
  SMBCCTX* ctx;
  const char *url, *cmd;

  if (argc < 6) {
    fprintf(stderr, "usage: smbta_smb_ops PORT USER PASSWORD URL COMMAND [ARG]\n");
    return 2;
  }
  url = argv[4];
  cmd = argv[5];
  ctx = smbc_new_context();
  if (ctx == NULL) {
    return die("smbc_new_context");
  }
  smbc_setPort(ctx, (uint16_t)atoi(argv[1]));
  if (getenv("SMBTA_SMB_OPS_DEBUG") != NULL) {  // libsmbclient's log level, to stderr
    smbc_setDebug(ctx, atoi(getenv("SMBTA_SMB_OPS_DEBUG")));
    smbc_setOptionDebugToStderr(ctx, 1);
  }
  smbc_setOptionNoAutoAnonymousLogin(ctx, 1);
  user_name = argv[2];
  password = argv[3];
  smbc_setFunctionAuthData(ctx, auth);
  if (smbc_init_context(ctx) == NULL) {
    return die("smbc_init_context");
  }
  smbc_set_context(ctx);

  if (strcmp(cmd, "copy") == 0 && argc == 7) {
    SMBCFILE* src = smbc_getFunctionOpen(ctx)(ctx, url, O_RDONLY, 0);
    SMBCFILE* dst = smbc_getFunctionOpen(ctx)(ctx, argv[6], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct stat st;
    off_t n;

    if (src == NULL || dst == NULL || smbc_getFunctionFstat(ctx)(ctx, src, &st) != 0) {
      return die("open");
    }
    n = smbc_getFunctionSplice(ctx)(ctx, src, dst, st.st_size, copy_progress, NULL);
    if (n < 0) {
      return die("splice");
    }
    printf("%lld\n", (long long)n);
    if (smbc_getFunctionClose(ctx)(ctx, src) != 0 || smbc_getFunctionClose(ctx)(ctx, dst) != 0) {
      return die("close");
    }
  } else if (strcmp(cmd, "truncate") == 0 && argc == 7) {
    SMBCFILE* f = smbc_getFunctionOpen(ctx)(ctx, url, O_RDWR, 0);
    if (f == NULL || smbc_getFunctionFtruncate(ctx)(ctx, f, (off_t)atoll(argv[6])) != 0 ||
        smbc_getFunctionClose(ctx)(ctx, f) != 0) {
      return die("truncate");
    }
  } else if (strcmp(cmd, "readonly") == 0) {
    if (smbc_chmod(url, 0444) != 0) {
      return die("chmod");
    }
  } else if (strcmp(cmd, "utimes") == 0) {
    struct timeval tv[2] = {{.tv_sec = 1336752107}, {.tv_sec = 1336752107}};
    if (smbc_utimes(url, tv) != 0) {
      return die("utimes");
    }
  } else if (strcmp(cmd, "setacl") == 0) {
    // An ACE for BUILTIN\Users (S-1-5-32-545): allowed, no flags, read and execute.
    const char* ace = "0/0/0x001200a9";
    if (smbc_setxattr(url, "system.nt_sec_desc.acl:S-1-5-32-545", ace, strlen(ace), 0) != 0) {
      return die("setxattr");
    }
  } else {
    fprintf(stderr, "smbta_smb_ops: unknown command %s\n", cmd);
    return 2;
  }
  smbc_free_context(ctx, 1);
  return 0;
}

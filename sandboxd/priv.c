/*
 * priv.c - workspaces, and the privileged helper that mounts them.
 *
 * A workspace is WORKSPACE-ROOT/USER holding ws/ (bind-mounted at
 * /workspace in the user's container) and trash/ (soft-deleted files,
 * never mounted).  A warm pool slot's (warm.c) is made the same way at
 * WORKSPACE-ROOT/.pool/SLOT before its user is known, and becomes
 * WORKSPACE-ROOT/USER when the slot is taken: renamed, or with a quota
 * bind-mounted there (the mount at .pool/SLOT goes) with the image
 * renamed; the container's own bind mount follows the file system,
 * not the path.  With a disk-quota, WORKSPACE-ROOT/USER is an ext4
 * file system in the sparse image WORKSPACE-ROOT/USER.img (root-owned,
 * 0600, at most disk-quota bytes on the host disk), loop-mounted with
 * nosuid,nodev: a `fallocate -l 100G' or a zip bomb ends with ENOSPC
 * inside it, the host disk never fills.
 *
 * Mounting needs root, and sandboxd runs as its own user (so does
 * turning off forwarding on a user's bridge, net.c).  Started as
 * root, sandboxd forks this helper before dropping privileges: it keeps
 * root, takes no input but fixed-size {op, user id} requests on a
 * socketpair, runs no shell (mke2fs and mount are executed with fixed
 * argument vectors), and exits when sandboxd goes away.  Started as an
 * ordinary user there is no helper and workspaces are plain directories
 * without a quota (logged at start).
 */
#include <sys/types.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sandboxd.h"

struct priv_msg {
	int32_t		 op;
	uint32_t	 uid;		/* owner of the workspace */
	int64_t		 user;
	int64_t		 quota;		/* the user's disk-quota */
	int64_t		 slot;		/* a warm pool slot */
};

struct priv_ans {
	int32_t		 err;		/* 0 ok */
	char		 code[16];
	char		 msg[224];
};

static int	 priv_fd = -1;
static uid_t	 priv_lo, priv_hi;	/* uid-range, for the helper */

int
sbx_priv_active(void)
{
	return (priv_fd != -1);
}

static int
run_prog(const char *const *paths, char *const argv[], struct fserr *e)
{
	const char	*path = NULL;
	char *const	 envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	pid_t		 pid;
	int		 status, i, devnull;

	for (i = 0; paths[i] != NULL; i++)
		if (access(paths[i], X_OK) == 0) {
			path = paths[i];
			break;
		}
	if (path == NULL) {
		sbx_fserr_set(e, "io", "%s not found", paths[0]);
		return (-1);
	}
	switch ((pid = fork())) {
	case -1:
		return (sbx_fserr_errno(e, errno, "fork"));
	case 0:
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		execve(path, argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return (sbx_fserr_errno(e, errno, "waitpid"));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		sbx_fserr_set(e, "io", "%s failed (status %d)", path, status);
		return (-1);
	}
	return (0);
}

static int
is_mountpoint(const char *dir)
{
	char		 parent[PATH_MAX];
	struct stat	 a, b;

	if (snprintf(parent, sizeof(parent), "%s/..", dir) >=
	    (int)sizeof(parent))
		return (0);
	if (lstat(dir, &a) == -1 || stat(parent, &b) == -1)
		return (0);
	return (a.st_dev != b.st_dev);
}

static int
mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid,
    struct fserr *e)
{
	struct stat	st;

	if (mkdir(path, mode) == -1 && errno != EEXIST)
		return (sbx_fserr_errno(e, errno, path));
	if (lstat(path, &st) == -1)
		return (sbx_fserr_errno(e, errno, path));
	if (!S_ISDIR(st.st_mode)) {
		sbx_fserr_set(e, "io", "%s: not a directory", path);
		return (-1);
	}
	if (geteuid() == 0 && (st.st_uid != uid || st.st_gid != gid) &&
	    lchown(path, uid, gid) == -1)
		return (sbx_fserr_errno(e, errno, path));
	return (0);
}

static int
make_image(const char *img, long long size, uid_t uid, gid_t gid,
    struct fserr *e)
{
	static const char *const mke2fs[] = { "/sbin/mke2fs",
	    "/usr/sbin/mke2fs", NULL };
	char	 opts[128];
	char	*argv[] = { "mke2fs", "-q", "-F", "-t", "ext4", "-m", "0",
	    "-E", opts, (char *)img, NULL };
	int	 fd;

	if ((fd = open(img, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		if (errno == EEXIST)
			return (0);
		return (sbx_fserr_errno(e, errno, img));
	}
	if (ftruncate(fd, (off_t)size) == -1) {
		close(fd);
		unlink(img);
		return (sbx_fserr_errno(e, errno, img));
	}
	close(fd);
	snprintf(opts, sizeof(opts), "root_owner=%u:%u,lazy_itable_init=1,"
	    "lazy_journal_init=1", (unsigned)uid, (unsigned)gid);
	if (run_prog(mke2fs, argv, e) == -1) {
		unlink(img);
		return (-1);
	}
	return (0);
}

/*
 * Make WORKSPACE-ROOT/USER/{ws,trash}, on its own ext4 image when quota
 * is set.  Idempotent.
 */
static uid_t	chown_uid;
static gid_t	chown_gid;

static int
chown_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)lchown(path, chown_uid, chown_gid);
	return (0);
}

static int
ws_prepare_at(const char *dir, const char *img, long long quota, uid_t uid,
    gid_t gid, struct fserr *e)
{
	struct stat	 st;
	static const char *const mount[] = { "/bin/mount", "/usr/bin/mount",
	    NULL };
	char	 sub[PATH_MAX];
	char	*argv[] = { "mount", "-o", "loop,nosuid,nodev", (char *)img,
	    (char *)dir, NULL };

	if (mkdir_owned(dir, 0700, uid, gid, e) == -1)
		return (-1);
	if (quota > 0 && !is_mountpoint(dir)) {
		if (make_image(img, quota, uid, gid, e) == -1)
			return (-1);
		if (run_prog(mount, argv, e) == -1)
			return (-1);
		if (mkdir_owned(dir, 0700, uid, gid, e) == -1)
			return (-1);
	}
	snprintf(sub, sizeof(sub), "%s/" WS_DIR, dir);
	/* a workspace from before per-user uids: hand it all over */
	if (geteuid() == 0 && lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid != uid) {
		chown_uid = uid;
		chown_gid = gid;
		if (nftw(sub, chown_one, 16, FTW_PHYS | FTW_MOUNT) == -1)
			log_warn("chown %s", sub);
	}
	if (mkdir_owned(sub, 0755, uid, gid, e) == -1)
		return (-1);
	snprintf(sub, sizeof(sub), "%s/" WS_TRASH, dir);
	return (mkdir_owned(sub, 0700, uid, gid, e));
}

int
sbx_ws_prepare(const char *root, long long quota, int64_t user, uid_t uid,
    gid_t gid, struct fserr *e)
{
	char	 dir[PATH_MAX - 16], img[PATH_MAX];

	if (user <= 0 || snprintf(dir, sizeof(dir), "%s/%" PRId64, root,
	    user) >= (int)sizeof(dir) || snprintf(img, sizeof(img),
	    "%s/%" PRId64 ".img", root, user) >= (int)sizeof(img)) {
		sbx_fserr_set(e, "invalid", "bad workspace name");
		return (-1);
	}
	return (ws_prepare_at(dir, img, quota, uid, gid, e));
}

/* WORKSPACE-ROOT/.pool/SLOT and .img: 0, or -1 */
static int
pool_paths(const char *root, int64_t slot, char *dir, size_t dlen,
    char *img, size_t ilen, struct fserr *e)
{
	if (slot <= 0 || snprintf(dir, dlen, "%s/.pool/%" PRId64, root,
	    slot) >= (int)dlen || snprintf(img, ilen, "%s/.pool/%" PRId64
	    ".img", root, slot) >= (int)ilen) {
		sbx_fserr_set(e, "invalid", "bad pool slot");
		return (-1);
	}
	return (0);
}

/* a warm pool slot's workspace, owned by its reserved uid */
int
sbx_pool_ws_prepare(const char *root, long long quota, int64_t slot,
    uid_t uid, gid_t gid, struct fserr *e)
{
	char	 dir[PATH_MAX - 16], img[PATH_MAX], pool[PATH_MAX];

	if (pool_paths(root, slot, dir, sizeof(dir), img, sizeof(img),
	    e) == -1)
		return (-1);
	snprintf(pool, sizeof(pool), "%s/.pool", root);
	if (mkdir(pool, 0711) == -1 && errno != EEXIST)
		return (sbx_fserr_errno(e, errno, pool));
	return (ws_prepare_at(dir, img, quota, uid, gid, e));
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (remove(path) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

/*
 * A slot nobody took (or one that failed): its workspace held nothing
 * of any user, so it goes for good.
 */
int
sbx_pool_ws_drop(const char *root, int64_t slot, struct fserr *e)
{
	char		 dir[PATH_MAX - 16], img[PATH_MAX];
	struct stat	 st;

	if (pool_paths(root, slot, dir, sizeof(dir), img, sizeof(img),
	    e) == -1)
		return (-1);
	if (is_mountpoint(dir) && umount2(dir, UMOUNT_NOFOLLOW) == -1 &&
	    umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) == -1)
		return (sbx_fserr_errno(e, errno, dir));
	if (lstat(dir, &st) == 0 && nftw(dir, rm_one, 16, FTW_DEPTH |
	    FTW_PHYS | FTW_MOUNT) == -1)
		return (sbx_fserr_errno(e, errno, dir));
	if (unlink(img) == -1 && errno != ENOENT)
		return (sbx_fserr_errno(e, errno, img));
	return (0);
}

/*
 * The slot's workspace becomes the user's: WORKSPACE-ROOT/USER must not
 * exist (nor USER.img).  Without a quota the directory is renamed; with
 * one, the file system is bind-mounted at WORKSPACE-ROOT/USER (keeping
 * nosuid,nodev), the mount at .pool/SLOT goes and the image is renamed
 * (the loop device holds it open).  All or nothing.
 */
int
sbx_pool_ws_take(const char *root, int64_t slot, int64_t user,
    struct fserr *e)
{
	char		 sdir[PATH_MAX - 16], simg[PATH_MAX];
	char		 dir[PATH_MAX - 16], img[PATH_MAX];
	struct stat	 st;

	if (pool_paths(root, slot, sdir, sizeof(sdir), simg, sizeof(simg),
	    e) == -1)
		return (-1);
	if (user <= 0 || snprintf(dir, sizeof(dir), "%s/%" PRId64, root,
	    user) >= (int)sizeof(dir) || snprintf(img, sizeof(img),
	    "%s/%" PRId64 ".img", root, user) >= (int)sizeof(img)) {
		sbx_fserr_set(e, "invalid", "bad workspace name");
		return (-1);
	}
	if (lstat(dir, &st) == 0 || lstat(img, &st) == 0) {
		sbx_fserr_set(e, "exists", "user %" PRId64 " has a workspace",
		    user);
		return (-1);
	}
	if (lstat(sdir, &st) == -1 || !S_ISDIR(st.st_mode))
		return (sbx_fserr_errno(e, ENOENT, sdir));
	if (!is_mountpoint(sdir)) {
		if (renameat2(AT_FDCWD, sdir, AT_FDCWD, dir,
		    RENAME_NOREPLACE) == -1)
			return (sbx_fserr_errno(e, errno, dir));
		return (0);
	}
	if (mkdir(dir, 0700) == -1)
		return (sbx_fserr_errno(e, errno, dir));
	if (mount(sdir, dir, NULL, MS_BIND, NULL) == -1) {
		sbx_fserr_errno(e, errno, dir);
		rmdir(dir);
		return (-1);
	}
	if (renameat2(AT_FDCWD, simg, AT_FDCWD, img,
	    RENAME_NOREPLACE) == -1) {
		sbx_fserr_errno(e, errno, img);
		umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW);
		rmdir(dir);
		return (-1);
	}
	if (umount2(sdir, UMOUNT_NOFOLLOW) == -1 &&
	    umount2(sdir, MNT_DETACH | UMOUNT_NOFOLLOW) == -1)
		log_warn("umount %s", sdir);
	(void)rmdir(sdir);
	return (0);
}

int
sbx_ws_release(const char *root, int64_t user, struct fserr *e)
{
	char	dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/%" PRId64, root, user) >=
	    (int)sizeof(dir))
		return (0);
	if (!is_mountpoint(dir))
		return (0);
	if (umount2(dir, UMOUNT_NOFOLLOW) == -1 &&
	    umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) == -1)
		return (sbx_fserr_errno(e, errno, dir));
	return (0);
}

/*
 * users remove: the workspace (and its image) leave for
 * WORKSPACE-ROOT/.removed/USER.EPOCH, where no container sees them;
 * the operator deletes them for good.
 */
int
sbx_ws_remove(const char *root, int64_t user, struct fserr *e)
{
	char		 dir[PATH_MAX], img[PATH_MAX], trash[PATH_MAX];
	char		 to[PATH_MAX + 64];
	long long	 now = (long long)time(NULL);
	struct stat	 st;

	if (user <= 0 || snprintf(dir, sizeof(dir), "%s/%" PRId64, root,
	    user) >= (int)sizeof(dir) || snprintf(img, sizeof(img),
	    "%s/%" PRId64 ".img", root, user) >= (int)sizeof(img) ||
	    snprintf(trash, sizeof(trash), "%s/.removed", root) >=
	    (int)sizeof(trash)) {
		sbx_fserr_set(e, "invalid", "bad workspace name");
		return (-1);
	}
	if (sbx_ws_release(root, user, e) == -1)
		return (-1);
	if (mkdir(trash, 0700) == -1 && errno != EEXIST)
		return (sbx_fserr_errno(e, errno, trash));
	if (lstat(dir, &st) == 0) {
		snprintf(to, sizeof(to), "%s/%" PRId64 ".%lld", trash, user,
		    now);
		if (rename(dir, to) == -1)
			return (sbx_fserr_errno(e, errno, dir));
	}
	if (lstat(img, &st) == 0) {
		snprintf(to, sizeof(to), "%s/%" PRId64 ".%lld.img", trash, user,
		    now);
		if (rename(img, to) == -1)
			return (sbx_fserr_errno(e, errno, img));
	}
	return (0);
}

/* a workspace's owner: the default one (0 or uid), or one of uid-range */
static int
owner_allowed(uid_t want, uid_t uid, struct fserr *e)
{
	if (want == 0 || want == uid || (priv_lo != 0 && want >= priv_lo &&
	    want <= priv_hi))
		return (1);
	sbx_fserr_set(e, "invalid", "uid %u is outside uid-range",
	    (unsigned)want);
	return (0);
}

static __dead void
priv_main(int fd, const char *root, long long quota, uid_t uid, gid_t gid)
{
	struct priv_msg	 m;
	struct priv_ans	 a;
	struct fserr	 e;
	ssize_t		 n;
	int		 r;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	if (getppid() == 1)
		_exit(0);
	for (;;) {
		n = recv(fd, &m, sizeof(m), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m))
			_exit(0);
		memset(&a, 0, sizeof(a));
		memset(&e, 0, sizeof(e));
		switch (m.op) {
		case PRIV_PREPARE:
			if (!owner_allowed(m.uid, uid, &e)) {
				r = -1;
				break;
			}
			r = sbx_ws_prepare(root, m.quota > 0 && quota > 0 ?
			    m.quota : quota, m.user, m.uid != 0 ? m.uid : uid,
			    m.uid != 0 ? m.uid : gid, &e);
			break;
		case PRIV_RELEASE:
			r = sbx_ws_release(root, m.user, &e);
			break;
		case PRIV_REMOVE:
			r = sbx_ws_remove(root, m.user, &e);
			break;
		case PRIV_NOFORWARD:
			r = sbx_net_noforward(m.user, &e);
			break;
		case PRIV_POOL_PREPARE:
			if (!owner_allowed(m.uid, uid, &e)) {
				r = -1;
				break;
			}
			r = sbx_pool_ws_prepare(root, quota, m.slot, m.uid != 0 ?
			    m.uid : uid, m.uid != 0 ? m.uid : gid, &e);
			break;
		case PRIV_POOL_TAKE:
			r = sbx_pool_ws_take(root, m.slot, m.user, &e);
			break;
		case PRIV_POOL_DROP:
			r = sbx_pool_ws_drop(root, m.slot, &e);
			break;
		default:
			r = -1;
			sbx_fserr_set(&e, "invalid", "unknown request");
		}
		if (r == -1) {
			a.err = 1;
			strlcpy(a.code, e.code, sizeof(a.code));
			strlcpy(a.msg, e.msg, sizeof(a.msg));
		}
		if (send(fd, &a, sizeof(a), MSG_NOSIGNAL) != (ssize_t)sizeof(a))
			_exit(0);
	}
}

/* in the privileged parent, before the drop: fork the helper */
int
sbx_priv_start(const char *root, long long quota, uid_t uid, gid_t gid,
    uid_t lo, uid_t hi)
{
	int	sp[2];
	pid_t	pid;

	if (mkdir(root, 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", root);
		return (-1);
	}
	priv_lo = lo;
	priv_hi = hi;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		return (-1);
	switch ((pid = fork())) {
	case -1:
		close(sp[0]);
		close(sp[1]);
		return (-1);
	case 0:
		/* keep nothing of the daemon but the socket */
		if (dup2(sp[1], 3) == -1)
			_exit(1);
		closefrom(4);
		priv_main(3, root, quota, uid, gid);
	}
	close(sp[1]);
	priv_fd = sp[0];
	log_debug("privileged workspace helper is pid %ld", (long)pid);
	return (0);
}

/* blocking round trip to the helper (mke2fs and mount take ~20 ms) */
int
sbx_priv_call(int op, int64_t user, struct fserr *e)
{
	return (sbx_priv_call_as(op, user, 0, 0, e));
}

/* the same with the workspace's owner and quota (0: the defaults) */
int
sbx_priv_call_as(int op, int64_t user, uid_t uid, long long quota,
    struct fserr *e)
{
	return (sbx_priv_call_slot(op, user, 0, uid, quota, e));
}

/* and a warm pool slot */
int
sbx_priv_call_slot(int op, int64_t user, int64_t slot, uid_t uid,
    long long quota, struct fserr *e)
{
	static char	 code[16];
	struct priv_msg	 m;
	struct priv_ans	 a;
	ssize_t		 n;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.user = user;
	m.uid = uid;
	m.quota = quota;
	m.slot = slot;
	if (send(priv_fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
		goto gone;
	do
		n = recv(priv_fd, &a, sizeof(a), 0);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(a))
		goto gone;
	if (a.err == 0)
		return (0);
	a.code[sizeof(a.code) - 1] = '\0';
	a.msg[sizeof(a.msg) - 1] = '\0';
	strlcpy(code, a.code, sizeof(code));
	e->code = strcmp(code, "quota") == 0 ? "quota" :
	    strcmp(code, "invalid") == 0 ? "invalid" :
	    strcmp(code, "exists") == 0 ? "exists" : "io";
	strlcpy(e->msg, a.msg, sizeof(e->msg));
	return (-1);
 gone:
	log_warnx("workspace helper is gone");
	sbx_fserr_set(e, "io", "workspace helper is gone");
	return (-1);
}

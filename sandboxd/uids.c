/*
 * uids.c - each user's own host uid.  A user's container runs under a
 * uid (and a group of the same number) taken from uid-range on first
 * use and kept for good: STATEDIR/uids holds "user uid" lines,
 * rewritten atomically, and the line "0 NEXT" the first uid never yet
 * handed out.  A uid is never handed out twice, not even after the user
 * was removed (their files in the trash keep it), and never one of the
 * daemons' own uids.  A warm pool slot (warm.c) reserves a uid before
 * its user is known; the uid is bound to the user who takes the slot,
 * or stays unused for good.  The container sees a passwd and
 * a group file naming that uid (STATEDIR/passwd/USER.{passwd,group},
 * bind-mounted read-only), so whoami, git, pip --user and ssh-keygen
 * work, with HOME the workspace and the Telegram name as the gecos
 * field (git's default author name).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandboxd.h"

struct uident {
	RB_ENTRY(uident) entry;
	int64_t		 user;
	uid_t		 uid;
};
RB_HEAD(uidtree, uident);
int	uident_cmp(struct uident *, struct uident *);
RB_PROTOTYPE(uidtree, uident, entry, uident_cmp)

int
uident_cmp(struct uident *a, struct uident *b)
{
	return (a->user < b->user ? -1 : a->user > b->user);
}

RB_GENERATE(uidtree, uident, entry, uident_cmp)

static struct uidtree	 uids = RB_INITIALIZER(&uids);
static char		 uids_path[PATH_MAX];
static uid_t		 uid_lo, uid_hi, uid_next;
static uid_t		 avoid[8];
static size_t		 navoid;

static int
avoided(uid_t uid)
{
	size_t	 i;

	for (i = 0; i < navoid; i++)
		if (avoid[i] == uid)
			return (1);
	return (uid == 0);
}

static int
uids_add(int64_t user, uid_t uid)
{
	struct uident	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return (-1);
	u->user = user;
	u->uid = uid;
	if (RB_INSERT(uidtree, &uids, u) != NULL) {
		free(u);
		return (-1);
	}
	if (uid >= uid_next)
		uid_next = uid + 1;
	return (0);
}

static int
uids_save(void)
{
	struct uident	*u;
	char		 tmp[PATH_MAX + 8];
	FILE		*f;
	int		 fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", uids_path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("%s", tmp);
		return (-1);
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return (-1);
	}
	RB_FOREACH(u, uidtree, &uids)
		fprintf(f, "%" PRId64 " %u\n", u->user, (unsigned)u->uid);
	fprintf(f, "0 %u\n", (unsigned)uid_next);
	if (fflush(f) != 0 || fsync(fileno(f)) == -1) {
		log_warn("%s", tmp);
		fclose(f);
		unlink(tmp);
		return (-1);
	}
	fclose(f);
	if (rename(tmp, uids_path) == -1) {
		log_warn("rename %s", tmp);
		unlink(tmp);
		return (-1);
	}
	return (0);
}

/* the range, the uids never to use, the state file; 0 or -1 */
int
sbx_uids_init(uid_t lo, uid_t hi, const uid_t *av, size_t nav,
    const char *statedir)
{
	FILE		*f;
	char		 line[128], dir[PATH_MAX];
	long long	 user;
	unsigned int	 uid;
	int		 lineno = 0;

	uid_lo = lo;
	uid_hi = hi;
	uid_next = lo;
	for (navoid = 0; navoid < nav && navoid < sizeof(avoid) /
	    sizeof(avoid[0]); navoid++)
		avoid[navoid] = av[navoid];
	snprintf(uids_path, sizeof(uids_path), "%s/uids", statedir);
	snprintf(dir, sizeof(dir), "%s/passwd", statedir);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", dir);
		return (-1);
	}
	/* written later by sandboxd's own user */
	if (nav > 0 && geteuid() == 0 && chown(dir, av[0], (gid_t)-1) == -1)
		log_warn("chown %s", dir);
	if ((f = fopen(uids_path, "re")) == NULL)
		return (errno == ENOENT ? 0 : -1);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (sscanf(line, "%lld %u", &user, &uid) == 2 && user == 0) {
			if ((uid_t)uid > uid_next)
				uid_next = (uid_t)uid;
		} else if (sscanf(line, "%lld %u", &user, &uid) != 2 ||
		    user <= 0 || uids_add(user, (uid_t)uid) == -1)
			log_warnx("%s:%d: ignored", uids_path, lineno);
	}
	fclose(f);
	return (0);
}

/* the user's uid, allocated on first use: 0 and *uid, or -1 */
int
sbx_uid_get(int64_t user, uid_t *uid)
{
	struct uident	 key, *u;

	key.user = user;
	if ((u = RB_FIND(uidtree, &uids, &key)) != NULL) {
		*uid = u->uid;
		return (0);
	}
	while (uid_next <= uid_hi && avoided(uid_next))
		uid_next++;
	if (uid_next < uid_lo || uid_next > uid_hi) {
		log_warnx("uid-range %u:%u is used up", (unsigned)uid_lo,
		    (unsigned)uid_hi);
		return (-1);
	}
	if (uids_add(user, uid_next) == -1)
		return (-1);
	if (uids_save() == -1) {
		u = RB_FIND(uidtree, &uids, &key);
		RB_REMOVE(uidtree, &uids, u);
		free(u);
		return (-1);
	}
	*uid = uid_next - 1;
	log_info("user %" PRId64 ": host uid %u", user, (unsigned)*uid);
	return (0);
}

/* the user's uid if one is bound already: 1, else 0 */
int
sbx_uid_known(int64_t user)
{
	struct uident	 key;

	key.user = user;
	return (RB_FIND(uidtree, &uids, &key) != NULL);
}

/* a uid for a warm pool slot, bound to nobody yet: 0 and *uid, or -1 */
int
sbx_uid_reserve(uid_t *uid)
{
	uid_t	 old = uid_next;

	while (uid_next <= uid_hi && avoided(uid_next))
		uid_next++;
	if (uid_next < uid_lo || uid_next > uid_hi) {
		log_warnx("uid-range %u:%u is used up", (unsigned)uid_lo,
		    (unsigned)uid_hi);
		return (-1);
	}
	*uid = uid_next++;
	if (uids_save() == -1) {
		uid_next = old;
		return (-1);
	}
	return (0);
}

/* a reserved uid becomes the user's, for good: 0, or -1 */
int
sbx_uid_bind(int64_t user, uid_t uid)
{
	struct uident	 key, *u;

	if (uid < uid_lo || uid > uid_hi || uid >= uid_next || avoided(uid))
		return (-1);
	RB_FOREACH(u, uidtree, &uids)
		if (u->uid == uid)
			return (-1);
	if (uids_add(user, uid) == -1)
		return (-1);
	if (uids_save() == -1) {
		key.user = user;
		u = RB_FIND(uidtree, &uids, &key);
		RB_REMOVE(uidtree, &uids, u);
		free(u);
		return (-1);
	}
	log_info("user %" PRId64 ": host uid %u", user, (unsigned)uid);
	return (0);
}

/* a gecos field: printable, no ':' ',' or newline; "user" if empty */
static void
gecos(const char *name, char *out, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; name != NULL && name[i] != '\0' && n + 1 < len; i++) {
		unsigned char c = name[i];

		if (c < 0x20 || c == 0x7f || c == ':' || c == ',' ||
		    c == '\\')
			continue;
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0)
		strlcpy(out, "user", len);
}

static int
write_file(const char *path, const char *text)
{
	char	 tmp[PATH_MAX + 8];
	size_t	 len = strlen(text);
	int	 fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1)
		return (-1);
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) == -1) {
		close(fd);
		unlink(tmp);
		return (-1);
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		return (-1);
	}
	return (0);
}

static void
passwd_text(const char *login, uid_t uid, const char *name, char *pw,
    size_t pwlen, char *gr, size_t grlen)
{
	char	 g[128];

	gecos(name, g, sizeof(g));
	snprintf(pw, pwlen,
	    "root:x:0:0:root:/root:/bin/sh\n"
	    "%s:x:%u:%u:%s:" WS_MOUNTPATH ":/bin/sh\n"
	    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	    login, (unsigned)uid, (unsigned)uid, g);
	snprintf(gr, grlen, "root:x:0:\n%s:x:%u:\nnogroup:x:65534:\n",
	    login, (unsigned)uid);
}

/*
 * STATEDIR/passwd/USER.passwd and .group for the container: root,
 * nobody and the user "uUSER" with HOME the workspace.  The login
 * name is made from the user id only; the Telegram name goes in the
 * gecos field.  A warm pool slot's (user < 0) are pool-SLOT.passwd and
 * .group, naming "topsh-pool" until the slot is taken.  0, or -1 with
 * errno.
 */
int
sbx_passwd_write(const char *statedir, int64_t user, uid_t uid,
    const char *name, char *pw, size_t pwlen, char *gr, size_t grlen)
{
	char	 login[32], text[1024], gtext[256];

	if (user < 0) {
		snprintf(pw, pwlen, "%s/passwd/pool-%" PRId64 ".passwd",
		    statedir, -user);
		snprintf(gr, grlen, "%s/passwd/pool-%" PRId64 ".group",
		    statedir, -user);
		strlcpy(login, "topsh-pool", sizeof(login));
	} else {
		snprintf(pw, pwlen, "%s/passwd/%" PRId64 ".passwd", statedir,
		    user);
		snprintf(gr, grlen, "%s/passwd/%" PRId64 ".group", statedir,
		    user);
		snprintf(login, sizeof(login), "u%" PRId64, user);
	}
	passwd_text(login, uid, name, text, sizeof(text), gtext,
	    sizeof(gtext));
	if (write_file(pw, text) == -1)
		return (-1);
	return (write_file(gr, gtext));
}

static int
rewrite_file(const char *path, const char *text)
{
	size_t	 len = strlen(text);
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return (-1);
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return (-1);
	}
	return (close(fd));
}

/*
 * A warm pool slot is taken by user: its passwd and group files name
 * the user now.  Rewritten in place: the container's bind mounts show
 * the same inode.  0, or -1 with errno.
 */
int
sbx_passwd_adopt(const char *statedir, int64_t slot, int64_t user,
    uid_t uid, const char *name)
{
	char	 pw[PATH_MAX], gr[PATH_MAX], login[32], text[1024];
	char	 gtext[256];

	snprintf(pw, sizeof(pw), "%s/passwd/pool-%" PRId64 ".passwd",
	    statedir, slot);
	snprintf(gr, sizeof(gr), "%s/passwd/pool-%" PRId64 ".group",
	    statedir, slot);
	snprintf(login, sizeof(login), "u%" PRId64, user);
	passwd_text(login, uid, name, text, sizeof(text), gtext,
	    sizeof(gtext));
	if (rewrite_file(pw, text) == -1 || rewrite_file(gr, gtext) == -1)
		return (-1);
	return (0);
}

/*
 * STATEDIR/hosts for containers without a network: the lines Docker
 * writes for network none.  sandboxd creates those containers with
 * networking disabled (an own empty namespace with loopback, made by
 * the runtime instead of the engine's network hook, which costs a
 * quarter of a second a start), and then the engine writes no hosts
 * file: "localhost" must still resolve.  0, or -1 with errno.
 */
int
sbx_hosts_write(const char *statedir, char *path, size_t len)
{
	snprintf(path, len, "%s/hosts", statedir);
	return (write_file(path, "127.0.0.1\tlocalhost\n"
	    "::1\tlocalhost ip6-localhost ip6-loopback\n"
	    "fe00::0\tip6-localnet\n"
	    "ff00::0\tip6-mcastprefix\n"
	    "ff02::1\tip6-allnodes\n"
	    "ff02::2\tip6-allrouters\n"));
}

/* the slot's passwd and group files go with its container */
void
sbx_passwd_unlink(const char *statedir, int64_t slot)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/passwd/pool-%" PRId64 ".passwd",
	    statedir, slot);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/passwd/pool-%" PRId64 ".group",
	    statedir, slot);
	(void)unlink(path);
}

/*
 * A default git identity from the Telegram name: WORKSPACE/.gitconfig
 * (HOME is the workspace) when there is none; the user may change it.
 */
void
sbx_gitconfig_default(const char *wsdir, uid_t uid, const char *name,
    int64_t user)
{
	char	 path[PATH_MAX], g[128], text[512];
	int	 fd, n;

	gecos(name, g, sizeof(g));
	if (snprintf(path, sizeof(path), "%s/.gitconfig", wsdir) >=
	    (int)sizeof(path))
		return;
	/* O_EXCL|O_NOFOLLOW: an existing file or a planted link stays */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1)
		return;
	n = snprintf(text, sizeof(text), "# written once by topsh: your "
	    "default git identity (your Telegram name)\n[user]\n"
	    "\tname = %s\n\temail = u%" PRId64 "@users.topsh.invalid\n",
	    g, user);
	if (n > 0 && write(fd, text, n) != n)
		log_warn("%s", path);
	if (geteuid() != uid && fchown(fd, uid, uid) == -1)
		log_warn("chown %s", path);
	close(fd);
}

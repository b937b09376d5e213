/*
 * state.c - files in the state directory, always written whole: a
 * temporary file in the same directory, fsync, rename over the old
 * one, fsync of the directory.  A crash leaves the old or the new
 * file, never half of one.  Appends are bounded: when a file would
 * grow past its limit the oldest lines are dropped.
 *
 * Group commit: a write is kept in memory (reads see it at once) and
 * all that were made within STATE_COMMIT_MS go to disk together, each
 * file once with its latest contents and each directory synced once.
 * A burst of fifty messages used to cost gatewayd's loop some six
 * hundred fsyncs one after another (the inbox, the offset, sessions,
 * usage: several writes each), and every user waited behind them.
 * state_flush() writes what is pending now: before getUpdates moves
 * the offset past accepted updates (tg.c), so Telegram never forgets
 * an update whose inbox entry is not on disk; before an answer that
 * says a change was saved; at shutdown.  A file that cannot be
 * written stays pending and is tried again a second later.  Without
 * an event loop (the unit tests before they make one) writes go to
 * disk at once.
 */
#include <sys/stat.h>
#include <sys/tree.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"

#define STATE_COMMIT_MS		10	/* writes gathered into one commit */
#define STATE_RETRY_MS		1000	/* a file that failed, again */

struct pending {
	RB_ENTRY(pending)	 entry;
	char			*path;
	char			*data;
	size_t			 len;
};
RB_HEAD(pendings, pending);

static int	pending_cmp(struct pending *, struct pending *);
RB_PROTOTYPE(pendings, pending, entry, pending_cmp)

static struct pendings	 pending = RB_INITIALIZER(&pending);
static struct event	*commit_ev;
static size_t		 npending;

/* mkdir -p of sub under base (base must exist) */
int
state_mkdirs(const char *base, const char *sub)
{
	char	 path[PATH_MAX], *p;
	int	 n;

	n = snprintf(path, sizeof(path), "%s/%s", base, sub);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	for (p = path + strlen(base) + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return (-1);
	return (0);
}

static int
fsync_dir(const char *dir)
{
	int	 fd, rv;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	rv = fsync(fd);
	close(fd);
	return (rv);
}

/* the directory a file is in */
static int
fsync_path_dir(const char *path)
{
	char	 dir[PATH_MAX];

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return (-1);
	return (fsync_dir(dirname(dir)));
}

RB_GENERATE(pendings, pending, entry, pending_cmp)

static int
pending_cmp(struct pending *a, struct pending *b)
{
	return (strcmp(a->path, b->path));
}

/* tmp, fsync, rename; the directory is synced by the caller */
static int
file_write(const char *path, const char *data, size_t len)
{
	char	 tmp[PATH_MAX];
	size_t	 off = 0;
	ssize_t	 w;
	int	 fd, n, saved;

	n = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return (-1);
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += w;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return (0);
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return (-1);
}

static void
pending_free(struct pending *p)
{
	free(p->path);
	free(p->data);
	free(p);
}

static void
commit_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)state_flush();
}

static void
commit_arm(int ms)
{
	struct timeval	 tv;

	if (commit_ev == NULL && (commit_ev = evtimer_new(gw_base(),
	    commit_cb, NULL)) == NULL)
		return;
	if (evtimer_pending(commit_ev, NULL))
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(commit_ev, &tv);
}

/* a directory already synced in this commit? */
static int
dir_seen(char (*dirs)[PATH_MAX], size_t n, const char *dir)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(dirs[i], dir) == 0)
			return (1);
	return (0);
}

#define COMMIT_DIRS	16

/*
 * Everything pending to disk now: each file, then each directory
 * once.  0, or -1 (errno) when a file could not be written: it stays
 * pending and is tried again.
 */
int
state_flush(void)
{
	struct pending	*p, *next;
	char		 dirs[COMMIT_DIRS][PATH_MAX], dir[PATH_MAX];
	size_t		 ndirs = 0, i;
	int		 rv = 0, saved = 0;

	if (commit_ev != NULL)
		evtimer_del(commit_ev);
	RB_FOREACH_SAFE(p, pendings, &pending, next) {
		if (file_write(p->path, p->data, p->len) == -1) {
			saved = errno;
			rv = -1;
			log_warn("saving %s", p->path);
			continue;
		}
		strlcpy(dir, p->path, sizeof(dir));
		strlcpy(dir, dirname(dir), sizeof(dir));
		if (!dir_seen(dirs, ndirs, dir)) {
			if (ndirs == COMMIT_DIRS) {
				for (i = 0; i < ndirs; i++)
					(void)fsync_dir(dirs[i]);
				ndirs = 0;
			}
			strlcpy(dirs[ndirs++], dir, PATH_MAX);
		}
		RB_REMOVE(pendings, &pending, p);
		npending--;
		pending_free(p);
	}
	for (i = 0; i < ndirs; i++)
		(void)fsync_dir(dirs[i]);
	if (rv == -1) {
		commit_arm(STATE_RETRY_MS);
		errno = saved;
	}
	return (rv);
}

/* files written but not yet on disk (topshctl status) */
size_t
state_pending(void)
{
	return (npending);
}

/*
 * Write a whole file: pending until the next commit (within
 * STATE_COMMIT_MS); at once when there is no event loop.
 */
int
state_write(const char *path, const char *data, size_t len)
{
	struct pending	 key, *p;
	char		*copy;

	if (gw_base() == NULL) {
		if (file_write(path, data, len) == -1)
			return (-1);
		(void)fsync_path_dir(path);
		return (0);
	}
	if (strlen(path) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((copy = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	key.path = (char *)path;
	if ((p = RB_FIND(pendings, &pending, &key)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL ||
		    (p->path = strdup(path)) == NULL) {
			free(p);
			free(copy);
			return (-1);
		}
		RB_INSERT(pendings, &pending, p);
		npending++;
	} else
		free(p->data);
	p->data = copy;
	p->len = len;
	commit_arm(STATE_COMMIT_MS);
	return (0);
}

/*
 * Read a whole file of at most max bytes (NUL-terminated).  A missing
 * file reads as empty.  0 ok, -1 error (EFBIG when too large).
 */
int
state_read(const char *path, size_t max, char **out, size_t *outlen)
{
	struct pending	 key, *p;
	struct stat	 st;
	char		*buf;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd, saved;

	*out = NULL;
	*outlen = 0;
	key.path = (char *)path;
	if ((p = RB_FIND(pendings, &pending, &key)) != NULL) {
		if (p->len > max) {
			errno = EFBIG;
			return (-1);
		}
		if ((*out = malloc(p->len + 1)) == NULL)
			return (-1);
		memcpy(*out, p->data, p->len + 1);
		*outlen = p->len;
		return (0);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT)
			return (-1);
		if ((*out = strdup("")) == NULL)
			return (-1);
		return (0);
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	if ((buf = malloc(st.st_size + 1)) == NULL)
		goto fail;
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += r;
	}
	buf[off] = '\0';
	close(fd);
	*out = buf;
	*outlen = off;
	return (0);
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/*
 * Where to start so that at most max bytes remain, cut after a
 * newline: the offset of the first byte to keep.
 */
size_t
state_keep_tail(const char *s, size_t len, size_t max)
{
	const char	*nl;
	size_t		 from;

	if (len <= max)
		return (0);
	from = len - max;
	if ((nl = memchr(s + from, '\n', len - from)) != NULL &&
	    nl + 1 < s + len)
		return (nl + 1 - s);
	return (from);
}

/* append text, keeping the file at most max bytes (oldest lines go) */
int
state_append(const char *path, const char *text, size_t len, size_t max)
{
	char	*old, *all;
	size_t	 oldlen, from;
	int	 rv;

	if (state_read(path, max + len + 65536, &old, &oldlen) == -1) {
		if (errno != EFBIG)
			return (-1);
		/* grew behind our back: start again */
		if ((old = strdup("")) == NULL)
			return (-1);
		oldlen = 0;
	}
	if ((all = malloc(oldlen + len + 1)) == NULL) {
		free(old);
		return (-1);
	}
	memcpy(all, old, oldlen);
	memcpy(all + oldlen, text, len);
	all[oldlen + len] = '\0';
	free(old);
	from = state_keep_tail(all, oldlen + len, max);
	rv = state_write(path, all + from, oldlen + len - from);
	free(all);
	return (rv);
}

json_t *
state_read_json(const char *path, size_t max)
{
	json_error_t	 err;
	json_t		*j;
	char		*s;
	size_t		 len;

	if (state_read(path, max, &s, &len) == -1) {
		log_warn("%s", path);
		return (NULL);
	}
	if (len == 0) {
		free(s);
		return (NULL);
	}
	j = json_loadb(s, len, 0, &err);
	free(s);
	if (j == NULL)
		log_warnx("%s:%d: %s", path, err.line, err.text);
	return (j);
}

int
state_write_json(const char *path, json_t *j)
{
	char	*s;
	int	 rv;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		return (-1);
	rv = state_write(path, s, strlen(s));
	free(s);
	return (rv);
}

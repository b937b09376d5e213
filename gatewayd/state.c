/*
 * state.c - files in the state directory, always written whole: a
 * temporary file in the same directory, fsync, rename over the old
 * one, fsync of the directory.  A crash leaves the old or the new
 * file, never half of one.  Appends are bounded: when a file would
 * grow past its limit the oldest lines are dropped.  Writes reach the
 * disk by group commit (commit.c); reads see them at once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "log.h"

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

/* sync a directory (after renames in it) */
int
state_fsync_dir(const char *dir)
{
	int	 fd, rv;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	rv = fsync(fd);
	close(fd);
	return (rv);
}

/* one file to disk now; its directory is synced by the caller */
int
state_file_write(const char *path, const char *data, size_t len)
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

/*
 * Read a whole file of at most max bytes (NUL-terminated).  A missing
 * file reads as empty.  0 ok, -1 error (EFBIG when too large).
 */
int
state_read(const char *path, size_t max, char **out, size_t *outlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd, saved;

	*out = NULL;
	*outlen = 0;
	/* written but not yet committed */
	switch (commit_find(path, max, out, outlen)) {
	case 1:
		return (0);
	case -1:
		return (-1);
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
state_write_json_in(int lane, const char *path, json_t *j)
{
	char	*s;
	int	 rv;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		return (-1);
	rv = state_write_in(lane, path, s, strlen(s));
	free(s);
	return (rv);
}

int
state_write_json(const char *path, json_t *j)
{
	return (state_write_json_in(STATE_BULK, path, j));
}

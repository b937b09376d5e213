/*
 * fileops.c - the agent's file tools, done by sandboxd on the host side
 * of a user's workspace: read, write, edit, delete, stat and open here;
 * list, glob and grep in search.c; path resolution in ws.c.
 *
 * Regular files with more than one link are never read: a hard link
 * may point at a file that is not the user's.  Writes go to a new file
 * in the same directory renamed over the old one, so a write never goes
 * through a link into another file.
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

#include "sandboxd.h"

const char *
sbx_type_name(mode_t m)
{
	if (S_ISREG(m))
		return ("file");
	if (S_ISDIR(m))
		return ("dir");
	if (S_ISLNK(m))
		return ("symlink");
	return ("other");
}

/* an open regular file that may be read: not a link to something else */
static int
check_regular(int fd, const char *rel, struct stat *st, struct fserr *e)
{
	if (fstat(fd, st) == -1)
		return (sbx_fserr_errno(e, errno, rel));
	if (S_ISDIR(st->st_mode)) {
		sbx_fserr_set(e, "invalid", "%s: is a directory", rel);
		return (-1);
	}
	if (!S_ISREG(st->st_mode)) {
		sbx_fserr_set(e, "invalid", "%s: not a regular file", rel);
		return (-1);
	}
	if (st->st_nlink > 1) {
		sbx_fserr_set(e, "escape", "%s: has %ju hard links, refused", rel,
		    (uintmax_t)st->st_nlink);
		return (-1);
	}
	return (0);
}

int
sbx_read_all(int fd, size_t size, unsigned char **bufp, size_t *lenp)
{
	unsigned char	*buf;
	size_t		 len = 0;
	ssize_t		 n;

	if ((buf = malloc(size + 1)) == NULL)
		return (-1);
	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return (-1);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return (0);
}

/* read a whole regular file of at most maxsize bytes */
static int
slurp(struct ws *ws, const char *rel, unsigned char **bufp, size_t *lenp,
    struct stat *st, struct fserr *e)
{
	int	fd;

	if ((fd = sbx_ws_openat(ws, ws->rootfd, rel, O_RDONLY | O_NOCTTY |
	    O_NONBLOCK, 0, e)) == -1)
		return (-1);
	if (check_regular(fd, rel, st, e) == -1) {
		close(fd);
		return (-1);
	}
	if (st->st_size > ws->maxsize) {
		close(fd);
		sbx_fserr_set(e, "too-large", "%s: %jd bytes, over max-file-size",
		    rel, (intmax_t)st->st_size);
		return (-1);
	}
	if (sbx_read_all(fd, (size_t)st->st_size, bufp, lenp) == -1) {
		close(fd);
		return (sbx_fserr_errno(e, errno, rel));
	}
	close(fd);
	return (0);
}

/*
 * Replace rel with buf: a new file in the same directory, renamed over
 * the old entry.  *created says whether nothing was there.
 */
static int
replace_file(struct ws *ws, const char *rel, const void *buf, size_t len,
    mode_t mode, int *created, struct fserr *e)
{
	char		 base[NAME_MAX + 1], tmp[64];
	struct stat	 st;
	const char	*p = buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 dfd, fd, i;

	if ((long long)len > ws->maxsize) {
		sbx_fserr_set(e, "too-large", "%s: %zu bytes, over max-file-size",
		    rel, len);
		return (-1);
	}
	if ((dfd = sbx_ws_parent(ws, rel, 1, base, sizeof(base), e)) == -1)
		return (-1);
	*created = 1;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode)) {
			close(dfd);
			sbx_fserr_set(e, "invalid", "%s: is a directory", rel);
			return (-1);
		}
		*created = 0;
	}
	for (i = 0, fd = -1; i < 100 && fd == -1; i++) {
		snprintf(tmp, sizeof(tmp), ".topsh-tmp-%08x", arc4random());
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd == -1 && errno != EEXIST) {
			close(dfd);
			return (sbx_fserr_errno(e, errno, rel));
		}
	}
	if (fd == -1) {
		close(dfd);
		return (sbx_fserr_errno(e, EEXIST, rel));
	}
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			sbx_fserr_errno(e, errno, rel);
			goto fail;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || close(fd) == -1) {
		fd = -1;
		sbx_fserr_errno(e, errno, rel);
		goto fail;
	}
	fd = -1;
	sbx_ws_chown(ws, dfd, tmp);
	if (renameat(dfd, tmp, dfd, base) == -1) {
		sbx_fserr_errno(e, errno, rel);
		goto fail;
	}
	close(dfd);
	return (0);
 fail:
	if (fd != -1)
		close(fd);
	unlinkat(dfd, tmp, 0);
	close(dfd);
	return (-1);
}

int
sbx_req_path(json_t *req, const char *key, const char *def, char *rel,
    size_t relsz, struct fserr *e)
{
	json_t		*j;
	const char	*s;

	j = json_object_get(req, key);
	if (j == NULL && def != NULL)
		s = def;
	else if (!json_is_string(j) ||
	    strlen(json_string_value(j)) != json_string_length(j)) {
		sbx_fserr_set(e, "invalid", "\"%s\" must be a string", key);
		return (-1);
	} else
		s = json_string_value(j);
	return (sbx_ws_relpath(s, rel, relsz, e));
}

long long
sbx_req_int(json_t *req, const char *key, long long def, long long max)
{
	json_t		*j;
	long long	 v;

	if ((j = json_object_get(req, key)) == NULL || !json_is_integer(j))
		return (def);
	v = json_integer_value(j);
	if (v < 0)
		return (def);
	return (v > max ? max : v);
}

static json_t *
content_json(const unsigned char *buf, size_t len, const char **enc)
{
	json_t	*j;
	char	*b;
	size_t	 blen;

	if (sbx_utf8_valid(buf, len)) {
		*enc = "utf-8";
		return (json_stringn((const char *)buf, len));
	}
	*enc = "base64";
	if ((b = sbx_b64_encode(buf, len, &blen)) == NULL)
		return (NULL);
	j = json_stringn(b, blen);
	free(b);
	return (j);
}

static int
op_read(struct ws *ws, json_t *req, json_t **res, struct fserr *e)
{
	char		 rel[PATH_MAX];
	struct stat	 st;
	unsigned char	*buf;
	const char	*enc;
	long long	 off, lim;
	ssize_t		 n;
	size_t		 len, k;
	int		 fd, truncated;
	json_t		*c;

	if (sbx_req_path(req, "path", NULL, rel, sizeof(rel), e) == -1)
		return (-1);
	off = sbx_req_int(req, "offset", 0, LLONG_MAX);
	lim = sbx_req_int(req, "limit", FILE_READ_MAX, FILE_READ_MAX);
	if ((fd = sbx_ws_openat(ws, ws->rootfd, rel, O_RDONLY | O_NOCTTY |
	    O_NONBLOCK, 0, e)) == -1)
		return (-1);
	if (check_regular(fd, rel, &st, e) == -1) {
		close(fd);
		return (-1);
	}
	if ((buf = malloc((size_t)lim + 1)) == NULL) {
		close(fd);
		return (sbx_fserr_errno(e, errno, rel));
	}
	len = 0;
	while (len < (size_t)lim) {
		n = pread(fd, buf + len, (size_t)lim - len,
		    (off_t)off + (off_t)len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			close(fd);
			return (sbx_fserr_errno(e, errno, rel));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	truncated = off + (long long)len < (long long)st.st_size;
	/* a cut in the middle of a UTF-8 character is not binary */
	if (truncated && !sbx_utf8_valid(buf, len))
		for (k = 1; k <= 3 && k < len; k++)
			if (sbx_utf8_valid(buf, len - k)) {
				len -= k;
				break;
			}
	c = content_json(buf, len, &enc);
	free(buf);
	if (c == NULL)
		return (sbx_fserr_errno(e, ENOMEM, rel));
	*res = json_pack("{s:s, s:I, s:I, s:o, s:s, s:b}", "path", rel,
	    "size", (json_int_t)st.st_size, "offset", (json_int_t)off,
	    "content", c, "encoding", enc,
	    "truncated", off + (long long)len < (long long)st.st_size);
	return (0);
}

static int
decode_content(json_t *req, unsigned char **bufp, size_t *lenp,
    struct fserr *e)
{
	json_t		*c, *enc;
	const char	*es;

	c = json_object_get(req, "content");
	if (!json_is_string(c)) {
		sbx_fserr_set(e, "invalid", "\"content\" must be a string");
		return (-1);
	}
	enc = json_object_get(req, "encoding");
	es = json_is_string(enc) ? json_string_value(enc) : "utf-8";
	if (strcmp(es, "base64") == 0) {
		if ((*bufp = sbx_b64_decode(json_string_value(c),
		    json_string_length(c), lenp)) == NULL) {
			sbx_fserr_set(e, "invalid", "bad base64 content");
			return (-1);
		}
		return (0);
	}
	if (strcmp(es, "utf-8") != 0) {
		sbx_fserr_set(e, "invalid", "unknown encoding");
		return (-1);
	}
	*lenp = json_string_length(c);
	if ((*bufp = malloc(*lenp + 1)) == NULL)
		return (sbx_fserr_errno(e, errno, "content"));
	memcpy(*bufp, json_string_value(c), *lenp);
	return (0);
}

static int
op_write(struct ws *ws, json_t *req, json_t **res, struct fserr *e)
{
	char		 rel[PATH_MAX];
	unsigned char	*data, *old = NULL, *all;
	size_t		 len, oldlen = 0;
	struct stat	 st;
	mode_t		 mode = 0644;
	int		 created, r, fd;
	struct fserr	 e2;

	if (sbx_req_path(req, "path", NULL, rel, sizeof(rel), e) == -1)
		return (-1);
	if (decode_content(req, &data, &len, e) == -1)
		return (-1);
	if (json_is_true(json_object_get(req, "append"))) {
		if (slurp(ws, rel, &old, &oldlen, &st, &e2) == 0)
			mode = st.st_mode & 0777;
		else if (strcmp(e2.code, "not-found") != 0) {
			*e = e2;
			free(data);
			return (-1);
		}
	} else if ((fd = sbx_ws_openat(ws, ws->rootfd, rel, O_PATH, 0,
	    &e2)) != -1) {
		/* keep the mode of the file replaced (not through links) */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			mode = st.st_mode & 0777;
		close(fd);
	}
	if (old != NULL) {
		if ((all = malloc(oldlen + len + 1)) == NULL) {
			free(old);
			free(data);
			return (sbx_fserr_errno(e, errno, rel));
		}
		memcpy(all, old, oldlen);
		memcpy(all + oldlen, data, len);
		free(data);
		free(old);
		data = all;
		len += oldlen;
	}
	r = replace_file(ws, rel, data, len, mode, &created, e);
	free(data);
	if (r == -1)
		return (-1);
	*res = json_pack("{s:s, s:I, s:b}", "path", rel,
	    "size", (json_int_t)len, "created", created);
	return (0);
}

static int
op_edit(struct ws *ws, json_t *req, json_t **res, struct fserr *e)
{
	char		 rel[PATH_MAX];
	unsigned char	*buf, *out, *p, *q;
	const char	*find, *repl;
	size_t		 len, flen, rlen, count = 0, outlen, o;
	struct stat	 st;
	json_t		*jf, *jr;
	int		 all, created, r;

	if (sbx_req_path(req, "path", NULL, rel, sizeof(rel), e) == -1)
		return (-1);
	jf = json_object_get(req, "find");
	jr = json_object_get(req, "replace");
	if (!json_is_string(jf) || !json_is_string(jr) ||
	    json_string_length(jf) == 0) {
		sbx_fserr_set(e, "invalid", "\"find\" (not empty) and \"replace\" "
		    "must be strings");
		return (-1);
	}
	find = json_string_value(jf);
	flen = json_string_length(jf);
	repl = json_string_value(jr);
	rlen = json_string_length(jr);
	all = json_is_true(json_object_get(req, "all"));
	if (slurp(ws, rel, &buf, &len, &st, e) == -1)
		return (-1);
	for (p = buf; (q = memmem(p, len - (size_t)(p - buf), find, flen)) !=
	    NULL; p = q + flen)
		count++;
	if (count == 0 || (count > 1 && !all)) {
		free(buf);
		if (count == 0)
			sbx_fserr_set(e, "no-match", "%s: text not found", rel);
		else
			sbx_fserr_set(e, "ambiguous", "%s: text found %zu times; "
			    "give more context or set \"all\"", rel, count);
		return (-1);
	}
	if (rlen > flen && count > (SIZE_MAX - len) / (rlen - flen)) {
		free(buf);
		return (sbx_fserr_errno(e, EFBIG, rel));
	}
	outlen = len - count * flen + count * rlen;
	if ((out = malloc(outlen + 1)) == NULL) {
		free(buf);
		return (sbx_fserr_errno(e, errno, rel));
	}
	for (p = buf, o = 0; (q = memmem(p, len - (size_t)(p - buf), find,
	    flen)) != NULL; p = q + flen) {
		memcpy(out + o, p, (size_t)(q - p));
		o += (size_t)(q - p);
		memcpy(out + o, repl, rlen);
		o += rlen;
	}
	memcpy(out + o, p, len - (size_t)(p - buf));
	free(buf);
	r = replace_file(ws, rel, out, outlen, st.st_mode & 0777, &created, e);
	free(out);
	if (r == -1)
		return (-1);
	*res = json_pack("{s:s, s:I, s:I}", "path", rel,
	    "size", (json_int_t)outlen, "replacements", (json_int_t)count);
	return (0);
}

static int
op_delete(struct ws *ws, json_t *req, json_t **res, struct fserr *e)
{
	char	 rel[PATH_MAX], base[NAME_MAX + 1], id[64];
	int	 dfd, r;

	if (sbx_req_path(req, "path", NULL, rel, sizeof(rel), e) == -1)
		return (-1);
	if ((dfd = sbx_ws_parent(ws, rel, 0, base, sizeof(base), e)) == -1)
		return (-1);
	r = sbx_trash_put(ws, dfd, base, rel, id, sizeof(id), e);
	close(dfd);
	if (r == -1)
		return (-1);
	*res = json_pack("{s:s, s:s}", "path", rel, "trash_id", id);
	return (0);
}

/* directory walk: cb(relpath, name, dirfd, stat, arg); 1 stops */

static int
op_stat(struct ws *ws, json_t *req, json_t **res, struct fserr *e)
{
	char		 rel[PATH_MAX], base[NAME_MAX + 1];
	struct stat	 st;
	int		 dfd, r;

	if (sbx_req_path(req, "path", NULL, rel, sizeof(rel), e) == -1)
		return (-1);
	if (strcmp(rel, ".") == 0)
		r = fstat(ws->rootfd, &st);
	else {
		if ((dfd = sbx_ws_parent(ws, rel, 0, base, sizeof(base),
		    e)) == -1)
			return (-1);
		r = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW);
		close(dfd);
	}
	if (r == -1)
		return (sbx_fserr_errno(e, errno, rel));
	*res = json_pack("{s:s, s:s, s:I, s:i, s:I, s:I}", "path", rel,
	    "type", sbx_type_name(st.st_mode), "size", (json_int_t)st.st_size,
	    "mode", (int)(st.st_mode & 07777), "mtime",
	    (json_int_t)st.st_mtime, "nlink", (json_int_t)st.st_nlink);
	return (0);
}

static int
op_open(struct ws *ws, json_t *req, json_t **res, int *fdp,
    struct fserr *e)
{
	char		 rel[PATH_MAX];
	const char	*name;
	struct stat	 st;
	int		 fd;

	if (sbx_req_path(req, "path", NULL, rel, sizeof(rel), e) == -1)
		return (-1);
	if ((fd = sbx_ws_openat(ws, ws->rootfd, rel, O_RDONLY | O_NOCTTY |
	    O_NONBLOCK, 0, e)) == -1)
		return (-1);
	if (check_regular(fd, rel, &st, e) == -1) {
		close(fd);
		return (-1);
	}
	if (st.st_size > ws->maxsize) {
		close(fd);
		sbx_fserr_set(e, "too-large", "%s: over max-file-size", rel);
		return (-1);
	}
	/* blocking reads for the receiver */
	(void)fcntl(fd, F_SETFL, 0);
	name = strrchr(rel, '/') != NULL ? strrchr(rel, '/') + 1 : rel;
	*res = json_pack("{s:s, s:s, s:I}", "path", rel, "name", name,
	    "size", (json_int_t)st.st_size);
	*fdp = fd;
	return (0);
}

/*
 * The policy op a file request is checked as.  edit also reveals
 * whether text is present: one check as "read,write" gets the stricter
 * decision of the two (and one approval); grep checks each file it
 * reads as a read (filejob.c).
 */
const char *
fileop_policy_op(enum fileop op)
{
	switch (op) {
	case FOP_EDIT:
		return ("read,write");
	case FOP_WRITE:
		return ("write");
	case FOP_DELETE:
		return ("delete");
	case FOP_LIST:
	case FOP_GLOB:
	case FOP_GREP:
		return ("list");
	default:
		return ("read");
	}
}

typedef int (*fileop_fn)(struct ws *, json_t *, json_t **, struct fserr *);

int
fileop_run(struct ws *ws, enum fileop op, json_t *req, json_t **res,
    int *fdp, struct fserr *e)
{
	static const fileop_fn	 ops[] = {
		[FOP_READ] = op_read,
		[FOP_WRITE] = op_write,
		[FOP_EDIT] = op_edit,
		[FOP_DELETE] = op_delete,
		[FOP_LIST] = sbx_op_list,
		[FOP_GLOB] = sbx_op_glob,
		[FOP_STAT] = op_stat,
	};
	int			 r;

	*res = NULL;
	e->code = "io";
	e->msg[0] = '\0';
	if (op == FOP_OPEN)
		r = op_open(ws, req, res, fdp, e);
	else if ((unsigned int)op < sizeof(ops) / sizeof(ops[0]) &&
	    ops[op] != NULL)
		r = ops[op](ws, req, res, e);
	else {
		sbx_fserr_set(e, "invalid", "unknown operation");
		return (-1);
	}
	if (r == 0 && *res == NULL)
		return (sbx_fserr_errno(e, ENOMEM, "result"));
	return (r);
}

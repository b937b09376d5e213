/*
 * search.c - the file tools that walk a workspace: list, glob and grep.
 *
 * A walk opens each entry relative to the directory it holds, with
 * O_NOFOLLOW, so a symlink planted in the tree is listed but never
 * entered.  Walks run on the event loop, so each has a budget (entries
 * visited, bytes read) and says "truncated" when it ran out.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sandboxd.h"

#define GLOB_BUDGET	100000

typedef int (*walk_cb)(const char *, int, const char *, struct stat *,
    void *);

static int
walk(int dfd, const char *prefix, int depth, int recurse, walk_cb cb,
    void *arg)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 path[PATH_MAX];
	int		 fd, n, stop = 0;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-1);
	}
	while (!stop && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (prefix[0] == '\0' || strcmp(prefix, ".") == 0)
			n = snprintf(path, sizeof(path), "%s", de->d_name);
		else
			n = snprintf(path, sizeof(path), "%s/%s", prefix,
			    de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		if ((stop = cb(path, dirfd(d), de->d_name, &st, arg)) != 0)
			break;
		if (recurse && S_ISDIR(st.st_mode) && depth < FILE_WALK_DEPTH) {
			if ((fd = openat(dirfd(d), de->d_name, O_PATH |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
				continue;
			stop = walk(fd, path, depth + 1, recurse, cb, arg) == 1;
			close(fd);
		}
	}
	closedir(d);
	return (stop ? 1 : 0);
}

struct list_ctx {
	json_t		*arr;
	long long	 limit;
	int		 truncated;
	size_t		 visited;	/* entries seen: FILE_WALK_MAX */
	size_t		 bytes;		/* read by grep: FILE_GREP_BYTES */
	const char	*pattern;	/* glob */
	const char	*base;		/* glob: walk root, "" for "." */
	pcre2_code	*re;		/* grep */
	pcre2_match_data *md;
	const char	*fglob;		/* grep file filter */
	long long	 maxsize;
};

/*
 * The walks run on the event loop: a workspace with a million files
 * must not stall everybody else, so every walk has a budget.
 */
static int
walk_budget(struct list_ctx *c)
{
	if (++c->visited > FILE_WALK_MAX) {
		c->truncated = 1;
		return (1);
	}
	return (0);
}

/* the reply holds "limit" results: stop, and say so */
static int
list_full(struct list_ctx *c)
{
	if (json_array_size(c->arr) >= (size_t)c->limit) {
		c->truncated = 1;
		return (1);
	}
	return (0);
}

static int
list_cb(const char *path, int dfd, const char *name, struct stat *st,
    void *arg)
{
	struct list_ctx	*c = arg;

	if (walk_budget(c))
		return (1);
	if (list_full(c))
		return (1);
	json_array_append_new(c->arr, json_pack("{s:s, s:s, s:I, s:I}",
	    "name", path, "type", sbx_type_name(st->st_mode),
	    "size", (json_int_t)st->st_size, "mtime",
	    (json_int_t)st->st_mtime));
	return (0);
}

static int
open_dir(struct ws *ws, json_t *req, char *rel, size_t relsz, int *fdp,
    struct fserr *e)
{
	if (sbx_req_path(req, "path", ".", rel, relsz, e) == -1)
		return (-1);
	if (strcmp(rel, ".") == 0)
		*fdp = dup(ws->rootfd);
	else
		*fdp = sbx_ws_openat(ws, ws->rootfd, rel, O_PATH | O_DIRECTORY,
		    0, e);
	if (*fdp == -1)
		return (e->code != NULL ? -1 : sbx_fserr_errno(e, errno, rel));
	return (0);
}

int
sbx_op_list(struct ws *ws, json_t *req, json_t **res, struct fserr *e)
{
	struct list_ctx	 c;
	char		 rel[PATH_MAX];
	int		 fd, r;

	memset(&c, 0, sizeof(c));
	e->code = NULL;
	if (open_dir(ws, req, rel, sizeof(rel), &fd, e) == -1)
		return (-1);
	c.arr = json_array();
	c.limit = sbx_req_int(req, "limit", FILE_LIST_MAX, FILE_LIST_MAX * 10);
	r = walk(fd, "", 0, json_is_true(json_object_get(req, "recursive")),
	    list_cb, &c);
	close(fd);
	if (r == -1) {
		json_decref(c.arr);
		return (sbx_fserr_errno(e, errno, rel));
	}
	*res = json_pack("{s:s, s:o, s:b}", "path", rel, "entries", c.arr,
	    "truncated", c.truncated);
	return (0);
}

/*
 * Glob matching on a relative path: '?' one character, '*' any run
 * within a component, '**' any run across components ("**" followed by
 * '/' also matches nothing), [...] classes.
 */
static int
glob_rec(const char *p, const char *s, long *budget)
{
	const char	*q;
	int		 neg, found;

	if (--*budget < 0)
		return (0);
	for (; *p != '\0'; p++, s++) {
		switch (*p) {
		case '*':
			if (p[1] == '*') {
				p += 2;
				if (*p == '/' && glob_rec(p + 1, s, budget))
					return (1);
				for (;; s++) {
					if (glob_rec(p, s, budget))
						return (1);
					if (*s == '\0')
						return (0);
				}
			}
			for (p++;; s++) {
				if (glob_rec(p, s, budget))
					return (1);
				if (*s == '\0' || *s == '/')
					return (0);
			}
		case '?':
			if (*s == '\0' || *s == '/')
				return (0);
			break;
		case '[':
			if (*s == '\0' || *s == '/')
				return (0);
			q = p + 1;
			neg = *q == '!' || *q == '^';
			if (neg)
				q++;
			found = 0;
			do {
				if (*q == '\0')
					return (0);
				if (q[1] == '-' && q[2] != ']' && q[2] != '\0') {
					if (*s >= q[0] && *s <= q[2])
						found = 1;
					q += 3;
				} else if (*q++ == *s)
					found = 1;
			} while (*q != ']');
			if (found == neg)
				return (0);
			p = q;
			break;
		default:
			if (*p != *s)
				return (0);
		}
	}
	return (*s == '\0');
}

/*
 * Backtracking is exponential in the number of stars: a pattern from the
 * model gets GLOB_BUDGET steps per path, then it does not match.
 */
int
sbx_glob_match(const char *p, const char *s)
{
	long	budget = GLOB_BUDGET;

	return (glob_rec(p, s, &budget));
}

static int
glob_cb(const char *path, int dfd, const char *name, struct stat *st,
    void *arg)
{
	struct list_ctx	*c = arg;

	if (walk_budget(c))
		return (1);
	if (!sbx_glob_match(c->pattern, path))
		return (0);
	if (list_full(c))
		return (1);
	/* matched below the walk root, reported from the workspace */
	if (c->base[0] == '\0')
		json_array_append_new(c->arr, json_string(path));
	else
		json_array_append_new(c->arr, json_sprintf("%s/%s", c->base,
		    path));
	return (0);
}

int
sbx_op_glob(struct ws *ws, json_t *req, json_t **res, struct fserr *e)
{
	struct list_ctx	 c;
	char		 rel[PATH_MAX];
	json_t		*jp;
	int		 fd, r;

	memset(&c, 0, sizeof(c));
	e->code = NULL;
	jp = json_object_get(req, "pattern");
	if (!json_is_string(jp)) {
		sbx_fserr_set(e, "invalid", "\"pattern\" must be a string");
		return (-1);
	}
	c.pattern = json_string_value(jp);
	while (*c.pattern == '/')
		c.pattern++;
	if (open_dir(ws, req, rel, sizeof(rel), &fd, e) == -1)
		return (-1);
	c.arr = json_array();
	c.limit = sbx_req_int(req, "limit", FILE_LIST_MAX, FILE_LIST_MAX * 10);
	c.base = strcmp(rel, ".") == 0 ? "" : rel;
	r = walk(fd, "", 0, 1, glob_cb, &c);
	close(fd);
	if (r == -1) {
		json_decref(c.arr);
		return (sbx_fserr_errno(e, errno, rel));
	}
	*res = json_pack("{s:o, s:b}", "matches", c.arr, "truncated",
	    c.truncated);
	return (0);
}

static int
grep_file(struct list_ctx *c, const char *path, const unsigned char *buf,
    size_t len)
{
	const unsigned char	*line, *nl, *end = buf + len;
	long long		 lineno = 0;
	size_t			 ll;
	json_t			*t;

	if (memchr(buf, '\0', len < 8192 ? len : 8192) != NULL)
		return (0);	/* binary */
	for (line = buf; line < end; line = nl + 1) {
		lineno++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		ll = (size_t)(nl - line);
		if (pcre2_match(c->re, line, ll, 0, 0, c->md, NULL) < 0)
			continue;
		if (list_full(c))
			return (1);
		t = sbx_utf8_json(line, ll > 500 ? 500 : ll);
		json_array_append_new(c->arr, json_pack("{s:s, s:I, s:o}",
		    "path", path, "line", (json_int_t)lineno, "text", t));
	}
	return (0);
}

static int
grep_cb(const char *path, int dfd, const char *name, struct stat *st,
    void *arg)
{
	struct list_ctx	*c = arg;
	unsigned char	*buf;
	size_t		 len;
	struct stat	 fst;
	int		 fd, r;

	if (walk_budget(c))
		return (1);
	if (!S_ISREG(st->st_mode) || st->st_nlink > 1 ||
	    st->st_size > c->maxsize)
		return (0);
	if (c->fglob != NULL && !sbx_glob_match(c->fglob, path) &&
	    !sbx_glob_match(c->fglob, name))
		return (0);
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) == -1)
		return (0);
	if (fstat(fd, &fst) == -1 || !S_ISREG(fst.st_mode) ||
	    fst.st_nlink > 1 || fst.st_size > c->maxsize ||
	    sbx_read_all(fd, (size_t)fst.st_size, &buf, &len) == -1) {
		close(fd);
		return (0);
	}
	close(fd);
	r = grep_file(c, path, buf, len);
	free(buf);
	if ((c->bytes += len) > FILE_GREP_BYTES) {
		c->truncated = 1;
		return (1);
	}
	return (r);
}

int
sbx_op_grep(struct ws *ws, json_t *req, json_t **res, struct fserr *e)
{
	struct list_ctx	 c;
	char		 rel[PATH_MAX];
	PCRE2_SIZE	 eoff;
	json_t		*jp, *jg;
	uint32_t	 opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int		 fd, r, ecode;

	memset(&c, 0, sizeof(c));
	e->code = NULL;
	jp = json_object_get(req, "pattern");
	if (!json_is_string(jp)) {
		sbx_fserr_set(e, "invalid", "\"pattern\" must be a string");
		return (-1);
	}
	jg = json_object_get(req, "glob");
	c.fglob = json_is_string(jg) ? json_string_value(jg) : NULL;
	if (json_is_true(json_object_get(req, "ignore_case")))
		opts |= PCRE2_CASELESS;
	c.re = pcre2_compile((PCRE2_SPTR)json_string_value(jp),
	    json_string_length(jp), opts, &ecode, &eoff, NULL);
	if (c.re == NULL) {
		sbx_fserr_set(e, "invalid", "bad pattern at offset %zu",
		    (size_t)eoff);
		return (-1);
	}
	c.md = pcre2_match_data_create_from_pattern(c.re, NULL);
	if (open_dir(ws, req, rel, sizeof(rel), &fd, e) == -1) {
		pcre2_match_data_free(c.md);
		pcre2_code_free(c.re);
		return (-1);
	}
	c.arr = json_array();
	c.limit = sbx_req_int(req, "limit", FILE_GREP_MAX, FILE_LIST_MAX);
	c.maxsize = ws->maxsize < FILE_GREP_FILE ? ws->maxsize :
	    FILE_GREP_FILE;
	r = walk(fd, strcmp(rel, ".") == 0 ? "" : rel, 0, 1, grep_cb, &c);
	close(fd);
	pcre2_match_data_free(c.md);
	pcre2_code_free(c.re);
	if (r == -1) {
		json_decref(c.arr);
		return (sbx_fserr_errno(e, errno, rel));
	}
	*res = json_pack("{s:o, s:b}", "matches", c.arr, "truncated",
	    c.truncated);
	return (0);
}

/*
 * search.c - the file tools that walk a workspace: list and glob, and
 * the walk itself (grep.c uses it too).
 *
 * A walk opens each entry relative to the directory it holds, with
 * O_NOFOLLOW, so a symlink planted in the tree is listed but never
 * entered.  Walks run in the worker pool (pool.c), and each has a budget
 * (entries visited) and says "truncated" when it ran out.
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

#include "sandboxd.h"

#define GLOB_BUDGET	100000

/*
 * Call cb(path, dirfd, name, stat, arg) for every entry below dfd,
 * path prefixed with prefix; 1 from cb stops the walk.  -1 when dfd
 * cannot be read, 1 when stopped, else 0.
 */
int
sbx_walk(int dfd, const char *prefix, int depth, int recurse,
    sbx_walk_cb cb, void *arg)
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
			stop = sbx_walk(fd, path, depth + 1, recurse, cb,
			    arg) == 1;
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
	const char	*pattern;	/* glob */
	const char	*base;		/* glob: walk root, "" for "." */
};

/* a workspace with a million files: every walk has a budget */
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

/* the request's "path" (default ".") opened as a directory */
int
sbx_req_dir(struct ws *ws, json_t *req, char *rel, size_t relsz, int *fdp,
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
	if (sbx_req_dir(ws, req, rel, sizeof(rel), &fd, e) == -1)
		return (-1);
	c.arr = json_array();
	c.limit = sbx_req_int(req, "limit", FILE_LIST_MAX, FILE_LIST_MAX * 10);
	r = sbx_walk(fd, "", 0, json_is_true(json_object_get(req, "recursive")),
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
	if (sbx_req_dir(ws, req, rel, sizeof(rel), &fd, e) == -1)
		return (-1);
	c.arr = json_array();
	c.limit = sbx_req_int(req, "limit", FILE_LIST_MAX, FILE_LIST_MAX * 10);
	c.base = strcmp(rel, ".") == 0 ? "" : rel;
	r = sbx_walk(fd, "", 0, 1, glob_cb, &c);
	close(fd);
	if (r == -1) {
		json_decref(c.arr);
		return (sbx_fserr_errno(e, errno, rel));
	}
	*res = json_pack("{s:o, s:b}", "matches", c.arr, "truncated",
	    c.truncated);
	return (0);
}


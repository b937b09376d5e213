/*
 * grep.c - search_text: a user's PCRE2 pattern over the files of a
 * workspace tree, in three steps (filejob.c drives them):
 *
 *   sbx_grep_start()   worker: compile the pattern with its limits and
 *                      walk the tree, collecting the files to search
 *   (policy)           event loop: each file is checked with policyd as
 *                      a read, exactly as read_file would be; a denied
 *                      file, or one that needs an approval not given, is
 *                      skipped and named in the reply
 *   sbx_grep_finish()  worker: search the allowed files
 *
 * The pattern is the user's: every match runs with a match limit, a
 * depth limit and a heap limit (pcre2_match_context), so catastrophic
 * backtracking ends in an error, not in minutes of CPU; and the whole
 * search has a time budget, after which it stops and says so.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sandboxd.h"

#define GREP_FILES		10000	/* files one search may check */
#define GREP_SKIPPED		20	/* skipped files named in the reply */

struct grep {
	pcre2_code		*re;
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	const char		*fglob;	/* file filter, in req */
	json_t			*req;
	long long		 maxsize;
	long long		 limit;	/* matches */
	char			**paths;
	unsigned char		*ok;
	size_t			 n, cap;
	size_t			 visited;
	size_t			 nskipped;
	json_t			*skipped;
	json_t			*arr;
	int			 truncated;
	const char		*stopped;	/* why it stopped early */
	struct timespec		 t0;
};

static int
grep_collect(const char *path, int dfd, const char *name, struct stat *st,
    void *arg)
{
	struct grep	*g = arg;
	char		**np;
	unsigned char	*nok;
	size_t		 ncap;

	if (++g->visited > FILE_WALK_MAX) {
		g->truncated = 1;
		return (1);
	}
	if (!S_ISREG(st->st_mode) || st->st_nlink > 1 ||
	    st->st_size > g->maxsize)
		return (0);
	if (g->fglob != NULL && !sbx_glob_match(g->fglob, path) &&
	    !sbx_glob_match(g->fglob, name))
		return (0);
	if (g->n >= GREP_FILES) {
		g->truncated = 1;
		return (1);
	}
	if (g->n == g->cap) {
		ncap = g->cap == 0 ? 64 : g->cap * 2;
		if ((np = reallocarray(g->paths, ncap, sizeof(*np))) == NULL)
			return (1);
		g->paths = np;
		if ((nok = recallocarray(g->ok, g->cap, ncap, 1)) == NULL)
			return (1);
		g->ok = nok;
		g->cap = ncap;
	}
	if ((g->paths[g->n] = strdup(path)) == NULL)
		return (1);
	g->ok[g->n++] = 0;
	return (0);
}

void
sbx_grep_free(struct grep *g)
{
	size_t	i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++)
		free(g->paths[i]);
	free(g->paths);
	free(g->ok);
	json_decref(g->skipped);
	json_decref(g->arr);
	json_decref(g->req);
	pcre2_match_data_free(g->md);
	pcre2_match_context_free(g->mctx);
	pcre2_code_free(g->re);
	free(g);
}

/* worker: compile, walk, collect; *gp for the next steps */
int
sbx_grep_start(struct ws *ws, json_t *req, struct grep **gp,
    struct fserr *e)
{
	struct grep	*g;
	char		 rel[PATH_MAX];
	PCRE2_SIZE	 eoff;
	PCRE2_UCHAR	 msg[128];
	json_t		*jp, *jg;
	uint32_t	 opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int		 fd, r, ecode;

	*gp = NULL;
	e->code = NULL;
	jp = json_object_get(req, "pattern");
	if (!json_is_string(jp)) {
		sbx_fserr_set(e, "invalid", "\"pattern\" must be a string");
		return (-1);
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (sbx_fserr_errno(e, errno, "grep"));
	clock_gettime(CLOCK_MONOTONIC, &g->t0);
	g->req = json_incref(req);
	jg = json_object_get(req, "glob");
	g->fglob = json_is_string(jg) ? json_string_value(jg) : NULL;
	if (json_is_true(json_object_get(req, "ignore_case")))
		opts |= PCRE2_CASELESS;
	g->re = pcre2_compile((PCRE2_SPTR)json_string_value(jp),
	    json_string_length(jp), opts, &ecode, &eoff, NULL);
	if (g->re == NULL) {
		pcre2_get_error_message(ecode, msg, sizeof(msg));
		sbx_fserr_set(e, "invalid", "bad pattern at offset %zu: %s",
		    (size_t)eoff, (char *)msg);
		sbx_grep_free(g);
		return (-1);
	}
	/* the interpreter is the fallback when JIT is unavailable */
	(void)pcre2_jit_compile(g->re, PCRE2_JIT_COMPLETE);
	if ((g->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (g->md = pcre2_match_data_create_from_pattern(g->re,
	    NULL)) == NULL) {
		sbx_grep_free(g);
		return (sbx_fserr_errno(e, ENOMEM, "grep"));
	}
	pcre2_set_match_limit(g->mctx, GREP_MATCH_LIMIT);
	pcre2_set_depth_limit(g->mctx, GREP_DEPTH_LIMIT);
	pcre2_set_heap_limit(g->mctx, GREP_HEAP_LIMIT);
	if (sbx_req_dir(ws, req, rel, sizeof(rel), &fd, e) == -1) {
		sbx_grep_free(g);
		return (-1);
	}
	g->limit = sbx_req_int(req, "limit", FILE_GREP_MAX, FILE_LIST_MAX);
	g->maxsize = ws->maxsize < FILE_GREP_FILE ? ws->maxsize :
	    FILE_GREP_FILE;
	g->arr = json_array();
	g->skipped = json_array();
	r = sbx_walk(fd, strcmp(rel, ".") == 0 ? "" : rel, 0, 1,
	    grep_collect, g);
	close(fd);
	if (r == -1 || g->arr == NULL || g->skipped == NULL) {
		sbx_fserr_errno(e, r == -1 ? errno : ENOMEM, rel);
		sbx_grep_free(g);
		return (-1);
	}
	*gp = g;
	return (0);
}

size_t
sbx_grep_count(const struct grep *g)
{
	return (g->n);
}

const char *
sbx_grep_path(const struct grep *g, size_t i)
{
	return (g->paths[i]);
}

/* event loop: file i may be read; or not, and why (refusal object) */
void
sbx_grep_decide(struct grep *g, size_t i, const json_t *refusal)
{
	const char	*code, *rule, *ticket;

	if (refusal == NULL) {
		g->ok[i] = 1;
		return;
	}
	g->ok[i] = 0;
	if (g->nskipped++ >= GREP_SKIPPED)
		return;
	code = json_string_value(json_object_get(refusal, "code"));
	rule = json_string_value(json_object_get(refusal, "rule"));
	ticket = json_string_value(json_object_get(refusal, "ticket"));
	json_array_append_new(g->skipped, json_pack("{s:s, s:s, s:s*, s:s*}",
	    "path", g->paths[i], "code", code != NULL ? code : "denied",
	    "rule", rule, "ticket", ticket));
}

static double
elapsed(const struct grep *g)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((double)(now.tv_sec - g->t0.tv_sec) +
	    (now.tv_nsec - g->t0.tv_nsec) / 1e9);
}

/* 0 on, 1 stop (limit or time), -1 the pattern hit a limit */
static int
grep_buf(struct grep *g, const char *path, const unsigned char *buf,
    size_t len, struct fserr *e)
{
	const unsigned char	*line, *nl, *end = buf + len;
	long long		 lineno = 0;
	size_t			 ll;
	json_t			*t;
	int			 rc;

	if (memchr(buf, '\0', len < 8192 ? len : 8192) != NULL)
		return (0);	/* binary */
	for (line = buf; line < end; line = nl + 1) {
		lineno++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		ll = (size_t)(nl - line);
		if ((lineno & 255) == 0 && elapsed(g) > GREP_SECONDS) {
			g->stopped = "time";
			return (1);
		}
		rc = pcre2_match(g->re, line, ll, 0, 0, g->md, g->mctx);
		if (rc == PCRE2_ERROR_MATCHLIMIT ||
		    rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT ||
		    rc == PCRE2_ERROR_JIT_STACKLIMIT) {
			sbx_fserr_set(e, "too-complex", "the pattern needs too "
			    "much backtracking (line %lld of %s hit the match "
			    "limit): make it simpler or more specific", lineno,
			    path);
			return (-1);
		}
		if (rc < 0)
			continue;
		if (json_array_size(g->arr) >= (size_t)g->limit) {
			g->truncated = 1;
			return (1);
		}
		t = sbx_utf8_json(line, ll > 500 ? 500 : ll);
		json_array_append_new(g->arr, json_pack("{s:s, s:I, s:o}",
		    "path", path, "line", (json_int_t)lineno, "text", t));
	}
	return (0);
}

/* worker: search the allowed files; the reply in *res */
int
sbx_grep_finish(struct ws *ws, struct grep *g, json_t **res,
    struct fserr *e)
{
	struct stat	 st;
	unsigned char	*buf;
	size_t		 i, len, bytes = 0;
	int		 fd, r = 0;

	e->code = NULL;
	for (i = 0; i < g->n && r == 0; i++) {
		if (!g->ok[i])
			continue;
		if (elapsed(g) > GREP_SECONDS) {
			g->stopped = "time";
			break;
		}
		/* the walk saw a plain file: it must still be one */
		if ((fd = sbx_ws_openat(ws, ws->rootfd, g->paths[i], O_RDONLY |
		    O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0, e)) == -1)
			continue;
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_nlink > 1 || st.st_size > g->maxsize ||
		    sbx_read_all(fd, (size_t)st.st_size, &buf, &len) == -1) {
			close(fd);
			continue;
		}
		close(fd);
		r = grep_buf(g, g->paths[i], buf, len, e);
		free(buf);
		if (r == 0 && (bytes += len) > FILE_GREP_BYTES) {
			g->truncated = 1;
			break;
		}
	}
	if (r == -1)
		return (-1);
	if (g->stopped != NULL)
		g->truncated = 1;
	e->code = NULL;
	*res = json_pack("{s:O, s:b, s:I, s:O}", "matches", g->arr,
	    "truncated", g->truncated, "skipped_count",
	    (json_int_t)g->nskipped, "skipped", g->skipped);
	if (*res != NULL && g->stopped != NULL)
		json_object_set_new(*res, "stopped", json_sprintf("the search "
		    "used up its time budget of %d s: narrow the path or the "
		    "glob", GREP_SECONDS));
	return (*res == NULL ? sbx_fserr_errno(e, ENOMEM, "grep") : 0);
}

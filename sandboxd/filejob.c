/*
 * filejob.c - a file request from its arrival to its reply.
 *
 * A user's file requests are taken one at a time, in the order they
 * came (a read after an edit sees the edit): each is checked with
 * policyd (edit as "read,write": a find/replace tells whether the text
 * is there, so it needs read permission too), then its work runs in the
 * worker
 * pool (pool.c) and the reply goes out on the event loop.  One user's
 * file work thus holds at most one worker, and the other users' requests
 * find a free one.
 *
 * search_text (grep) reads many files, and each is checked with policyd
 * as a read, the same op and decision as read_file: the walk collects
 * the files (worker), the checks go out GREP_WINDOW at a time (event
 * loop; other requests' checks interleave), then the allowed files are
 * searched (worker).  Without policyd nothing is read (fail closed).
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "sandboxd.h"
#include "topsh.h"

#define GREP_WINDOW	64	/* per-file checks in flight per search */

struct filejob {
	struct reqctx	*rc;
	struct ws	 ws;
	json_t		*res;
	int		 fd;
	int		 rv;
	struct fserr	 e;
	struct grep	*g;
	size_t		 next;		/* grep: the next file to check */
	size_t		 pending;	/* grep: checks in flight */
	int		 unavailable;	/* grep: a check failed closed */
};

struct filecheck {
	struct filejob	*fj;
	size_t		 i;
};

static void	file_next(int64_t);

/* the user's current request is answered: on to the next */
static void
file_finished(struct reqctx *rc)
{
	int64_t	user = rc->user;

	sbx_reqctx_free(rc);
	file_next(user);
}

static void
filejob_free(struct filejob *fj)
{
	struct reqctx	*rc = fj->rc;

	sbx_grep_free(fj->g);
	json_decref(fj->res);
	sbx_ws_close(&fj->ws);
	free(fj);
	file_finished(rc);
}

static void
filejob_reply(struct filejob *fj)
{
	if (fj->rv == -1)
		sbx_reply_error(fj->rc, fj->e.code != NULL ? fj->e.code : "io",
		    fj->e.msg);
	else {
		sbx_reply(fj->rc, IMSG_SANDBOX_FILE_RESULT, fj->fd, fj->res);
		fj->fd = -1;
	}
	if (fj->fd != -1)
		close(fj->fd);
	filejob_free(fj);
}

/* --- every operation but grep: one job -------------------------------- */

static void
file_work(void *arg)
{
	struct filejob	*fj = arg;

	fj->rv = fileop_run(&fj->ws, fj->rc->op, fj->rc->req, &fj->res,
	    &fj->fd, &fj->e);
}

static void
file_done(void *arg)
{
	filejob_reply(arg);
}

/* --- grep ------------------------------------------------------------- */

static void	grep_check_more(struct filejob *);

static void
grep_search_work(void *arg)
{
	struct filejob	*fj = arg;

	fj->rv = sbx_grep_finish(&fj->ws, fj->g, &fj->res, &fj->e);
}

static void
grep_checked(const struct polres *res, void *arg)
{
	struct filecheck	*fc = arg;
	struct filejob		*fj = fc->fj;
	json_t			*err;

	fj->pending--;
	if (res == NULL)
		fj->unavailable = 1;
	else {
		err = sbx_policy_refusal(res, sbx_get_str(fj->rc->req,
		    "approved"));
		sbx_grep_decide(fj->g, fc->i, err);
		json_decref(err);
	}
	free(fc);
	grep_check_more(fj);
}

static void
grep_check_more(struct filejob *fj)
{
	struct filecheck	*fc;
	char			 full[PATH_MAX + 16];
	json_t			*q;

	while (!fj->unavailable && fj->pending < GREP_WINDOW &&
	    fj->next < sbx_grep_count(fj->g)) {
		if ((fc = calloc(1, sizeof(*fc))) == NULL) {
			fj->unavailable = 1;
			break;
		}
		fc->fj = fj;
		fc->i = fj->next++;
		snprintf(full, sizeof(full), "%s/%s", WS_MOUNTPATH,
		    sbx_grep_path(fj->g, fc->i));
		/* an approval (a pressed ticket) counts for its own file */
		q = json_pack("{s:I, s:I, s:s, s:s, s:s?}", "user",
		    (json_int_t)fj->rc->user, "chat",
		    (json_int_t)sbx_get_chat(fj->rc->req), "op", "read",
		    "path", full, "approval", sbx_get_str(fj->rc->req,
		    "approved"));
		if (q == NULL || sbx_policy_check(IMSG_POLICY_CHECK_FILE, q,
		    grep_checked, fc) == -1) {
			free(fc);
			fj->unavailable = 1;
		} else
			fj->pending++;
		json_decref(q);
	}
	if (fj->pending > 0)
		return;
	if (fj->unavailable) {
		fj->rv = -1;
		sbx_fserr_set(&fj->e, "policy-unavailable", "policy service "
		    "unavailable: refused (fail closed)");
		filejob_reply(fj);
		return;
	}
	if (fj->next < sbx_grep_count(fj->g))
		return;
	if (sbx_pool_run(fj->rc->user, grep_search_work, file_done,
	    fj) == -1) {
		fj->rv = -1;
		sbx_fserr_set(&fj->e, "io", "cannot start the search");
		filejob_reply(fj);
	}
}

static void
grep_walk_work(void *arg)
{
	struct filejob	*fj = arg;

	fj->rv = sbx_grep_start(&fj->ws, fj->rc->req, &fj->g, &fj->e);
}

static void
grep_walk_done(void *arg)
{
	struct filejob	*fj = arg;

	if (fj->rv == -1) {
		filejob_reply(fj);
		return;
	}
	grep_check_more(fj);
}

/* rc: a file request policyd allowed */
static void
filejob_start(struct reqctx *rc)
{
	struct filejob	*fj;
	struct fserr	 e;
	int		 r;

	if ((fj = calloc(1, sizeof(*fj))) == NULL) {
		sbx_reply_error(rc, "io", "out of memory");
		file_finished(rc);
		return;
	}
	fj->rc = rc;
	fj->fd = -1;
	fj->ws.rootfd = fj->ws.trashfd = -1;
	if (box_ws(rc->user, 1, &fj->ws, &e) == -1) {
		fj->rv = -1;
		fj->e = e;
		filejob_reply(fj);
		return;
	}
	if (rc->op == FOP_GREP)
		r = sbx_pool_run(rc->user, grep_walk_work, grep_walk_done, fj);
	else
		r = sbx_pool_run(rc->user, file_work, file_done, fj);
	if (r == -1) {
		fj->rv = -1;
		sbx_fserr_set(&fj->e, "io", "cannot start the file operation");
		filejob_reply(fj);
	}
}

/* --- arrival and policy ----------------------------------------------- */

static void	file_check(struct reqctx *, const char *);

static void
file_policy_done(const struct polres *res, void *arg)
{
	struct reqctx	*rc = arg;
	json_t		*err;

	err = sbx_policy_refusal(res, sbx_get_str(rc->req, "approved"));
	if (err != NULL) {
		sbx_reply_error_obj(rc, err);
		json_decref(err);
		file_finished(rc);
		return;
	}
	filejob_start(rc);
}

static void
file_check(struct reqctx *rc, const char *op)
{
	struct fserr	 e;
	const char	*path;
	char		 rel[PATH_MAX], full[PATH_MAX + 16];
	json_t		*q;

	path = sbx_get_str(rc->req, "path");
	if (path == NULL && (rc->op == FOP_LIST || rc->op == FOP_GLOB ||
	    rc->op == FOP_GREP))
		path = ".";
	if (path == NULL || sbx_ws_relpath(path, rel, sizeof(rel), &e) == -1) {
		sbx_reply_error(rc, "invalid", "\"path\" must be a string");
		file_finished(rc);
		return;
	}
	snprintf(full, sizeof(full), "%s/%s", WS_MOUNTPATH,
	    strcmp(rel, ".") == 0 ? "" : rel);
	q = json_pack("{s:I, s:I, s:s, s:s, s:s?}", "user",
	    (json_int_t)rc->user, "chat", (json_int_t)sbx_get_chat(rc->req),
	    "op", op, "path", full, "approval", sbx_get_str(rc->req,
	    "approved"));
	if (q == NULL || sbx_policy_check(IMSG_POLICY_CHECK_FILE, q,
	    file_policy_done, rc) == -1)
		file_policy_done(NULL, rc);
	json_decref(q);
}

static void
file_next(int64_t user)
{
	struct box	*b;
	struct reqctx	*rc;

	if ((b = box_get(user, 0)) == NULL)
		return;
	b->filebusy = 0;
	if ((rc = TAILQ_FIRST(&b->fileq)) == NULL)
		return;
	TAILQ_REMOVE(&b->fileq, rc, entry);
	b->filebusy = 1;
	file_check(rc, fileop_policy_op(rc->op));
}

/* a file request from gatewayd: rc is taken */
void
sbx_file_request(struct reqctx *rc, enum fileop op)
{
	struct box	*b;

	rc->op = op;
	if ((b = box_get(rc->user, 1)) == NULL) {
		sbx_reply_error(rc, "io", "out of memory");
		sbx_reqctx_free(rc);
		return;
	}
	TAILQ_INSERT_TAIL(&b->fileq, rc, entry);
	if (!b->filebusy)
		file_next(rc->user);
}


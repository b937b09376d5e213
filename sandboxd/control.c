/*
 * control.c - topshctl's sandbox requests: sandbox list, kill, exec, ps
 * and stop, trash list and restore.  Replies are IMSG_CTL_DATA objects ended by
 * IMSG_CTL_END, or IMSG_CTL_FAIL.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "sandboxd.h"
#include "topsh.h"

struct listctx {
	struct reqctx	*rc;
	json_t		*items;
	int		 pending;
};

struct statctx {
	struct listctx	*lc;
	json_t		*item;
};

static void
list_finish(struct listctx *lc)
{
	json_t	*it;
	size_t	 i;

	json_array_foreach(lc->items, i, it)
		sbx_reply(lc->rc, IMSG_CTL_DATA, -1, it);
	sbx_reply_ctl_end(lc->rc);
	sbx_reqctx_free(lc->rc);
	json_decref(lc->items);
	free(lc);
}

static void
stats_done(const struct dresp *r, void *arg)
{
	struct statctx	*sc = arg;
	json_t		*mem;

	mem = json_object_get(json_object_get(r->json, "memory_stats"),
	    "usage");
	if (r->status == 200 && json_is_integer(mem))
		json_object_set(sc->item, "memory", mem);
	if (--sc->lc->pending == 0)
		list_finish(sc->lc);
	free(sc);
}

static void
ctl_list(struct reqctx *rc)
{
	struct listctx	*lc;
	struct statctx	*sc;
	struct box	*b;
	char		 path[160], ports[32];
	time_t		 now = time(NULL);
	json_t		*it;

	if ((lc = calloc(1, sizeof(*lc))) == NULL) {
		sbx_reply_error(rc, "io", "out of memory");
		sbx_reqctx_free(rc);
		return;
	}
	lc->rc = rc;
	lc->items = json_array();
	lc->pending = 1;
	RB_FOREACH(b, boxtree, &boxes) {
		if (b->id[0] == '\0' || b->user < 0)
			continue;
		if (b->port_first > 0)
			snprintf(ports, sizeof(ports), "%d-%d", b->port_first,
			    b->port_first + (int)topsh_conf->sandbox.
			    ports_per_user - 1);
		it = json_pack("{s:I, s:s#, s:s, s:I, s:i, s:s?, s:i}",
		    "user", (json_int_t)b->user, "container", b->id, 12,
		    "state", b->state == BOX_RUNNING ? "running" :
		    b->state == BOX_STARTING ? "starting" :
		    b->state == BOX_REMOVING ? "removing" : "stopped",
		    "idle", (json_int_t)(now - b->last_used), "memory", -1,
		    "ports", b->port_first > 0 ? ports : NULL,
		    "commands", b->nexec);
		json_array_append_new(lc->items, it);
		if (b->state != BOX_RUNNING ||
		    (sc = calloc(1, sizeof(*sc))) == NULL)
			continue;
		sc->lc = lc;
		sc->item = it;
		snprintf(path, sizeof(path),
		    "/containers/%s/stats?stream=false&one-shot=true", b->id);
		if (docker_call("GET", path, NULL, 10000, stats_done, sc) ==
		    NULL)
			free(sc);
		else
			lc->pending++;
	}
	if (--lc->pending == 0)
		list_finish(lc);
}

static void
kill_done(struct box *b, const char *code, const char *msg, void *arg)
{
	struct reqctx	*rc = arg;
	json_t		*o;

	if (code != NULL)
		sbx_reply_error(rc, code, msg);
	else {
		o = json_pack("{s:I, s:b}", "user", (json_int_t)rc->user,
		    "removed", 1);
		sbx_reply(rc, IMSG_CTL_DATA, -1, o);
		json_decref(o);
		sbx_reply_ctl_end(rc);
	}
	sbx_reqctx_free(rc);
}

static void
remove_done(struct box *b, const char *code, const char *msg, void *arg)
{
	struct reqctx	*rc = arg;
	json_t		*o;

	if (code != NULL)
		sbx_reply_error(rc, code, msg);
	else {
		o = json_pack("{s:I, s:s}", "user", (json_int_t)rc->user,
		    "state", json_is_true(json_object_get(rc->req,
		    "workspace")) ? "container stopped, workspace in "
		    "WORKSPACE-ROOT/.removed" : "container stopped");
		sbx_reply(rc, IMSG_CTL_DATA, -1, o);
		json_decref(o);
		sbx_reply_ctl_end(rc);
	}
	sbx_reqctx_free(rc);
}

static void
ctl_trash_purge(struct reqctx *rc)
{
	struct fserr	 e;
	struct ws	 ws;
	json_t		*o;
	int		 n;

	if (box_ws(rc->user, 0, &ws, &e) == -1) {
		sbx_reply_error(rc, e.code, e.msg);
		sbx_reqctx_free(rc);
		return;
	}
	if (sbx_trash_purge(&ws, sbx_get_str(rc->req, "id"), &n, &e) == -1)
		sbx_reply_error(rc, e.code, e.msg);
	else {
		log_info("control: purged %d trash item%s of user %" PRId64,
		    n, n == 1 ? "" : "s", rc->user);
		o = json_pack("{s:I, s:i}", "user", (json_int_t)rc->user,
		    "purged", n);
		sbx_reply(rc, IMSG_CTL_DATA, -1, o);
		json_decref(o);
		sbx_reply_ctl_end(rc);
	}
	sbx_ws_close(&ws);
	sbx_reqctx_free(rc);
}

static void
ctl_trash(struct reqctx *rc, int restore)
{
	struct fserr	 e;
	struct ws	 ws;
	const char	*id;
	json_t		*o, *it;
	size_t		 i;

	if (box_ws(rc->user, 0, &ws, &e) == -1) {
		sbx_reply_error(rc, e.code, e.msg);
		sbx_reqctx_free(rc);
		return;
	}
	if (restore) {
		if ((id = sbx_get_str(rc->req, "id")) == NULL)
			sbx_reply_error(rc, "invalid", "\"id\" must be a string");
		else if (sbx_trash_restore(&ws, id, &o, &e) == -1)
			sbx_reply_error(rc, e.code, e.msg);
		else {
			sbx_reply(rc, IMSG_CTL_DATA, -1, o);
			json_decref(o);
			sbx_reply_ctl_end(rc);
		}
	} else if ((o = sbx_trash_list(&ws, &e)) == NULL)
		sbx_reply_error(rc, e.code, e.msg);
	else {
		json_array_foreach(o, i, it)
			sbx_reply(rc, IMSG_CTL_DATA, -1, it);
		sbx_reply_ctl_end(rc);
		json_decref(o);
	}
	sbx_ws_close(&ws);
	sbx_reqctx_free(rc);
}

static void
ps_done(json_t *list, const char *err, void *arg)
{
	struct reqctx	*rc = arg;
	json_t		*it;
	size_t		 i;

	if (list == NULL)
		sbx_reply_error(rc, "docker", err);
	else {
		json_array_foreach(list, i, it)
			sbx_reply(rc, IMSG_CTL_DATA, -1, it);
		sbx_reply_ctl_end(rc);
	}
	sbx_reqctx_free(rc);
}

static void
ctl_ps(struct reqctx *rc)
{
	struct box	*b;

	if ((b = box_get(rc->user, 0)) == NULL || b->state != BOX_RUNNING) {
		sbx_reply_error(rc, "not-found", "no running container for "
		    "this user");
		sbx_reqctx_free(rc);
		return;
	}
	sbx_jobs_list(b, ps_done, rc);
}

static void
stop_done(void *arg)
{
	struct reqctx	*rc = arg;
	json_t		*o;

	o = json_pack("{s:I, s:b}", "user", (json_int_t)rc->user, "ended", 1);
	sbx_reply(rc, rc->ctl ? IMSG_CTL_DATA : IMSG_SANDBOX_CLEAR_RESULT, -1,
	    o);
	json_decref(o);
	if (rc->ctl)
		sbx_reply_ctl_end(rc);
	sbx_reqctx_free(rc);
}

/*
 * End rc->user's background jobs: topshctl sandbox stop, and the user's
 * /clear from gatewayd (requests.c).
 */
void
sbx_jobs_stop(struct reqctx *rc)
{
	struct box	*b;
	json_t		*o;

	if ((b = box_get(rc->user, 0)) != NULL &&
	    sbx_jobs_end(b, stop_done, rc) == 0)
		return;
	o = json_pack("{s:I, s:b}", "user", (json_int_t)rc->user, "ended", 0);
	sbx_reply(rc, rc->ctl ? IMSG_CTL_DATA : IMSG_SANDBOX_CLEAR_RESULT, -1,
	    o);
	json_decref(o);
	if (rc->ctl)
		sbx_reply_ctl_end(rc);
	sbx_reqctx_free(rc);
}

int
sbx_dispatch_control(struct peer *p, struct imsg *imsg)
{
	struct reqctx	*rc;
	uint32_t	 type = imsg_get_type(imsg);
	json_t		*req;
	int64_t		 user = 0;

	if (type < IMSG_CTL_SANDBOX_LIST || type > IMSG_CTL_SANDBOX_REMOVE_USER) {
		log_warnx("control: unexpected message type %u", type);
		return (-1);
	}
	req = imsg_get_json(imsg);
	if (req == NULL)
		req = json_object();
	rc = sbx_reqctx_new(p, imsg, req, 0);
	json_decref(req);
	if (rc == NULL)
		return (0);
	if (type != IMSG_CTL_SANDBOX_LIST && sbx_get_user(req, &user) == -1) {
		sbx_reply_error(rc, "invalid", "a user id (integer > 0) is "
		    "required");
		sbx_reqctx_free(rc);
		return (0);
	}
	rc->user = user;
	switch (type) {
	case IMSG_CTL_SANDBOX_LIST:
		ctl_list(rc);
		break;
	case IMSG_CTL_SANDBOX_KILL:
		log_info("control: kill sandbox of user %" PRId64, user);
		box_kill(user, kill_done, rc);
		break;
	case IMSG_CTL_SANDBOX_EXEC:
		sbx_do_exec(rc);
		break;
	case IMSG_CTL_TRASH_LIST:
		ctl_trash(rc, 0);
		break;
	case IMSG_CTL_TRASH_RESTORE:
		ctl_trash(rc, 1);
		break;
	case IMSG_CTL_TRASH_PURGE:
		ctl_trash_purge(rc);
		break;
	case IMSG_CTL_SANDBOX_PS:
		ctl_ps(rc);
		break;
	case IMSG_CTL_SANDBOX_STOP:
		log_info("control: stop background jobs of user %" PRId64,
		    user);
		sbx_jobs_stop(rc);
		break;
	case IMSG_CTL_SANDBOX_REMOVE_USER:
		log_info("control: %s user %" PRId64, json_is_true(
		    json_object_get(rc->req, "workspace")) ? "remove" : "stop",
		    user);
		box_remove_user(user, json_is_true(json_object_get(rc->req,
		    "workspace")), remove_done, rc);
		break;
	}
	return (0);
}

/*
 * dlpstart.c - proxyd answers before its DLP databases are built.
 *
 * The detectors' keyword filter and the secrets' database of env->dlp
 * take tens of milliseconds of vectorscan compiling, which at start
 * stood between proxyd and gatewayd's first getMe and getUpdates.  Now
 * a child builds them (dlp_build_spawn: confined, at a lower priority)
 * while proxyd confines itself and starts its loop, and proxyd takes
 * them when the child is done.  Meanwhile every request that would be
 * redacted with env->dlp (a model call, a web search, a Telegram call
 * with any string in its parameters) waits here, in arrival order, and
 * is routed once the databases are in place: nothing leaves unredacted
 * and nothing is refused.  What env->dlp never sees goes at once:
 * getMe (no parameters), getUpdates, the services question, file
 * downloads.  Replies and log lines are scrubbed of the secrets by
 * env->scrub, which needs no database (dlp_new_secrets) and works from
 * the start.
 *
 * If the child fails, proxyd builds the databases itself (as a reload
 * does); if it cannot fork, it builds them before confining, as before.
 * A reload that replaces env->dlp ends a build still under way.
 * TOPSH_PROXYD_DLP_HOLD (tests): the child stops itself until SIGCONT.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "dlp.h"
#include "log.h"
#include "topsh.h"
#include "proxyd.h"

static TAILQ_HEAD(, preq) waiting = TAILQ_HEAD_INITIALIZER(waiting);
static unsigned int	 nwaited;
static struct dlp_build	*build;
static struct event	*ev_build;

static void
done(void)
{
	struct preq	*r;

	if (ev_build != NULL)
		event_free(ev_build);
	ev_build = NULL;
	dlp_build_free(build);
	build = NULL;
	env->dlp_ready = 1;
	log_debug("dlp: the databases are ready; %u requests waited for "
	    "them", nwaited);
	while ((r = TAILQ_FIRST(&waiting)) != NULL) {
		TAILQ_REMOVE(&waiting, r, wentry);
		r->cancel = NULL;
		proxyd_route(r);
	}
}

static void
build_cb(evutil_socket_t fd, short ev, void *arg)
{
	switch (dlp_build_collect(build, env->dlp)) {
	case 0:
		return;
	case 1:
		break;
	default:
		log_warnx("dlp: the build child failed; building the "
		    "databases in proxyd");
		if (dlp_prepare(env->dlp) == -1)
			log_warnx("dlp: cannot build the databases; requests "
			    "that need redaction will fail");
		break;
	}
	done();
}

int
dlpstart_begin(struct topsh_conf *conf)
{
	int	rv;

	build = dlp_build_spawn(env->dlp,
	    getenv("TOPSH_PROXYD_DLP_HOLD") != NULL);
	if (build != NULL) {
		ev_build = event_new(env->base, dlp_build_fd(build),
		    EV_READ | EV_PERSIST, build_cb, NULL);
		if (ev_build != NULL && event_add(ev_build, NULL) == 0)
			return (0);
		log_warnx("dlp: cannot watch the build child");
		if (ev_build != NULL)
			event_free(ev_build);
		ev_build = NULL;
		dlp_build_free(build);
		build = NULL;
	} else
		log_warn("dlp: cannot start the build child");
	/* not yet confined: each database compiled in a child of its own */
	dlp_compile_isolated(1);
	rv = dlp_prepare(env->dlp);
	dlp_compile_isolated(0);
	if (rv == -1) {
		log_warnx("dlp: cannot build the databases");
		return (-1);
	}
	env->dlp_ready = 1;
	return (0);
}

static void
wait_cancel(struct preq *r)
{
	TAILQ_REMOVE(&waiting, r, wentry);
}

/* any string in v, at any depth */
static int
has_string(json_t *v)
{
	const char	*k;
	json_t		*e;
	size_t		 i;

	if (json_is_string(v))
		return (1);
	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (has_string(e))
				return (1);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (has_string(e))
				return (1);
	}
	return (0);
}

/* what proxyd_redact_json() would run env->dlp over */
static int
needs_dlp(struct preq *r)
{
	switch (r->type) {
	case IMSG_PROXY_LLM_CHAT:
	case IMSG_PROXY_SEARCH_WEB:
		return (1);
	case IMSG_PROXY_TG_CALL:
		return (has_string(json_object_get(r->msg, "params")));
	default:
		return (0);
	}
}

/* 1: r waits for the databases (routed when they are ready), else 0 */
int
dlpstart_wait(struct preq *r)
{
	if (env->dlp_ready || !needs_dlp(r))
		return (0);
	TAILQ_INSERT_TAIL(&waiting, r, wentry);
	r->cancel = wait_cancel;
	nwaited++;
	log_debug("%s %u waits for the dlp databases", preq_name(r->type),
	    r->reqid);
	return (1);
}

/* env->dlp was replaced by a complete one (reload) */
void
dlpstart_replaced(void)
{
	if (!env->dlp_ready)
		done();
}

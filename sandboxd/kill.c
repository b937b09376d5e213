/*
 * kill.c - ending a command's process tree at its time limit.
 *
 * Every command starts as a session leader (the Engine makes each exec
 * one) with TOPSH_EXEC=TAG in its environment.  The killer is a second
 * exec that stops and then kills, round after round until none is
 * left, every process of the container except
 *   - the init session (pid 1 and the container's main process),
 *   - the killer's own session,
 *   - the sessions of the user's other commands still within their
 *     time, found by their tags.
 * So a command's children die, and so does anything that left its
 * session (setsid) or its process group.  Stopping first keeps a fork
 * bomb from growing while it is being killed.
 *
 * The killer's exit status says whether it got them all.  When it did
 * not, or could not even start (a fork bomb holding every process slot),
 * the container is restarted with SIGKILL (one from the warm pool is
 * stopped, and replaced at the next command): a last resort that also ends
 * the user's other commands.  While a killer runs, new commands of that
 * user wait (exec.c), so that it never kills them.
 *
 * Under gVisor's ptrace platform the host counts the Sentry's threads
 * and its stub processes, and it keeps them pooled when the processes
 * inside end: after a fork bomb a sandbox can hold nearly its host pids
 * limit with a handful of processes inside, and the next fork in it
 * takes the Sentry down with whatever runs then (a later, innocent
 * command).  So there, once a command over its limit is ended, the
 * container's host task count is read (sbx_kill_check()); at
 * half of its limit or more the container is restarted before the user's
 * next command runs.  Many processes at once, in one command after
 * another, fill it up too: it is read when the user's commands are over
 * (sbx_kill_idle()), and restarted then when it is half full.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sandboxd.h"

#define KILL_TIMEOUT	30000	/* ms for each engine call of the killer */
/*
 * ms for the killer's run under gVisor: there an exec the sandbox cannot
 * start (a fork bomb holding every process slot) leaves its stream open
 * until this; then the container is restarted.  Under runc the killer
 * has KILL_TIMEOUT: on a loaded host it may need it.
 */
#define KILL_RUN_GVISOR	12000
/*
 * host tasks at this share of the limit or more: restart (gVisor).  A
 * process inside costs about six host tasks, so half the limit is room
 * for the next command to use all the processes it may have.
 */
#define GVISOR_FULL_NUM	1
#define GVISOR_FULL_DEN	2
/* s: how often an idle gVisor sandbox's host tasks are read at most */
#define GVISOR_IDLE_EVERY	5

/* $1..: tags of commands to spare */
static const char killer_script[] =
    "me=$$; keep=' '\n"
    "for t in \"$@\"; do for d in /proc/[0-9]*; do\n"
    "  if tr '\\0' '\\n' <$d/environ 2>/dev/null | "
    "grep -qx \"TOPSH_EXEC=$t\"; then\n"
    "    read -r s <$d/stat 2>/dev/null || continue; s=${s##*) }\n"
    "    set -- $s; keep=\"$keep$4 \"; fi; done; done\n"
    "n=0; while [ $n -lt 50 ]; do n=$((n+1)); v=''\n"
    "  for d in /proc/[0-9]*; do p=${d#/proc/}\n"
    "    read -r s <$d/stat 2>/dev/null || continue; s=${s##*) }\n"
    "    set -- $s; case $4 in 1|0|$me) continue;; esac\n"
    "    case \"$keep\" in *\" $4 \"*) continue;; esac; v=\"$v $p\"\n"
    "  done\n"
    "  [ -z \"$v\" ] && exit 0\n"
    "  kill -STOP $v 2>/dev/null; kill -9 $v 2>/dev/null\n"
    "done\n"
    "exit 1\n";

struct killer {
	struct box	*box;
	void		(*done)(void *);
	void		*arg;		/* NULL once the command went away */
	char		 execid[72];
};

static void
kill_finish(struct killer *k)
{
	struct box	*b = k->box;

	if (k->done != NULL && k->arg != NULL)
		k->done(k->arg);
	free(k);
	if (--b->killers == 0)
		sbx_exec_resume(b);
}

/*
 * The container was restarted: every command that ran in it is gone,
 * and is answered now whatever its exec stream says (exec.c).  Its
 * runner went with it, though its stream may not have ended yet: it is
 * dropped, and the next command finds the container and attaches anew.
 */
static void
restart_done(const struct dresp *r, void *arg)
{
	struct killer	*k = arg;

	if (r->status != 204 && !(k->box->pool_born && r->status == 409))
		log_warnx("user %" PRId64 ": restart of container %.12s "
		    "failed: %s", k->box->user, k->box->id,
		    r->err != NULL ? r->err : "unexpected reply");
	k->box->restarting = 0;
	sbx_exec_restarted(k->box);
	sbx_runner_close(k->box);
	box_lost(k->box, 0);
	kill_finish(k);
}

/*
 * The killer did not get them all: restart the container.  One from
 * the warm pool is only stopped: its bind mounts name the slot's paths,
 * and the next command replaces it (box.c).
 */
static void
kill_restart(struct killer *k, const char *why)
{
	char	path[160];

	log_warnx("user %" PRId64 ": %s; %s container %.12s", k->box->user,
	    why, k->box->pool_born ? "stopping" : "restarting", k->box->id);
	snprintf(path, sizeof(path), k->box->pool_born ?
	    "/containers/%s/kill" : "/containers/%s/restart?t=0", k->box->id);
	if (docker_call("POST", path, NULL, 60000, restart_done, k) == NULL)
		kill_finish(k);
	else
		k->box->restarting = 1;
}

/*
 * A container's stats: does it hold GVISOR_FULL of its host pids limit
 * or more?  why says what was read (ending with when), or why nothing.
 */
static int
stats_full(const struct dresp *r, const char *when, char *why, size_t len)
{
	json_t	*ps, *cur, *lim;

	ps = json_object_get(r->json, "pids_stats");
	cur = json_object_get(ps, "current");
	lim = json_object_get(ps, "limit");
	if (r->status != 200 || !json_is_integer(cur) ||
	    !json_is_integer(lim) || json_integer_value(lim) <= 0) {
		snprintf(why, len, "no host task count %s (%s)", when,
		    r->err != NULL ? r->err : "unexpected reply");
		return (0);
	}
	snprintf(why, len, "the sandbox holds %" JSON_INTEGER_FORMAT " of "
	    "its %" JSON_INTEGER_FORMAT " host tasks %s",
	    json_integer_value(cur), json_integer_value(lim), when);
	return (json_integer_value(cur) * GVISOR_FULL_DEN >=
	    json_integer_value(lim) * GVISOR_FULL_NUM);
}

/* the container's host tasks, read back: restart it when near full */
static void
stats_done(const struct dresp *r, void *arg)
{
	struct killer	*k = arg;
	char		 why[160];

	if (stats_full(r, "after a command over its limit", why,
	    sizeof(why)))
		kill_restart(k, why);
	else {
		log_debug("user %" PRId64 ": %s", k->box->user, why);
		kill_finish(k);
	}
}

/* ask for container id's stats (its host task count), once */
static int
stats_ask(const char *id, docker_cb cb, void *arg)
{
	char	path[160];

	snprintf(path, sizeof(path), "/containers/%s/stats?stream=false&"
	    "one-shot=true", id);
	return (docker_call("GET", path, NULL, KILL_TIMEOUT, cb, arg) ==
	    NULL ? -1 : 0);
}

static int
kill_stats(struct killer *k)
{
	return (stats_ask(k->box->id, stats_done, k));
}

/* the killing is done; under gVisor, is the sandbox still sound? */
static void
kill_check(struct killer *k)
{
	if (!runtime_gvisor() || kill_stats(k) == -1)
		kill_finish(k);
}

static void
killer_inspected(const struct dresp *r, void *arg)
{
	struct killer	*k = arg;
	json_t		*code;

	code = json_object_get(r->json, "ExitCode");
	if (r->status == 200 && json_is_integer(code) &&
	    json_integer_value(code) == 0 &&
	    !json_is_true(json_object_get(r->json, "Running"))) {
		kill_check(k);
		return;
	}
	kill_restart(k, "the process killer did not finish its work");
}

static int
discard(const void *buf, size_t len, void *arg)
{
	return (0);
}

static void
killer_ended(const struct dresp *r, void *arg)
{
	struct killer	*k = arg;
	char		 path[128];

	if (r->status != 200) {
		kill_restart(k, "the process killer could not run");
		return;
	}
	snprintf(path, sizeof(path), "/exec/%s/json", k->execid);
	if (docker_call("GET", path, NULL, KILL_TIMEOUT, killer_inspected,
	    k) == NULL)
		kill_restart(k, "the process killer's status is unknown");
}

static void
killer_created(const struct dresp *r, void *arg)
{
	struct killer	*k = arg;
	json_t		*id, *body;
	char		 path[128];

	id = json_object_get(r->json, "Id");
	if (r->status != 201 || !json_is_string(id)) {
		kill_restart(k, "the process killer could not be created");
		return;
	}
	strlcpy(k->execid, json_string_value(id), sizeof(k->execid));
	snprintf(path, sizeof(path), "/exec/%s/start", k->execid);
	body = json_pack("{s:b, s:b}", "Detach", 0, "Tty", 0);
	if (docker_stream(path, body, runtime_gvisor() ? KILL_RUN_GVISOR :
	    KILL_TIMEOUT, discard, NULL,
	    killer_ended, k) == NULL)
		kill_restart(k, "the process killer could not start");
	json_decref(body);
}

static struct killer *
killer_new(struct box *b, void (*done)(void *), void *arg)
{
	struct killer	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (NULL);
	k->box = b;
	k->done = done;
	k->arg = arg;
	b->killers++;
	return (k);
}

/*
 * The runner ended a command over its limit: under gVisor, see that the
 * sandbox is sound (kill_check()) before the user's next command runs.
 * done(arg) runs when that is over, unless sbx_kill_forget() was called
 * first; NULL when there is nothing to see to (done is not called).
 */
struct killer *
sbx_kill_check(struct box *b, void (*done)(void *), void *arg)
{
	struct killer	*k;

	if (!runtime_gvisor() || (k = killer_new(b, done, arg)) == NULL)
		return (NULL);
	if (kill_stats(k) == -1) {
		b->killers--;
		free(k);
		return (NULL);
	}
	return (k);
}

/* an idle sandbox whose host tasks are being read (sbx_kill_idle()) */
struct idlecheck {
	int64_t	 user;
	char	 id[72];
};

static void
idle_stats_done(const struct dresp *r, void *arg)
{
	struct idlecheck	*ic = arg;
	struct box		*b;
	struct killer		*k;
	char			 why[160];

	if ((b = box_get(ic->user, 0)) != NULL)
		b->gv_asking = 0;
	if (b == NULL || b->state != BOX_RUNNING ||
	    strcmp(b->id, ic->id) != 0)
		;	/* not that container any more */
	else if (!stats_full(r, "after its commands ended", why,
	    sizeof(why)))
		log_debug("user %" PRId64 ": %s", b->user, why);
	else if (b->nexec > 0 || b->killers > 0)
		b->gv_checked = 0;	/* busy again: once it is idle */
	else if ((k = killer_new(b, NULL, NULL)) != NULL)
		kill_restart(k, why);
	free(ic);
}

/*
 * Under gVisor, the user's commands are over: is the sandbox still far
 * from its host pids limit?  Processes run at once leave their host
 * tasks pooled in the Sentry, more with every such command (runtime.c),
 * until a fork dies with the whole sandbox.  One that holds
 * GVISOR_FULL of its limit or more is restarted now, while nothing of
 * the user's but background jobs runs, not under a later command.  The
 * read is the Engine's (about a second) and holds nothing up; it is
 * made at most every GVISOR_IDLE_EVERY seconds a sandbox.
 */
void
sbx_kill_idle(struct box *b)
{
	struct idlecheck	*ic;
	struct timespec		 now;

	if (!runtime_gvisor() || b->user <= 0 || b->state != BOX_RUNNING ||
	    b->id[0] == '\0' || b->nexec > 0 || b->killers > 0 ||
	    b->gv_asking)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (b->gv_checked != 0 && now.tv_sec - b->gv_checked <
	    GVISOR_IDLE_EVERY)
		return;
	if ((ic = calloc(1, sizeof(*ic))) == NULL)
		return;
	ic->user = b->user;
	strlcpy(ic->id, b->id, sizeof(ic->id));
	if (stats_ask(b->id, idle_stats_done, ic) == -1) {
		free(ic);
		return;
	}
	b->gv_checked = now.tv_sec;
	b->gv_asking = 1;
}

/*
 * Kill every process of box's container but those of the sessions
 * tagged in keep (a JSON array of strings, taken).  done(arg) runs when
 * that is over, unless sbx_kill_forget() was called first.
 */
struct killer *
sbx_kill_start(struct box *b, json_t *keep, void (*done)(void *), void *arg)
{
	struct killer	*k;
	json_t		*cmd, *body;
	char		 path[128], user[64];

	if ((k = killer_new(b, done, arg)) == NULL) {
		json_decref(keep);
		return (NULL);
	}
	cmd = json_pack("[s, s, s, s]", "sh", "-c", killer_script,
	    "topsh-kill");
	json_array_extend(cmd, keep);
	json_decref(keep);
	box_user_spec(b, user, sizeof(user));
	body = json_pack("{s:b, s:b, s:o, s:s}", "AttachStdout", 1,
	    "AttachStderr", 1, "Cmd", cmd, "User", user);
	snprintf(path, sizeof(path), "/containers/%s/exec", b->id);
	if (body == NULL || docker_call("POST", path, body, KILL_TIMEOUT,
	    killer_created, k) == NULL) {
		/* nothing started: the caller's give-up timer takes over */
		log_warnx("user %" PRId64 ": cannot start the process killer",
		    b->user);
		json_decref(body);
		b->killers--;
		free(k);
		return (NULL);
	}
	json_decref(body);
	return (k);
}

/* the command the killer works for is gone: do not call it back */
void
sbx_kill_forget(struct killer *k)
{
	k->arg = NULL;
}

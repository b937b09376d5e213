/*
 * exec.c - running one command in a user's container.
 *
 *   policyd (IMSG_POLICY_CHECK_CMD)  deny -> refused with the rule;
 *                                    approve -> refused unless approved
 *   box_ensure()                     the container exists and runs
 * then, when the container's runner is attached (runner.c), one RUN
 * frame to it and OUT, ERR and EXIT frames back; otherwise (a container
 * without it, or its runner failed) the Engine's exec API:
 *   POST /containers/ID/exec         sh -c COMMAND in /workspace, tagged
 *                                    with TOPSH_EXEC=TAG in its env
 *   POST /exec/EID/start (streamed)  stdout/stderr demultiplexed into
 *                                    head-and-tail capped buffers
 *   GET /exec/EID/json               the exit code
 *
 * Time limit: when it expires the process tree is killed (by the
 * runner's KILL, or kill.c's killer when there is no runner or it did
 * not get them all) and
 * the reply waits until the stream has ended and the killer is done
 * (under gVisor, until the sandbox is seen sound: kill.c):
 * the command is gone when the caller hears of it.  Commands of the
 * same user that arrive while a killer runs wait for it.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "sandboxd.h"
#include "topsh.h"

#define EXEC_MAX_PER_USER	8
#define EXEC_GIVEUP		90	/* seconds after the limit: abandon */
#define EXEC_INSPECT_TRIES	20	/* 50 ms apart */

struct execreq {
	TAILQ_ENTRY(execreq)	 entry;
	int64_t			 user, chat;
	char			*command;
	char			*approved;
	long long		 timeout;
	exec_cb			 cb;
	void			*arg;
	struct box		*box;
	char			 execid[72];
	char			 tag[40];
	struct uhttp_req	*stream;
	struct demux		 dm;
	struct outcap		 out[2];
	struct event		*timer;
	struct timespec		 t0;
	struct killer		*killer;	/* running for this command */
	int			 timed_out;
	int			 stream_ended;
	int			 held;		/* in box->held */
	int			 retried;
	int			 inspects;
	int			 attached;	/* in box->execs */
	struct runcmd		*rc;		/* running in the runner */
	int			 viarunner;
	int			 rkilling;	/* the runner's KILL unanswered */
	int			 rcode;		/* the runner's exit status */
	char			 rerr[320];
};

static void	exec_boxready(struct box *, const char *, const char *,
		    void *);
static void	exec_run_finish(struct execreq *);
static void	exec_kill_docker(struct execreq *);

static void
exec_free(struct execreq *er)
{
	struct box	*b = NULL;

	if (er->killer != NULL)
		sbx_kill_forget(er->killer);
	if (er->rc != NULL)
		sbx_runner_forget(er->rc);
	if (er->held)
		TAILQ_REMOVE(&er->box->held, er, entry);
	if (er->attached) {
		TAILQ_REMOVE(&er->box->execs, er, entry);
		er->box->nexec--;
		er->box->last_used = time(NULL);
		b = er->box;
	}
	if (er->timer != NULL)
		event_free(er->timer);
	sbx_outcap_free(&er->out[0]);
	sbx_outcap_free(&er->out[1]);
	free(er->command);
	free(er->approved);
	free(er);
	/* a command waiting for a free place goes on */
	if (b != NULL && !TAILQ_EMPTY(&b->held))
		sbx_exec_resume(b);
	/* the container may be idle now: somebody may be waiting for it */
	if (b != NULL && b->nexec == 0 && box_line_length() > 0)
		box_line_next();
	/* under gVisor: is it still sound? */
	if (b != NULL && b->nexec == 0)
		sbx_kill_idle(b);
}

static void
exec_error(struct execreq *er, const char *code, const char *msg)
{
	json_t	*e;

	e = sbx_error_json(er->user, code, msg);
	er->cb(NULL, code, e, er->arg);
	json_decref(e);
	exec_free(er);
}

static void
exec_reply(struct execreq *er, int exitcode, const char *err)
{
	struct timespec	 now;
	json_t		*res, *o[2];
	char		*buf;
	size_t		 len;
	int		 i;

	for (i = 0; i < 2; i++) {
		buf = sbx_outcap_result(&er->out[i], &len);
		o[i] = buf != NULL ? sbx_utf8_json(buf, len) : json_string("");
		free(buf);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	res = json_pack("{s:i, s:o, s:o, s:b, s:b, s:I, s:I, s:f}",
	    "exit", exitcode, "stdout", o[0], "stderr", o[1],
	    "timed_out", er->timed_out,
	    "truncated", sbx_outcap_cut(&er->out[0]) + sbx_outcap_cut(&er->out[1]) > 0,
	    "stdout_cut", (json_int_t)sbx_outcap_cut(&er->out[0]),
	    "stderr_cut", (json_int_t)sbx_outcap_cut(&er->out[1]),
	    "seconds", (double)(now.tv_sec - er->t0.tv_sec) +
	    (now.tv_nsec - er->t0.tv_nsec) / 1e9);
	if (err != NULL)
		json_object_set_new(res, "error", json_string(err));
	log_debug("user %" PRId64 ": exec %.12s exit %d%s", er->user,
	    er->execid, exitcode, er->timed_out ? " (timed out)" : "");
	er->cb(res, NULL, NULL, er->arg);
	json_decref(res);
	exec_free(er);
}

static void	exec_inspect(struct execreq *);

static void
inspect_again(int fd, short ev, void *arg)
{
	exec_inspect(arg);
}

static void
inspect_done(const struct dresp *r, void *arg)
{
	struct execreq	*er = arg;
	struct timeval	 tv = { 0, 50000 };
	json_t		*code, *running;
	const char	*err = NULL;
	int		 exitcode = -1;

	code = json_object_get(r->json, "ExitCode");
	running = json_object_get(r->json, "Running");
	/* the stream may end a moment before the engine notes the exit */
	if (r->status == 200 && json_is_true(running) && ++er->inspects <
	    EXEC_INSPECT_TRIES && event_base_once(topsh_base, -1, EV_TIMEOUT,
	    inspect_again, er, &tv) == 0)
		return;
	if (r->status == 200 && json_is_integer(code) &&
	    !json_is_true(running))
		exitcode = (int)json_integer_value(code);
	else if (er->timed_out)
		exitcode = 137;
	else
		err = "the exit status is unknown: the engine did not tell";
	exec_reply(er, exitcode, err);
}

static void
stream_demux_cb(int stream, const void *buf, size_t len, void *arg)
{
	struct execreq	*er = arg;

	sbx_outcap_add(&er->out[stream - 1], buf, len);
}

static int
stream_data(const void *buf, size_t len, void *arg)
{
	struct execreq	*er = arg;

	if (sbx_demux_feed(&er->dm, buf, len, stream_demux_cb, er) == -1) {
		log_warnx("user %" PRId64 ": bad exec stream", er->user);
		return (-1);
	}
	return (0);
}

static void
stream_done(const struct dresp *r, void *arg)
{
	struct execreq	*er = arg;

	er->stream = NULL;
	er->stream_ended = 1;
	if (r->status != 200 && r->status != 101) {
		evtimer_del(er->timer);
		exec_error(er, r->unavailable ? "docker-unavailable" :
		    "docker", r->err != NULL ? r->err : "exec start failed");
		return;
	}
	if (er->killer != NULL)
		return;		/* the reply waits for the killer */
	evtimer_del(er->timer);
	exec_inspect(er);
}

/* the killer is done with this command's processes */
static void
exec_killed(void *arg)
{
	struct execreq	*er = arg;

	er->killer = NULL;
	if (!er->stream_ended)
		return;		/* the give-up timer still runs */
	if (er->viarunner) {
		exec_run_finish(er);
		return;
	}
	evtimer_del(er->timer);
	exec_inspect(er);
}

/*
 * b's container was restarted (kill.c's last resort): every command
 * that ran in it is gone, whatever its exec stream says (under gVisor
 * the engine does not always end an exec's stream when the container
 * dies, and the reply would wait for the give-up timer).  They are
 * answered now, as killed; exec_free() tells the killer.
 */
void
sbx_exec_restarted(struct box *b)
{
	struct execreq	*er, *next;

	for (er = TAILQ_FIRST(&b->execs); er != NULL; er = next) {
		next = TAILQ_NEXT(er, entry);
		if (er->stream_ended || er->execid[0] == '\0')
			continue;	/* being inspected, or not started */
		docker_cancel(er->stream);
		er->stream = NULL;
		if (er->rc != NULL)
			sbx_runner_forget(er->rc);
		er->rc = NULL;
		er->stream_ended = 1;
		evtimer_del(er->timer);
		exec_reply(er, 137, er->timed_out ? NULL : SBX_RESTARTED_MSG);
	}
}

static void
exec_inspect(struct execreq *er)
{
	char	path[128];

	snprintf(path, sizeof(path), "/exec/%s/json", er->execid);
	if (docker_call("GET", path, NULL, 30000, inspect_done, er) == NULL)
		exec_reply(er, er->timed_out ? 137 : -1, er->timed_out ? NULL :
		    "the exit status is unknown: the engine did not tell");
}

/* the tags of the user's other commands still within their time */
static json_t *
exec_keep(struct execreq *er)
{
	struct execreq	*o;
	json_t		*keep;

	keep = json_array();
	TAILQ_FOREACH(o, &er->box->execs, entry)
		if (o != er && !o->timed_out)
			json_array_append_new(keep, json_string(o->tag));
	return (keep);
}

static void
exec_kill_docker(struct execreq *er)
{
	er->killer = sbx_kill_start(er->box, exec_keep(er), exec_killed, er);
}

static void
exec_kill(struct execreq *er)
{
	if (er->rc != NULL && sbx_runner_kill(er->rc, exec_keep(er)) == 0) {
		er->rkilling = 1;
		return;
	}
	exec_kill_docker(er);
}

static void
exec_timer(int fd, short ev, void *arg)
{
	struct execreq	*er = arg;
	struct timeval	 tv = { EXEC_GIVEUP, 0 };

	if (!er->timed_out) {
		log_info("user %" PRId64 ": command over its %llds limit, "
		    "killing it", er->user, er->timeout);
		er->timed_out = 1;
		exec_kill(er);
		evtimer_add(er->timer, &tv);
		return;
	}
	log_warnx("user %" PRId64 ": command not gone %ds after its limit, "
	    "abandoning it", er->user, EXEC_GIVEUP);
	docker_cancel(er->stream);
	er->stream = NULL;
	if (er->rc != NULL)
		sbx_runner_forget(er->rc);
	er->rc = NULL;
	exec_reply(er, 137, "the command could not be confirmed gone");
}

static void
exec_created(const struct dresp *r, void *arg)
{
	struct execreq	*er = arg;
	struct timeval	 tv;
	json_t		*id, *body;
	char		 path[128];

	if ((r->status == 404 || r->status == 409) && !er->retried) {
		/* the container is gone or stopped: once more, afresh */
		log_info("user %" PRId64 ": container not running (%s), "
		    "starting it again", er->user, r->err);
		box_lost(er->box, r->status == 404);
		TAILQ_REMOVE(&er->box->execs, er, entry);
		er->box->nexec--;
		er->attached = 0;
		er->retried = 1;
		box_ensure(er->user, exec_boxready, er);
		return;
	}
	id = json_object_get(r->json, "Id");
	if (r->status != 201 || !json_is_string(id)) {
		exec_error(er, r->unavailable ? "docker-unavailable" :
		    "docker", r->err != NULL ? r->err : "exec create failed");
		return;
	}
	strlcpy(er->execid, json_string_value(id), sizeof(er->execid));
	snprintf(path, sizeof(path), "/exec/%s/start", er->execid);
	body = json_pack("{s:b, s:b}", "Detach", 0, "Tty", 0);
	sbx_demux_init(&er->dm);
	er->stream = docker_stream(path, body, 0, stream_data, er,
	    stream_done, er);
	json_decref(body);
	if (er->stream == NULL) {
		exec_error(er, "docker", "cannot start the exec stream");
		return;
	}
	tv.tv_sec = er->timeout;
	tv.tv_usec = 0;
	evtimer_add(er->timer, &tv);
}

/* --- through the container's runner (runner.c) ---------------------- */

static void
run_out(int stream, const void *buf, size_t len, void *arg)
{
	struct execreq	*er = arg;

	sbx_outcap_add(&er->out[stream - 1], buf, len);
}

/* answer once the command has exited and no killer works for it */
static void
exec_run_finish(struct execreq *er)
{
	if (!er->stream_ended || er->rkilling || er->killer != NULL)
		return;
	evtimer_del(er->timer);
	if (er->timed_out)
		exec_reply(er, 137, NULL);
	else
		exec_reply(er, er->rcode, er->rerr[0] != '\0' ? er->rerr :
		    NULL);
}

static void
run_exit(int code, const char *err, void *arg)
{
	struct execreq	*er = arg;

	er->rc = NULL;
	er->rkilling = 0;
	er->stream_ended = 1;
	er->rcode = code;
	if (err != NULL)
		strlcpy(er->rerr, err, sizeof(er->rerr));
	/* the runner went away with the command over its limit: be sure */
	if (err != NULL && er->timed_out && er->killer == NULL)
		exec_kill_docker(er);
	exec_run_finish(er);
}

static void
run_killed(int ok, void *arg)
{
	struct execreq	*er = arg;

	er->rkilling = 0;
	if (!ok) {
		log_warnx("user %" PRId64 ": the runner did not end every "
		    "process; the Engine's exec takes over", er->user);
		exec_kill_docker(er);
		return;
	}
	/* under gVisor the reply waits until the sandbox is seen sound */
	er->killer = sbx_kill_check(er->box, exec_killed, er);
	exec_run_finish(er);
}

static const struct runner_ops exec_runner_ops = {
	run_out, run_exit, run_killed
};

/* 0: the runner has the command; -1: the Engine's exec API it is */
static int
exec_via_runner(struct execreq *er)
{
	struct timeval	tv;

	if ((er->rc = sbx_runner_run(er->box, er->tag, er->command,
	    er->timeout, &exec_runner_ops, er)) == NULL)
		return (-1);
	er->viarunner = 1;
	snprintf(er->execid, sizeof(er->execid), "runner-%u",
	    (unsigned)sbx_runner_id(er->rc));
	tv.tv_sec = er->timeout;
	tv.tv_usec = 0;
	evtimer_add(er->timer, &tv);
	return (0);
}

static void
exec_boxready(struct box *b, const char *code, const char *msg, void *arg)
{
	struct execreq	*er = arg;
	json_t		*body;
	char		 path[128], env[64], user[64], uenv[3][96];

	if (code != NULL) {
		exec_error(er, code, msg);
		return;
	}
	/* a runner not attached yet (or dropped): try, the command waits */
	if (b->runner == NULL)
		sbx_runner_attach(b);
	if (b->killers > 0) {
		/* a killer must not meet this command: wait for it */
		er->box = b;
		er->held = 1;
		TAILQ_INSERT_TAIL(&b->held, er, entry);
		return;
	}
	if (b->nexec >= EXEC_MAX_PER_USER || sbx_runner_attaching(b)) {
		/*
		 * never refused: it waits for one of the user's to end, or
		 * for the runner being attached to answer
		 */
		er->box = b;
		er->held = 1;
		TAILQ_INSERT_TAIL(&b->held, er, entry);
		return;
	}
	er->box = b;
	b->nexec++;
	TAILQ_INSERT_TAIL(&b->execs, er, entry);
	er->attached = 1;
	if (exec_via_runner(er) == 0)
		return;
	sbx_runner_count_exec();
	snprintf(env, sizeof(env), "TOPSH_EXEC=%s", er->tag);
	snprintf(uenv[0], sizeof(uenv[0]), "USER=u%" PRId64, b->user);
	snprintf(uenv[1], sizeof(uenv[1]), "LOGNAME=u%" PRId64, b->user);
	snprintf(uenv[2], sizeof(uenv[2]), "EMAIL=u%" PRId64
	    "@users.topsh.invalid", b->user);
	box_user_spec(b, user, sizeof(user));
	body = json_pack("{s:b, s:b, s:b, s:b, s:[s, s, s], s:s, "
	    "s:[s, s, s, s], s:s}", "AttachStdin", 0, "AttachStdout", 1,
	    "AttachStderr", 1, "Tty", 0, "Cmd", "sh", "-c", er->command,
	    "WorkingDir", WS_MOUNTPATH, "Env", env, uenv[0], uenv[1], uenv[2],
	    "User", user);
	snprintf(path, sizeof(path), "/containers/%s/exec", b->id);
	if (body == NULL || docker_call("POST", path, body, 30000,
	    exec_created, er) == NULL)
		exec_error(er, "docker", "cannot start a request");
	json_decref(body);
}

/* the tags of b's commands still within their time (jobs.c) */
json_t *
sbx_exec_tags(struct box *b)
{
	struct execreq	*o;
	json_t		*keep;

	keep = json_array();
	TAILQ_FOREACH(o, &b->execs, entry)
		if (!o->timed_out)
			json_array_append_new(keep, json_string(o->tag));
	return (keep);
}

int
sbx_exec_tag_running(struct box *b, const char *tag)
{
	struct execreq	*o;

	TAILQ_FOREACH(o, &b->execs, entry)
		if (!o->timed_out && strcmp(o->tag, tag) == 0)
			return (1);
	return (0);
}

/*
 * The user's killers are done, or a command ended: the commands that
 * waited go on, in order, as far as there is room.
 */
void
sbx_exec_resume(struct box *b)
{
	struct execreq	*er;

	while (b->killers == 0 && b->nexec < EXEC_MAX_PER_USER &&
	    !sbx_runner_attaching(b) && (er = TAILQ_FIRST(&b->held)) != NULL) {
		TAILQ_REMOVE(&b->held, er, entry);
		er->held = 0;
		box_ensure(b->user, exec_boxready, er);
	}
}

static void
exec_policy(const struct polres *res, void *arg)
{
	struct execreq	*er = arg;
	json_t		*e;

	if ((e = sbx_policy_refusal(res, er->approved)) != NULL) {
		log_info("user %" PRId64 ": command refused: %s%s%s", er->user,
		    json_string_value(json_object_get(e, "code")),
		    res != NULL && res->rule != NULL ? " by rule " : "",
		    res != NULL && res->rule != NULL ? res->rule : "");
		er->cb(NULL, json_string_value(json_object_get(e, "code")), e,
		    er->arg);
		json_decref(e);
		exec_free(er);
		return;
	}
	box_ensure(er->user, exec_boxready, er);
}

/*
 * Run command for user.  cb gets the EXEC_RESULT object, or NULL, an
 * error code and the IMSG_ERROR object; exactly once, maybe before
 * sbx_exec_start returns.
 */
void
sbx_exec_start(int64_t user, int64_t chat, const char *command,
    long long timeout, const char *approved, exec_cb cb, void *arg)
{
	const struct conf_sandbox	*c = &topsh_conf->sandbox;
	struct execreq			*er;
	json_t				*req;

	if ((er = calloc(1, sizeof(*er))) == NULL ||
	    (er->command = strdup(command)) == NULL ||
	    (approved != NULL && (er->approved = strdup(approved)) == NULL) ||
	    sbx_outcap_init(&er->out[0], c->output_cap) == -1 ||
	    sbx_outcap_init(&er->out[1], c->output_cap) == -1 ||
	    (er->timer = evtimer_new(topsh_base, exec_timer, er)) == NULL) {
		if (er != NULL)
			exec_free(er);
		cb(NULL, "io", NULL, arg);
		return;
	}
	er->user = user;
	er->chat = chat;
	er->cb = cb;
	er->arg = arg;
	er->timeout = timeout > 0 && timeout < c->exec_timeout ? timeout :
	    c->exec_timeout;
	snprintf(er->tag, sizeof(er->tag), "%08x%08x", arc4random(),
	    arc4random());
	clock_gettime(CLOCK_MONOTONIC, &er->t0);
	req = json_pack("{s:I, s:I, s:s, s:s?}", "user", (json_int_t)user,
	    "chat", (json_int_t)chat, "command", command, "approval",
	    approved);
	/* with the texts of the scripts it runs (scripts.c) */
	if (req == NULL || sbx_policy_check_cmd(user, req, exec_policy,
	    er) == -1) {
		json_decref(req);
		exec_policy(NULL, er);
		return;
	}
	json_decref(req);
}

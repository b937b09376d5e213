/*
 * runner.c - sandboxd's side of topsh-runner, the resident command
 * runner of each container (runner/topsh-runner.c, runner/frame.h).
 *
 * A container made with the runner (label topsh.runner) is attached to
 * (attach.c) when it starts or is adopted:
 *   RF_SYNC zero bytes, HELLO with a random nonce   -> HELLO echoing it
 *   RESET sparing the commands in flight            -> KILLED 0
 * then each command is one RUN frame and comes back as OUT, ERR and
 * EXIT frames on the same connection: no Engine API call at all.  A
 * command over its time limit gets a KILL (the runner ends every other
 * process of the container but those of the commands spared).
 *
 * Everything the runner sends is checked (frame.c) as if a user had
 * written it; before the HELLO, bytes are skipped (a stream joined
 * mid-way).  A malformed frame, a runner that does not answer in time,
 * the stream's end: the runner is dropped, the commands it ran are
 * answered with an error (exit status 137 when the stream ended: the
 * container stopped and took them along), and the box's commands go
 * through the Engine's exec API (exec.c) until the container is started
 * again (box_lost(): the next command starts or finds it and attaches
 * anew),
 * at most RUNNER_MAX_FAILS times for one container; a runner that never
 * answered is not tried again in it.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "sandboxd.h"
#include "topsh.h"
#include "../runner/frame.h"

#define RUNNER_MAX_FAILS	5
#define RUNNER_ANSWER		10	/* s for HELLO, RESET and KILL */
#define RUNNER_BACKSTOP		60	/* s past the limit: the runner kills */
#define RUNNER_TAG_MAX		64

enum rn_state { RN_ATTACHING, RN_READY, RN_FAILED };

struct runcmd {
	TAILQ_ENTRY(runcmd)	 entry;
	struct runner		*rn;
	uint32_t		 id;
	const struct runner_ops	*ops;
	void			*arg;
	int			 killing;
	int			 exited;	/* EXIT came before KILLED */
	int			 code;
};

struct runner {
	struct box		*box;
	char			 cid[72];
	struct attach		*at;
	enum rn_state		 state;
	int			 was_ready;
	int			 ended;		/* the container's stdout ended */
	unsigned char		 nonce[8];
	uint32_t		 nextid;
	int			 kills;		/* KILL and RESET unanswered */
	struct event		*timer;		/* an answer is due */
	struct event		*dead;		/* teardown, outside callbacks */
	char			 why[160];
	unsigned char		 in[RF_HDR + RF_MAXOUT + RF_TRAILER];
	size_t			 inlen;
	TAILQ_HEAD(, runcmd)	 cmds;
};

static struct {
	char		 path[PATH_MAX];	/* "" none */
	uint64_t	 runs, execs, failures, kills;
} rs;

/*
 * The runner next to our own executable (a build tree), else where
 * make install puts it.  Before confinement: only the engine reads it.
 */
void
sbx_runner_init(void)
{
	char	exe[PATH_MAX], *dir;
	ssize_t	n;

	rs.path[0] = '\0';
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		dir = dirname(exe);
		snprintf(rs.path, sizeof(rs.path), "%s/topsh-runner", dir);
		if (access(rs.path, X_OK) == 0)
			goto found;
	}
	snprintf(rs.path, sizeof(rs.path), "%s/topsh-runner",
	    TOPSH_LIBEXECDIR);
	if (access(rs.path, X_OK) == 0)
		goto found;
	log_warnx("no topsh-runner in %s or next to sandboxd: commands go "
	    "through the Engine's exec API, slower", TOPSH_LIBEXECDIR);
	rs.path[0] = '\0';
	return;
 found:
	log_info("command runner: %s", rs.path);
}

/* the host path bind-mounted into new containers, NULL none */
const char *
sbx_runner_path(void)
{
	return (rs.path[0] != '\0' ? rs.path : NULL);
}

static void
runner_fail(struct runner *rn, const char *why)
{
	if (rn->state == RN_FAILED)
		return;
	rn->state = RN_FAILED;
	strlcpy(rn->why, why, sizeof(rn->why));
	event_active(rn->dead, EV_TIMEOUT, 0);
}

static void
runner_due(struct runner *rn)
{
	struct timeval	tv = { RUNNER_ANSWER, 0 };

	evtimer_add(rn->timer, &tv);
}

static int
runner_send(struct runner *rn, int type, uint32_t id, const void *pay,
    size_t len)
{
	unsigned char	*buf;
	size_t		 n;
	int		 r = -1;

	if ((buf = malloc(RF_HDR + len + RF_TRAILER)) == NULL)
		return (-1);
	n = rf_build(buf, RF_HDR + len + RF_TRAILER, type, id, pay, len);
	if (n > 0 && sbx_attach_write(rn->at, buf, n) == 0)
		r = 0;
	free(buf);
	if (r == -1)
		runner_fail(rn, "cannot write to the runner");
	return (r);
}

/* tags as NUL-terminated strings into buf; its length */
static size_t
tags_payload(json_t *tags, unsigned char *buf, size_t len)
{
	json_t		*t;
	const char	*s;
	size_t		 i, n, off = 0;

	json_array_foreach(tags, i, t) {
		if (i >= RF_MAXSTRS || (s = json_string_value(t)) == NULL ||
		    (n = strlen(s)) > RUNNER_TAG_MAX || off + n + 1 > len)
			continue;
		memcpy(buf + off, s, n + 1);
		off += n + 1;
	}
	return (off);
}

static void
runner_ready(struct runner *rn)
{
	unsigned char	pay[RF_MAXSTRS * (RUNNER_TAG_MAX + 1)];
	json_t		*keep;
	size_t		 len;

	rn->state = RN_READY;
	rn->was_ready = 1;
	log_debug("user %" PRId64 ": command runner of container %.12s "
	    "ready", rn->box->user, rn->cid);
	/* what an earlier sandboxd left: every command but ours in flight */
	keep = sbx_exec_tags(rn->box);
	len = tags_payload(keep, pay, sizeof(pay));
	json_decref(keep);
	if (runner_send(rn, RF_RESET, 0, pay, len) == 0) {
		rn->kills++;
		runner_due(rn);
	}
	sbx_exec_resume(rn->box);
}

static struct runcmd *
runcmd_find(struct runner *rn, uint32_t id)
{
	struct runcmd	*rc;

	TAILQ_FOREACH(rc, &rn->cmds, entry)
		if (rc->id == id)
			return (rc);
	return (NULL);
}

/* EXIT: i32 status, maybe a message; rc is done */
static void
runner_exit(struct runner *rn, const struct rframe *f)
{
	struct runcmd	*rc;
	char		 msg[RF_MAXMSG + 64];
	size_t		 i, n;
	int		 code;

	if (f->len < 4 || f->len > 4 + RF_MAXMSG) {
		runner_fail(rn, "malformed EXIT frame");
		return;
	}
	if ((rc = runcmd_find(rn, f->id)) == NULL)
		return;		/* given up on meanwhile */
	code = (int)rf_get32(f->pay);
	if (rc->killing) {
		/* reported after KILLED: the sweep is over then */
		rc->exited = 1;
		rc->code = code;
		return;
	}
	n = snprintf(msg, sizeof(msg), "the command could not be run: ");
	for (i = 4; i < f->len && n < sizeof(msg) - 1; i++)
		msg[n++] = f->pay[i] >= 0x20 && f->pay[i] < 0x7f ?
		    f->pay[i] : '?';
	msg[n] = '\0';
	TAILQ_REMOVE(&rn->cmds, rc, entry);
	rc->ops->exit(code, code == -1 ? msg : NULL, rc->arg);
	free(rc);
}

static void
runner_killed(struct runner *rn, const struct rframe *f)
{
	struct runcmd	*rc;

	if (f->len != 4) {
		runner_fail(rn, "malformed KILLED frame");
		return;
	}
	if (rn->kills > 0 && --rn->kills == 0)
		evtimer_del(rn->timer);
	if (f->id == 0 || (rc = runcmd_find(rn, f->id)) == NULL ||
	    !rc->killing)
		return;
	rc->killing = 0;
	if (rf_get32(f->pay) == 0)
		rs.kills++;
	rc->ops->killed(rf_get32(f->pay) == 0, rc->arg);
	if (rc->exited) {
		TAILQ_REMOVE(&rn->cmds, rc, entry);
		rc->ops->exit(rc->code, NULL, rc->arg);
		free(rc);
	}
}

static void
runner_frame(struct runner *rn, const struct rframe *f)
{
	struct runcmd	*rc;

	if (rn->state == RN_ATTACHING) {
		/* only our HELLO counts; what came before is skipped */
		if (f->type == RF_HELLO && f->len == RF_HELLO_OUT &&
		    memcmp(f->pay + 4, rn->nonce, sizeof(rn->nonce)) == 0) {
			evtimer_del(rn->timer);
			if (rf_get32(f->pay) != RF_VERSION)
				runner_fail(rn, "the runner speaks another "
				    "version");
			else
				runner_ready(rn);
		}
		return;
	}
	switch (f->type) {
	case RF_OUT:
	case RF_ERR:
		if ((rc = runcmd_find(rn, f->id)) != NULL)
			rc->ops->out(f->type == RF_OUT ? 1 : 2, f->pay, f->len,
			    rc->arg);
		break;
	case RF_EXIT:
		runner_exit(rn, f);
		break;
	case RF_KILLED:
		runner_killed(rn, f);
		break;
	case RF_BAD:
		runner_fail(rn, "the runner received a malformed frame");
		break;
	default:
		runner_fail(rn, "unexpected frame from the runner");
		break;
	}
}

static void
runner_consume(struct runner *rn, size_t n)
{
	memmove(rn->in, rn->in + n, rn->inlen - n);
	rn->inlen -= n;
}

static void
runner_frames(struct runner *rn)
{
	struct rframe	f;
	long		r;

	while (rn->state != RN_FAILED && rn->inlen > 0) {
		if (rn->state == RN_ATTACHING)
			runner_consume(rn, rf_hunt(rn->in, rn->inlen,
			    RF_HELLO, RF_HELLO_OUT));
		if ((r = rf_parse(rn->in, rn->inlen, RF_MAXOUT, &f)) == 0)
			break;
		if (r == -1) {
			if (rn->state == RN_ATTACHING) {
				runner_consume(rn, 1);
				continue;
			}
			runner_fail(rn, "malformed frame from the runner");
			break;
		}
		runner_frame(rn, &f);
		runner_consume(rn, (size_t)r);
	}
}

/* attach.c: the container's stdout */
static void
runner_data(const void *buf, size_t len, void *arg)
{
	struct runner		*rn = arg;
	const unsigned char	*p = buf;
	size_t			 n;

	while (len > 0 && rn->state != RN_FAILED) {
		n = sizeof(rn->in) - rn->inlen;
		if (n > len)
			n = len;
		memcpy(rn->in + rn->inlen, p, n);
		rn->inlen += n;
		p += n;
		len -= n;
		runner_frames(rn);
	}
}

/* attach.c: upgraded; end any half frame, then HELLO */
static void
runner_up(void *arg)
{
	struct runner	*rn = arg;
	unsigned char	*sync, pay[RF_HELLO_IN];

	if ((sync = calloc(1, RF_SYNC)) == NULL ||
	    sbx_attach_write(rn->at, sync, RF_SYNC) == -1) {
		free(sync);
		runner_fail(rn, "cannot write to the runner");
		return;
	}
	free(sync);
	arc4random_buf(rn->nonce, sizeof(rn->nonce));
	rf_put32(pay, RF_VERSION);
	memcpy(pay + 4, rn->nonce, sizeof(rn->nonce));
	runner_send(rn, RF_HELLO, 0, pay, sizeof(pay));
}

static void
runner_down(int eof, const char *why, void *arg)
{
	struct runner	*rn = arg;

	rn->ended = eof;
	runner_fail(rn, why);
}

static const struct attach_cbs runner_cbs = {
	runner_up, runner_data, runner_down
};

static void
runner_timeout(int fd, short ev, void *arg)
{
	runner_fail(arg, "the runner did not answer in time");
}

/* drop rn: its commands are answered with an error */
static void
runner_teardown(struct runner *rn)
{
	struct box	*b = rn->box;
	struct runcmd	*rc;
	char		 msg[320];

	b->runner = NULL;
	if (b->restarting && rn->ended)
		strlcpy(msg, SBX_RESTARTED_MSG, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%sthe command runner in the "
		    "container went away (%s)", rn->ended ? "the sandbox "
		    "stopped under the command: " : "", rn->why);
	while ((rc = TAILQ_FIRST(&rn->cmds)) != NULL) {
		TAILQ_REMOVE(&rn->cmds, rc, entry);
		/* the container stopped (out of memory, say): killed, 137 */
		rc->ops->exit(rn->ended ? 137 : -1, msg, rc->arg);
		free(rc);
	}
	sbx_attach_close(rn->at);
	event_free(rn->timer);
	event_free(rn->dead);
	free(rn);
	sbx_exec_resume(b);
}

static void
runner_dead(int fd, short ev, void *arg)
{
	struct runner	*rn = arg;
	struct box	*b = rn->box;

	if (b->restarting && rn->was_ready) {
		/* kill.c restarts the container: the runner goes with it */
		log_debug("user %" PRId64 ": command runner of container "
		    "%.12s ended with the restart (%s)", b->user, rn->cid,
		    rn->why);
	} else {
		rs.failures++;
		/*
		 * One that never answered (an image whose entry point does
		 * not run the command, say) is not waited for again in this
		 * container.
		 */
		b->runner_fails = rn->was_ready ? b->runner_fails + 1 :
		    RUNNER_MAX_FAILS;
		log_warnx("user %" PRId64 ": command runner of container "
		    "%.12s: %s; commands go through the Engine's exec API%s",
		    b->user, rn->cid, rn->why, rn->was_ready ? " until the "
		    "container is started again" : "");
	}
	/* the container may have stopped with it: the next command sees */
	if (rn->was_ready && strcmp(b->id, rn->cid) == 0)
		box_lost(b, 0);
	runner_teardown(rn);
}

/* b's container runs (started or adopted): attach to its runner */
void
sbx_runner_attach(struct box *b)
{
	struct runner	*rn;

	if (!b->runner_ok || b->runner != NULL || b->id[0] == '\0' ||
	    b->runner_fails >= RUNNER_MAX_FAILS)
		return;
	if ((rn = calloc(1, sizeof(*rn))) == NULL)
		return;
	rn->box = b;
	strlcpy(rn->cid, b->id, sizeof(rn->cid));
	TAILQ_INIT(&rn->cmds);
	if ((rn->timer = evtimer_new(topsh_base, runner_timeout, rn)) ==
	    NULL || (rn->dead = event_new(topsh_base, -1, 0, runner_dead,
	    rn)) == NULL || (rn->at = sbx_attach_open(
	    topsh_conf->sandbox.docker_socket, b->id, &runner_cbs,
	    rn)) == NULL) {
		if (rn->timer != NULL)
			event_free(rn->timer);
		if (rn->dead != NULL)
			event_free(rn->dead);
		free(rn);
		b->runner_fails++;
		log_warnx("user %" PRId64 ": cannot attach to container %.12s",
		    b->user, b->id);
		return;
	}
	b->runner = rn;
	runner_due(rn);
}

/* the container is gone: forget its runner without more ado */
void
sbx_runner_close(struct box *b)
{
	if (b->runner == NULL)
		return;
	if (b->runner->state != RN_FAILED)
		strlcpy(b->runner->why, "the container was removed",
		    sizeof(b->runner->why));
	runner_teardown(b->runner);
}

/* a warm pool slot is taken: its runner goes with the container */
void
sbx_runner_move(struct box *from, struct box *to)
{
	to->runner = from->runner;
	to->runner_ok = from->runner_ok;
	to->runner_fails = from->runner_fails;
	from->runner = NULL;
	if (to->runner != NULL)
		to->runner->box = to;
}

int
sbx_runner_ready(struct box *b)
{
	return (b->runner != NULL && b->runner->state == RN_READY);
}

int
sbx_runner_attaching(struct box *b)
{
	return (b->runner != NULL && b->runner->state == RN_ATTACHING);
}

/*
 * Run command (sh -c, in the workspace, TOPSH_EXEC=tag) through b's
 * runner.  ops are called back until ops->exit, which ends it; NULL
 * when the runner cannot take it (then nothing is called).
 */
struct runcmd *
sbx_runner_run(struct box *b, const char *tag, const char *command,
    long long timeout, const struct runner_ops *ops, void *arg)
{
	struct runner	*rn = b->runner;
	struct runcmd	*rc;
	unsigned char	*pay;
	char		 env[160];
	size_t		 clen = strlen(command), len, off, elen;

	if (!sbx_runner_ready(b))
		return (NULL);
	/* USER, LOGNAME, EMAIL: a warm pool container learnt them late */
	elen = snprintf(env, sizeof(env), "USER=u%" PRId64 "%cLOGNAME=u%"
	    PRId64 "%cEMAIL=u%" PRId64 "@users.topsh.invalid", b->user, '\0',
	    b->user, '\0', b->user) + 1;
	len = 4 + sizeof(WS_MOUNTPATH) + clen + 1 + 11 + strlen(tag) + 1 +
	    elen;
	if (len > RF_MAXIN || (pay = malloc(len)) == NULL ||
	    (rc = calloc(1, sizeof(*rc))) == NULL) {
		if (len <= RF_MAXIN)
			free(pay);
		return (NULL);
	}
	rf_put32(pay, (uint32_t)(timeout + RUNNER_BACKSTOP));
	off = 4;
	memcpy(pay + off, WS_MOUNTPATH, sizeof(WS_MOUNTPATH));
	off += sizeof(WS_MOUNTPATH);
	memcpy(pay + off, command, clen + 1);
	off += clen + 1;
	off += snprintf((char *)pay + off, len - off, "TOPSH_EXEC=%s", tag) +
	    1;
	memcpy(pay + off, env, elen);
	off += elen;
	if (++rn->nextid == 0)
		rn->nextid = 1;
	rc->id = rn->nextid;
	rc->rn = rn;
	rc->ops = ops;
	rc->arg = arg;
	if (runner_send(rn, RF_RUN, rc->id, pay, off) == -1) {
		free(pay);
		free(rc);
		return (NULL);
	}
	free(pay);
	TAILQ_INSERT_TAIL(&rn->cmds, rc, entry);
	rs.runs++;
	return (rc);
}

uint32_t
sbx_runner_id(const struct runcmd *rc)
{
	return (rc->id);
}

/*
 * End every process of rc's container but those of the commands tagged
 * in keep (taken): ops->killed follows.  -1 when it cannot be asked.
 */
int
sbx_runner_kill(struct runcmd *rc, json_t *keep)
{
	struct runner	*rn = rc->rn;
	unsigned char	 pay[RF_MAXSTRS * (RUNNER_TAG_MAX + 1)];
	size_t		 len;

	len = tags_payload(keep, pay, sizeof(pay));
	json_decref(keep);
	if (rn->state != RN_READY || runner_send(rn, RF_KILL, rc->id, pay,
	    len) == -1)
		return (-1);
	rc->killing = 1;
	rn->kills++;
	runner_due(rn);
	return (0);
}

/* the command is given up: nothing more is called back */
void
sbx_runner_forget(struct runcmd *rc)
{
	TAILQ_REMOVE(&rc->rn->cmds, rc, entry);
	free(rc);
}

/* exec.c: a command went through the Engine's exec API */
void
sbx_runner_count_exec(void)
{
	rs.execs++;
}

void
sbx_runner_status(json_t *o)
{
	struct box	*b;
	int		 n = 0;

	RB_FOREACH(b, boxtree, &boxes)
		if (sbx_runner_ready(b))
			n++;
	json_object_set_new(o, "runner", json_string(rs.path[0] != '\0' ?
	    rs.path : "none"));
	json_object_set_new(o, "runners", json_integer(n));
	json_object_set_new(o, "runner_commands", json_integer(rs.runs));
	json_object_set_new(o, "exec_commands", json_integer(rs.execs));
	json_object_set_new(o, "runner_kills", json_integer(rs.kills));
	json_object_set_new(o, "runner_failures",
	    json_integer(rs.failures));
}

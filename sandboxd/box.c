/*
 * box.c - one container per user.
 *
 * Containers are named PREFIX-USER (PREFIX holds a hash of the
 * workspace root, so two sandboxd instances on one engine never meet)
 * and labelled topsh.user, topsh.root and topsh.version.  When the
 * engine comes up, the containers with our topsh.root label are adopted
 * (listed with a label filter) instead of being duplicated or leaked.
 * A container is created on first use with every limit from topsh.conf
 * (no more than max-creating being created at once; the others wait their
 * turn), started, and reaped (removed; the workspace stays) after
 * idle-timeout without use.  At most max-containers live at once (with
 * "auto", one per 128 MiB of the host's memory): a new one first stops
 * the least recently used idle container; when none is idle the user
 * joins a line (first come, first served) and the request is answered
 * with code "full" and the place in line (gatewayd asks the user to
 * wait and tries again, nothing is lost).  When a container becomes
 * idle or goes, the first in line gets its place: their container is
 * started at once and kept for them a while, and nobody who came later
 * takes it.  Each container runs under its user's own uid (uids.c) and
 * the user's limits (user-limits).
 * A brand-new user first gets a started container of the warm pool
 * (warm.c): those are boxes of a negative user (-SLOT), named
 * PREFIX-pool-SLOT, labelled topsh.pool instead of topsh.user, renamed
 * PREFIX-USER when taken; one that stops is removed, never started
 * again (its bind mounts name the slot's paths).
 */
#include <sys/param.h>
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "sandboxd.h"
#include "topsh.h"
#include "uhttp.h"
#include "userlimit.h"
#include "../runner/frame.h"

struct boxwait {
	TAILQ_ENTRY(boxwait)	 entry;
	box_cb			 cb;
	void			*arg;
};

struct boxtree	 boxes = RB_INITIALIZER(&boxes);

/* containers being created, and the boxes waiting to be */
static int			 ncreating;
static TAILQ_HEAD(, box)	 createq = TAILQ_HEAD_INITIALIZER(createq);

/* users waiting for a place under max-containers, first come first */
static TAILQ_HEAD(, box)	 lineq = TAILQ_HEAD_INITIALIZER(lineq);
static size_t			 nline;
static long long		 max_auto = 20;	/* max-containers auto */
static long long		 pid_max;	/* the host's, 0 unknown */
static struct event		*line_ev;

/* a place given to the first in line is kept for them this long */
#define LINE_HOLD	15
/* how often the line is looked at besides the events that free a place */
#define LINE_EVERY	1
/* max-containers auto: one container per this much host memory */
#define AUTO_MEM	(128LL << 20)
#define AUTO_MIN	4
#define AUTO_MAX	500
#define PID_SHARE_NUM	3	/* of pid_max for the sandboxes' limits */
#define PID_SHARE_DEN	4

int
box_cmp(struct box *a, struct box *b)
{
	return (a->user < b->user ? -1 : a->user > b->user);
}

RB_GENERATE(boxtree, box, entry, box_cmp)

static void	box_create(struct box *);
static void	box_create_now(struct box *);
static void	box_start(struct box *);
static void	box_go(struct box *);
static void	box_replace(struct box *, const char *);
static void	box_take_place(struct box *);
static int	box_has_runner(json_t *);

/* the user's uid in the container (and owner of the workspace) */
uid_t
box_uid(struct box *b)
{
	uid_t	 uid;

	if (!sbx.peruser)
		return (sbx.cuid);
	if (b->user < 0)
		return (b->uid);	/* a pool slot's, reserved */
	if (b->uid == 0 && sbx_uid_get(b->user, &uid) == 0)
		b->uid = uid;
	return (b->uid);
}

/* "uid:gid" for the Engine API's User fields */
const char *
box_user_spec(struct box *b, char *buf, size_t len)
{
	uid_t	 uid = box_uid(b);

	snprintf(buf, len, "%u:%u", (unsigned)uid, (unsigned)(sbx.peruser ?
	    uid : sbx.cgid));
	return (buf);
}

void
box_set_name(int64_t user, const char *name)
{
	struct box	*b;

	if (name != NULL && (b = box_get(user, 1)) != NULL)
		strlcpy(b->name, name, sizeof(b->name));
}

/*
 * max-containers auto: one per AUTO_MEM of the host's memory, between
 * AUTO_MIN and AUTO_MAX.  An idle sandbox costs the host about 10 MB
 * (the engine's shim, init, the runner), more under gVisor; the rest
 * is room for the work.  And no more than PID_SHARE of the host's
 * kernel.pid_max in their host pids limits together (runtime.c: under
 * gVisor twelve times pids and more), so that sandboxes full of
 * processes leave the host, the daemons and the other users room to
 * fork.  Read at start, before /proc is out of reach.
 */
void
box_max_init(void)
{
	FILE		*fp;
	char		 line[128];
	long long	 kb = 0;

	if ((fp = fopen("/proc/sys/kernel/pid_max", "r")) != NULL) {
		if (fscanf(fp, "%lld", &pid_max) != 1)
			pid_max = 0;
		fclose(fp);
	}
	if ((fp = fopen("/proc/meminfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
				break;
		fclose(fp);
	}
	if (kb <= 0) {
		log_warnx("cannot read the host's memory from /proc/meminfo: "
		    "max-containers auto is %lld", max_auto);
		return;
	}
	max_auto = kb * 1024 / AUTO_MEM;
	if (max_auto < AUTO_MIN)
		max_auto = AUTO_MIN;
	if (max_auto > AUTO_MAX)
		max_auto = AUTO_MAX;
	if (topsh_conf->sandbox.max_containers < 0)
		log_info("max-containers auto: %lld (%lld MiB of memory)",
		    max_auto, kb / 1024);
}

/* sandboxes whose host pids limits fit in PID_SHARE of pid_max, 0 any */
static long long
box_max_pids(void)
{
	long long	 per = runtime_host_pids(topsh_conf->sandbox.pids);

	if (pid_max <= 0 || per <= 0 || runtime_name() == NULL)
		return (0);
	return (MAX(pid_max * PID_SHARE_NUM / PID_SHARE_DEN / per, AUTO_MIN));
}

/* the limit in force: 0 none */
long long
box_max(void)
{
	long long	 max = topsh_conf->sandbox.max_containers, cap;

	if (max >= 0)
		return (max);
	cap = box_max_pids();
	return (cap > 0 && cap < max_auto ? cap : max_auto);
}

/* the runtime is known: say when the host's pid_max bounds the sandboxes */
void
box_max_note(void)
{
	long long	 cap = box_max_pids();
	long long	 max = topsh_conf->sandbox.max_containers;

	if (cap <= 0 || cap >= (max < 0 ? max_auto : max))
		return;
	log_warnx("kernel.pid_max %lld leaves room for %lld sandboxes of "
	    "%lld host tasks each%s: max-containers %s%lld; raise it (sysctl "
	    "kernel.pid_max=4194304) for more", pid_max, cap,
	    runtime_host_pids(topsh_conf->sandbox.pids), runtime_gvisor() ?
	    " (gVisor)" : "", max < 0 ? "auto is " : "", max < 0 ? cap : max);
}

/* how many wait for a place */
size_t
box_line_length(void)
{
	return (nline);
}

/* containers that exist or are on their way */
size_t
box_active(void)
{
	struct box	*b;
	size_t		 n = 0;

	RB_FOREACH(b, boxtree, &boxes)
		if (b->state != BOX_NONE)
			n++;
	return (n);
}

static struct box *
box_lru_idle(struct box *except)
{
	struct box	*b, *lru = NULL;
	time_t		 now = time(NULL);

	RB_FOREACH(b, boxtree, &boxes) {
		if (b == except || b->state != BOX_RUNNING || b->nexec > 0 ||
		    b->killers > 0 || !TAILQ_EMPTY(&b->waiters) ||
		    !TAILQ_EMPTY(&b->held) || b->held_until > now)
			continue;
		if (b->user < 0)
			return (b);	/* warm pool containers go first */
		if (lru == NULL || b->last_used < lru->last_used)
			lru = b;
	}
	return (lru);
}

/*
 * b's creation (POST /containers/create, then its start: the engine's
 * work) is over, done or failed: the next one may go
 */
static void
create_over(struct box *b)
{
	if (!b->creating)
		return;
	b->creating = 0;
	ncreating--;
	box_create_queued();
	warm_refill();
}

/* fewer than max-creating containers are being made */
static int
create_slot_free(void)
{
	return (ncreating < topsh_conf->sandbox.max_creating);
}

/* warm.c: may a pool container be created now, before any user's? */
int
box_create_room(void)
{
	return (TAILQ_EMPTY(&createq) && TAILQ_EMPTY(&lineq) &&
	    create_slot_free());
}

/* start the queued creations there is room for */
void
box_create_queued(void)
{
	struct box	*n;

	while (create_slot_free() && (n = TAILQ_FIRST(&createq)) != NULL) {
		TAILQ_REMOVE(&createq, n, centry);
		n->cwaiting = 0;
		box_create_now(n);
	}
}

const char *
box_name(int64_t user, char *buf, size_t len)
{
	if (user < 0)
		snprintf(buf, len, "%s-pool-%" PRId64, sbx.prefix, -user);
	else
		snprintf(buf, len, "%s-%" PRId64, sbx.prefix, user);
	return (buf);
}

/* the host directory bind-mounted at /workspace */
static const char *
box_wsdir(struct box *b, char *buf, size_t len)
{
	int	n;

	if (b->user < 0)
		n = snprintf(buf, len, "%s/.pool/%" PRId64 "/" WS_DIR,
		    sbx.root, -b->user);
	else
		n = snprintf(buf, len, "%s/%" PRId64 "/" WS_DIR, sbx.root,
		    b->user);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
	return (buf);
}

struct box *
box_get(int64_t user, int create)
{
	struct box	 key, *b;

	key.user = user;
	if ((b = RB_FIND(boxtree, &boxes, &key)) != NULL || !create)
		return (b);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	b->user = user;
	b->port_first = -1;
	b->last_used = time(NULL);
	TAILQ_INIT(&b->waiters);
	TAILQ_INIT(&b->execs);
	TAILQ_INIT(&b->held);
	TAILQ_INIT(&b->fileq);
	RB_INSERT(boxtree, &boxes, b);
	return (b);
}

static void
box_notify(struct box *b, const char *code, const char *msg)
{
	struct boxwait	*w;

	while ((w = TAILQ_FIRST(&b->waiters)) != NULL) {
		TAILQ_REMOVE(&b->waiters, w, entry);
		w->cb(code == NULL ? b : NULL, code, msg, w->arg);
		free(w);
	}
}

static void
box_fail(struct box *b, const struct dresp *r, const char *what)
{
	char	msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", what, r->unavailable ?
	    "the Docker engine is unreachable" : r->err != NULL ? r->err :
	    "unexpected reply");
	log_warnx("user %" PRId64 ": %s", b->user, msg);
	create_over(b);
	b->state = BOX_NONE;
	box_notify(b, r->unavailable ? "docker-unavailable" : "docker", msg);
	box_line_next();
}

/* the workspace directories exist (and are mounted) */
static int
box_prepare(struct box *b, struct fserr *e)
{
	if (b->ws_ready)
		return (0);
	if (sbx.peruser && box_uid(b) == 0) {
		sbx_fserr_set(e, "io", "no uid left in uid-range");
		return (-1);
	}
	if (sbx_priv_active()) {
		if (sbx_priv_call_as(PRIV_PREPARE, b->user, sbx.peruser ?
		    box_uid(b) + sbx.userns_offset : 0, userlimit_num(&topsh_conf->sandbox.
		    user_limits, b->user, "disk-quota", 0), e) == -1)
			return (-1);
	} else if (sbx_ws_prepare(sbx.root, 0, b->user, sbx.cuid, sbx.cgid,
	    e) == -1)
		return (-1);
	b->ws_ready = 1;
	return (0);
}

int
box_ws(int64_t user, int create, struct ws *ws, struct fserr *e)
{
	struct box	*b;
	struct stat	 st;
	char		 dir[PATH_MAX + 32];

	snprintf(dir, sizeof(dir), "%s/%" PRId64, sbx.root, user);
	if (!create && lstat(dir, &st) == -1) {
		sbx_fserr_set(e, "not-found", "user %" PRId64 " has no workspace",
		    user);
		return (-1);
	}
	if ((b = box_get(user, 1)) == NULL)
		return (sbx_fserr_errno(e, ENOMEM, "workspace"));
	if (box_prepare(b, e) == -1)
		return (-1);
	if (sbx_ws_open_dirs(ws, sbx.root, user) == -1) {
		b->ws_ready = 0;
		return (sbx_fserr_errno(e, errno, "workspace"));
	}
	/* on the host: shifted by userns-remap's base */
	ws->uid = box_uid(b) + (sbx.peruser ? sbx.userns_offset : 0);
	ws->gid = sbx.peruser ? ws->uid : sbx.cgid;
	ws->chown = sbx.can_chown;
	ws->maxsize = topsh_conf->sandbox.max_file_size;
	b->last_used = time(NULL);
	return (0);
}

void
box_ensure(int64_t user, box_cb cb, void *arg)
{
	struct box	*b;
	struct boxwait	*w;
	struct fserr	 e;

	if ((b = box_get(user, 1)) == NULL ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		cb(NULL, "io", "out of memory", arg);
		return;
	}
	b->last_used = time(NULL);
	b->held_until = 0;	/* the place kept for them is taken */
	if (b->state == BOX_RUNNING) {
		free(w);
		cb(b, NULL, NULL, arg);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&b->waiters, w, entry);
	if (b->state != BOX_NONE)
		return;		/* starting or being removed: wait */
	b->state = BOX_STARTING;
	/* a brand-new user: a started container of the warm pool */
	if (b->id[0] == '\0' && warm_take(b) == 0) {
		box_notify(b, NULL, NULL);
		return;
	}
	if (box_prepare(b, &e) == -1) {
		log_warnx("user %" PRId64 ": workspace: %s", b->user, e.msg);
		b->state = BOX_NONE;
		box_notify(b, e.code, e.msg);
		return;
	}
	box_go(b);
}

static void
evicted(struct box *gone, const char *code, const char *msg, void *arg)
{
	struct box	*b = arg;

	if (b->state != BOX_STARTING)
		return;
	if (code != NULL) {
		b->state = BOX_NONE;
		box_notify(b, code, msg);
		return;
	}
	box_take_place(b);
}

static void
line_leave(struct box *b)
{
	if (!b->inqueue)
		return;
	TAILQ_REMOVE(&lineq, b, lentry);
	b->inqueue = 0;
	nline--;
}

/* b's place in line, from 1 */
static size_t
line_place(struct box *b)
{
	struct box	*n;
	size_t		 i = 1;

	TAILQ_FOREACH(n, &lineq, lentry) {
		if (n == b)
			return (i);
		i++;
	}
	return (0);
}

/* user's place in line for a sandbox, from 1; 0 when not waiting */
size_t
box_line_place(int64_t user)
{
	struct box	*b;

	return ((b = box_get(user, 0)) != NULL ? line_place(b) : 0);
}

static void
line_arm(void)
{
	struct timeval	 tv = { LINE_EVERY, 0 };

	if (line_ev != NULL && nline > 0 && !evtimer_pending(line_ev, NULL))
		evtimer_add(line_ev, &tv);
}

/* no place for b: it joins the line (or keeps its place) and waits */
static void
box_wait_in_line(struct box *b, long long max)
{
	char	 msg[160];

	if (!b->inqueue) {
		TAILQ_INSERT_TAIL(&lineq, b, lentry);
		b->inqueue = 1;
		nline++;
	}
	log_info("max-containers %lld reached and none is idle: user %"
	    PRId64 " waits, number %zu in line", max, b->user, line_place(b));
	b->state = BOX_NONE;
	snprintf(msg, sizeof(msg), "all %lld sandboxes are busy; number %zu "
	    "in line", max, line_place(b));
	box_notify(b, "full", msg);
	line_arm();
}

/* nobody passes those who wait: the first in line goes first */
static void
box_go(struct box *b)
{
	long long	 max = box_max();

	if (max > 0 && !TAILQ_EMPTY(&lineq) && TAILQ_FIRST(&lineq) != b) {
		box_wait_in_line(b, max);
		return;
	}
	box_take_place(b);
}

/* within max-containers: start b, after stopping the LRU idle one */
static void
box_take_place(struct box *b)
{
	long long	 max = box_max();
	struct box	*lru;

	if (max > 0 && box_active() > (size_t)max) {
		if ((lru = box_lru_idle(b)) == NULL) {
			box_wait_in_line(b, max);
			return;
		}
		line_leave(b);
		log_info("max-containers %lld reached: stopping the "
		    "container of user %" PRId64 " (idle %llds) for "
		    "user %" PRId64, max, lru->user,
		    (long long)(time(NULL) - lru->last_used), b->user);
		box_kill(lru->user, evicted, b);
		return;
	}
	line_leave(b);
	if (b->id[0] != '\0' && b->pool_born)
		box_replace(b, "came from the warm pool");
	else if (b->id[0] != '\0')
		box_start(b);
	else
		box_create(b);
}

/*
 * A place may be free (a command ended, a container went): the first
 * in line gets it.  Their container is started now, before they ask
 * again, and kept for them LINE_HOLD seconds.
 */
void
box_line_next(void)
{
	long long	 max = box_max();
	struct box	*b;
	struct fserr	 e;

	while ((b = TAILQ_FIRST(&lineq)) != NULL) {
		if (b->state != BOX_NONE) {
			/* asked again and on its way already */
			line_leave(b);
			continue;
		}
		if (max > 0 && box_active() >= (size_t)max &&
		    box_lru_idle(b) == NULL)
			break;
		b->state = BOX_STARTING;
		b->held_until = time(NULL) + LINE_HOLD;
		if (box_prepare(b, &e) == -1) {
			log_warnx("user %" PRId64 ": workspace: %s", b->user,
			    e.msg);
			line_leave(b);
			b->state = BOX_NONE;
			continue;
		}
		log_info("user %" PRId64 ": first in line, a sandbox is free",
		    b->user);
		box_go(b);
		if (b->inqueue)
			break;	/* still no place: wait for the next */
	}
	line_arm();
}

static void
line_cb(int fd, short ev, void *arg)
{
	box_line_next();
}

/* the line's timer, on the daemon's event base */
int
box_line_init(struct event_base *base)
{
	if ((line_ev = evtimer_new(base, line_cb, NULL)) == NULL)
		return (-1);
	return (0);
}

static void
start_done(const struct dresp *r, void *arg)
{
	struct box	*b = arg;

	create_over(b);
	if (r->status == 404 && b->id[0] != '\0') {
		/* the adopted container vanished: make a new one */
		b->id[0] = '\0';
		box_create(b);
		return;
	}
	if (r->status != 204 && r->status != 304) {
		box_fail(b, r, "start container");
		return;
	}
	log_info("user %" PRId64 ": container %.12s running", b->user, b->id);
	b->state = BOX_RUNNING;
	b->last_used = time(NULL);
	/* started for the first in line: kept for them from now on */
	if (b->held_until != 0)
		b->held_until = b->last_used + LINE_HOLD;
	sbx_runner_attach(b);
	box_notify(b, NULL, NULL);
}

static void
box_start(struct box *b)
{
	char		path[256];
	struct dresp	r;
	struct fserr	e;

	if (sbx_net_per_user() && sbx_net_seal(b, &e) == -1) {
		memset(&r, 0, sizeof(r));
		r.err = e.msg;
		box_fail(b, &r, "seal the user's network");
		return;
	}
	snprintf(path, sizeof(path), "/containers/%s/start", b->id);
	if (docker_call("POST", path, NULL, 60000, start_done, b) == NULL) {
		memset(&r, 0, sizeof(r));
		r.err = "cannot start a request";
		box_fail(b, &r, "start container");
	}
}

static void
set_id(struct box *b, json_t *o, const char *key)
{
	json_t	*id = json_object_get(o, key);

	if (json_is_string(id))
		strlcpy(b->id, json_string_value(id), sizeof(b->id));
}

/* a container that came from the warm pool is gone */
static void
box_pool_gone(struct box *b)
{
	if (!b->pool_born)
		return;
	if (sbx.peruser)
		sbx_passwd_unlink(daemon_statedir(), b->slot);
	b->pool_born = 0;
	b->slot = 0;
}

static void
replace_done(const struct dresp *r, void *arg)
{
	struct box	*b = arg;

	if (r->status != 204 && r->status != 404) {
		box_fail(b, r, "remove container");
		return;
	}
	sbx_runner_close(b);
	b->id[0] = '\0';
	box_pool_gone(b);
	box_create(b);
}

/*
 * Remove b's container and create a new one.  One of the warm pool is
 * never started again: its bind mounts name the slot's paths.
 */
static void
box_replace(struct box *b, const char *why)
{
	char		 path[160];
	struct dresp	 r;

	log_info("user %" PRId64 ": container %.12s %s: replacing it",
	    b->user, b->id, why);
	snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", b->id);
	if (docker_call("DELETE", path, NULL, 60000, replace_done, b) ==
	    NULL) {
		memset(&r, 0, sizeof(r));
		r.err = "cannot start a request";
		box_fail(b, &r, "remove container");
	}
}

static void
inspect_done(const struct dresp *r, void *arg)
{
	struct box	*b = arg;
	const char	*have, *want = runtime_name();
	json_t		*labels;

	if (r->status != 200) {
		box_fail(b, r, "inspect container");
		return;
	}
	set_id(b, r->json, "Id");
	labels = json_object_get(json_object_get(r->json, "Config"),
	    "Labels");
	b->runner_ok = box_has_runner(labels);
	if (json_object_get(labels, "topsh.pool") != NULL) {
		b->pool_born = 1;
		box_replace(b, "came from the warm pool");
		return;
	}
	have = json_string_value(json_object_get(json_object_get(r->json,
	    "HostConfig"), "Runtime"));
	if (want != NULL && have != NULL && strcmp(have, want) != 0) {
		/* made under another runtime: the configured one wins */
		log_info("user %" PRId64 ": container %.12s runs under %s, "
		    "not %s", b->user, b->id, have, want);
		box_replace(b, "was made under another runtime");
		return;
	}
	box_start(b);
}

static void
create_done(const struct dresp *r, void *arg)
{
	struct box	*b = arg;
	char		 path[128], name[64];

	/* made: its start is still part of the creation (start_done) */
	if (r->status != 201)
		create_over(b);
	if (r->status == 409) {
		/* exists already (made by an earlier run): adopt it */
		snprintf(path, sizeof(path), "/containers/%s/json",
		    box_name(b->user, name, sizeof(name)));
		if (docker_call("GET", path, NULL, 30000, inspect_done,
		    b) == NULL)
			box_fail(b, r, "inspect container");
		return;
	}
	if (r->status != 201) {
		box_fail(b, r, "create container");
		return;
	}
	set_id(b, r->json, "Id");
	b->runner_ok = sbx_runner_path() != NULL;
	b->runner_fails = 0;
	log_info("user %" PRId64 ": created container %.12s", b->user, b->id);
	box_start(b);
}

/* a container made with a runner that speaks our protocol? */
static int
box_has_runner(json_t *labels)
{
	const char	*v;
	char		 want[16];

	v = json_string_value(json_object_get(labels, "topsh.runner"));
	snprintf(want, sizeof(want), "%d", RF_VERSION);
	return (v != NULL && strcmp(v, want) == 0);
}

/*
 * The resident runner (runner.c) as the container's command, mounted
 * read-only, with stdin open for sandboxd to attach to; docker-init
 * stays pid 1.  Without it, sleep as before: commands go through the
 * Engine's exec API.
 */
static void
box_spec_runner(json_t *o)
{
	const char	*path = sbx_runner_path();
	char		 bind[PATH_MAX + 64], v[16];
	json_t		*hc = json_object_get(o, "HostConfig");

	if (path == NULL)
		return;
	snprintf(bind, sizeof(bind), "%s:" RF_MOUNT ":ro", path);
	json_array_append_new(json_object_get(hc, "Binds"),
	    json_string(bind));
	json_object_set_new(o, "Cmd", json_pack("[s]", RF_MOUNT));
	json_object_set_new(o, "OpenStdin", json_true());
	json_object_set_new(o, "StdinOnce", json_false());
	json_object_set_new(o, "AttachStdin", json_true());
	json_object_set_new(o, "AttachStdout", json_true());
	json_object_set_new(o, "AttachStderr", json_true());
	json_object_set_new(o, "Tty", json_false());
	snprintf(v, sizeof(v), "%d", RF_VERSION);
	json_object_set_new(json_object_get(o, "Labels"), "topsh.runner",
	    json_string(v));
}

/* the create body: every limit from the configuration */
static json_t *
box_spec(struct box *b)
{
	const struct conf_sandbox	*c = &topsh_conf->sandbox;
	char				 bind[PATH_MAX + 64], tmpfs[256];
	char				 user[64], uid[32], port[32];
	char				 pw[PATH_MAX], gr[PATH_MAX];
	char				 pwb[PATH_MAX + 32], grb[PATH_MAX + 32];
	char				 env[3][160], cpus[32];
	char				 net[96];
	json_t				*o, *hc, *labels, *exposed, *pb;
	uid_t				 cu = box_uid(b);
	gid_t				 cg = sbx.peruser ? cu : sbx.cgid;
	long long			 mem, pids;
	double				 ncpu = c->cpus;
	int				 i, first;

	mem = userlimit_num(&c->user_limits, b->user, "memory", c->memory);
	pids = userlimit_num(&c->user_limits, b->user, "pids", c->pids);
	if (userlimit_get(&c->user_limits, b->user, "cpus", cpus,
	    sizeof(cpus)) && strtod(cpus, NULL) > 0)
		ncpu = strtod(cpus, NULL);
	box_wsdir(b, pw, sizeof(pw));
	snprintf(bind, sizeof(bind), "%s:" WS_MOUNTPATH ":rw", pw);
	snprintf(tmpfs, sizeof(tmpfs), "rw,nosuid,nodev,size=%lld,uid=%u,"
	    "gid=%u,mode=1777", c->tmpfs_size, (unsigned)cu, (unsigned)cg);
	snprintf(user, sizeof(user), "%u:%u", (unsigned)cu, (unsigned)cg);
	snprintf(uid, sizeof(uid), "%" PRId64, b->user < 0 ? -b->user :
	    b->user);
	labels = json_pack("{s:s, s:s, s:s, s:s}", b->user < 0 ?
	    "topsh.pool" : "topsh.user", uid,
	    "topsh.root", sbx.root, "topsh.version", TOPSH_VERSION_STR,
	    "topsh.runtime", runtime_name());
	hc = json_pack("{s:I, s:I, s:I, s:I, s:[s], s:[s], s:b, s:{s:s},"
	    " s:[s], s:s, s:b, s:{s:s}, s:s}",
	    "Memory", (json_int_t)mem,
	    "MemorySwap", (json_int_t)mem,
	    "NanoCpus", (json_int_t)(ncpu * 1e9),
	    "PidsLimit", (json_int_t)runtime_host_pids(pids),
	    "CapDrop", "ALL",
	    "SecurityOpt", "no-new-privileges",
	    "ReadonlyRootfs", 1,
	    "Tmpfs", "/tmp", tmpfs,
	    "Binds", bind,
	    "NetworkMode", sbx_net_per_user() ? sbx_net_name(b->user, net,
	    sizeof(net)) : c->network,
	    "Init", 1,
	    "RestartPolicy", "Name", "no",
	    "IpcMode", "private");
	json_object_set_new(hc, "Runtime", json_string(runtime_name()));
	/* the host's OOM killer picks sandboxes first; no core files */
	json_object_set_new(hc, "OomScoreAdj", json_integer(500));
	json_object_set_new(hc, "Ulimits", json_pack("[{s:s, s:i, s:i}, "
	    "{s:s, s:i, s:i}]", "Name", "nofile", "Soft", 4096, "Hard", 4096,
	    "Name", "core", "Soft", 0, "Hard", 0));
	/* under gVisor the process limit is kept inside (runtime.c) */
	if (runtime_gvisor())
		json_array_append_new(json_object_get(hc, "Ulimits"),
		    json_pack("{s:s, s:I, s:I}", "Name", "nproc", "Soft",
		    (json_int_t)pids, "Hard", (json_int_t)pids));
	json_object_set_new(hc, "LogConfig", json_pack("{s:s}", "Type",
	    "none"));
	/* the user's own passwd and group entries; a git identity */
	snprintf(env[0], sizeof(env[0]), "USER=u%" PRId64, b->user);
	snprintf(env[1], sizeof(env[1]), "LOGNAME=u%" PRId64, b->user);
	snprintf(env[2], sizeof(env[2]), "EMAIL=u%" PRId64
	    "@users.topsh.invalid", b->user);
	o = json_pack("{s:s, s:[s, s], s:s, s:s, s:[s, s, s, s], s:o, s:o}",
	    "Image", c->image,
	    "Cmd", "sleep", "2147483647",
	    "User", user,
	    "WorkingDir", WS_MOUNTPATH,
	    "Env", "HOME=" WS_MOUNTPATH, env[0], env[1], env[2],
	    "Labels", labels,
	    "HostConfig", hc);
	if (o == NULL)
		return (NULL);
	/* a pool slot's user is not known yet: each command says (runner.c) */
	if (b->user < 0)
		json_object_set_new(o, "Env", json_pack("[s]",
		    "HOME=" WS_MOUNTPATH));
	box_spec_runner(o);
	/*
	 * Without a network the runtime makes the container's own empty
	 * namespace (loopback only); the engine's network hook is skipped,
	 * and with it its /etc/hosts (ours, sbx_hosts_write()).
	 */
	if (strcmp(c->network, "none") == 0) {
		json_object_set_new(o, "NetworkDisabled", json_true());
		snprintf(pwb, sizeof(pwb), "%s:/etc/hosts:ro", sbx.hosts);
		json_array_append_new(json_object_get(hc, "Binds"),
		    json_string(pwb));
	}
	if (sbx.peruser) {
		if (sbx_passwd_write(daemon_statedir(), b->user, cu, b->name,
		    pw, sizeof(pw), gr, sizeof(gr)) == -1) {
			log_warn("user %" PRId64 ": passwd file", b->user);
			json_decref(o);
			return (NULL);
		}
		snprintf(pwb, sizeof(pwb), "%s:/etc/passwd:ro", pw);
		snprintf(grb, sizeof(grb), "%s:/etc/group:ro", gr);
		json_array_append_new(json_object_get(hc, "Binds"),
		    json_string(pwb));
		json_array_append_new(json_object_get(hc, "Binds"),
		    json_string(grb));
		snprintf(uid, sizeof(uid), "%u", (unsigned)cu);
		json_object_set_new(labels, "topsh.uid", json_string(uid));
		snprintf(pwb, sizeof(pwb), "%s/%" PRId64 "/" WS_DIR, sbx.root,
		    b->user);
		if (b->user > 0)
			sbx_gitconfig_default(pwb, cu + sbx.userns_offset,
			    b->name, b->user);
	}
	if (b->user > 0 && strcmp(c->network, "none") != 0 &&
	    c->ports_per_user > 0 &&
	    sbx.ports != NULL && sbx_ports_get(sbx.ports, b->user, 1,
	    &first) == 0) {
		b->port_first = first;
		exposed = json_object();
		pb = json_object();
		for (i = 0; i < c->ports_per_user; i++) {
			snprintf(port, sizeof(port), "%d/tcp", first + i);
			snprintf(uid, sizeof(uid), "%d", first + i);
			json_object_set_new(exposed, port, json_object());
			json_object_set_new(pb, port, json_pack("[{s:s, s:s}]",
			    "HostIp", c->port_bind, "HostPort", uid));
		}
		json_object_set_new(o, "ExposedPorts", exposed);
		json_object_set_new(hc, "PortBindings", pb);
	}
	return (o);
}

/* create b's container when fewer than max-creating are being created */
static void
box_create_container(struct box *b)
{
	if (b->creating || b->cwaiting)
		return;
	if (!create_slot_free()) {
		b->cwaiting = 1;
		TAILQ_INSERT_TAIL(&createq, b, centry);
		return;
	}
	box_create_now(b);
}

static void
box_create_now(struct box *b)
{
	char		 path[128], name[64];
	struct dresp	 r;
	json_t		*spec;

	memset(&r, 0, sizeof(r));
	if (runtime_name() == NULL) {
		/* the configured runtime is refused: say why, every time */
		r.unavailable = !docker_is_up();
		r.err = runtime_error();
		box_fail(b, &r, "create container");
		return;
	}
	if ((spec = box_spec(b)) == NULL) {
		r.err = "cannot build the container spec";
		box_fail(b, &r, "create container");
		return;
	}
	snprintf(path, sizeof(path), "/containers/create?name=%s",
	    box_name(b->user, name, sizeof(name)));
	b->creating = 1;
	ncreating++;
	if (docker_call("POST", path, spec, 60000, create_done, b) == NULL) {
		r.err = "cannot start a request";
		box_fail(b, &r, "create container");
	}
	json_decref(spec);
}

static void
box_net_ready(struct box *b, const char *err, void *arg)
{
	struct dresp	r;

	if (err != NULL) {
		memset(&r, 0, sizeof(r));
		r.err = err;
		box_fail(b, &r, "create the user's network");
		return;
	}
	box_create_container(b);
}

/* with network per-user, the user's network first */
static void
box_create(struct box *b)
{
	if (sbx_net_per_user())
		sbx_net_ensure(b, box_net_ready, NULL);
	else
		box_create_container(b);
}

/* an exec found the container gone or stopped */
void
box_lost(struct box *b, int gone)
{
	if (b->state == BOX_RUNNING)
		b->state = BOX_NONE;
	if (gone)
		b->id[0] = '\0';
}

struct killctx {
	struct box	*box;
	box_cb		 cb;
	void		*arg;
};

static void
remove_done(const struct dresp *r, void *arg)
{
	struct killctx	*k = arg;
	struct box	*b = k->box;
	struct fserr	 e;

	if (r->status != 204 && r->status != 404) {
		b->state = b->id[0] != '\0' ? BOX_RUNNING : BOX_NONE;
		box_fail(b, r, "remove container");
		if (k->cb != NULL)
			k->cb(NULL, r->unavailable ? "docker-unavailable" :
			    "docker", r->err != NULL ? r->err : "remove failed",
			    k->arg);
		free(k);
		return;
	}
	log_info("user %" PRId64 ": container %.12s removed", b->user, b->id);
	sbx_runner_close(b);
	b->id[0] = '\0';
	b->state = BOX_NONE;
	box_pool_gone(b);
	if (sbx.ports != NULL && b->port_first != -1) {
		sbx_ports_put(sbx.ports, b->user);
		b->port_first = -1;
	}
	if (sbx_net_per_user() && TAILQ_EMPTY(&b->waiters))
		sbx_net_remove(b->user);
	if (sbx_priv_active() && b->ws_ready && TAILQ_EMPTY(&b->waiters) &&
	    b->user > 0) {
		if (sbx_priv_call(PRIV_RELEASE, b->user, &e) == -1)
			log_warnx("user %" PRId64 ": unmount: %s", b->user,
			    e.msg);
		b->ws_ready = 0;
	}
	if (k->cb != NULL)
		k->cb(b, NULL, NULL, k->arg);
	free(k);
	box_line_next();
	/* somebody asked for the box while it went away */
	if (!TAILQ_EMPTY(&b->waiters)) {
		struct boxwait	*w = TAILQ_FIRST(&b->waiters);

		TAILQ_REMOVE(&b->waiters, w, entry);
		box_ensure(b->user, w->cb, w->arg);
		free(w);
	} else if (b->user < 0)
		warm_gone(b);
}

/* remove the user's container (the workspace stays) */
void
box_kill(int64_t user, box_cb cb, void *arg)
{
	struct box	*b;
	struct killctx	*k;
	char		 path[160];

	if ((b = box_get(user, 0)) == NULL || b->id[0] == '\0') {
		if (cb != NULL)
			cb(NULL, "not-found", "no container for this user",
			    arg);
		return;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		if (cb != NULL)
			cb(NULL, "io", "out of memory", arg);
		return;
	}
	k->box = b;
	k->cb = cb;
	k->arg = arg;
	b->state = BOX_REMOVING;
	snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", b->id);
	if (docker_call("DELETE", path, NULL, 60000, remove_done, k) ==
	    NULL) {
		b->state = BOX_RUNNING;
		free(k);
		if (cb != NULL)
			cb(NULL, "docker", "cannot start a request", arg);
	}
}

struct rmctx {
	int64_t		 user;
	int		 workspace;
	box_cb		 cb;
	void		*arg;
};

static void
remove_user_killed(struct box *gone, const char *code, const char *msg,
    void *arg)
{
	struct rmctx	*r = arg;
	struct box	*b = box_get(r->user, 0);
	struct fserr	 e;

	if (code != NULL && strcmp(code, "not-found") != 0) {
		r->cb(NULL, code, msg, r->arg);
		free(r);
		return;
	}
	if (r->workspace) {
		if (b != NULL)
			b->ws_ready = 0;
		if ((sbx_priv_active() ? sbx_priv_call(PRIV_REMOVE, r->user,
		    &e) : sbx_ws_remove(sbx.root, r->user, &e)) == -1) {
			log_warnx("user %" PRId64 ": removing the workspace: "
			    "%s", r->user, e.msg);
			r->cb(NULL, e.code, e.msg, r->arg);
			free(r);
			return;
		}
		log_info("user %" PRId64 ": workspace moved to %s/.removed",
		    r->user, sbx.root);
	}
	r->cb(b, NULL, NULL, r->arg);
	free(r);
}

/* topshctl users block|remove: stop the container, maybe trash the ws */
void
box_remove_user(int64_t user, int workspace, box_cb cb, void *arg)
{
	struct rmctx	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		cb(NULL, "io", "out of memory", arg);
		return;
	}
	r->user = user;
	r->workspace = workspace;
	r->cb = cb;
	r->arg = arg;
	box_kill(user, remove_user_killed, r);
}

void
box_reap(void)
{
	struct box	*b;
	time_t		 now = time(NULL);

	RB_FOREACH(b, boxtree, &boxes) {
		if (b->user < 0 || b->state != BOX_RUNNING || b->nexec > 0 ||
		    now - b->last_used < topsh_conf->sandbox.idle_timeout)
			continue;
		log_info("user %" PRId64 ": idle for %llds, reaping", b->user,
		    (long long)(now - b->last_used));
		box_kill(b->user, NULL, NULL);
	}
}

/* labels of a container made under another runtime than ours? */
static int
box_other_runtime(json_t *labels)
{
	const char	*have, *want = runtime_name();

	if (want == NULL)
		return (0);
	/* made before the label existed: under the old default, runc */
	have = json_string_value(json_object_get(labels, "topsh.runtime"));
	return (strcmp(have != NULL ? have : "runc", want) != 0);
}

/* the user of a container's name PREFIX-USER, -SLOT of PREFIX-pool-SLOT */
static long long
adopt_name_user(json_t *c)
{
	const char	*n, *errstr;
	size_t		 plen = strlen(sbx.prefix);
	long long	 v;

	n = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
	if (n == NULL)
		return (0);
	if (*n == '/')
		n++;
	if (strncmp(n, sbx.prefix, plen) != 0 || n[plen] != '-')
		return (0);
	n += plen + 1;
	if (strncmp(n, "pool-", 5) == 0) {
		v = strtonum(n + 5, 1, LLONG_MAX, &errstr);
		return (errstr == NULL ? -v : 0);
	}
	v = strtonum(n, 1, LLONG_MAX, &errstr);
	return (errstr == NULL ? v : 0);
}

/*
 * A warm pool container found by its label: one nobody took (named
 * PREFIX-pool-SLOT) is an earlier run's and goes with its slot; one
 * that was taken is named after its user.  The user, or 0.
 */
static long long
adopt_pool(json_t *c, json_t *pool, const char *id)
{
	struct box	*b;
	const char	*errstr;
	long long	 slot, user;

	slot = strtonum(json_string_value(pool), 1, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return (0);
	if ((user = adopt_name_user(c)) > 0)
		return (user);
	if ((b = box_get(-slot, 0)) != NULL)
		return (0);	/* ours, of this run */
	if ((b = box_get(-slot, 1)) == NULL)
		return (0);
	/*
	 * never handed out; removed by the pool's first sweep (warm.c),
	 * after the start-up's own work: the engine's teardown of a
	 * container costs tens of ms of CPU that the daemons' start needs
	 */
	log_info("warm pool: removing container %.12s of an earlier run "
	    "after start-up", id);
	b->slot = slot;
	b->slot_dead = 1;
	strlcpy(b->id, id, sizeof(b->id));
	b->state = BOX_RUNNING;
	return (0);
}

static void
adopt_done(const struct dresp *r, void *arg)
{
	struct box	*b;
	json_t		*c, *labels, *u, *id, *st, *pool;
	const char	*errstr;
	long long	 user;
	size_t		 i;
	int		 n = 0, fresh;

	if (r->status != 200 || !json_is_array(r->json)) {
		log_warnx("docker: cannot list containers: %s",
		    r->err != NULL ? r->err : "bad reply");
		return;
	}
	json_array_foreach(r->json, i, c) {
		labels = json_object_get(c, "Labels");
		u = json_object_get(labels, "topsh.user");
		pool = json_object_get(labels, "topsh.pool");
		id = json_object_get(c, "Id");
		st = json_object_get(c, "State");
		if (!json_is_string(id))
			continue;
		if (json_is_string(pool)) {
			if ((user = adopt_pool(c, pool,
			    json_string_value(id))) <= 0)
				continue;
		} else if (!json_is_string(u))
			continue;
		else
			user = strtonum(json_string_value(u), 1, LLONG_MAX,
			    &errstr);
		if (user <= 0 || (b = box_get(user, 1)) == NULL)
			continue;
		if (b->id[0] != '\0' && strcmp(b->id,
		    json_string_value(id)) != 0)
			continue;	/* ours already */
		if (b->state == BOX_STARTING || b->state == BOX_REMOVING)
			continue;
		fresh = b->id[0] == '\0';
		strlcpy(b->id, json_string_value(id), sizeof(b->id));
		if (json_is_string(pool)) {
			b->pool_born = 1;
			b->slot = strtonum(json_string_value(pool), 1,
			    LLONG_MAX, &errstr);
		}
		b->runner_ok = box_has_runner(labels);
		b->state = json_is_string(st) && strcmp(json_string_value(st),
		    "running") == 0 ? BOX_RUNNING : BOX_NONE;
		b->last_used = time(NULL);
		/*
		 * What runs in a container we did not know is what an
		 * earlier sandboxd's commands left: nobody waits for it, and
		 * no time limit holds it any more.  End it all.
		 */
		if (fresh && b->state == BOX_RUNNING) {
			log_info("user %" PRId64 ": ending what the commands "
			    "of an earlier run left", b->user);
			if (sbx_kill_start(b, json_array(), NULL, NULL) ==
			    NULL)
				log_warnx("user %" PRId64 ": cannot end the "
				    "earlier run's processes", b->user);
		}
		if (b->state == BOX_RUNNING)
			sbx_runner_attach(b);
		if (sbx.ports != NULL)
			sbx_ports_get(sbx.ports, user, 0, &b->port_first);
		n++;
		if (box_other_runtime(labels) && b->nexec == 0) {
			log_info("user %" PRId64 ": container %.12s was made "
			    "under another runtime: replacing it", b->user, b->id);
			box_kill(user, NULL, NULL);
		}
	}
	log_info("docker: adopted %d existing container%s", n,
	    n == 1 ? "" : "s");
	warm_adopted();
}

/* warm.c: create and start a pool slot's container (b->user < 0) */
void
box_start_slot(struct box *b, box_cb cb, void *arg)
{
	struct boxwait	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		cb(NULL, "io", "out of memory", arg);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&b->waiters, w, entry);
	b->state = BOX_STARTING;
	box_create(b);
}

/* the engine is (back) up: adopt what carries our label */
void
box_adopt(void)
{
	char	 filt[PATH_MAX + 64], esc[PATH_MAX * 3 + 200];
	char	 path[PATH_MAX * 3 + 256];

	snprintf(filt, sizeof(filt), "{\"label\":[\"topsh.root=%s\"]}",
	    sbx.root);
	if (uhttp_escape(filt, esc, sizeof(esc)) == -1) {
		log_warnx("docker: the container filter is too long");
		return;
	}
	snprintf(path, sizeof(path), "/containers/json?all=1&filters=%s", esc);
	if (docker_call("GET", path, NULL, 30000, adopt_done, NULL) == NULL)
		log_warnx("docker: cannot list containers");
}

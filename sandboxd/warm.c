/*
 * warm.c - the warm pool: a few started containers that belong to no
 * user yet, so that a brand-new user's first command does not wait for
 * a container to be created and started (about half a second, most of
 * it the engine's start).
 *
 * A slot is a box of user -SLOT (SLOT a number not used before: the
 * time in milliseconds at start-up, counting up), with a uid reserved
 * from uid-range (uids.c), a workspace at WORKSPACE-ROOT/.pool/SLOT
 * (priv.c), passwd and group files naming "topsh-pool", and a container
 * PREFIX-pool-SLOT created with the default limits and started, its
 * command runner attached (box.c does all that as for a user).
 *
 * Only a brand-new user is given a slot: no uid bound yet, no
 * workspace, no user-limits of their own, and network none.  Taking
 * one binds the uid to the user, makes the slot's workspace
 * WORKSPACE-ROOT/USER, rewrites passwd and group in place to name the
 * user, writes the default .gitconfig, hands the container and its
 * runner to the user's box and renames the container PREFIX-USER (a
 * restarted sandboxd finds it by that name).  USER, LOGNAME and EMAIL
 * come with each command (runner.c, exec.c).  When a step fails, the
 * slot is destroyed, never given to anyone else, and the user's
 * container is made the ordinary way.  A container that came from the
 * pool is removed when it stops, never started again (box.c).
 *
 * The pool is filled again in the background, only while no user's
 * container waits to be created, one container at a time while users'
 * commands run, and within max-containers; its containers are the
 * first stopped when max-containers is reached and are never reaped.
 * The first fill waits WARM_START seconds after the engine's containers
 * are adopted, a failed one WARM_BACKOFF seconds.  Slots of an earlier
 * run are removed (box.c adopt_pool) and their left-over workspaces
 * deleted; a reload that changes the image, the runtime, the network or
 * a limit drops the pool and fills it anew.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "sandboxd.h"
#include "userlimit.h"

#define WARM_BACKOFF	15	/* s after a slot could not be made */
#define WARM_START	1	/* s after start-up: the daemons start first */

static struct event	*warm_ev;
static int64_t		 slot_next;	/* the last slot number used */
static int64_t		 doomed_below;	/* older slots are dropped */
static int		 adopted;	/* the engine's containers are known */
static time_t		 backoff;
static uint64_t		 taken, made, failed;

static void	warm_cb(int, short, void *);

void
warm_init(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	slot_next = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	doomed_below = 0;
	if ((warm_ev = evtimer_new(topsh_base, warm_cb, NULL)) == NULL)
		log_warnx("warm pool: no event; the pool stays empty");
}

void
warm_shutdown(void)
{
	if (warm_ev != NULL)
		event_free(warm_ev);
	warm_ev = NULL;
}

static void
warm_schedule(int secs)
{
	struct timeval	tv = { secs, 0 };

	if (warm_ev != NULL && (secs > 0 || !evtimer_pending(warm_ev, NULL)))
		evtimer_add(warm_ev, &tv);
}

/* fill the pool (and clear away dead slots) on the next loop turn */
void
warm_refill(void)
{
	warm_schedule(0);
}

static int
slot_live(const struct box *b)
{
	return (b->user < 0 && !b->slot_dead && b->slot >= doomed_below &&
	    b->state != BOX_REMOVING);
}

/* slots alive or on their way */
size_t
warm_count(void)
{
	struct box	*b;
	size_t		 n = 0;

	RB_FOREACH(b, boxtree, &boxes) {
		if (b->user >= 0)
			break;		/* negative users sort first */
		if (slot_live(b))
			n++;
	}
	return (n);
}

/* does any user's command run? */
static int
users_busy(void)
{
	struct box	*b;

	RB_FOREACH(b, boxtree, &boxes)
		if (b->user > 0 && (b->nexec > 0 || b->state == BOX_STARTING))
			return (1);
	return (0);
}

/* slots whose container is being made */
static size_t
warm_starting(void)
{
	struct box	*b;
	size_t		 n = 0;

	RB_FOREACH(b, boxtree, &boxes) {
		if (b->user >= 0)
			break;
		if (slot_live(b) && b->state == BOX_STARTING)
			n++;
	}
	return (n);
}

void
warm_status(json_t *o)
{
	struct box	*b;
	int		 ready = 0;

	RB_FOREACH(b, boxtree, &boxes) {
		if (b->user >= 0)
			break;
		if (slot_live(b) && b->state == BOX_RUNNING)
			ready++;
	}
	json_object_set_new(o, "warm_pool", json_integer(ready));
	json_object_set_new(o, "warm_pool_size", json_integer(
	    topsh_conf->sandbox.warm_pool));
	json_object_set_new(o, "warm_pool_taken", json_integer(taken));
	json_object_set_new(o, "warm_pool_made", json_integer(made));
	json_object_set_new(o, "warm_pool_failed", json_integer(failed));
}

static int
slot_ws_drop(int64_t slot, struct fserr *e)
{
	if (sbx_priv_active())
		return (sbx_priv_call_slot(PRIV_POOL_DROP, 0, slot, 0, 0, e));
	return (sbx_pool_ws_drop(sbx.root, slot, e));
}

/* b's container is gone (or was never made): the slot goes for good */
void
warm_gone(struct box *b)
{
	struct fserr	e;

	if (b->user >= 0)
		return;
	if (slot_ws_drop(b->slot, &e) == -1)
		log_warnx("warm pool: slot %" PRId64 ": %s", b->slot, e.msg);
	if (sbx.peruser)
		sbx_passwd_unlink(daemon_statedir(), b->slot);
	sbx_runner_close(b);
	RB_REMOVE(boxtree, &boxes, b);
	free(b);
	warm_refill();
}

static void
slot_started(struct box *b, const char *code, const char *msg, void *arg)
{
	int64_t	*slot = arg;

	if (code != NULL) {
		/* the sweep removes it: b is still in box_notify() here */
		log_warnx("warm pool: slot %" PRId64 ": %s", *slot, msg);
		failed++;
		backoff = time(NULL) + WARM_BACKOFF;
		warm_schedule(WARM_BACKOFF);
	} else {
		log_info("warm pool: container %.12s ready (slot %" PRId64
		    ")", b->id, *slot);
		made++;
	}
	free(slot);
	warm_refill();
}

/* a new slot: uid, workspace, then its container (box.c) */
static int
slot_new(void)
{
	struct box	*b;
	struct fserr	 e;
	int64_t		*arg;
	int64_t		 slot = ++slot_next;
	int		 r;

	if ((arg = malloc(sizeof(*arg))) == NULL)
		return (-1);
	if ((b = box_get(-slot, 1)) == NULL) {
		free(arg);
		return (-1);
	}
	*arg = slot;
	b->slot = slot;
	if (sbx.peruser && sbx_uid_reserve(&b->uid) == -1) {
		sbx_fserr_set(&e, "io", "no uid left in uid-range");
		goto fail;
	}
	if (sbx_priv_active())
		r = sbx_priv_call_slot(PRIV_POOL_PREPARE, 0, slot, sbx.peruser ?
		    b->uid + sbx.userns_offset : 0, 0, &e);
	else
		r = sbx_pool_ws_prepare(sbx.root, 0, slot, sbx.cuid, sbx.cgid,
		    &e);
	if (r == -1)
		goto fail;
	b->ws_ready = 1;
	log_debug("warm pool: slot %" PRId64 " (uid %u): creating its "
	    "container", slot, (unsigned)b->uid);
	box_start_slot(b, slot_started, arg);
	return (0);
 fail:
	log_warnx("warm pool: slot %" PRId64 ": %s", slot, e.msg);
	free(arg);
	failed++;
	warm_gone(b);
	return (-1);
}

/* may the pool be filled at all now? */
static int
warm_possible(void)
{
	const struct conf_sandbox	*c = &topsh_conf->sandbox;

	return (c->warm_pool > 0 && adopted && docker_is_up() &&
	    runtime_name() != NULL &&
	    strcmp(c->network, "none") == 0);
}

static void
warm_fill(void)
{
	long long	 max = box_max();
	time_t		 now = time(NULL);

	if (!warm_possible())
		return;
	if (now < backoff) {
		warm_schedule((int)(backoff - now));
		return;
	}
	while ((long long)warm_count() < topsh_conf->sandbox.warm_pool) {
		if (max > 0 && box_active() >= (size_t)max)
			break;
		if (warm_starting() > 0 && users_busy())
			break;	/* the engine's CPU goes to commands too */
		if (!box_create_room())
			break;	/* a user's container first: create_over() */
		if (slot_new() == -1) {
			backoff = now + WARM_BACKOFF;
			warm_schedule(WARM_BACKOFF);
			break;
		}
	}
}

/* slots that failed, stopped, or were dropped go */
static void
warm_sweep(void)
{
	struct box	*b, *nb;

	RB_FOREACH_SAFE(b, boxtree, &boxes, nb) {
		if (b->user >= 0)
			break;
		if (b->creating || b->cwaiting || !TAILQ_EMPTY(&b->waiters) ||
		    b->state == BOX_STARTING || b->state == BOX_REMOVING)
			continue;
		if (b->state == BOX_RUNNING && slot_live(b) &&
		    topsh_conf->sandbox.warm_pool > 0)
			continue;
		if (b->id[0] != '\0')
			box_kill(b->user, NULL, NULL);
		else
			warm_gone(b);
	}
}

static void
warm_cb(int fd, short ev, void *arg)
{
	warm_sweep();
	warm_fill();
}

/*
 * box.c: the engine's containers are adopted.  Workspaces in
 * WORKSPACE-ROOT/.pool that no slot of ours owns are an earlier run's
 * left-overs (their containers are being removed): they go.
 */
void
warm_adopted(void)
{
	char		 dir[PATH_MAX + 16], name[64];
	const char	*errstr;
	struct dirent	*de;
	struct fserr	 e;
	DIR		*d;
	long long	 slot;

	snprintf(dir, sizeof(dir), "%s/.pool", sbx.root);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strlcpy(name, de->d_name, sizeof(name)) >=
			    sizeof(name))
				continue;
			name[strcspn(name, ".")] = '\0';
			slot = strtonum(name, 1, LLONG_MAX, &errstr);
			if (errstr != NULL || box_get(-slot, 0) != NULL)
				continue;
			log_info("warm pool: deleting the workspace of slot %lld "
			    "of an earlier run", slot);
			if (slot_ws_drop(slot, &e) == -1)
				log_warnx("warm pool: slot %lld: %s", slot,
				    e.msg);
		}
		closedir(d);
	}
	/* the first time, after the start-up's own work */
	warm_schedule(adopted++ == 0 ? WARM_START : 0);
}

/* the configuration changed: slots made before are not handed out */
void
warm_drop_all(const char *why)
{
	if (warm_count() > 0)
		log_info("warm pool: %s: making the pool anew", why);
	doomed_below = slot_next + 1;
	warm_refill();
}

static void
rename_done(const struct dresp *r, void *arg)
{
	int64_t	*user = arg;

	if (r->status != 204)
		log_warnx("user %" PRId64 ": cannot rename the container from "
		    "the warm pool: %s; it goes when it stops", *user,
		    r->err != NULL ? r->err : "unexpected reply");
	free(user);
}

/* a brand-new user with nothing of their own yet, and a network none? */
static int
warm_eligible(struct box *b)
{
	static const char *const keys[] = { "memory", "cpus", "disk-quota",
	    "pids", NULL };
	const struct conf_sandbox	*c = &topsh_conf->sandbox;
	char				 path[PATH_MAX + 32], v[64];
	struct stat			 st;
	int				 i;

	if (c->warm_pool <= 0 || b->user <= 0 || b->id[0] != '\0' ||
	    b->ws_ready || strcmp(c->network, "none") != 0)
		return (0);
	for (i = 0; keys[i] != NULL; i++)
		if (userlimit_get(&c->user_limits, b->user, keys[i], v,
		    sizeof(v)))
			return (0);
	if (sbx.peruser && sbx_uid_known(b->user))
		return (0);
	snprintf(path, sizeof(path), "%s/%" PRId64, sbx.root, b->user);
	if (lstat(path, &st) == 0 || errno != ENOENT)
		return (0);
	snprintf(path, sizeof(path), "%s/%" PRId64 ".img", sbx.root, b->user);
	if (lstat(path, &st) == 0 || errno != ENOENT)
		return (0);
	return (1);
}

/*
 * Give b (a brand-new user, state BOX_STARTING) a started container of
 * the pool: 0 when it runs, -1 to take the ordinary path.
 */
int
warm_take(struct box *b)
{
	struct box	*p, *best = NULL;
	struct fserr	 e;
	char		 path[PATH_MAX + 32], name[96];
	const char	*why;
	int64_t		*arg;
	int		 r;
	struct timespec	 t0, t1;

	/* nobody passes those who wait for a place (box.c) */
	if (!warm_eligible(b) || box_line_length() > 0)
		return (-1);
	RB_FOREACH(p, boxtree, &boxes) {
		if (p->user >= 0)
			break;
		if (!slot_live(p) || p->state != BOX_RUNNING || p->nexec > 0 ||
		    p->killers > 0 || !TAILQ_EMPTY(&p->waiters) ||
		    p->id[0] == '\0')
			continue;
		if (best == NULL || (sbx_runner_ready(p) &&
		    !sbx_runner_ready(best)))
			best = p;
	}
	if (best == NULL) {
		log_debug("user %" PRId64 ": the warm pool is empty", b->user);
		warm_refill();
		return (-1);
	}
	p = best;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* from here on the slot is the user's or destroyed, never reused */
	p->slot_dead = 1;
	/*
	 * The workspace first: when it cannot be had, the uid stays
	 * unused and no other container ever runs under it.
	 */
	if (sbx_priv_active())
		r = sbx_priv_call_slot(PRIV_POOL_TAKE, b->user, p->slot, 0, 0,
		    &e);
	else
		r = sbx_pool_ws_take(sbx.root, p->slot, b->user, &e);
	if (r == -1) {
		why = e.msg;
		goto fail;
	}
	/* a uid left unbound: the user gets another, and the files with */
	if (sbx.peruser && sbx_uid_bind(b->user, p->uid) == -1) {
		why = "cannot bind its uid to the user";
		goto fail;
	}
	if (sbx.peruser) {
		if (sbx_passwd_adopt(daemon_statedir(), p->slot, b->user,
		    p->uid, b->name) == -1) {
			why = "cannot rewrite its passwd file";
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/%" PRId64 "/" WS_DIR,
		    sbx.root, b->user);
		sbx_gitconfig_default(path, p->uid + sbx.userns_offset,
		    b->name, b->user);
	}
	/* the container, its runner and its workspace are b's now */
	strlcpy(b->id, p->id, sizeof(b->id));
	b->uid = sbx.peruser ? p->uid : 0;
	b->ws_ready = 1;
	b->slot = p->slot;
	b->pool_born = 1;
	p->id[0] = '\0';
	sbx_runner_move(p, b);
	b->state = BOX_RUNNING;
	b->last_used = time(NULL);
	RB_REMOVE(boxtree, &boxes, p);
	free(p);
	taken++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("user %" PRId64 ": container %.12s from the warm pool (slot "
	    "%" PRId64 ", %ld us)", b->user, b->id, b->slot,
	    (long)((t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000));
	if ((arg = malloc(sizeof(*arg))) != NULL) {
		*arg = b->user;
		snprintf(path, sizeof(path), "/containers/%s/rename?name=%s",
		    b->id, box_name(b->user, name, sizeof(name)));
		if (docker_call("POST", path, NULL, 30000, rename_done,
		    arg) == NULL)
			free(arg);
	}
	warm_refill();
	return (0);
 fail:
	log_warnx("user %" PRId64 ": warm pool slot %" PRId64 ": %s; "
	    "creating a container instead", b->user, p->slot, why);
	failed++;
	warm_refill();		/* the sweep removes the slot */
	return (-1);
}

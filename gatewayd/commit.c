/*
 * commit.c - group commit of the state files (state.c), off the loop.
 *
 * A write waits in memory (state_read() sees it at once); what was
 * written within COMMIT_MS goes to disk together, each file once with
 * its latest contents and each directory synced once, by writer
 * threads, so gatewayd's loop never waits for the disk.  Under a burst
 * of fifty messages the loop used to spend most of its time in fsync:
 * the inbox, the offset, sessions and usage are written several times
 * a message, and every user waited behind those syncs.
 *
 * Files go in one of two lanes, each with its own writer: STATE_INBOX
 * for the inbox and the update offset, STATE_BULK for the rest
 * (sessions, histories, usage), so the inbox never waits behind fifty
 * sessions.  In a lane one commit is on its way at a time; what is
 * written meanwhile waits for the next.  state_sync(lane, cb) calls cb
 * from the loop once everything written in the lane before it is on
 * disk: tg.c asks before getUpdates tells Telegram that a batch
 * arrived, so an update is forgotten by Telegram only once its inbox
 * entry is on disk.  state_flush() writes all in the caller, waiting
 * for a commit on its way first: at exit and
 * before the operator is told that a change was saved.  A file that
 * cannot be written stays pending and is tried again after RETRY_MS.
 * Without an event loop (unit tests) writes go to disk at once.
 *
 * A lane's thread is started at its first commit, after confinement: it
 * runs under the same seccomp filter and Landlock domain, writes only
 * the files the loop hands it and touches no libevent or jansson
 * state; it tells the loop it is done through a pipe.
 */
#include <sys/queue.h>
#include <sys/tree.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"

#define COMMIT_MS	10	/* writes gathered into one commit */
#define RETRY_MS	1000	/* a file that could not be written, again */
#define COMMIT_DIRS	16	/* directories remembered to sync once */

struct pending {
	RB_ENTRY(pending)	 entry;
	char			*path;
	char			*data;
	size_t			 len;
	int			 err;	/* errno of the commit, by the writer */
};
RB_HEAD(pendings, pending);

struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	void			(*cb)(void *);
	void			*arg;
};
TAILQ_HEAD(waiters, waiter);

static int	pending_cmp(struct pending *, struct pending *);
RB_PROTOTYPE(pendings, pending, entry, pending_cmp)
RB_GENERATE(pendings, pending, entry, pending_cmp)

/* one commit pipeline: its files, its writer thread */
struct lane {
	struct pendings	 waiting;	/* for the next commit */
	struct pendings	 flight;	/* the writer's, being written */
	struct waiters	 for_next, for_flight;
	int		 busy;		/* flight is the writer's */
	struct event	*timer_ev, *done_ev;
	/* shared with the writer thread, under mtx */
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	int		 writing;	/* flight handed over, not done */
	int		 started;
	int		 notify[2];
};

static struct lane	 lanes[STATE_LANES];
static struct waiters	 ready = TAILQ_HEAD_INITIALIZER(ready);
static struct event	*ready_ev;
static int		 nothread;	/* no writer: commits in the loop */

static int
pending_cmp(struct pending *a, struct pending *b)
{
	return (strcmp(a->path, b->path));
}

static void
pending_free(struct pending *p)
{
	free(p->path);
	free(p->data);
	free(p);
}

static int
dir_seen(char (*dirs)[PATH_MAX], size_t n, const char *dir)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(dirs[i], dir) == 0)
			return (1);
	return (0);
}

/*
 * Every file of t to disk, then each directory once; p->err set.  In
 * the inbox lane each file's directory is synced before the next file
 * (in path order: inbox.json is on disk before the offset that counts
 * its updates as received).
 */
static void
write_all(struct lane *l, struct pendings *t)
{
	struct pending	*p;
	char		 dirs[COMMIT_DIRS][PATH_MAX], dir[PATH_MAX];
	size_t		 ndirs = 0, i;
	int		 ordered = l == &lanes[STATE_INBOX];

	RB_FOREACH(p, pendings, t) {
		p->err = state_file_write(p->path, p->data, p->len) == -1 ?
		    errno : 0;
		if (p->err != 0)
			continue;
		strlcpy(dir, p->path, sizeof(dir));
		strlcpy(dir, dirname(dir), sizeof(dir));
		if (ordered) {
			(void)state_fsync_dir(dir);
			continue;
		}
		if (dir_seen(dirs, ndirs, dir))
			continue;
		if (ndirs == COMMIT_DIRS) {
			for (i = 0; i < ndirs; i++)
				(void)state_fsync_dir(dirs[i]);
			ndirs = 0;
		}
		strlcpy(dirs[ndirs++], dir, PATH_MAX);
	}
	for (i = 0; i < ndirs; i++)
		(void)state_fsync_dir(dirs[i]);
}

static void *
writer_main(void *arg)
{
	struct lane	*l = arg;

	for (;;) {
		pthread_mutex_lock(&l->mtx);
		while (!l->writing)
			pthread_cond_wait(&l->cv, &l->mtx);
		pthread_mutex_unlock(&l->mtx);
		write_all(l, &l->flight);
		pthread_mutex_lock(&l->mtx);
		l->writing = 0;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mtx);
		while (write(l->notify[1], "", 1) == -1 && errno == EINTR)
			;
	}
	return (NULL);
}

static void
run_ready(evutil_socket_t fd, short ev, void *arg)
{
	struct waiter	*w;

	while ((w = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, w, entry);
		w->cb(w->arg);
		free(w);
	}
}

/* those waiting in q may go on (from the loop, never from inside) */
static void
release(struct waiters *q)
{
	if (TAILQ_EMPTY(q))
		return;
	TAILQ_CONCAT(&ready, q, entry);
	event_active(ready_ev, EV_TIMEOUT, 0);
}

/* the written files go; a failed one waits again unless rewritten */
static int
settle(struct lane *l, struct pendings *t)
{
	struct pending	*p, *next;
	int		 failed = 0;

	RB_FOREACH_SAFE(p, pendings, t, next) {
		RB_REMOVE(pendings, t, p);
		if (p->err != 0) {
			failed = p->err;
			errno = p->err;
			log_warn("saving %s", p->path);
			if (RB_FIND(pendings, &l->waiting, p) == NULL) {
				RB_INSERT(pendings, &l->waiting, p);
				continue;
			}
		}
		pending_free(p);
	}
	return (failed);
}

static void
arm(struct lane *l, int ms)
{
	struct timeval	 tv;

	if (l->timer_ev == NULL || evtimer_pending(l->timer_ev, NULL))
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(l->timer_ev, &tv);
}

static void	commit_start(struct lane *);
static int	lane_flush(struct lane *);

/* the writer is done with flight */
static void
flight_done(struct lane *l)
{
	int	 failed;

	l->busy = 0;
	failed = settle(l, &l->flight);
	release(&l->for_flight);
	if (RB_EMPTY(&l->waiting))
		return;
	if (!TAILQ_EMPTY(&l->for_next) && !failed)
		commit_start(l);
	else
		arm(l, failed ? RETRY_MS : COMMIT_MS);
}

static void
done_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct lane	*l = arg;
	char		 buf[64];
	int		 still;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&l->mtx);
	still = l->writing;
	pthread_mutex_unlock(&l->mtx);
	if (l->busy && !still)
		flight_done(l);
}

static int
writer_start(struct lane *l)
{
	pthread_t	 t;
	sigset_t	 all, old;
	int		 rv;

	if (pipe2(l->notify, O_CLOEXEC | O_NONBLOCK) == -1)
		return (-1);
	if ((l->done_ev = event_new(gw_base(), l->notify[0], EV_READ |
	    EV_PERSIST, done_cb, l)) == NULL || event_add(l->done_ev, NULL) ==
	    -1)
		return (-1);
	/* signals are the loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rv = pthread_create(&t, NULL, writer_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rv != 0) {
		errno = rv;
		return (-1);
	}
	pthread_detach(t);
	l->started = 1;
	return (0);
}

/* what waits goes to the writer */
static void
commit_start(struct lane *l)
{
	if (l->busy || RB_EMPTY(&l->waiting))
		return;
	evtimer_del(l->timer_ev);
	if (!l->started && (nothread || writer_start(l) == -1)) {
		if (!nothread)
			log_warn("state writer thread; writing in the loop");
		nothread = 1;
		(void)lane_flush(l);
		return;
	}
	l->flight = l->waiting;
	RB_INIT(&l->waiting);
	TAILQ_CONCAT(&l->for_flight, &l->for_next, entry);
	l->busy = 1;
	pthread_mutex_lock(&l->mtx);
	l->writing = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mtx);
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	commit_start(arg);
}

static int
commit_init(void)
{
	struct lane	*l;
	int		 i;

	if (ready_ev != NULL)
		return (0);
	for (i = 0; i < STATE_LANES; i++) {
		l = &lanes[i];
		RB_INIT(&l->waiting);
		RB_INIT(&l->flight);
		TAILQ_INIT(&l->for_next);
		TAILQ_INIT(&l->for_flight);
		pthread_mutex_init(&l->mtx, NULL);
		pthread_cond_init(&l->cv, NULL);
		l->notify[0] = l->notify[1] = -1;
		if ((l->timer_ev = evtimer_new(gw_base(), timer_cb, l)) == NULL)
			return (-1);
	}
	if ((ready_ev = event_new(gw_base(), -1, 0, run_ready, NULL)) == NULL)
		return (-1);
	return (0);
}

/* a written, not yet committed file: 1 (a copy in *out), 0, or -1 */
int
commit_find(const char *path, size_t max, char **out, size_t *outlen)
{
	struct pending	 key, *p = NULL;
	struct lane	*l;
	int		 i;

	if (ready_ev == NULL)
		return (0);
	key.path = (char *)path;
	for (i = 0; i < STATE_LANES && p == NULL; i++) {
		l = &lanes[i];
		if ((p = RB_FIND(pendings, &l->waiting, &key)) == NULL)
			p = RB_FIND(pendings, &l->flight, &key);
	}
	if (p == NULL)
		return (0);
	if (p->len > max) {
		errno = EFBIG;
		return (-1);
	}
	if ((*out = malloc(p->len + 1)) == NULL)
		return (-1);
	memcpy(*out, p->data, p->len + 1);
	*outlen = p->len;
	return (1);
}

/*
 * Write a whole file in a lane (a file always in the same one): on
 * disk within COMMIT_MS and the lane's fsyncs.
 */
int
state_write_in(int lane, const char *path, const char *data, size_t len)
{
	struct pending	 key, *p;
	struct lane	*l;
	char		*copy, dir[PATH_MAX];

	if (gw_base() == NULL || commit_init() == -1) {
		if (state_file_write(path, data, len) == -1)
			return (-1);
		strlcpy(dir, path, sizeof(dir));
		(void)state_fsync_dir(dirname(dir));
		return (0);
	}
	l = &lanes[lane];
	if ((copy = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	key.path = (char *)path;
	if ((p = RB_FIND(pendings, &l->waiting, &key)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL ||
		    (p->path = strdup(path)) == NULL) {
			free(p);
			free(copy);
			return (-1);
		}
		RB_INSERT(pendings, &l->waiting, p);
	} else
		free(p->data);
	p->data = copy;
	p->len = len;
	if (!l->busy)
		arm(l, COMMIT_MS);
	return (0);
}

int
state_write(const char *path, const char *data, size_t len)
{
	return (state_write_in(STATE_BULK, path, data, len));
}

/* cb(arg) from the loop once all written so far in lane is on disk */
int
state_sync(int lane, void (*cb)(void *), void *arg)
{
	struct waiter	*w;
	struct lane	*l;

	if (gw_base() == NULL || commit_init() == -1) {
		cb(arg);
		return (0);
	}
	l = &lanes[lane];
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (-1);
	w->cb = cb;
	w->arg = arg;
	if (!RB_EMPTY(&l->waiting)) {
		TAILQ_INSERT_TAIL(&l->for_next, w, entry);
		commit_start(l);
	} else if (l->busy)
		TAILQ_INSERT_TAIL(&l->for_flight, w, entry);
	else {
		TAILQ_INSERT_TAIL(&ready, w, entry);
		event_active(ready_ev, EV_TIMEOUT, 0);
	}
	return (0);
}

/* a lane to disk now, in the caller, after its commit on its way */
static int
lane_flush(struct lane *l)
{
	struct pendings	 t;
	int		 failed;

	if (l->busy) {
		pthread_mutex_lock(&l->mtx);
		while (l->writing)
			pthread_cond_wait(&l->cv, &l->mtx);
		pthread_mutex_unlock(&l->mtx);
		l->busy = 0;
		(void)settle(l, &l->flight);
		release(&l->for_flight);
	}
	evtimer_del(l->timer_ev);
	t = l->waiting;
	RB_INIT(&l->waiting);
	write_all(l, &t);
	failed = settle(l, &t);
	release(&l->for_next);
	if (failed) {
		arm(l, RETRY_MS);
		errno = failed;
		return (-1);
	}
	return (0);
}

/*
 * Everything to disk now, in the caller.  0, or -1 (errno) when a file
 * could not be written (it stays pending).
 */
int
state_flush(void)
{
	int	 i, rv = 0, saved = 0;

	if (ready_ev == NULL)
		return (0);
	for (i = 0; i < STATE_LANES; i++)
		if (lane_flush(&lanes[i]) == -1) {
			saved = errno;
			rv = -1;
		}
	errno = saved;
	return (rv);
}

/* files written and not yet on disk */
size_t
state_pending(void)
{
	struct pending	*p;
	size_t		 n = 0;
	int		 i;

	if (ready_ev == NULL)
		return (0);
	for (i = 0; i < STATE_LANES; i++) {
		RB_FOREACH(p, pendings, &lanes[i].waiting)
			n++;
		RB_FOREACH(p, pendings, &lanes[i].flight)
			n++;
	}
	return (n);
}

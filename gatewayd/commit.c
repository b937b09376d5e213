/*
 * commit.c - group commit of the state files (state.c), off the loop.
 *
 * A write waits in memory (state_read() sees it at once); what was
 * written within COMMIT_MS goes to disk together, each file once with
 * its latest contents and each directory synced once, by one writer
 * thread, so gatewayd's loop never waits for the disk.  Under a burst
 * of fifty messages the loop used to spend most of its time in fsync:
 * the inbox, the offset, sessions and usage are written several times
 * a message, and every user waited behind those syncs.
 *
 * One commit is on its way at a time; what is written meanwhile waits
 * for the next.  state_sync(cb) calls cb from the loop once everything
 * written before it is on disk: tg.c asks before getUpdates tells
 * Telegram that a batch arrived, so an update is forgotten by Telegram
 * only once its inbox entry is on disk.  state_flush() writes all in
 * the caller, waiting for a commit on its way first: at exit and
 * before the operator is told that a change was saved.  A file that
 * cannot be written stays pending and is tried again after RETRY_MS.
 * Without an event loop (unit tests) writes go to disk at once.
 *
 * The thread is started at the first commit, after confinement: it
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

static struct pendings	 waiting = RB_INITIALIZER(&waiting);	/* next */
static struct pendings	 flight = RB_INITIALIZER(&flight);	/* writer's */
static struct waiters	 for_next = TAILQ_HEAD_INITIALIZER(for_next);
static struct waiters	 for_flight = TAILQ_HEAD_INITIALIZER(for_flight);
static struct waiters	 ready = TAILQ_HEAD_INITIALIZER(ready);
static size_t		 nwaiting, nflight;
static int		 busy;		/* flight is the writer's */
static int		 nothread;	/* no writer: commits in the loop */
static struct event	*timer_ev, *done_ev, *ready_ev;

/* shared with the writer thread, under mtx */
static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cv = PTHREAD_COND_INITIALIZER;
static int		 work, writing, started;
static int		 notify[2] = { -1, -1 };

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

/* every file of t to disk, then each directory once; p->err set */
static void
write_all(struct pendings *t)
{
	struct pending	*p;
	char		 dirs[COMMIT_DIRS][PATH_MAX], dir[PATH_MAX];
	size_t		 ndirs = 0, i;

	RB_FOREACH(p, pendings, t) {
		p->err = state_file_write(p->path, p->data, p->len) == -1 ?
		    errno : 0;
		if (p->err != 0)
			continue;
		strlcpy(dir, p->path, sizeof(dir));
		strlcpy(dir, dirname(dir), sizeof(dir));
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
	for (;;) {
		pthread_mutex_lock(&mtx);
		while (!work)
			pthread_cond_wait(&cv, &mtx);
		work = 0;
		pthread_mutex_unlock(&mtx);
		write_all(&flight);
		pthread_mutex_lock(&mtx);
		writing = 0;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mtx);
		while (write(notify[1], "", 1) == -1 && errno == EINTR)
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
settle(struct pendings *t, size_t *n)
{
	struct pending	*p, *next;
	int		 failed = 0;

	RB_FOREACH_SAFE(p, pendings, t, next) {
		RB_REMOVE(pendings, t, p);
		(*n)--;
		if (p->err != 0) {
			failed = p->err;
			errno = p->err;
			log_warn("saving %s", p->path);
			if (RB_FIND(pendings, &waiting, p) == NULL) {
				RB_INSERT(pendings, &waiting, p);
				nwaiting++;
				continue;
			}
		}
		pending_free(p);
	}
	return (failed);
}

static void
arm(int ms)
{
	struct timeval	 tv;

	if (timer_ev == NULL || evtimer_pending(timer_ev, NULL))
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(timer_ev, &tv);
}

static void	commit_start(void);

/* the writer is done with flight */
static void
flight_done(void)
{
	int	 failed;

	busy = 0;
	failed = settle(&flight, &nflight);
	release(&for_flight);
	if (RB_EMPTY(&waiting))
		return;
	if (!TAILQ_EMPTY(&for_next) && !failed)
		commit_start();
	else
		arm(failed ? RETRY_MS : COMMIT_MS);
}

static void
done_cb(evutil_socket_t fd, short ev, void *arg)
{
	char	 buf[64];
	int	 still;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&mtx);
	still = writing;
	pthread_mutex_unlock(&mtx);
	if (busy && !still)
		flight_done();
}

static int
writer_start(void)
{
	pthread_t	 t;
	sigset_t	 all, old;
	int		 rv;

	if (pipe2(notify, O_CLOEXEC | O_NONBLOCK) == -1)
		return (-1);
	if ((done_ev = event_new(gw_base(), notify[0], EV_READ | EV_PERSIST,
	    done_cb, NULL)) == NULL || event_add(done_ev, NULL) == -1)
		return (-1);
	/* signals are the loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rv = pthread_create(&t, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rv != 0) {
		errno = rv;
		return (-1);
	}
	pthread_detach(t);
	started = 1;
	return (0);
}

/* what waits goes to the writer */
static void
commit_start(void)
{
	if (busy || RB_EMPTY(&waiting))
		return;
	evtimer_del(timer_ev);
	if (!started && (nothread || writer_start() == -1)) {
		if (!nothread)
			log_warn("state writer thread; writing in the loop");
		nothread = 1;
		(void)state_flush();
		return;
	}
	flight = waiting;
	nflight = nwaiting;
	RB_INIT(&waiting);
	nwaiting = 0;
	TAILQ_CONCAT(&for_flight, &for_next, entry);
	busy = 1;
	pthread_mutex_lock(&mtx);
	work = 1;
	writing = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mtx);
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	commit_start();
}

static int
commit_init(void)
{
	if (timer_ev != NULL)
		return (0);
	if ((timer_ev = evtimer_new(gw_base(), timer_cb, NULL)) == NULL ||
	    (ready_ev = event_new(gw_base(), -1, 0, run_ready, NULL)) ==
	    NULL)
		return (-1);
	return (0);
}

/* a written, not yet committed file: 1 (a copy in *out), 0, or -1 */
int
commit_find(const char *path, size_t max, char **out, size_t *outlen)
{
	struct pending	 key, *p;

	key.path = (char *)path;
	if ((p = RB_FIND(pendings, &waiting, &key)) == NULL &&
	    (p = RB_FIND(pendings, &flight, &key)) == NULL)
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

/* write a whole file: on disk within COMMIT_MS and one fsync's time */
int
state_write(const char *path, const char *data, size_t len)
{
	struct pending	 key, *p;
	char		*copy, dir[PATH_MAX];

	if (gw_base() == NULL || commit_init() == -1) {
		if (state_file_write(path, data, len) == -1)
			return (-1);
		strlcpy(dir, path, sizeof(dir));
		(void)state_fsync_dir(dirname(dir));
		return (0);
	}
	if ((copy = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	key.path = (char *)path;
	if ((p = RB_FIND(pendings, &waiting, &key)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL ||
		    (p->path = strdup(path)) == NULL) {
			free(p);
			free(copy);
			return (-1);
		}
		RB_INSERT(pendings, &waiting, p);
		nwaiting++;
	} else
		free(p->data);
	p->data = copy;
	p->len = len;
	if (!busy)
		arm(COMMIT_MS);
	return (0);
}

/* cb(arg) from the loop once everything written so far is on disk */
int
state_sync(void (*cb)(void *), void *arg)
{
	struct waiter	*w;

	if (gw_base() == NULL || commit_init() == -1) {
		cb(arg);
		return (0);
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (-1);
	w->cb = cb;
	w->arg = arg;
	if (!RB_EMPTY(&waiting)) {
		TAILQ_INSERT_TAIL(&for_next, w, entry);
		commit_start();
	} else if (busy)
		TAILQ_INSERT_TAIL(&for_flight, w, entry);
	else {
		TAILQ_INSERT_TAIL(&ready, w, entry);
		event_active(ready_ev, EV_TIMEOUT, 0);
	}
	return (0);
}

/*
 * Everything to disk now, in the caller: the commit on its way first.
 * 0, or -1 (errno) when a file could not be written (it stays pending).
 */
int
state_flush(void)
{
	struct pendings	 t;
	size_t		 n;
	int		 failed;

	if (busy) {
		pthread_mutex_lock(&mtx);
		while (writing)
			pthread_cond_wait(&cv, &mtx);
		pthread_mutex_unlock(&mtx);
		busy = 0;
		(void)settle(&flight, &nflight);
		release(&for_flight);
	}
	if (timer_ev != NULL)
		evtimer_del(timer_ev);
	t = waiting;
	n = nwaiting;
	RB_INIT(&waiting);
	nwaiting = 0;
	write_all(&t);
	failed = settle(&t, &n);
	release(&for_next);
	if (failed) {
		arm(RETRY_MS);
		errno = failed;
		return (-1);
	}
	return (0);
}

/* files written and not yet on disk */
size_t
state_pending(void)
{
	return (nwaiting + nflight);
}

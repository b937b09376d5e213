/*
 * pool.c - file work off the event loop.
 *
 * Reading, writing and searching a workspace can take long: a grep
 * with a hostile pattern, a walk of a large tree, fifty 4 MB reads.
 * That work runs in a few worker threads, never on the event loop, so
 * commands, time limits and other users' requests go on meanwhile.
 *
 * The pool is fair between users: each user has a queue of jobs, at
 * most POOL_PER_USER of a user's jobs run at once, and a free worker
 * takes the next job of the user who waited longest (round robin), so
 * one user's flood of requests never stands in front of another user's
 * request.  A job's work() runs in a worker and touches only what the
 * job owns; its done() runs later on the event loop, where replies are
 * sent.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "sandboxd.h"

#define POOL_WORKERS	4	/* threads */
#define POOL_PER_USER	2	/* of them busy with one user's jobs */

struct job {
	TAILQ_ENTRY(job)	 entry;
	struct puser		*pu;
	void			(*work)(void *);
	void			(*done)(void *);
	void			*arg;
};
TAILQ_HEAD(jobq, job);

/* a user with jobs queued or running */
struct puser {
	TAILQ_ENTRY(puser)	 entry;
	int64_t			 user;
	int			 running;
	struct jobq		 jobs;
};

static pthread_mutex_t	 pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 pool_cond = PTHREAD_COND_INITIALIZER;
static TAILQ_HEAD(, puser) pool_users = TAILQ_HEAD_INITIALIZER(pool_users);
static struct jobq	 pool_done = TAILQ_HEAD_INITIALIZER(pool_done);
static int		 pool_pipe[2] = { -1, -1 };
static struct event	*pool_ev;
static int		 pool_stop;
static int		 pool_started;

/* with pool_mtx: the next job to run, in round-robin order of users */
static struct job *
pool_next(void)
{
	struct puser	*pu;
	struct job	*j;

	TAILQ_FOREACH(pu, &pool_users, entry) {
		if (pu->running >= POOL_PER_USER ||
		    (j = TAILQ_FIRST(&pu->jobs)) == NULL)
			continue;
		TAILQ_REMOVE(&pu->jobs, j, entry);
		pu->running++;
		/* this user goes to the back of the line */
		TAILQ_REMOVE(&pool_users, pu, entry);
		TAILQ_INSERT_TAIL(&pool_users, pu, entry);
		return (j);
	}
	return (NULL);
}

static void *
pool_worker(void *arg)
{
	struct job	*j;
	struct puser	*pu;
	char		 c = 0;

	pthread_mutex_lock(&pool_mtx);
	for (;;) {
		while (!pool_stop && (j = pool_next()) == NULL)
			pthread_cond_wait(&pool_cond, &pool_mtx);
		if (pool_stop)
			break;
		pthread_mutex_unlock(&pool_mtx);
		j->work(j->arg);
		pthread_mutex_lock(&pool_mtx);
		pu = j->pu;
		j->pu = NULL;
		if (--pu->running == 0 && TAILQ_EMPTY(&pu->jobs)) {
			TAILQ_REMOVE(&pool_users, pu, entry);
			free(pu);
		} else
			pthread_cond_signal(&pool_cond);
		TAILQ_INSERT_TAIL(&pool_done, j, entry);
		/* a full pipe already holds a wake-up */
		(void)write(pool_pipe[1], &c, 1);
	}
	pthread_mutex_unlock(&pool_mtx);
	return (NULL);
}

/* on the event loop: the finished jobs' done() */
static void
pool_done_cb(int fd, short ev, void *arg)
{
	struct jobq	 q = TAILQ_HEAD_INITIALIZER(q);
	struct job	*j;
	char		 buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&pool_mtx);
	TAILQ_CONCAT(&q, &pool_done, entry);
	pthread_mutex_unlock(&pool_mtx);
	while ((j = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, j, entry);
		j->done(j->arg);
		free(j);
	}
}

int
sbx_pool_init(struct event_base *base)
{
	pthread_attr_t	 attr;
	pthread_t	 t;
	int		 i;

	if (pipe2(pool_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return (-1);
	if ((pool_ev = event_new(base, pool_pipe[0], EV_READ | EV_PERSIST,
	    pool_done_cb, NULL)) == NULL || event_add(pool_ev, NULL) == -1)
		return (-1);
	if (pthread_attr_init(&attr) != 0)
		return (-1);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* grep and the walks recurse: room for FILE_WALK_DEPTH frames */
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	for (i = 0; i < POOL_WORKERS; i++)
		if ((errno = pthread_create(&t, &attr, pool_worker,
		    NULL)) != 0) {
			pthread_attr_destroy(&attr);
			return (-1);
		}
	pthread_attr_destroy(&attr);
	pool_started = 1;
	return (0);
}

void
sbx_pool_shutdown(void)
{
	if (!pool_started)
		return;
	pthread_mutex_lock(&pool_mtx);
	pool_stop = 1;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_mtx);
	if (pool_ev != NULL)
		event_free(pool_ev);
	pool_ev = NULL;
}

/*
 * Run work(arg) in a worker, then done(arg) on the event loop (never
 * from inside this call).  -1: nothing will run.
 */
int
sbx_pool_run(int64_t user, void (*work)(void *), void (*done)(void *),
    void *arg)
{
	struct puser	*pu;
	struct job	*j;

	if (!pool_started || (j = calloc(1, sizeof(*j))) == NULL)
		return (-1);
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&pool_mtx);
	TAILQ_FOREACH(pu, &pool_users, entry)
		if (pu->user == user)
			break;
	if (pu == NULL) {
		if ((pu = calloc(1, sizeof(*pu))) == NULL) {
			pthread_mutex_unlock(&pool_mtx);
			free(j);
			return (-1);
		}
		pu->user = user;
		TAILQ_INIT(&pu->jobs);
		TAILQ_INSERT_TAIL(&pool_users, pu, entry);
	}
	j->pu = pu;
	TAILQ_INSERT_TAIL(&pu->jobs, j, entry);
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_mtx);
	return (0);
}

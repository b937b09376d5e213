/*
 * limits.c - abuse limits: a token bucket per user (messages a
 * minute) and the job queue: one running job per user and a bounded
 * queue of further messages behind it.  A job is never refused because
 * other users are busy: what costs CPU or money (a model call in
 * flight) takes one of max-jobs slots, and a job waits its turn for
 * one in order (struct slots).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

static int
jobuser_cmp(struct jobuser *a, struct jobuser *b)
{
	return (a->user < b->user ? -1 : a->user > b->user);
}

RB_PROTOTYPE_INTERNAL(jobusers, jobuser, entry, jobuser_cmp,
    __attribute__((__unused__)) static)
RB_GENERATE_INTERNAL(jobusers, jobuser, entry, jobuser_cmp,
    __attribute__((__unused__)) static)

/*
 * Take one token at time now (seconds) from a bucket that holds
 * per_minute tokens and refills per_minute a minute, plus burst.
 * 1 allowed, 0 limited.  per_minute 0 means unlimited.
 */
int
ratelimit_take(struct ratelimit *rl, double now, long long per_minute,
    double burst)
{
	double	cap = (double)per_minute + burst;

	if (per_minute <= 0)
		return (1);
	if (rl->last == 0) {
		rl->tokens = cap;
		rl->last = now;
	}
	if (now > rl->last) {
		rl->tokens += (now - rl->last) * (double)per_minute / 60.0;
		if (rl->tokens > cap)
			rl->tokens = cap;
		rl->last = now;
	}
	if (rl->tokens < 1.0)
		return (0);
	rl->tokens -= 1.0;
	return (1);
}

void
jobs_init(struct jobs *js, size_t max_queued)
{
	RB_INIT(&js->users);
	js->running = 0;
	js->max_queued = max_queued;
}

struct jobuser *
jobs_user(struct jobs *js, int64_t user, int create)
{
	struct jobuser	 key, *ju;

	key.user = user;
	if ((ju = RB_FIND(jobusers, &js->users, &key)) != NULL || !create)
		return (ju);
	if ((ju = calloc(1, sizeof(*ju))) == NULL)
		return (NULL);
	ju->user = user;
	TAILQ_INIT(&ju->queue);
	RB_INSERT(jobusers, &js->users, ju);
	return (ju);
}

enum job_verdict
jobs_submit(struct jobs *js, int64_t user, void *arg)
{
	struct jobuser	*ju;
	struct job	*j;

	if ((ju = jobs_user(js, user, 1)) == NULL)
		return (JOB_ERROR);
	if (ju->running) {
		if (ju->nqueued >= js->max_queued)
			return (JOB_QUEUE_FULL);
		if ((j = calloc(1, sizeof(*j))) == NULL)
			return (JOB_ERROR);
		j->user = user;
		j->arg = arg;
		TAILQ_INSERT_TAIL(&ju->queue, j, entry);
		ju->nqueued++;
		return (JOB_QUEUED);
	}
	ju->running = 1;
	js->running++;
	return (JOB_RUN);
}

void *
jobs_done(struct jobs *js, int64_t user)
{
	struct jobuser	*ju;
	struct job	*j;
	void		*arg;

	if ((ju = jobs_user(js, user, 0)) == NULL || !ju->running)
		return (NULL);
	if ((j = TAILQ_FIRST(&ju->queue)) != NULL) {
		/* the user's next message runs in the same slot */
		TAILQ_REMOVE(&ju->queue, j, entry);
		ju->nqueued--;
		arg = j->arg;
		free(j);
		return (arg);
	}
	ju->running = 0;
	js->running--;
	return (NULL);
}

size_t
jobs_queued(struct jobs *js, int64_t user)
{
	struct jobuser	*ju;

	if ((ju = jobs_user(js, user, 0)) == NULL)
		return (0);
	return (ju->nqueued);
}

void
jobs_clear(struct jobs *js, void (*freearg)(void *))
{
	struct jobuser	*ju, *tmp;
	struct job	*j;

	RB_FOREACH_SAFE(ju, jobusers, &js->users, tmp) {
		while ((j = TAILQ_FIRST(&ju->queue)) != NULL) {
			TAILQ_REMOVE(&ju->queue, j, entry);
			if (freearg != NULL)
				freearg(j->arg);
			free(j);
		}
		RB_REMOVE(jobusers, &js->users, ju);
		free(ju);
	}
	js->running = 0;
}

void
slots_init(struct slots *s, size_t max)
{
	s->used = 0;
	s->max = max;
	s->nwait = 0;
	TAILQ_INIT(&s->wait);
}

/*
 * A slot for w: 1 when taken now; 0 when w waits in line, and cb(arg)
 * is called with the slot taken when it comes.  max 0: no limit.
 */
int
slots_take(struct slots *s, struct slotwait *w, void (*cb)(void *),
    void *arg)
{
	if (s->nwait == 0 && (s->max == 0 || s->used < s->max)) {
		s->used++;
		return (1);
	}
	w->cb = cb;
	w->arg = arg;
	w->waiting = 1;
	TAILQ_INSERT_TAIL(&s->wait, w, entry);
	s->nwait++;
	return (0);
}

/* how many wait before w (0: w is next) */
size_t
slots_ahead(struct slots *s, struct slotwait *w)
{
	struct slotwait	*x;
	size_t		 n = 0;

	TAILQ_FOREACH(x, &s->wait, entry) {
		if (x == w)
			break;
		n++;
	}
	return (n);
}

static void
slots_wake(struct slots *s)
{
	struct slotwait	*w;

	while ((s->max == 0 || s->used < s->max) &&
	    (w = TAILQ_FIRST(&s->wait)) != NULL) {
		TAILQ_REMOVE(&s->wait, w, entry);
		s->nwait--;
		w->waiting = 0;
		s->used++;
		w->cb(w->arg);
	}
}

/* a slot is given back: the first in line gets it */
void
slots_put(struct slots *s)
{
	if (s->used > 0)
		s->used--;
	slots_wake(s);
}

/* w no longer waits */
void
slots_cancel(struct slots *s, struct slotwait *w)
{
	if (!w->waiting)
		return;
	TAILQ_REMOVE(&s->wait, w, entry);
	s->nwait--;
	w->waiting = 0;
}

/* a new limit (reload): more room lets the first in line go */
void
slots_resize(struct slots *s, size_t max)
{
	s->max = max;
	slots_wake(s);
}

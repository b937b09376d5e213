/*
 * policy.c - proxyd asks policyd about every network destination before
 * connecting (IMSG_POLICY_CHECK_NET, see imsg_policy.h).
 *
 * Fail closed: without a connection to policyd, on a timeout, or when
 * policyd goes away with questions pending, the answer is deny.  Only
 * "allow" allows; "approve" (which has no one to ask here) is a deny.
 * Answers are always delivered from the event loop.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "log.h"
#include "proc.h"
#include "topsh.h"
#include "proxyd.h"

#define POLICY_TIMEOUT	10	/* seconds */

struct policy_q {
	TAILQ_ENTRY(policy_q)	 entry;
	uint32_t		 id;
	struct event		*ev;
	int			 answered;
	int			 allowed;
	char			 why[256];
	policy_cb		 cb;
	void			*arg;
};
TAILQ_HEAD(policy_qs, policy_q);
static struct policy_qs	 pending = TAILQ_HEAD_INITIALIZER(pending);
static uint32_t		 policy_seq;

static void
q_free(struct policy_q *q)
{
	TAILQ_REMOVE(&pending, q, entry);
	event_free(q->ev);
	free(q);
}

static void
q_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct policy_q	*q = arg;
	policy_cb	 cb = q->cb;
	void		*cbarg = q->arg;
	char		 why[256];
	int		 allowed = q->allowed;

	if (!q->answered) {
		allowed = 0;
		strlcpy(q->why, "policy check timed out", sizeof(q->why));
	}
	strlcpy(why, q->why, sizeof(why));
	q_free(q);
	cb(allowed, allowed ? NULL : why, cbarg);
}

/* answer from the loop, soon */
static void
q_answer(struct policy_q *q, int allowed, const char *why)
{
	struct timeval	 now = { 0, 0 };

	if (q->answered)
		return;
	q->answered = 1;
	q->allowed = allowed;
	strlcpy(q->why, why != NULL ? why : "denied", sizeof(q->why));
	evtimer_del(q->ev);
	evtimer_add(q->ev, &now);
}

/* any request answered with IMSG_POLICY_RESULT; "allow" is allowed */
struct policy_q *
policy_ask(uint32_t type, json_t *o, int secs, policy_cb cb, void *arg)
{
	struct policy_q	*q;
	struct timeval	 tv = { secs, 0 };

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (NULL);
	if ((q->ev = evtimer_new(env->base, q_fire, q)) == NULL) {
		free(q);
		return (NULL);
	}
	q->id = ++policy_seq;
	q->cb = cb;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&pending, q, entry);
	if (o == NULL ||
	    proc_compose_json(PROC_POLICYD, type, q->id, -1, o) == -1)
		q_answer(q, 0, "policy service unavailable");
	else
		evtimer_add(q->ev, &tv);
	return (q);
}

struct policy_q *
policy_check_net(long long user, const char *host, const char *addr,
    int port, policy_cb cb, void *arg)
{
	struct policy_q	*q;
	json_t		*o;

	o = json_pack("{s:I, s:s, s:s?, s:i}", "user", (json_int_t)user,
	    "host", host, "addr", addr, "port", port);
	q = policy_ask(IMSG_POLICY_CHECK_NET, o, POLICY_TIMEOUT, cb, arg);
	json_decref(o);
	return (q);
}

void
policy_cancel(struct policy_q *q)
{
	if (q != NULL)
		q_free(q);
}

/* IMSG_POLICY_RESULT from policyd: 0, or -1 for a malformed answer */
int
policy_result(uint32_t id, json_t *o)
{
	struct policy_q	*q;
	const char	*decision, *msg, *rule;
	char		 why[256];

	TAILQ_FOREACH(q, &pending, entry)
		if (q->id == id)
			break;
	if (q == NULL) {
		log_debug("policy answer %u for nothing pending", id);
		return (0);
	}
	if ((decision = json_str_or(o, "decision", NULL)) == NULL) {
		q_answer(q, 0, "malformed policy answer");
		return (-1);
	}
	if (strcmp(decision, "allow") == 0) {
		q_answer(q, 1, "");
		return (0);
	}
	msg = json_str_or(o, "message", NULL);
	rule = json_str_or(o, "rule", NULL);
	snprintf(why, sizeof(why), "%s%s%s%s%s", decision,
	    rule != NULL ? " by rule " : "", rule != NULL ? rule : "",
	    msg != NULL ? ": " : "", msg != NULL ? msg : "");
	q_answer(q, 0, why);
	return (0);
}

void
policy_down(void)
{
	struct policy_q	*q;

	TAILQ_FOREACH(q, &pending, entry)
		q_answer(q, 0, "policy service went away");
}

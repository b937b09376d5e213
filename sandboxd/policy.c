/*
 * policy.c - asking policyd before every exec and file operation.
 *
 * Checks go out as IMSG_POLICY_CHECK_CMD / _FILE with our own request id
 * in the header; IMSG_POLICY_RESULT comes back with it.  Fail closed:
 * policyd not connected, gone while a check was pending, or silent for
 * POLICY_TIMEOUT seconds all answer "unavailable" and nothing runs.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "sandboxd.h"
#include "topsh.h"

#define POLICY_TIMEOUT	10

struct polreq {
	TAILQ_ENTRY(polreq)	 entry;
	uint32_t		 id;
	policy_cb		 cb;
	void			*arg;
	struct event		*timer;
};
static TAILQ_HEAD(, polreq) polreqs = TAILQ_HEAD_INITIALIZER(polreqs);
static uint32_t	 polreq_next = 1;

static void
polreq_finish(struct polreq *pr, const struct polres *res)
{
	TAILQ_REMOVE(&polreqs, pr, entry);
	if (pr->timer != NULL)
		event_free(pr->timer);
	pr->cb(res, pr->arg);
	free(pr);
}

static void
polreq_timeout(int fd, short ev, void *arg)
{
	log_warnx("policyd did not answer within %d seconds", POLICY_TIMEOUT);
	polreq_finish(arg, NULL);
}

/*
 * Ask policyd; cb runs later (never from inside this call).  Returns -1
 * when policyd is not connected: the caller refuses at once.
 */
int
sbx_policy_check(uint32_t type, json_t *req, policy_cb cb, void *arg)
{
	struct polreq	*pr;
	struct timeval	 tv = { POLICY_TIMEOUT, 0 };

	if (proc_peer(PROC_POLICYD) == NULL)
		return (-1);
	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return (-1);
	pr->id = polreq_next++;
	if (polreq_next == 0)
		polreq_next = 1;
	pr->cb = cb;
	pr->arg = arg;
	if ((pr->timer = evtimer_new(topsh_base, polreq_timeout, pr)) ==
	    NULL || proc_compose_json(PROC_POLICYD, type, pr->id, -1,
	    req) == -1) {
		if (pr->timer != NULL)
			event_free(pr->timer);
		free(pr);
		return (-1);
	}
	evtimer_add(pr->timer, &tv);
	TAILQ_INSERT_TAIL(&polreqs, pr, entry);
	return (0);
}

static const char *
str_or_null(json_t *o, const char *key)
{
	json_t	*j = json_object_get(o, key);

	return (json_is_string(j) ? json_string_value(j) : NULL);
}

/* IMSG_POLICY_RESULT for request id: 0, or -1 when malformed */
int
sbx_policy_result(uint32_t id, json_t *o)
{
	struct polreq	*pr;
	struct polres	 res;
	json_t		*t;

	TAILQ_FOREACH(pr, &polreqs, entry)
		if (pr->id == id)
			break;
	if (pr == NULL) {
		log_debug("policy result for unknown request %u", id);
		return (0);
	}
	memset(&res, 0, sizeof(res));
	res.decision = str_or_null(o, "decision");
	res.rule = str_or_null(o, "rule");
	res.category = str_or_null(o, "category");
	res.message = str_or_null(o, "message");
	res.ticket = str_or_null(o, "ticket");
	t = json_object_get(o, "scripts");
	res.scripts = json_is_array(t) && json_array_size(t) > 0 ? t : NULL;
	res.preliminary = json_is_true(json_object_get(o, "preliminary"));
	t = json_object_get(o, "timeout");
	res.timeout = json_is_integer(t) ? json_integer_value(t) : 0;
	if (res.decision == NULL) {
		log_warnx("policy result without a decision");
		polreq_finish(pr, NULL);
		return (-1);
	}
	polreq_finish(pr, &res);
	return (0);
}

/* policyd went away: every pending check fails closed */
void
sbx_policy_down(void)
{
	struct polreq	*pr;

	while ((pr = TAILQ_FIRST(&polreqs)) != NULL)
		polreq_finish(pr, NULL);
}

/*
 * Whether a result lets the request go on: NULL when it may, else an
 * IMSG_ERROR object.  approved is the approval ticket gatewayd
 * presented (see imsg_sandbox.h), sent to policyd with the check: only
 * policyd, which proxyd tells who pressed what, can turn "approve" into
 * "allow"; here it only changes the refusal's text.
 */
json_t *
sbx_policy_refusal(const struct polres *r, const char *approved)
{
	if (r == NULL)
		return (json_pack("{s:s, s:s}", "error", "policy service "
		    "unavailable: refused (fail closed)", "code",
		    "policy-unavailable"));
	if (strcmp(r->decision, "allow") == 0 ||
	    strcmp(r->decision, "soft-delete") == 0)
		return (NULL);
	if (strcmp(r->decision, "approve") == 0)
		return (json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:I, s:s?}",
		    "error", approved != NULL ? "needs approval: the approval "
		    "presented is not valid (no press of its button by the "
		    "user was vouched for, or it expired or was used)" :
		    "needs approval", "code", "needs-approval",
		    "rule", r->rule, "category", r->category,
		    "message", r->message, "timeout",
		    (json_int_t)r->timeout, "ticket", r->ticket));
	return (json_pack("{s:s, s:s, s:s?, s:s?, s:s?}",
	    "error", r->message != NULL ? r->message : "denied by policy",
	    "code", "denied", "rule", r->rule, "category", r->category,
	    "message", r->message));
}

/*
 * vouch.c - who really wrote to the bot and who really pressed Approve.
 *
 * gatewayd reads model output, so the user ids in its requests are only
 * claims.  proxyd is the one process that sees Telegram's updates; it
 * tells us (IMSG_POLICY_VOUCH, accepted from the proxyd peer alone)
 * which user wrote in which chat and which user pressed which button.
 * sandboxd asks before acting for a user (IMSG_POLICY_CHECK_USER), and
 * an "approve" decision becomes "allow" only through a ticket that the
 * user it was issued to pressed (see imsg_policy.h).  Everything lives
 * in memory: after a restart proxyd sends what it still vouches for
 * again; tickets of the old process are gone, so a held command is
 * asked about anew.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "policyd.h"
#include "topsh.h"

#define WRITERS_MAX	8192	/* users remembered; the oldest go first */
#define TICKETS_MAX	4096	/* tickets waiting for a press */
#define TICKET_LEN	32	/* hex digits */

struct writer {
	TAILQ_ENTRY(writer)	 entry;
	int64_t			 user;
	int64_t			 chat;
	time_t			 when;		/* monotonic seconds */
};
static TAILQ_HEAD(writerlist, writer) writers = TAILQ_HEAD_INITIALIZER(writers);
static size_t			 nwriters;

struct ticket {
	TAILQ_ENTRY(ticket)	 entry;
	char			 id[TICKET_LEN + 1];
	int64_t			 user;
	int64_t			 chat;		/* < 0: a group */
	char			*input;		/* kind, NUL-free key */
	char			*rule;
	time_t			 expires;
	int64_t			 pressed_by;	/* 0: not pressed */
};
static TAILQ_HEAD(, ticket)	 tickets = TAILQ_HEAD_INITIALIZER(tickets);
static size_t			 ntickets;

static long long		 window = 3600;
static unsigned long long	 st_writes, st_presses, st_refused,
				 st_approved;

static time_t
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

void
pd_vouch_init(long long vouch_window)
{
	if (vouch_window > 0)
		window = vouch_window;
}

static void
ticket_free(struct ticket *t)
{
	TAILQ_REMOVE(&tickets, t, entry);
	ntickets--;
	free(t->input);
	free(t->rule);
	free(t);
}

static void
expire(void)
{
	struct writer	*w;
	struct ticket	*t, *tn;
	time_t		 n = now();

	/* writers are kept in the order they last wrote */
	while ((w = TAILQ_FIRST(&writers)) != NULL && n - w->when > window) {
		TAILQ_REMOVE(&writers, w, entry);
		nwriters--;
		free(w);
	}
	TAILQ_FOREACH_SAFE(t, &tickets, entry, tn)
		if (t->expires < n)
			ticket_free(t);
}

static void
wrote(int64_t user, int64_t chat, long long age)
{
	struct writer	*w;
	time_t		 when = now() - (age > 0 ? age : 0);

	if (user <= 0 || age > window)
		return;
	TAILQ_FOREACH(w, &writers, entry)
		if (w->user == user)
			break;
	if (w != NULL) {
		if (w->when > when)
			return;
		TAILQ_REMOVE(&writers, w, entry);
	} else {
		if (nwriters >= WRITERS_MAX) {
			w = TAILQ_FIRST(&writers);
			TAILQ_REMOVE(&writers, w, entry);
		} else if ((w = calloc(1, sizeof(*w))) == NULL)
			return;
		else
			nwriters++;
		w->user = user;
	}
	w->chat = chat;
	w->when = when;
	/* keep the list ordered by time: a replayed old entry goes back */
	{
		struct writer	*o;

		TAILQ_FOREACH_REVERSE(o, &writers, writerlist, entry)
			if (o->when <= when)
				break;
		if (o == NULL)
			TAILQ_INSERT_HEAD(&writers, w, entry);
		else
			TAILQ_INSERT_AFTER(&writers, o, w, entry);
	}
	st_writes++;
}

/* the ticket id at the end of a button's callback data, or NULL */
static const char *
data_ticket(const char *data)
{
	const char	*p = strrchr(data, ':');
	size_t		 i;

	p = p != NULL ? p + 1 : data;
	if (strlen(p) != TICKET_LEN)
		return (NULL);
	for (i = 0; i < TICKET_LEN; i++)
		if (!isxdigit((unsigned char)p[i]))
			return (NULL);
	return (p);
}

static int
is_admin(const struct cfstrlist *l, int64_t user)
{
	const char	*errstr;
	size_t		 i;

	for (i = 0; i < l->n; i++)
		if (strtonum(l->v[i], 1, LLONG_MAX, &errstr) == user &&
		    errstr == NULL)
			return (1);
	return (0);
}

/*
 * May user's press approve ticket t?  topsh.conf's approve-by (the
 * gateway section): the requester, an admin, or either; "auto" is
 * either in private chats and admin in groups (chat ids below 0).
 */
static int
may_approve(const struct ticket *t, int64_t user)
{
	const struct conf_gateway	*g;
	int				 req = 1, adm = 0;

	if (topsh_conf == NULL)
		return (user == t->user);
	g = &topsh_conf->gateway;
	switch (g->approve_by) {
	case APPROVE_BY_REQUESTER:
		break;
	case APPROVE_BY_ADMIN:
		req = 0;
		adm = 1;
		break;
	case APPROVE_BY_EITHER:
		adm = 1;
		break;
	default:
		req = t->chat >= 0;
		adm = 1;
		break;
	}
	return ((req && user == t->user) || (adm && is_admin(&g->admins,
	    user)));
}

static void
pressed(int64_t user, int64_t chat, const char *data, long long age)
{
	struct ticket	*t;
	const char	*id;

	if (user <= 0 || data == NULL)
		return;
	st_presses++;
	wrote(user, chat, age);
	if ((id = data_ticket(data)) == NULL)
		return;
	TAILQ_FOREACH(t, &tickets, entry)
		if (strcasecmp(t->id, id) == 0)
			break;
	if (t == NULL) {
		log_info("vouch: user %" PRId64 " pressed an unknown or "
		    "expired approval", user);
		return;
	}
	/*
	 * Who may approve: approve-by (the user the command was held for,
	 * an admin, or either); a press by anyone else does not count.
	 */
	if (!may_approve(t, user)) {
		log_info("vouch: user %" PRId64 " pressed the approval of user "
		    "%" PRId64 " (rule %s): not allowed by approve-by, it does "
		    "not count", user, t->user, t->rule);
		return;
	}
	if (t->pressed_by == 0)
		t->pressed_by = user;
}

/* IMSG_POLICY_VOUCH from proxyd: 0, -1 when malformed */
int
pd_vouch_record(json_t *req)
{
	json_t	*a, *e;
	size_t	 i;

	if (!json_is_object(req))
		return (-1);
	expire();
	a = json_object_get(req, "writes");
	if (a != NULL && !json_is_array(a))
		return (-1);
	json_array_foreach(a, i, e)
		wrote(json_integer_value(json_object_get(e, "user")),
		    json_integer_value(json_object_get(e, "chat")),
		    json_integer_value(json_object_get(e, "age")));
	a = json_object_get(req, "presses");
	if (a != NULL && !json_is_array(a))
		return (-1);
	json_array_foreach(a, i, e)
		pressed(json_integer_value(json_object_get(e, "user")),
		    json_integer_value(json_object_get(e, "chat")),
		    json_string_value(json_object_get(e, "data")),
		    json_integer_value(json_object_get(e, "age")));
	return (0);
}

/* 1 when proxyd vouched for user within the window */
int
pd_vouch_user(int64_t user)
{
	struct writer	*w;

	expire();
	TAILQ_FOREACH_REVERSE(w, &writers, writerlist, entry)
		if (w->user == user)
			return (1);
	st_refused++;
	return (0);
}

static char *
ticket_key(uint32_t type, json_t *req)
{
	const char	*cmd = json_string_value(json_object_get(req,
	    "command"));
	const char	*op = json_string_value(json_object_get(req, "op"));
	const char	*path = json_string_value(json_object_get(req, "path"));
	char		*k;

	if (cmd != NULL && strlen(cmd) == json_string_length(json_object_get(
	    req, "command"))) {
		if (asprintf(&k, "cmd %u %s", type, cmd) == -1)
			return (NULL);
	} else if (path != NULL) {
		if (asprintf(&k, "file %u %s %s", type, op != NULL ? op :
		    "read", path) == -1)
			return (NULL);
	} else
		return (NULL);
	return (k);
}

/* the audit trail names who approved what */
static void
audit_approved(uint32_t type, json_t *req, const char *rule, int64_t by)
{
	json_t		*extra;
	const char	*input;

	input = json_string_value(json_object_get(req, type ==
	    IMSG_POLICY_CHECK_FILE ? "path" : "command"));
	extra = json_pack("{s:s, s:s, s:I}", "decision", "approved", "rule",
	    rule, "approved_by", (json_int_t)by);
	pd_audit_record(type == IMSG_POLICY_CHECK_FILE ? "file" : "command",
	    json_integer_value(json_object_get(req, "user")),
	    json_integer_value(json_object_get(req, "chat")),
	    input != NULL ? input : "", extra, NULL);
	json_decref(extra);
}

/*
 * An "approve" result for sandboxd: turn it into "allow" when req
 * presents a pressed ticket for the same user, input and rule; else add
 * a fresh ticket.  out is the result object, changed in place.
 */
void
pd_vouch_approval(uint32_t type, json_t *req, json_t *out)
{
	struct ticket	*t;
	const char	*rule = json_string_value(json_object_get(out, "rule"));
	const char	*ap = json_string_value(json_object_get(req,
	    "approval"));
	int64_t		 user = json_integer_value(json_object_get(req,
	    "user"));
	long long	 timeout = json_integer_value(json_object_get(out,
	    "timeout"));
	unsigned char	 rnd[TICKET_LEN / 2];
	char		*key;
	size_t		 i;

	if (rule == NULL || user <= 0 ||
	    (key = ticket_key(type, req)) == NULL)
		return;
	expire();
	if (ap != NULL) {
		TAILQ_FOREACH(t, &tickets, entry)
			if (strcasecmp(t->id, ap) == 0)
				break;
		if (t != NULL && t->user == user && t->pressed_by != 0 &&
		    strcmp(t->rule, rule) == 0 && strcmp(t->input, key) == 0) {
			log_info("user %" PRId64 ": rule %s approved by a press "
			    "of user %" PRId64, user, rule, t->pressed_by);
			json_object_set_new(out, "decision",
			    json_string("allow"));
			json_object_set_new(out, "approved_by",
			    json_integer(t->pressed_by));
			audit_approved(type, req, rule, t->pressed_by);
			ticket_free(t);
			free(key);
			st_approved++;
			return;
		}
		log_info("user %" PRId64 ": approval %.8s... for rule %s not "
		    "accepted: %s", user, ap, rule, t == NULL ? "no such ticket" :
		    t->user != user ? "another user's ticket" :
		    t->pressed_by == 0 ? "no press vouched for" :
		    "another rule or input");
	}
	if (ntickets >= TICKETS_MAX)
		ticket_free(TAILQ_FIRST(&tickets));
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->rule = strdup(rule)) == NULL) {
		free(t);
		free(key);
		return;
	}
	t->input = key;
	t->user = user;
	t->chat = json_integer_value(json_object_get(req, "chat"));
	if (timeout <= 0)
		timeout = 300;
	/* a few seconds for the press to travel back */
	t->expires = now() + timeout + 5;
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(t->id + 2 * i, 3, "%02x", rnd[i]);
	TAILQ_INSERT_TAIL(&tickets, t, entry);
	ntickets++;
	json_object_set_new(out, "ticket", json_string(t->id));
}

json_t *
pd_vouch_status(void)
{
	expire();
	return (json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "window", (json_int_t)window,
	    "users", (json_int_t)nwriters,
	    "tickets", (json_int_t)ntickets,
	    "writes", (json_int_t)st_writes,
	    "presses", (json_int_t)st_presses,
	    "refused", (json_int_t)st_refused,
	    "approved", (json_int_t)st_approved));
}

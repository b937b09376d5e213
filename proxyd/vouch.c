/*
 * vouch.c - proxyd vouches for who wrote and who pressed a button.
 *
 * proxyd is the one process that sees Telegram's updates: the user ids
 * in them come from Telegram, not from gatewayd, which reads model
 * output and may be compromised.  Each getUpdates answer is read here
 * before gatewayd gets it: every message (from.id, chat.id) and every
 * button press (callback_query from.id and data) is remembered and told
 * to policyd (IMSG_POLICY_VOUCH); gatewayd gets the updates only once
 * policyd has them (or after POLICY_VOUCH_WAIT seconds, or at once when
 * policyd is away), so no request can overtake its voucher.  policyd
 * then answers sandboxd's IMSG_POLICY_CHECK_USER and turns a pressed
 * approval ticket into "allow".  proxyd's own per-user services
 * (search_web, fetch_page, Google Drive) are refused here for a user
 * who has not written within vouch-window.  When policyd comes back
 * after a restart it is told again whom we still vouch for.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "conf_policy.h"
#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "proxyd.h"
#include "topsh.h"

#define VOUCH_USERS_MAX	8192
#define VOUCH_WAIT	3	/* seconds gatewayd's updates may wait */

struct vuser {
	TAILQ_ENTRY(vuser)	 entry;
	int64_t			 user;
	int64_t			 chat;		/* of the latest message */
	time_t			 when;		/* monotonic */
};
static TAILQ_HEAD(vuserlist, vuser)	 vusers =
    TAILQ_HEAD_INITIALIZER(vusers);
static size_t				 nvusers;

struct vouch_ctx {
	struct preq		*r;
	json_t			*result;
	struct policy_q		*q;
};

static time_t
mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static long long
vouch_window(void)
{
	long long	w = topsh_conf != NULL ?
	    topsh_conf->policy.vouch_window : 0;

	return (w > 0 ? w : 3600);
}

static void
expire(void)
{
	struct vuser	*v;
	time_t		 n = mono();

	while ((v = TAILQ_FIRST(&vusers)) != NULL &&
	    n - v->when > vouch_window()) {
		TAILQ_REMOVE(&vusers, v, entry);
		nvusers--;
		free(v);
	}
}

static void
remember(int64_t user, int64_t chat)
{
	struct vuser	*v;

	TAILQ_FOREACH(v, &vusers, entry)
		if (v->user == user)
			break;
	if (v != NULL)
		TAILQ_REMOVE(&vusers, v, entry);
	else if (nvusers >= VOUCH_USERS_MAX) {
		v = TAILQ_FIRST(&vusers);
		TAILQ_REMOVE(&vusers, v, entry);
	} else if ((v = calloc(1, sizeof(*v))) != NULL)
		nvusers++;
	else
		return;
	v->user = user;
	v->chat = chat;
	v->when = mono();
	TAILQ_INSERT_TAIL(&vusers, v, entry);
}

/*
 * 1 when the latest message or press proxyd saw from user, within
 * vouch-window, was in the user's private chat with the bot (whose id
 * is the user's own): Drive linking is done only there.
 */
int
vouch_private(long long user)
{
	struct vuser	*v;

	expire();
	TAILQ_FOREACH_REVERSE(v, &vusers, vuserlist, entry)
		if (v->user == user)
			return (v->chat == user);
	return (0);
}

/* 1 when user wrote or pressed a button within vouch-window */
int
vouch_user(long long user)
{
	struct vuser	*v;

	expire();
	TAILQ_FOREACH_REVERSE(v, &vusers, vuserlist, entry)
		if (v->user == user)
			return (1);
	return (0);
}

static int64_t
sender(json_t *o)
{
	json_t	*from = json_object_get(o, "from");

	if (json_is_true(json_object_get(from, "is_bot")))
		return (0);
	return (json_integer_value(json_object_get(from, "id")));
}

/* the vouchers in one getUpdates result; NULL when there are none */
static json_t *
collect(json_t *result)
{
	static const char *const kinds[] = { "message", "edited_message" };
	json_t		*u, *m, *cq, *writes, *presses, *o;
	int64_t		 user, chat;
	const char	*data;
	size_t		 i, k;

	if ((writes = json_array()) == NULL ||
	    (presses = json_array()) == NULL) {
		json_decref(writes);
		return (NULL);
	}
	json_array_foreach(result, i, u) {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			m = json_object_get(u, kinds[k]);
			if (!json_is_object(m) || (user = sender(m)) <= 0)
				continue;
			chat = json_integer_value(json_object_get(
			    json_object_get(m, "chat"), "id"));
			remember(user, chat);
			json_array_append_new(writes, json_pack("{s:I, s:I, "
			    "s:i}", "user", (json_int_t)user, "chat",
			    (json_int_t)chat, "age", 0));
		}
		cq = json_object_get(u, "callback_query");
		if (!json_is_object(cq) || (user = sender(cq)) <= 0)
			continue;
		chat = json_integer_value(json_object_get(json_object_get(
		    json_object_get(cq, "message"), "chat"), "id"));
		data = json_string_value(json_object_get(cq, "data"));
		remember(user, chat);
		json_array_append_new(presses, json_pack("{s:I, s:I, s:s, "
		    "s:i}", "user", (json_int_t)user, "chat", (json_int_t)chat,
		    "data", data != NULL ? data : "", "age", 0));
	}
	if (json_array_size(writes) == 0 && json_array_size(presses) == 0) {
		json_decref(writes);
		json_decref(presses);
		return (NULL);
	}
	o = json_pack("{s:o, s:o}", "writes", writes, "presses", presses);
	return (o);
}

static void
vouch_cancel(struct preq *r)
{
	struct vouch_ctx	*v = r->ctx;

	if (v == NULL)
		return;
	policy_cancel(v->q);
	json_decref(v->result);
	free(v);
	r->ctx = NULL;
}

static void
vouched(int allowed, const char *why, void *arg)
{
	struct vouch_ctx	*v = arg;
	struct preq		*r = v->r;
	json_t			*result = v->result;

	if (!allowed)
		log_warnx("policyd did not take the vouchers: %s", why);
	v->q = NULL;
	v->result = NULL;
	vouch_cancel(r);
	r->cancel = NULL;
	preq_ok(r, result);
}

/*
 * The updates of a getUpdates answer go to gatewayd once policyd knows
 * who wrote and pressed in them.  Takes the reference of result.
 */
void
vouch_updates(struct preq *r, json_t *result)
{
	struct vouch_ctx	*v;
	json_t			*o;

	expire();
	if (!json_is_array(result) || (o = collect(result)) == NULL ||
	    proc_peer(PROC_POLICYD) == NULL ||
	    (v = calloc(1, sizeof(*v))) == NULL) {
		if (json_is_array(result) && proc_peer(PROC_POLICYD) == NULL)
			log_debug("policyd away: updates go on unvouched");
		preq_ok(r, result);
		return;
	}
	/* the Telegram request's state is done with */
	if (r->cancel != NULL)
		r->cancel(r);
	v->r = r;
	v->result = result;
	r->ctx = v;
	r->cancel = vouch_cancel;
	v->q = policy_ask(IMSG_POLICY_VOUCH, o, VOUCH_WAIT, vouched, v);
	json_decref(o);
	if (v->q == NULL) {
		v->result = NULL;
		vouch_cancel(r);
		r->cancel = NULL;
		preq_ok(r, result);
	}
}

static void
replayed(int allowed, const char *why, void *arg)
{
	if (!allowed)
		log_warnx("policyd did not take the vouchers again: %s", why);
}

/* policyd (re)connected: tell it whom we still vouch for */
void
vouch_replay(void)
{
	struct vuser	*v;
	json_t		*writes, *o;
	time_t		 n = mono();

	expire();
	if (TAILQ_EMPTY(&vusers) || (writes = json_array()) == NULL)
		return;
	TAILQ_FOREACH(v, &vusers, entry)
		json_array_append_new(writes, json_pack("{s:I, s:I, s:I}",
		    "user", (json_int_t)v->user, "chat", (json_int_t)v->chat,
		    "age", (json_int_t)(n - v->when)));
	if ((o = json_pack("{s:o, s:[]}", "writes", writes, "presses")) ==
	    NULL)
		return;
	log_info("policyd is up: vouching again for %zu users", nvusers);
	(void)policy_ask(IMSG_POLICY_VOUCH, o, VOUCH_WAIT, replayed, NULL);
	json_decref(o);
}

/*
 * proxyd's own per-user services: 0 when r's user may be served, else
 * r has been answered with the refusal.
 */
int
vouch_check(struct preq *r)
{
	if (r->user > 0 && vouch_user(r->user))
		return (0);
	log_warnx("%s %u for user %lld, who has not written recently: "
	    "refused", preq_name(r->type), r->reqid, r->user);
	preq_fail(r, 0, 0, "user %lld has not written to the bot recently: "
	    "refused", r->user);
	return (-1);
}

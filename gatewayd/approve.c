/*
 * approve.c - questions with inline buttons: approvals (Approve/Deny)
 * and ask_user.  Only who may answer can press a button (the user who
 * asked, an admin, or either: approve-by in topsh.conf(5) decides for
 * approvals, ask_user is always the user's own); anyone else is told
 * so and nothing happens.  policyd applies the same approve-by to the
 * presses proxyd vouches for, so gatewayd's word is not needed.  No answer within the timeout
 * counts as the answer -1 (for approvals: deny).  The buttons carry
 * "q:<id>:<choice>" (an Approve button also ":<ticket>", which proxyd
 * and policyd check); ids are never reused within a run, and a press
 * on a question from before a restart is answered as expired.
 */
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "conf_gateway.h"
#include "gateway.h"
#include "log.h"

struct ask {
	TAILQ_ENTRY(ask)	 entry;
	uint32_t		 id;
	int64_t			 user;
	int64_t			 chat;
	int64_t			 msgid;
	int			 who;		/* ASK_REQUESTER|ASK_ADMIN */
	char			*text;
	char			**labels;
	size_t			 n;
	struct event		*timer;
	ask_cb			 cb;
	void			*arg;
};
static TAILQ_HEAD(, ask)	 asks = TAILQ_HEAD_INITIALIZER(asks);
static uint32_t			 ask_nextid;
static int64_t			 ask_presser;	/* during the callback */

static void
ask_free(struct ask *q)
{
	size_t	i;

	TAILQ_REMOVE(&asks, q, entry);
	if (q->timer != NULL)
		event_free(q->timer);
	for (i = 0; i < q->n; i++)
		free(q->labels[i]);
	free(q->labels);
	free(q->text);
	free(q);
}

static struct ask *
ask_find(uint32_t id)
{
	struct ask	*q;

	TAILQ_FOREACH(q, &asks, entry)
		if (q->id == id)
			return (q);
	return (NULL);
}

/* the question is over: show the outcome, call back */
static void
ask_finish(struct ask *q, int choice, const char *outcome)
{
	ask_cb	 cb = q->cb;
	void	*arg = q->arg;
	char	*text;

	if (q->msgid > 0 && asprintf(&text, "%s\n\n%s", q->text, outcome) !=
	    -1) {
		/* editing the text without reply_markup removes the buttons */
		tg_edit(q->chat, q->msgid, text);
		free(text);
	}
	ask_free(q);
	cb(choice, arg);
	ask_presser = 0;
}

static void
ask_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct ask	*q = arg;

	log_info("question %u to user %lld timed out", q->id,
	    (long long)q->user);
	ask_finish(q, -1, "\xe2\x8c\x9b No answer in time.");
}

static void
ask_sent(int ok, int64_t id, const char *err, void *arg)
{
	uint32_t	 qid = (uint32_t)(uintptr_t)arg;
	struct ask	*q;

	if ((q = ask_find(qid)) == NULL) {
		return;
	}
	if (!ok) {
		log_warnx("question %u not delivered: %s", qid, err);
		event_del(q->timer);
		ask_finish(q, -1, "");
		return;
	}
	q->msgid = id;
}

/*
 * Ask m's sender text with buttons; cb(choice, arg) runs once: the
 * index pressed, or -1 on timeout.  The question id, 0 on failure
 * (cb does not run).
 */
/* who may approve a held command of m: ASK_REQUESTER|ASK_ADMIN */
int
approve_by(const struct chatmsg *m)
{
	switch (gw.conf->approve_by) {
	case APPROVE_BY_REQUESTER:
		return (ASK_REQUESTER);
	case APPROVE_BY_ADMIN:
		return (ASK_ADMIN);
	case APPROVE_BY_EITHER:
		return (ASK_REQUESTER | ASK_ADMIN);
	}
	return (m->group ? ASK_ADMIN : ASK_REQUESTER | ASK_ADMIN);
}

/* "Frank or an admin", for the question's text */
const char *
approve_who(const struct chatmsg *m, int who, char *buf, size_t len)
{
	if (who == ASK_ADMIN)
		snprintf(buf, len, "an admin of this bot");
	else if (who == ASK_REQUESTER)
		snprintf(buf, len, "%s", m->name);
	else
		snprintf(buf, len, "%s or an admin of this bot", m->name);
	return (buf);
}

/* the user whose press is being answered (inside an ask_cb), else 0 */
int64_t
approve_presser(uint32_t unused)
{
	return (ask_presser);
}

uint32_t
approve_ask(struct chatmsg *m, const char *text, const char **labels,
    size_t n, long long timeout, const char *ticket, ask_cb cb, void *arg)
{
	return (approve_ask_by(m, text, labels, n, timeout, ticket,
	    ASK_REQUESTER, cb, arg));
}

uint32_t
approve_ask_by(struct chatmsg *m, const char *text, const char **labels,
    size_t n, long long timeout, const char *ticket, int who, ask_cb cb,
    void *arg)
{
	struct ask	*q;
	struct timeval	 tv = { timeout, 0 };
	json_t		*kb, *row, *btn;
	char		 data[64];
	size_t		 i;

	if (n == 0 || (q = calloc(1, sizeof(*q))) == NULL)
		return (0);
	if (++ask_nextid == 0)
		ask_nextid = 1;
	q->id = ask_nextid;
	q->user = m->user;
	q->chat = m->chat;
	q->who = who;
	q->cb = cb;
	q->arg = arg;
	q->text = strdup(text);
	q->labels = calloc(n, sizeof(*q->labels));
	TAILQ_INSERT_TAIL(&asks, q, entry);
	if (q->text == NULL || q->labels == NULL)
		goto fail;
	kb = json_array();
	row = json_array();
	for (i = 0; i < n; i++) {
		if ((q->labels[i] = strdup(labels[i])) == NULL)
			goto fail;
		q->n++;
		/*
		 * The first button (Approve) ends with sandboxd's approval
		 * ticket: proxyd vouches to policyd for the user who pressed
		 * it, and only that turns the held request into an allowed
		 * one.  Deny never carries it.
		 */
		if (i == 0 && ticket != NULL && *ticket != '\0')
			snprintf(data, sizeof(data), "q:%u:%zu:%s", q->id, i,
			    ticket);
		else
			snprintf(data, sizeof(data), "q:%u:%zu", q->id, i);
		btn = json_pack("{s:s, s:s}", "text", labels[i],
		    "callback_data", data);
		/* two short buttons share a row; longer lists: one a row */
		if (n > 2) {
			json_array_append_new(kb, json_pack("[o]", btn));
		} else
			json_array_append_new(row, btn);
	}
	if (n <= 2)
		json_array_append_new(kb, row);
	else
		json_decref(row);
	if ((q->timer = evtimer_new(gw_base(), ask_timeout, q)) == NULL)
		goto fail;
	evtimer_add(q->timer, &tv);
	tg_send(m->chat, text, m->msgid, json_pack("{s:o}", "inline_keyboard",
	    kb), ask_sent, (void *)(uintptr_t)q->id);
	return (q->id);
 fail:
	ask_free(q);
	return (0);
}

void
approve_cancel(uint32_t id)
{
	struct ask	*q;

	if ((q = ask_find(id)) != NULL)
		ask_free(q);
}

/* a button press: 0 handled */
int
approve_callback(json_t *cq)
{
	const char	*id = json_string_value(json_object_get(cq, "id"));
	const char	*data = json_string_value(json_object_get(cq, "data"));
	int64_t		 from = json_integer_value(json_object_get(
	    json_object_get(cq, "from"), "id"));
	unsigned int	 qid;
	size_t		 choice;
	struct ask	*q;
	char		 outcome[160];

	if (id == NULL)
		return (-1);
	if (data == NULL || sscanf(data, "q:%u:%zu", &qid, &choice) != 2 ||
	    (q = ask_find(qid)) == NULL) {
		tg_answer_callback(id, "This question has expired.");
		return (0);
	}
	if (!((q->who & ASK_REQUESTER) && from == q->user) &&
	    !((q->who & ASK_ADMIN) && access_is_admin(from))) {
		log_info("user %lld pressed a button of user %lld: ignored "
		    "(not %s)", (long long)from, (long long)q->user,
		    q->who == ASK_ADMIN ? "an admin" : q->who == ASK_REQUESTER ?
		    "the requester" : "the requester or an admin");
		tg_answer_callback(id, q->who == ASK_ADMIN ? "Only an admin "
		    "of this bot can approve this." : q->who == ASK_REQUESTER ?
		    "Only the person who asked can answer this." : "Only the "
		    "person who asked or an admin can approve this.");
		return (0);
	}
	if (choice >= q->n) {
		tg_answer_callback(id, "Unknown choice.");
		return (0);
	}
	tg_answer_callback(id, q->labels[choice]);
	snprintf(outcome, sizeof(outcome), "\xe2\x9e\xa1\xef\xb8\x8f %s",
	    q->labels[choice]);
	if (from != q->user)
		snprintf(outcome, sizeof(outcome), "\xe2\x9e\xa1\xef\xb8\x8f "
		    "%s (by admin %lld)", q->labels[choice], (long long)from);
	event_del(q->timer);
	ask_presser = from;
	ask_finish(q, (int)choice, outcome);
	return (0);
}

json_t *
approve_pending(int64_t user)
{
	struct ask	*q;
	json_t		*a = json_array();

	TAILQ_FOREACH(q, &asks, entry)
		if (q->user == user)
			json_array_append_new(a, json_pack("{s:I, s:s}", "id",
			    (json_int_t)q->id, "text", q->text));
	return (a);
}

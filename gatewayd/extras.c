/*
 * extras.c - group-chat liveliness, each switchable in topsh.conf:
 * emoji reactions chosen by the model on messages the bot does not
 * answer (emoji-reactions, emoji-chance, emoji-interval per chat), and
 * "thoughts": now and then (thought-interval-min..max, thought-chance)
 * the model reads the group's recent messages and may post a short
 * remark (thoughts).  Only chats the bot has seen a message in since it
 * started take part.
 */
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "conf_gateway.h"
#include "gateway.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

/* reactions Telegram accepts from bots, and that suit a group */
static const char *const emojis[] = {
	"\xf0\x9f\x91\x8d", "\xe2\x9d\xa4", "\xf0\x9f\x94\xa5",
	"\xf0\x9f\x98\x81", "\xf0\x9f\xa4\x94", "\xf0\x9f\x91\x8f",
	"\xf0\x9f\x8e\x89", "\xf0\x9f\x98\xa2", "\xf0\x9f\xa4\xaf",
	"\xf0\x9f\x91\x80", "\xf0\x9f\x92\xaf", "\xf0\x9f\x99\x8f",
	NULL
};

struct groupchat {
	TAILQ_ENTRY(groupchat)	 entry;
	int64_t			 chat;
	time_t			 last_emoji;
	struct event		*thought;
};
static TAILQ_HEAD(, groupchat)	 groups = TAILQ_HEAD_INITIALIZER(groups);

struct reactreq {
	int64_t		 chat;
	int64_t		 msgid;
};

static int
chance(double p)
{
	if (p <= 0)
		return (0);
	return (arc4random_uniform(1000000) < p * 1e6);
}

static void
llm_ask(const char *system, const char *user, rpc_cb cb, void *arg)
{
	json_t	*req;

	req = json_pack("{s:{s:s, s:[{s:s, s:s}, {s:s, s:s}]}}", "request",
	    "model", gw.conf->model != NULL ? gw.conf->model : "default",
	    "messages", "role", "system", "content", system, "role", "user",
	    "content", user);
	if (req == NULL || rpc_call(PROC_PROXYD, IMSG_PROXY_LLM_CHAT, req, -1,
	    0, cb, arg) == 0) {
		free(arg);
		log_warnx("extras: out of memory");
	}
	json_decref(req);
}

static const char *
llm_text(struct rpc_reply *rep)
{
	if (!rep->ok)
		return (NULL);
	return (json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(rep->result, "choices"), 0),
	    "message"), "content")));
}

static void
emoji_chosen(struct rpc_reply *rep, void *arg)
{
	struct reactreq	*r = arg;
	const char	*text = llm_text(rep);
	size_t		 i;

	for (i = 0; text != NULL && emojis[i] != NULL; i++)
		if (strstr(text, emojis[i]) != NULL) {
			tg_react(r->chat, r->msgid, emojis[i]);
			break;
		}
	free(r);
}

static void
emoji_react(struct groupchat *g, struct chatmsg *m)
{
	struct reactreq	*r;
	struct buf	 b;
	char		*sys;
	size_t		 i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->chat = m->chat;
	r->msgid = m->msgid;
	buf_init(&b);
	buf_puts(&b, "You react to a message in a group chat with one emoji. "
	    "Choose the one that fits best from this list: ");
	for (i = 0; emojis[i] != NULL; i++) {
		buf_puts(&b, emojis[i]);
		buf_puts(&b, " ");
	}
	buf_puts(&b, "\nAnswer with the emoji only, or \"none\".");
	if ((sys = buf_finish(&b)) == NULL) {
		free(r);
		return;
	}
	g->last_emoji = time(NULL);
	llm_ask(sys, m->text, emoji_chosen, r);
	free(sys);
}

static void
thought_posted(struct rpc_reply *rep, void *arg)
{
	int64_t		*chat = arg;
	const char	*text = llm_text(rep);

	if (text != NULL && *text != '\0' && strncasecmp(text, "none", 4) !=
	    0) {
		store_history_add(&gw.store, *chat, gw.botname ? gw.botname :
		    "bot", text);
		tg_send(*chat, text, 0, NULL, NULL, NULL);
	}
	free(chat);
}

static void	thought_arm(struct groupchat *);

static void
thought_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct groupchat	*g = arg;
	int64_t			*chat;
	char			*hist;

	thought_arm(g);
	if (!gw.conf->thoughts || !chance(gw.conf->thought_chance))
		return;
	hist = store_history_tail(&gw.store, g->chat,
	    gw.conf->thought_context * 200);
	if (hist == NULL || *hist == '\0' || (chat = malloc(sizeof(*chat))) ==
	    NULL) {
		free(hist);
		return;
	}
	*chat = g->chat;
	llm_ask("You are a friendly member of this group chat. From the "
	    "recent messages below, write one short, relevant thought, idea "
	    "or question (one or two sentences) to post. If nothing fits, "
	    "answer \"none\".", hist, thought_posted, chat);
	free(hist);
}

static void
thought_arm(struct groupchat *g)
{
	long long	 lo = gw.conf->thought_interval_min;
	long long	 hi = gw.conf->thought_interval_max;
	struct timeval	 tv;

	if (hi < lo)
		hi = lo;
	tv.tv_sec = lo + (hi > lo ? arc4random_uniform(hi - lo + 1) : 0);
	tv.tv_usec = 0;
	evtimer_add(g->thought, &tv);
}

static struct groupchat *
group_get(int64_t chat)
{
	struct groupchat	*g;

	TAILQ_FOREACH(g, &groups, entry)
		if (g->chat == chat)
			return (g);
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (NULL);
	g->chat = chat;
	if ((g->thought = evtimer_new(gw_base(), thought_cb, g)) == NULL) {
		free(g);
		return (NULL);
	}
	TAILQ_INSERT_TAIL(&groups, g, entry);
	if (gw.conf->thoughts)
		thought_arm(g);
	return (g);
}

/* a group message the bot does not answer (answered: 1 if it does) */
void
extras_message(struct chatmsg *m, int answered)
{
	struct groupchat	*g;

	if (!m->group || (g = group_get(m->chat)) == NULL)
		return;
	if (answered || !gw.conf->emoji_reactions || *m->text == '\0')
		return;
	if (time(NULL) - g->last_emoji < gw.conf->emoji_interval)
		return;
	if (chance(gw.conf->emoji_chance))
		emoji_react(g, m);
}

/* after a reload: start or stop thoughts */
void
extras_init(void)
{
	struct groupchat	*g;

	TAILQ_FOREACH(g, &groups, entry) {
		evtimer_del(g->thought);
		if (gw.conf->thoughts)
			thought_arm(g);
	}
}

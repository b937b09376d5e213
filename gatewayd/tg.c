/*
 * tg.c - the Telegram Bot API, reached only through proxyd
 * (IMSG_PROXY_TG_CALL, IMSG_PROXY_TG_UPDATES).
 *
 * Long polling: one getUpdates at a time; each update is handled
 * (accepted into the durable inbox, or answered) before the offset is
 * advanced and saved, so a crash neither loses nor repeats an update.
 * The state written for a batch is on disk (state_sync(), commit.c)
 * before the next getUpdates tells Telegram that the batch arrived.
 * Sending: Markdown rendered to HTML and split at 4096 units, sent in
 * order; a piece Telegram refuses to parse is sent again as plain text.
 * A 429 is retried after Telegram's retry_after.
 *
 * At start getMe and the first getUpdates go out together (one round
 * trip less before the bot is polling); updates that come before getMe
 * is answered are held and handled after it, as the bot's id and name
 * decide what is addressed to it.
 *
 * A failed getMe or getUpdates is retried after 1, 2, 4 ... seconds, at
 * most TG_BACKOFF_MAX, and logged as an error with what to check: the
 * telegram_token secret for a 401 or 404, telegram-url and the network
 * when Telegram does not answer.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "conf_gateway.h"
#include "conf_proxy.h"
#include "daemon.h"
#include "gateway.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

#define TG_MAX_ATTEMPTS	3
#define TG_POLL_PAUSE	3
#define TG_BACKOFF_MAX	60	/* seconds between retries, at most */

struct backoff {
	int		 wait;		/* the last pause, seconds */
	unsigned	 fails;		/* in a row */
};
static struct backoff	 getme_bo, poll_bo;
static char		 health[600] = "not connected yet";
static int		 known;		/* getMe answered */
static json_t		*held;		/* updates before that */
static int		 syncing;	/* waiting for the state commit */

struct tgcall {
	char		*method;
	json_t		*params;
	int		 optional;	/* proxyd may skip it (status) */
	int		 attempts;
	tg_cb		 cb;
	void		*arg;
};

struct tgsend {
	int64_t		 chat;
	int64_t		 reply_to;
	char		**pieces;
	char		**plain;	/* the same pieces without markup */
	size_t		 i;
	json_t		*markup;
	int64_t		 lastid;
	tg_cb		 cb;
	void		*arg;
};

static void	call(const char *, json_t *, int, tg_cb, void *);
static void	tg_call_send(struct tgcall *);
static void	tg_send_next(struct tgsend *);

static void
tgcall_free(struct tgcall *c)
{
	free(c->method);
	json_decref(c->params);
	free(c);
}

static void
tg_call_retry(evutil_socket_t fd, short ev, void *arg)
{
	tg_call_send(arg);
}

static void
tg_call_done(struct rpc_reply *rep, void *arg)
{
	struct tgcall	*c = arg;
	struct timeval	 tv;
	int64_t		 id = 0;

	if (!rep->ok && rep->status == 429 && c->attempts < TG_MAX_ATTEMPTS &&
	    !c->optional) {
		tv.tv_sec = rep->retry_after > 0 && rep->retry_after < 60 ?
		    rep->retry_after : 1;
		tv.tv_usec = 0;
		log_info("telegram %s: rate limited, again in %lld s",
		    c->method, (long long)tv.tv_sec);
		event_base_once(gw_base(), -1, EV_TIMEOUT, tg_call_retry, c,
		    &tv);
		return;
	}
	if (!rep->ok && c->optional)
		log_debug("telegram %s: %s", c->method, rep->error);
	else if (!rep->ok)
		log_warnx("telegram %s: %s", c->method, rep->error);
	if (rep->ok && json_is_object(rep->result))
		id = json_integer_value(json_object_get(rep->result,
		    "message_id"));
	if (c->cb != NULL)
		c->cb(rep->ok, id, rep->ok ? NULL : rep->error, c->arg);
	tgcall_free(c);
}

static void
tg_call_send(struct tgcall *c)
{
	json_t	*req;
	int	 flags = RPC_RETRY;

	c->attempts++;
	req = json_pack("{s:s, s:O, s:b}", "method", c->method, "params",
	    c->params, "optional", c->optional);
	if (req == NULL) {
		if (c->cb != NULL)
			c->cb(0, 0, "out of memory", c->arg);
		tgcall_free(c);
		return;
	}
	if (rpc_call(PROC_PROXYD, IMSG_PROXY_TG_CALL, req, -1, flags,
	    tg_call_done, c) == 0) {
		if (c->cb != NULL)
			c->cb(0, 0, "out of memory", c->arg);
		tgcall_free(c);
	}
	json_decref(req);
}

/* call a Bot API method; params is stolen; cb may be NULL */
void
tg_call(const char *method, json_t *params, tg_cb cb, void *arg)
{
	call(method, params, 0, cb, arg);
}

/*
 * A call that may be left out when Telegram's limits are busy (a
 * status message): proxyd answers it with an error instead of queueing
 * it in front of the answers; no retry after a 429.
 */
void
tg_call_optional(const char *method, json_t *params, tg_cb cb, void *arg)
{
	call(method, params, 1, cb, arg);
}

static void
call(const char *method, json_t *params, int optional, tg_cb cb, void *arg)
{
	struct tgcall	*c = NULL;

	if (params == NULL || (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->method = strdup(method)) == NULL) {
		json_decref(params);
		free(c);
		if (cb != NULL)
			cb(0, 0, "out of memory", arg);
		return;
	}
	c->params = params;
	c->optional = optional;
	c->cb = cb;
	c->arg = arg;
	tg_call_send(c);
}

static void
tgsend_free(struct tgsend *s)
{
	split_free(s->pieces);
	split_free(s->plain);
	json_decref(s->markup);
	free(s);
}

static void
tg_send_piece_done(int ok, int64_t id, const char *err, void *arg)
{
	struct tgsend	*s = arg;

	if (!ok && s->plain != NULL && s->plain[s->i] != NULL &&
	    s->pieces != s->plain && err != NULL &&
	    (strstr(err, "parse") != NULL || strstr(err, "entit") != NULL ||
	    strstr(err, "tag") != NULL)) {
		/* Telegram refused the HTML: this piece as plain text */
		json_t *p = json_pack("{s:I, s:s}", "chat_id",
		    (json_int_t)s->chat, "text", s->plain[s->i]);

		log_info("chat %lld: HTML refused (%s), sending plain text",
		    (long long)s->chat, err);
		free(s->pieces[s->i]);
		s->pieces[s->i] = strdup(s->plain[s->i]);
		if (s->pieces[s->i + 1] == NULL && s->markup != NULL)
			json_object_set(p, "reply_markup", s->markup);
		tg_call("sendMessage", p, tg_send_piece_done, s);
		s->plain[s->i][0] = '\0';	/* do not loop */
		return;
	}
	if (!ok) {
		if (s->cb != NULL)
			s->cb(0, 0, err, s->arg);
		tgsend_free(s);
		return;
	}
	s->lastid = id;
	s->i++;
	tg_send_next(s);
}

static void
tg_send_next(struct tgsend *s)
{
	json_t	*p;

	if (s->pieces[s->i] == NULL) {
		if (s->cb != NULL)
			s->cb(1, s->lastid, NULL, s->arg);
		tgsend_free(s);
		return;
	}
	p = json_pack("{s:I, s:s, s:s, s:b}", "chat_id", (json_int_t)s->chat,
	    "text", s->pieces[s->i], "parse_mode", "HTML",
	    "disable_web_page_preview", 1);
	if (p != NULL && s->i == 0 && s->reply_to > 0)
		json_object_set_new(p, "reply_to_message_id",
		    json_integer(s->reply_to));
	if (p != NULL && s->pieces[s->i + 1] == NULL && s->markup != NULL)
		json_object_set(p, "reply_markup", s->markup);
	tg_call("sendMessage", p, tg_send_piece_done, s);
}

/*
 * Send Markdown text to a chat, split as needed; markup (stolen, may be
 * NULL) goes with the last piece.  cb(ok, last message id, error, arg).
 */
void
tg_send(int64_t chat, const char *md, int64_t reply_to, json_t *markup,
    tg_cb cb, void *arg)
{
	struct tgsend	*s;
	char		*html, *plain;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		json_decref(markup);
		if (cb != NULL)
			cb(0, 0, "out of memory", arg);
		return;
	}
	s->chat = chat;
	s->reply_to = reply_to;
	s->markup = markup;
	s->cb = cb;
	s->arg = arg;
	if (md == NULL || *md == '\0')
		md = "(empty)";
	html = render_html(md);
	plain = html != NULL ? render_plain(html) : NULL;
	if (html != NULL)
		s->pieces = split_message(html, TG_MAXLEN, 1);
	if (plain != NULL)
		s->plain = split_message(plain, TG_MAXLEN, 0);
	free(html);
	free(plain);
	if (s->pieces == NULL || s->plain == NULL) {
		if (cb != NULL)
			cb(0, 0, "out of memory", arg);
		tgsend_free(s);
		return;
	}
	/* the plain fallback must match the pieces one to one */
	{
		size_t n1, n2;

		for (n1 = 0; s->pieces[n1] != NULL; n1++)
			;
		for (n2 = 0; s->plain[n2] != NULL; n2++)
			;
		if (n1 != n2) {
			split_free(s->plain);
			s->plain = NULL;
		}
	}
	if (s->pieces[0] == NULL) {
		/* nothing visible: say so rather than send nothing */
		split_free(s->pieces);
		s->pieces = split_message("(empty)", TG_MAXLEN, 0);
		if (s->pieces == NULL) {
			if (cb != NULL)
				cb(0, 0, "out of memory", arg);
			tgsend_free(s);
			return;
		}
	}
	tg_send_next(s);
}

static void
edit(int64_t chat, int64_t msgid, const char *md, int optional)
{
	char	*html;

	if (msgid <= 0)
		return;
	if ((html = render_html(md)) == NULL)
		return;
	if (utf16_units(html, strlen(html)) <= TG_MAXLEN)
		call("editMessageText", json_pack("{s:I, s:I, s:s, s:s}",
		    "chat_id", (json_int_t)chat, "message_id",
		    (json_int_t)msgid, "text", html, "parse_mode", "HTML"),
		    optional, NULL, NULL);
	free(html);
}

void
tg_edit(int64_t chat, int64_t msgid, const char *md)
{
	edit(chat, msgid, md, 0);
}

/*
 * The status message of a job: one short piece, sent or edited as an
 * optional call (left out while Telegram's limits are busy: the answer
 * matters more than the notice about it).
 */
void
tg_status_send(int64_t chat, const char *md, tg_cb cb, void *arg)
{
	char	*html;

	if ((html = render_html(md)) == NULL ||
	    utf16_units(html, strlen(html)) > TG_MAXLEN) {
		free(html);
		if (cb != NULL)
			cb(0, 0, "status message too long", arg);
		return;
	}
	call("sendMessage", json_pack("{s:I, s:s, s:s, s:b}", "chat_id",
	    (json_int_t)chat, "text", html, "parse_mode", "HTML",
	    "disable_web_page_preview", 1), 1, cb, arg);
	free(html);
}

void
tg_status_edit(int64_t chat, int64_t msgid, const char *md)
{
	edit(chat, msgid, md, 1);
}

void
tg_delete(int64_t chat, int64_t msgid)
{
	if (msgid <= 0)
		return;
	tg_call("deleteMessage", json_pack("{s:I, s:I}", "chat_id",
	    (json_int_t)chat, "message_id", (json_int_t)msgid), NULL, NULL);
}

void
tg_react(int64_t chat, int64_t msgid, const char *emoji)
{
	if (msgid <= 0)
		return;
	tg_call("setMessageReaction", json_pack("{s:I, s:I, s:[{s:s, s:s}]}",
	    "chat_id", (json_int_t)chat, "message_id", (json_int_t)msgid,
	    "reaction", "type", "emoji", "emoji", emoji), NULL, NULL);
}

void
tg_action(int64_t chat, const char *action)
{
	tg_call("sendChatAction", json_pack("{s:I, s:s}", "chat_id",
	    (json_int_t)chat, "action", action), NULL, NULL);
}

void
tg_answer_callback(const char *id, const char *text)
{
	json_t	*p = json_pack("{s:s}", "callback_query_id", id);

	if (p != NULL && text != NULL)
		json_object_set_new(p, "text", json_string(text));
	tg_call("answerCallbackQuery", p, NULL, NULL);
}

static void	tg_poll(void);

static void
tg_poll_again(evutil_socket_t fd, short ev, void *arg)
{
	tg_poll();
}

static void
tg_poll_later(long long secs)
{
	struct timeval	 tv = { secs > 0 && secs < 300 ? secs : TG_POLL_PAUSE,
	    0 };

	event_base_once(gw_base(), -1, EV_TIMEOUT, tg_poll_again, NULL, &tv);
}

/* the next pause: 1, 2, 4 ... TG_BACKOFF_MAX seconds, or retry_after */
static int
backoff_next(struct backoff *b, long long retry_after)
{
	b->fails++;
	b->wait = b->wait <= 0 ? 1 : b->wait * 2;
	if (b->wait > TG_BACKOFF_MAX)
		b->wait = TG_BACKOFF_MAX;
	if (retry_after > b->wait && retry_after < 300)
		return ((int)retry_after);
	return (b->wait);
}

static void
backoff_reset(struct backoff *b, const char *what)
{
	if (b->fails > 0)
		log_info("%s works again after %u failures", what, b->fails);
	b->wait = 0;
	b->fails = 0;
}

/* what the operator should check after a failed getMe or getUpdates */
static void
tg_hint(const struct rpc_reply *rep, char *buf, size_t len)
{
	const struct conf_proxy	*pc = &topsh_conf->proxy;

	switch (rep->status) {
	case 401:
		snprintf(buf, len, "Telegram refused the bot token: check "
		    "the telegram_token secret (%s/telegram_token, or proxyd's "
		    "credential) against @BotFather's", pc->secrets_dir);
		break;
	case 404:
		snprintf(buf, len, "Telegram does not know this bot: check "
		    "the telegram_token secret (%s/telegram_token) and "
		    "telegram-url (%s)", pc->secrets_dir, pc->telegram_url);
		break;
	case 409:
		snprintf(buf, len, "another program polls this bot or a "
		    "webhook is set (deleteWebhook)");
		break;
	case 429:
		snprintf(buf, len, "rate limited by Telegram");
		break;
	case 0:
		if (rep->code != NULL && strcmp(rep->code, "unavailable") == 0)
			snprintf(buf, len, "proxyd is not answering");
		else
			snprintf(buf, len, "Telegram is not reachable: check "
			    "telegram-url (%s), the network and proxyd's log",
			    pc->telegram_url);
		break;
	default:
		snprintf(buf, len, "Telegram answered HTTP %lld", rep->status);
		break;
	}
}

/* each update, in order, before the offset moves past it */
static void
tg_handle(json_t *updates)
{
	json_t		*u;
	size_t		 i;
	json_int_t	 id;

	json_array_foreach(updates, i, u) {
		id = json_integer_value(json_object_get(u, "update_id"));
		if (id < gw.offset) {
			log_debug("update %lld already handled",
			    (long long)id);
			continue;
		}
		bot_update(u);
		gw.handled++;
		gw.offset = id + 1;
		if (store_offset_save(&gw.store, gw.offset) == -1)
			log_warn("saving the update offset");
	}
}

static void
tg_updates(struct rpc_reply *rep, void *arg)
{
	char		 hint[512];
	int		 wait;

	gw.polling = 0;
	if (!known) {
		/* getMe is not answered yet; its answer polls again */
		if (!rep->ok || !json_is_array(rep->result))
			log_debug("getUpdates before getMe: %s", rep->ok ?
			    "no update array" : rep->error);
		else {
			held = json_incref(rep->result);
			log_debug("%zu updates held until getMe is answered",
			    json_array_size(held));
		}
		return;
	}
	if (!rep->ok || !json_is_array(rep->result)) {
		wait = backoff_next(&poll_bo, rep->retry_after);
		tg_hint(rep, hint, sizeof(hint));
		log_warnx("getUpdates failed: %s; %s; retrying in %d s",
		    rep->ok ? "no update array" : rep->error, hint, wait);
		snprintf(health, sizeof(health), "getUpdates failing: %s",
		    hint);
		tg_poll_later(wait);
		return;
	}
	backoff_reset(&poll_bo, "getUpdates");
	strlcpy(health, "ok", sizeof(health));
	tg_handle(rep->result);
	tg_poll();
}

static void	tg_poll_synced(void *);

/* the updates accepted so far go to disk before Telegram forgets them */
static void
tg_poll(void)
{
	if (gw.polling || held != NULL || syncing)
		return;
	syncing = 1;
	if (state_sync(STATE_INBOX, tg_poll_synced, NULL) == -1) {
		syncing = 0;
		tg_poll_later(TG_POLL_PAUSE);
	}
}

static void
tg_poll_synced(void *arg)
{
	json_t	*req;

	syncing = 0;
	if (gw.polling || held != NULL)
		return;
	req = json_pack("{s:I, s:I, s:I, s:[s,s]}", "offset",
	    (json_int_t)gw.offset, "timeout", (json_int_t)gw.conf->poll_timeout,
	    "limit", (json_int_t)50, "allowed_updates", "message",
	    "callback_query");
	if (req == NULL) {
		tg_poll_later(TG_POLL_PAUSE);
		return;
	}
	gw.polling = 1;
	if (rpc_call(PROC_PROXYD, IMSG_PROXY_TG_UPDATES, req, -1, RPC_RETRY,
	    tg_updates, NULL) == 0) {
		gw.polling = 0;
		tg_poll_later(TG_POLL_PAUSE);
	}
	json_decref(req);
}

void
tg_poll_start(void)
{
	tg_poll();
}

static void
tg_getme_again(evutil_socket_t fd, short ev, void *arg)
{
	tg_getme();
}

static void
tg_getme_reply(struct rpc_reply *rep, void *arg)
{
	const char	*name;
	struct timeval	 tv = { 0, 0 };
	char		 hint[512];

	if (!rep->ok || !json_is_object(rep->result)) {
		tv.tv_sec = backoff_next(&getme_bo, rep->retry_after);
		tg_hint(rep, hint, sizeof(hint));
		log_warnx("getMe failed: %s; %s; retrying in %lld s",
		    rep->ok ? "no result" : rep->error, hint,
		    (long long)tv.tv_sec);
		snprintf(health, sizeof(health), "getMe failing: %s", hint);
		daemon_status_note("Telegram getMe failing (see the log)");
		event_base_once(gw_base(), -1, EV_TIMEOUT, tg_getme_again,
		    NULL, &tv);
		return;
	}
	backoff_reset(&getme_bo, "getMe");
	strlcpy(health, "ok", sizeof(health));
	daemon_status_note(NULL);
	gw.botid = json_integer_value(json_object_get(rep->result, "id"));
	name = json_string_value(json_object_get(rep->result, "username"));
	if (name != NULL && gw.conf->bot_username == NULL) {
		free(gw.botname);
		gw.botname = strdup(name);
	}
	log_info("bot @%s (id %lld)", gw.botname != NULL ? gw.botname : "?",
	    (long long)gw.botid);
	known = 1;
	if (held != NULL) {
		tg_handle(held);
		json_decref(held);
		held = NULL;
	}
	tg_poll_start();
}

void
tg_getme(void)
{
	json_t	*req = json_pack("{s:s, s:{}}", "method", "getMe", "params");

	if (req == NULL || rpc_call(PROC_PROXYD, IMSG_PROXY_TG_CALL, req, -1,
	    RPC_RETRY, tg_getme_reply, NULL) == 0)
		fatalx("getMe: out of memory");
	json_decref(req);
	/* the first getUpdates need not wait for the answer */
	tg_poll();
}

/* for topshctl status: "ok", or what fails and what to check */
const char *
tg_health(void)
{
	return (health);
}

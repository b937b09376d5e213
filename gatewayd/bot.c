/*
 * bot.c - what to do with each Telegram update: who is answered
 * (private chats always; in groups a mention, a reply to the bot, or a
 * configurable chance on longer messages), the commands, abuse limits
 * (messages a minute, one job per user with a bounded queue, a global
 * cap), and button presses.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "conf_gateway.h"
#include "gateway.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

#define WARN_INTERVAL	60	/* seconds between "slow down" replies */

static const char help_text[] =
    "I am an assistant with a shell, files and the web in a sandbox of "
    "your own.\n\n"
    "Just write what you need. In groups, mention me or reply to me.\n\n"
    "/clear - forget our conversation in this chat\n"
    "/status - what I am doing\n"
    "/pending - your approvals and scheduled tasks\n"
    "/gdrive - connect Google Drive\n"
    "/help - this text";

static char *
dupstr_or_null(json_t *v)
{
	return (json_is_string(v) ? strdup(json_string_value(v)) : NULL);
}

static int
is_wordc(char c)
{
	return (isalnum((unsigned char)c) || c == '_');
}

/* @botname anywhere (case-insensitive), or a reply to the bot */
int
bot_addressed(const char *text, const char *botname, int64_t reply_from,
    int64_t botid)
{
	const char	*p;
	size_t		 bl;

	if (reply_from != 0 && reply_from == botid)
		return (1);
	if (text == NULL || botname == NULL || (bl = strlen(botname)) == 0)
		return (0);
	for (p = text; (p = strchr(p, '@')) != NULL; p++) {
		if (strncasecmp(p + 1, botname, bl) == 0 &&
		    !is_wordc(p[1 + bl]) && (p == text || !is_wordc(p[-1])))
			return (1);
	}
	return (0);
}

/*
 * "/cmd" or "/cmd@botname" at the start: 1 with the lowercased name in
 * cmd, 0 when not a command for us.
 */
int
bot_command(const char *text, const char *botname, char *cmd, size_t sz)
{
	size_t	 i = 0;
	const char *p;

	if (text == NULL || text[0] != '/' || sz == 0)
		return (0);
	for (p = text + 1; is_wordc(*p) && i + 1 < sz; p++)
		cmd[i++] = tolower((unsigned char)*p);
	cmd[i] = '\0';
	if (i == 0)
		return (0);
	if (*p == '@') {
		size_t bl = botname != NULL ? strlen(botname) : 0;

		if (bl == 0 || strncasecmp(p + 1, botname, bl) != 0 ||
		    is_wordc(p[1 + bl]))
			return (0);
	} else if (*p != '\0' && !isspace((unsigned char)*p))
		return (0);
	return (1);
}

static int
known_command(const char *cmd)
{
	static const char *const cmds[] = { "start", "help", "clear",
	    "status", "pending", "gdrive", "users", "allow", "block", "stats",
	    NULL };
	size_t	 i;

	for (i = 0; cmds[i] != NULL; i++)
		if (strcmp(cmds[i], cmd) == 0)
			return (1);
	return (0);
}

static void
reply(struct chatmsg *m, const char *text)
{
	tg_send(m->chat, text, m->msgid, NULL, NULL, NULL);
}

static void
gdrive_url_done(struct rpc_reply *rep, void *arg)
{
	struct chatmsg	*m = arg;
	const char	*url = NULL;
	char		*text;

	if (rep->ok)
		url = json_string_value(json_object_get(rep->result, "url"));
	if (url == NULL || !render_url_safe(url, strlen(url)))
		reply(m, "Google Drive is not available right now.");
	else if (asprintf(&text, "Open [this link](%s) and allow access. "
	    "Your browser then goes to a page that does not load: send me "
	    "that page's whole address. The link works once, for you only, "
	    "for 10 minutes.", url) != -1) {
		reply(m, text);
		free(text);
	}
	chatmsg_free(m);
}

static void
gdrive_status_done(struct rpc_reply *rep, void *arg)
{
	struct chatmsg	*m = arg;
	json_t		*req;

	if (!rep->ok) {
		reply(m, "Google Drive is not available right now.");
		chatmsg_free(m);
		return;
	}
	if (json_is_true(json_object_get(rep->result, "connected"))) {
		reply(m, "Google Drive is connected. Ask me to list, search "
		    "or download your files.");
		chatmsg_free(m);
		return;
	}
	req = json_pack("{s:I, s:I}", "user", (json_int_t)m->user, "chat",
	    (json_int_t)m->chat);
	if (rpc_call(PROC_PROXYD, IMSG_PROXY_GDRIVE_AUTH_URL, req, -1,
	    RPC_RETRY, gdrive_url_done, m) == 0)
		chatmsg_free(m);
	json_decref(req);
}

static void
cmd_status(struct chatmsg *m)
{
	char	*text;

	if (asprintf(&text, "Jobs running: %zu\nModel calls: %zu of %lld, "
	    "%zu waiting\nYour queued messages: %zu\nRequests in flight: "
	    "%zu\nUpdates handled: %llu", gw.jobs.running, gw.llm.used,
	    gw.conf->max_jobs, gw.llm.nwait, jobs_queued(&gw.jobs, m->user),
	    rpc_pending(), gw.handled) == -1)
		return;
	reply(m, text);
	free(text);
}

static void
cmd_pending(struct chatmsg *m)
{
	struct buf	 b;
	json_t		*a, *s, *v;
	size_t		 i;
	char		*text, line[512];

	buf_init(&b);
	a = approve_pending(m->user);
	s = sched_list(m->user);
	if (json_array_size(a) == 0 && json_array_size(s) == 0)
		buf_puts(&b, "Nothing pending.");
	json_array_foreach(a, i, v) {
		snprintf(line, sizeof(line), "- waiting for your answer: %s\n",
		    json_string_value(json_object_get(v, "text")));
		buf_puts(&b, line);
	}
	json_array_foreach(s, i, v) {
		time_t	 due = json_integer_value(json_object_get(v, "due"));
		struct tm tm;
		char	 ts[32];

		gmtime_r(&due, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M UTC", &tm);
		snprintf(line, sizeof(line), "- task %lld (%s) at %s: %s\n",
		    (long long)json_integer_value(json_object_get(v, "id")),
		    json_string_value(json_object_get(v, "kind")), ts,
		    json_string_value(json_object_get(v, "text")));
		buf_puts(&b, line);
	}
	json_decref(a);
	json_decref(s);
	if ((text = buf_finish(&b)) != NULL)
		reply(m, text);
	free(text);
}

/* 1 when the message was a command (answered here) */
static void
clear_done(struct rpc_reply *rep, void *arg)
{
	if (!rep->ok)
		log_warnx("/clear: background jobs not ended: %s", rep->error);
}

static int
bot_commands(struct chatmsg *m)
{
	char	 cmd[32];
	json_t	*req;

	if (!bot_command(m->text, gw.botname, cmd, sizeof(cmd)))
		return (0);
	if (admin_command(m, cmd))
		return (1);
	if (strcmp(cmd, "start") == 0 || strcmp(cmd, "help") == 0)
		reply(m, help_text);
	else if (strcmp(cmd, "clear") == 0) {
		agent_cancel_user(m->user, m->chat);
		/* and the background jobs the user's commands left */
		if ((req = json_pack("{s:I, s:I}", "user", (json_int_t)m->user,
		    "chat", (json_int_t)m->chat)) != NULL) {
			rpc_call(PROC_SANDBOXD, IMSG_SANDBOX_CLEAR, req, -1, 0,
			    clear_done, NULL);
			json_decref(req);
		}
		if (store_session_clear(&gw.store, m->user, m->chat) == -1)
			reply(m, "I could not clear the session; try again.");
		else
			reply(m, "Session cleared: I forgot our conversation "
			    "in this chat.");
		store_log(&gw.store, "user %" PRId64 " cleared the session in "
		    "chat %" PRId64, m->user, m->chat);
	} else if (strcmp(cmd, "status") == 0)
		cmd_status(m);
	else if (strcmp(cmd, "pending") == 0)
		cmd_pending(m);
	else if (strcmp(cmd, "gdrive") == 0) {
		struct chatmsg	*c;
		json_t		*copy;

		if (!gw.conf->gdrive) {
			reply(m, "Google Drive is switched off here.");
			return (1);
		}
		if (m->group) {
			reply(m, "Google Drive is linked in a private chat "
			    "with me only: send /gdrive there.");
			return (1);
		}
		if (!(tools_features() & TOOLS_GDRIVE)) {
			reply(m, "Google Drive is not set up on this bot.");
			return (1);
		}
		/* the reply comes later: a copy of the message waits for it */
		copy = chatmsg_json(m);
		c = chatmsg_from_json(copy);
		json_decref(copy);
		if (c == NULL)
			return (1);
		req = json_pack("{s:I}", "user", (json_int_t)m->user);
		if (rpc_call(PROC_PROXYD, IMSG_PROXY_GDRIVE_STATUS, req, -1,
		    RPC_RETRY, gdrive_status_done, c) == 0)
			chatmsg_free(c);
		json_decref(req);
	} else
		return (0);	/* unknown: the agent may know what to do */
	return (1);
}

static struct chatmsg *
parse_message(json_t *msg)
{
	struct chatmsg	*m;
	json_t		*from, *chat, *doc, *photo;
	const char	*type, *text, *first, *last;
	char		 name[128];

	from = json_object_get(msg, "from");
	chat = json_object_get(msg, "chat");
	if (!json_is_object(from) || !json_is_object(chat) ||
	    json_is_true(json_object_get(from, "is_bot")))
		return (NULL);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	m->user = json_integer_value(json_object_get(from, "id"));
	m->chat = json_integer_value(json_object_get(chat, "id"));
	m->msgid = json_integer_value(json_object_get(msg, "message_id"));
	type = json_string_value(json_object_get(chat, "type"));
	m->group = type == NULL || strcmp(type, "private") != 0;
	if ((text = json_string_value(json_object_get(msg, "text"))) == NULL)
		text = json_string_value(json_object_get(msg, "caption"));
	m->text = strdup(text != NULL ? text : "");
	first = json_string_value(json_object_get(from, "first_name"));
	last = json_string_value(json_object_get(from, "last_name"));
	snprintf(name, sizeof(name), "%s%s%s", first ? first : "user",
	    last ? " " : "", last ? last : "");
	m->name = strdup(name);
	if (json_string_value(json_object_get(from, "username")) != NULL)
		m->username = strdup(json_string_value(json_object_get(from,
		    "username")));
	if ((doc = json_object_get(msg, "document")) != NULL) {
		const char *fn = json_string_value(json_object_get(doc,
		    "file_name"));

		m->file_id = dupstr_or_null(json_object_get(doc, "file_id"));
		m->file_name = strdup(fn != NULL ? fn : "file");
		m->file_size = json_integer_value(json_object_get(doc,
		    "file_size"));
	} else if ((photo = json_object_get(msg, "photo")) != NULL &&
	    json_array_size(photo) > 0) {
		json_t	*big = json_array_get(photo, json_array_size(photo) - 1);
		char	 fn[64];

		snprintf(fn, sizeof(fn), "photo_%" PRId64 ".jpg", m->msgid);
		m->file_id = dupstr_or_null(json_object_get(big, "file_id"));
		m->file_name = strdup(fn);
		m->file_size = json_integer_value(json_object_get(big,
		    "file_size"));
	}
	if (m->user <= 0 || m->text == NULL || m->name == NULL) {
		chatmsg_free(m);
		return (NULL);
	}
	return (m);
}

static void
say_limited(struct chatmsg *m, const char *text)
{
	struct jobuser	*ju = jobs_user(&gw.jobs, m->user, 1);
	time_t		 now = time(NULL);

	/* a flood gets one answer a minute, not one per message */
	if (ju != NULL && now - ju->warned < WARN_INTERVAL)
		return;
	if (ju != NULL)
		ju->warned = now;
	reply(m, text);
}

/* queue or start the answer; fresh: not yet in the inbox */
void
bot_submit(struct chatmsg *m, int fresh)
{
	char	 text[256];

	if (fresh && m->inbox_id == 0)
		gw_inbox_add(m);
	switch (jobs_submit(&gw.jobs, m->user, m)) {
	case JOB_RUN:
		agent_start(m);
		return;
	case JOB_QUEUED:
		log_debug("user %lld: message %lld queued", (long long)m->user,
		    (long long)m->msgid);
		return;
	case JOB_QUEUE_FULL:
		snprintf(text, sizeof(text), "You already have %lld messages "
		    "waiting; I dropped this one. Please wait for my answers.",
		    gw.conf->queue_per_user);
		say_limited(m, text);
		break;
	case JOB_ERROR:
		reply(m, "Something went wrong on my side; please try again.");
		break;
	}
	store_log(&gw.store, "user %" PRId64 " chat %" PRId64 ": message %"
	    PRId64 " not answered (limits)", m->user, m->chat, m->msgid);
	gw_inbox_done(m);
	chatmsg_free(m);
}

/* a service message: the bot itself was added to the chat */
static int
bot_added(json_t *msg)
{
	json_t	*a, *u;
	size_t	 i;

	if ((u = json_object_get(msg, "new_chat_member")) != NULL &&
	    gw.botid != 0 && json_integer_value(json_object_get(u, "id")) ==
	    gw.botid)
		return (1);
	a = json_object_get(msg, "new_chat_members");
	json_array_foreach(a, i, u)
		if (json_integer_value(json_object_get(u, "id")) == gw.botid &&
		    gw.botid != 0)
			return (1);
	return (0);
}

static void
bot_message(json_t *msg)
{
	struct chatmsg	*m;
	struct jobuser	*ju;
	struct timespec	 ts;
	json_t		*rt;
	int64_t		 reply_from = 0;
	int		 addressed;

	if ((m = parse_message(msg)) == NULL)
		return;
	if (m->group && !access_chat_allowed(m->chat)) {
		/* a group nobody allowed: say nothing, leave when added */
		if (bot_added(msg)) {
			log_info("added to group %lld, which is not in "
			    "allow-chats: leaving", (long long)m->chat);
			tg_call("leaveChat", json_pack("{s:I}", "chat_id",
			    (json_int_t)m->chat), NULL, NULL);
		}
		chatmsg_free(m);
		return;
	}
	if (access_is_blocked(m->user)) {
		log_debug("user %lld is blocked: ignored", (long long)m->user);
		chatmsg_free(m);
		return;
	}
	gw_users_note(m->user, m->username, m->name, m->group ? 0 : m->chat);
	store_history_add(&gw.store, m->chat, m->name, m->file_id != NULL &&
	    *m->text == '\0' ? "[sent a file]" : m->text);
	if ((m->group && !gw.conf->groups) ||
	    (!m->group && !gw.conf->private_chats)) {
		chatmsg_free(m);
		return;
	}
	rt = json_object_get(msg, "reply_to_message");
	if (rt != NULL)
		reply_from = json_integer_value(json_object_get(
		    json_object_get(rt, "from"), "id"));
	addressed = !m->group || bot_addressed(m->text, gw.botname,
	    reply_from, gw.botid);
	if (m->group && !addressed && m->text[0] == '/') {
		char cmd[32];

		/* a plain /command in a group: only ours, others' bots may
		 * share the group */
		addressed = bot_command(m->text, gw.botname, cmd,
		    sizeof(cmd)) && known_command(cmd);
	}
	if (!addressed && gw.conf->group_reply_chance > 0 &&
	    (long long)strlen(m->text) >= gw.conf->group_reply_min_length &&
	    arc4random_uniform(1000000) < gw.conf->group_reply_chance * 1e6)
		addressed = 1;
	if (!addressed) {
		extras_message(m, 0);
		chatmsg_free(m);
		return;
	}
	/* an unknown user: a pairing code or nothing, never a job */
	if (access_check(m) != ACCESS_OK) {
		chatmsg_free(m);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ju = jobs_user(&gw.jobs, m->user, 1);
	if (ju != NULL && !ratelimit_take(&ju->rl, ts.tv_sec + ts.tv_nsec /
	    1e9, gw.conf->rate_per_minute, 0)) {
		log_info("user %lld is over %lld messages a minute",
		    (long long)m->user, gw.conf->rate_per_minute);
		say_limited(m, "You are sending messages too fast. Please "
		    "wait a little.");
		chatmsg_free(m);
		return;
	}
	if (bot_commands(m)) {
		chatmsg_free(m);
		return;
	}
	gw.answered++;
	bot_submit(m, 1);
}

void
bot_update(json_t *u)
{
	json_t	*v;

	if ((v = json_object_get(u, "callback_query")) != NULL) {
		approve_callback(v);
		return;
	}
	if ((v = json_object_get(u, "message")) != NULL && json_is_object(v))
		bot_message(v);
}

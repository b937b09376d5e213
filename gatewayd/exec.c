/*
 * exec.c - running one tool call.  Sandbox tools go to sandboxd (which
 * asks policyd before it acts), web and Google Drive tools to proxyd,
 * memory, schedule_task, send_dm and ask_user are handled here.  When
 * sandboxd answers "needs-approval" the user is asked with Approve and
 * Deny buttons; the Approve button carries the approval ticket of the
 * refusal, and on Approve the same request is sent again with it:
 * policyd lets it run only if proxyd vouched that the user pressed that
 * button (policyd(8), TRUST).
 * The result always comes back as text for the model.
 */
#include <inttypes.h>
#include <stdarg.h>
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

struct toolrun {
	struct chatmsg	*m;
	char		 name[32];
	json_t		*args;
	json_t		*req;
	int		 peer;
	uint32_t	 type;
	int		 approved;
	tool_done_cb	 done;
	void		*arg;
	void		(*status)(void *, const char *);
	char		 rule[128];
	char		 ticket[64];	/* policyd's approval ticket */
	char		 fname[160];
	int		 retries;
	int		 full;		/* "full" answers so far */
};

/*
 * sandboxd refuses with "policy-unavailable" while policyd is away
 * (a restart): nothing ran, so the request is sent again, a while.
 */
#define UNAVAILABLE_RETRIES	20
/*
 * "full": every sandbox (max-containers) is busy.  The user is told
 * once and the request waits: tried again every FULL_EVERY seconds,
 * for up to FULL_RETRIES times; the message is never dropped.
 */
#define FULL_EVERY		1
#define FULL_RETRIES		900

struct dmrate {
	int64_t		 user;
	struct ratelimit rl;
};
static struct dmrate	 dmrates[64];

static void	run_request(struct toolrun *);

static void
finish(struct toolrun *t, char *text, int err)
{
	tool_done_cb	 done = t->done;
	void		*arg = t->arg;

	json_decref(t->args);
	json_decref(t->req);
	free(t);
	done(text, err, arg);
}

static void
finishf(struct toolrun *t, int err, const char *fmt, ...)
	__attribute__((__format__(printf, 3, 4)));

static void
finishf(struct toolrun *t, int err, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	finish(t, s, err);
}

static const char *
sarg(struct toolrun *t, const char *key)
{
	return (json_string_value(json_object_get(t->args, key)));
}

static char *
format_exec(json_t *r)
{
	struct buf	 b;
	const char	*out = json_string_value(json_object_get(r, "stdout"));
	const char	*err = json_string_value(json_object_get(r, "stderr"));
	char		 head[128];

	buf_init(&b);
	snprintf(head, sizeof(head), "exit code: %lld%s%s\n",
	    (long long)json_integer_value(json_object_get(r, "exit")),
	    json_is_true(json_object_get(r, "timed_out")) ?
	    " (timed out: the command was killed)" : "",
	    json_is_true(json_object_get(r, "truncated")) ?
	    " (output cut in the middle)" : "");
	buf_puts(&b, head);
	if (out != NULL && *out != '\0') {
		buf_puts(&b, "stdout:\n");
		buf_puts(&b, out);
		if (b.len > 0 && b.s[b.len - 1] != '\n')
			buf_puts(&b, "\n");
	}
	if (err != NULL && *err != '\0') {
		buf_puts(&b, "stderr:\n");
		buf_puts(&b, err);
	}
	if ((out == NULL || *out == '\0') && (err == NULL || *err == '\0'))
		buf_puts(&b, "(no output)");
	return (buf_finish(&b));
}

static char *
format_read(json_t *r)
{
	const char	*c = json_string_value(json_object_get(r, "content"));
	const char	*enc = json_string_value(json_object_get(r, "encoding"));
	char		*s;

	if (enc != NULL && strcmp(enc, "base64") == 0) {
		if (asprintf(&s, "(binary file of %lld bytes; not shown)",
		    (long long)json_integer_value(json_object_get(r, "size")))
		    == -1)
			return (NULL);
		return (s);
	}
	if (asprintf(&s, "%s%s", c != NULL ? c : "",
	    json_is_true(json_object_get(r, "truncated")) ?
	    "\n[... file continues; read on with offset ...]" : "") == -1)
		return (NULL);
	return (s);
}

static void
approval_answer(int choice, void *arg)
{
	struct toolrun	*t = arg;

	int64_t		 by = approve_presser(0);

	if (choice == 0) {
		t->approved = 1;
		/* the ticket, not the rule: policyd checks the press */
		json_object_set_new(t->req, "approved", json_string(
		    t->ticket));
		store_log(&gw.store, "user %" PRId64 " approved %s (rule %s) "
		    "by user %" PRId64, t->m->user, t->name, t->rule, by);
		log_info("user %" PRId64 ": %s (rule %s) approved by user %"
		    PRId64, t->m->user, t->name, t->rule, by);
		if (t->status != NULL)
			t->status(t->arg, "approved, running");
		run_request(t);
		return;
	}
	store_log(&gw.store, "user %" PRId64 " %s %s (rule %s)", t->m->user,
	    choice == 1 ? "denied" : "did not answer for", t->name, t->rule);
	if (choice == 1)
		finishf(t, 1, "The user denied this (rule %s). Do not try to "
		    "get around the refusal; ask what to do instead.", t->rule);
	else
		finishf(t, 1, "Nobody approved this in time, so it was denied "
		    "(rule %s).", t->rule);
}

static void
ask_approval(struct toolrun *t, struct rpc_reply *rep)
{
	static const char *buttons[] = { "\xe2\x9c\x85 Approve",
	    "\xe2\x9d\x8c Deny" };
	const char	*msg = json_string_value(json_object_get(rep->obj,
	    "message"));
	const char	*what = sarg(t, "command");
	long long	 timeout = json_integer_value(json_object_get(rep->obj,
	    "timeout"));
	char		*text, who[256];
	int		 by = approve_by(t->m);

	if (what == NULL)
		what = sarg(t, "path");
	if (timeout <= 0 || timeout > gw.conf->approval_timeout)
		timeout = gw.conf->approval_timeout;
	if (asprintf(&text, "\xe2\x9a\xa0\xef\xb8\x8f **Approval needed**\n"
	    "%s\n\n%s: `%s`\nRule: %s\nRequested by: %s\n\nOnly %s can "
	    "approve; no answer in %lld s means deny.", msg != NULL ? msg :
	    "This needs approval.", t->name, what != NULL ? what : "?",
	    t->rule, t->m->name, approve_who(t->m, by, who, sizeof(who)),
	    timeout) == -1) {
		finishf(t, 1, "approval could not be asked: out of memory");
		return;
	}
	if (t->status != NULL)
		t->status(t->arg, "waiting for approval");
	if (approve_ask_by(t->m, text, buttons, 2, timeout, t->ticket, by,
	    approval_answer, t) == 0)
		finishf(t, 1, "approval could not be asked");
	free(text);
}

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	run_request(arg);
}

/* tell the user once that their request waits, and their place */
static void
full_note(struct toolrun *t, struct rpc_reply *rep)
{
	char		 text[256];
	long long	 place;

	/* sandboxd's place in line for the user: 1 is next */
	place = json_integer_value(json_object_get(rep->obj, "place"));
	if (place > 1)
		snprintf(text, sizeof(text), "All sandboxes are busy right "
		    "now. Please wait: %lld %s ahead of you; I keep your "
		    "request and go on as soon as it is your turn.", place - 1,
		    place == 2 ? "person is" : "people are");
	else
		snprintf(text, sizeof(text), "All sandboxes are busy right "
		    "now. Please wait: you are next; I keep your request and "
		    "go on as soon as one is free.");
	tg_send(t->m->chat, text, t->m->group ? t->m->msgid : 0, NULL, NULL,
	    NULL);
}

static void
sandbox_done(struct rpc_reply *rep, void *arg)
{
	struct toolrun	*t = arg;
	struct timeval	 tv = { 1, 0 };
	const char	*rule;
	char		*s;

	if (!rep->ok && (strcmp(rep->code, "policy-unavailable") == 0 ||
	    strcmp(rep->code, "docker-unavailable") == 0) &&
	    t->retries++ < UNAVAILABLE_RETRIES) {
		log_info("user %lld: %s (%s), trying again",
		    (long long)t->m->user, t->name, rep->code);
		event_base_once(gw_base(), -1, EV_TIMEOUT, retry_cb, t, &tv);
		return;
	}
	if (!rep->ok && strcmp(rep->code, "full") == 0 &&
	    t->full++ < FULL_RETRIES) {
		if (t->full == 1) {
			log_info("user %lld: every sandbox is busy, waiting",
			    (long long)t->m->user);
			full_note(t, rep);
			if (t->status != NULL)
				t->status(t->arg, "waiting for a free sandbox");
		}
		tv.tv_sec = FULL_EVERY;
		event_base_once(gw_base(), -1, EV_TIMEOUT, retry_cb, t, &tv);
		return;
	}
	if (!rep->ok) {
		rule = json_string_value(json_object_get(rep->obj, "rule"));
		if (strcmp(rep->code, "needs-approval") == 0 && !t->approved &&
		    rule != NULL) {
			strlcpy(t->rule, rule, sizeof(t->rule));
			strlcpy(t->ticket, json_string_value(json_object_get(
			    rep->obj, "ticket")) != NULL ? json_string_value(
			    json_object_get(rep->obj, "ticket")) : "",
			    sizeof(t->ticket));
			ask_approval(t, rep);
			return;
		}
		finishf(t, 1, "Error (%s): %s", rep->code, rep->error);
		return;
	}
	if (rep->type == IMSG_SANDBOX_EXEC_RESULT)
		s = format_exec(rep->result);
	else if (strcmp(t->name, "read_file") == 0)
		s = format_read(rep->result);
	else
		s = json_dumps(rep->result, JSON_COMPACT);
	finish(t, s, 0);
}

static void
proxy_done(struct rpc_reply *rep, void *arg)
{
	struct toolrun	*t = arg;

	if (!rep->ok) {
		/*
		 * search goes to the operator's endpoint: how it failed
		 * (its address) is for the log, not for the model and the
		 * chat; fetch_page errors name the user's own URL
		 */
		if (t->type == IMSG_PROXY_SEARCH_WEB && (rep->status == 0 ||
		    rep->status >= 500) && strstr(rep->error,
		    "not configured") == NULL) {
			log_warnx("user %lld: search_web: %s",
			    (long long)t->m->user, rep->error);
			finishf(t, 1, "Error: search_web: %s",
			    usermsg_service(rep));
		} else
			finishf(t, 1, "Error: %s", rep->error);
		return;
	}
	if (t->type == IMSG_PROXY_FETCH_PAGE) {
		const char *txt = json_string_value(json_object_get(rep->result,
		    "text"));

		finishf(t, 0, "%s%s\n\n%s", json_string_value(json_object_get(
		    rep->result, "url")) ? json_string_value(json_object_get(
		    rep->result, "url")) : "", json_is_true(json_object_get(
		    rep->result, "truncated")) ? " (truncated)" : "",
		    txt != NULL ? txt : "");
		return;
	}
	finish(t, json_dumps(rep->result, JSON_COMPACT), 0);
}

static void	opened_file(struct rpc_reply *, void *);

static void
run_request(struct toolrun *t)
{
	rpc_cb	 cb = sandbox_done;

	if (t->peer == PROC_PROXYD)
		cb = proxy_done;
	else if (t->type == IMSG_SANDBOX_FILE_OPEN)
		cb = opened_file;
	if (rpc_call(t->peer, t->type, t->req, -1, 0, cb, t) == 0)
		finishf(t, 1, "Error: out of memory");
}

static int
copy_args(struct toolrun *t, const char *const *keys,
    const char *const *as)
{
	json_t	*v;
	size_t	 i;

	for (i = 0; keys[i] != NULL; i++)
		if ((v = json_object_get(t->args, keys[i])) != NULL &&
		    !json_is_null(v))
			json_object_set(t->req, as[i] != NULL ? as[i] : keys[i],
			    v);
	return (0);
}

static int
need(struct toolrun *t, const char *key)
{
	if (json_is_string(json_object_get(t->args, key)))
		return (1);
	finishf(t, 1, "Error: %s needs a string argument \"%s\".", t->name,
	    key);
	return (0);
}

/* send_file: the fd comes from sandboxd, goes to proxyd */
static void
sent_file(struct rpc_reply *rep, void *arg)
{
	struct toolrun	*t = arg;

	if (!rep->ok)
		finishf(t, 1, "Error: the file was not sent: %s", rep->error);
	else
		finishf(t, 0, "Sent %s to the chat.", t->fname);
}

static void
opened_file(struct rpc_reply *rep, void *arg)
{
	struct toolrun	*t = arg;
	const char	*name;
	json_t		*req;
	int		 fd;

	if (!rep->ok) {
		sandbox_done(rep, t);
		return;
	}
	if (rep->fd == -1) {
		finishf(t, 1, "Error: sandboxd sent no file");
		return;
	}
	fd = rep->fd;
	rep->fd_taken = 1;
	name = json_string_value(json_object_get(rep->result, "name"));
	strlcpy(t->fname, name != NULL ? name : "file", sizeof(t->fname));
	req = json_pack("{s:s, s:{s:I}, s:s, s:s}", "method", "sendDocument",
	    "params", "chat_id", (json_int_t)t->m->chat, "file_field",
	    "document", "filename", t->fname);
	if (req != NULL && sarg(t, "caption") != NULL)
		json_object_set_new(json_object_get(req, "params"), "caption",
		    json_string(sarg(t, "caption")));
	if (req == NULL || rpc_call(PROC_PROXYD, IMSG_PROXY_TG_CALL, req, fd,
	    0, sent_file, t) == 0)
		finishf(t, 1, "Error: out of memory");
	json_decref(req);
}

static void
dm_sent(int ok, int64_t id, const char *err, void *arg)
{
	struct toolrun	*t = arg;

	if (ok)
		finishf(t, 0, "Message sent.");
	else
		finishf(t, 1, "Error: the message was not delivered: %s", err);
}

static void
tool_send_dm(struct toolrun *t)
{
	struct ratelimit	*rl = NULL;
	struct timespec		 ts;
	json_t			*u;
	const char		*to = sarg(t, "user"), *text = sarg(t, "text");
	char			*msg;
	int64_t			 chat;
	size_t			 i;

	if (to == NULL && json_is_integer(json_object_get(t->args, "user"))) {
		static char num[32];

		snprintf(num, sizeof(num), "%lld", (long long)
		    json_integer_value(json_object_get(t->args, "user")));
		to = num;
	}
	if (to == NULL || text == NULL) {
		finishf(t, 1, "Error: send_dm needs \"user\" and \"text\".");
		return;
	}
	if ((u = gw_user_find(to)) == NULL ||
	    (chat = json_integer_value(json_object_get(u, "chat"))) == 0) {
		finishf(t, 1, "Error: %s has not talked to me in private, so "
		    "I cannot write to them.", to);
		return;
	}
	for (i = 0; i < sizeof(dmrates) / sizeof(dmrates[0]); i++)
		if (dmrates[i].user == t->m->user || dmrates[i].user == 0) {
			dmrates[i].user = t->m->user;
			rl = &dmrates[i].rl;
			break;
		}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* time in minutes: the bucket's "per minute" becomes per hour */
	if (rl == NULL || gw.conf->dm_per_hour == 0 || !ratelimit_take(rl,
	    (double)ts.tv_sec / 60.0, gw.conf->dm_per_hour, 0)) {
		finishf(t, 1, "Error: too many direct messages; at most %lld "
		    "an hour.", gw.conf->dm_per_hour);
		return;
	}
	if (asprintf(&msg, "Message from %s%s%s:\n\n%s", t->m->name,
	    t->m->username ? " @" : "", t->m->username ? t->m->username : "",
	    text) == -1) {
		finishf(t, 1, "Error: out of memory");
		return;
	}
	store_log(&gw.store, "user %" PRId64 " sent a direct message to %s",
	    t->m->user, to);
	tg_send(chat, msg, 0, NULL, dm_sent, t);
	free(msg);
}

static void
tool_memory(struct toolrun *t)
{
	const char	*action = sarg(t, "action"), *note = sarg(t, "note");
	char		*mem;

	if (action == NULL)
		action = "read";
	if (strcmp(action, "add") == 0) {
		if (note == NULL || *note == '\0') {
			finishf(t, 1, "Error: memory add needs a \"note\".");
			return;
		}
		if (store_memory_add(&gw.store, t->m->user, t->m->chat, note) ==
		    -1)
			finishf(t, 1, "Error: the note was not saved.");
		else
			finishf(t, 0, "Noted.");
	} else if (strcmp(action, "clear") == 0) {
		store_memory_clear(&gw.store, t->m->user, t->m->chat);
		finishf(t, 0, "Notes cleared.");
	} else {
		mem = store_memory_load(&gw.store, t->m->user, t->m->chat);
		finishf(t, 0, "%s", mem != NULL && *mem != '\0' ? mem :
		    "(no notes)");
		free(mem);
	}
}

static void
ask_answered(int choice, void *arg)
{
	struct toolrun	*t = arg;
	json_t		*opts = json_object_get(t->args, "options");

	if (choice < 0)
		finishf(t, 0, "The user did not answer in time.");
	else
		finishf(t, 0, "The user chose: %s", json_string_value(
		    json_array_get(opts, choice)));
}

static void
tool_ask_user(struct toolrun *t)
{
	json_t		*opts = json_object_get(t->args, "options"), *o;
	const char	*labels[8];
	size_t		 i, n = 0;

	if (!need(t, "question"))
		return;
	json_array_foreach(opts, i, o)
		if (json_is_string(o) && n < 8)
			labels[n++] = json_string_value(o);
	if (n == 0 || n != json_array_size(opts)) {
		finishf(t, 1, "Error: ask_user needs 1 to 8 string options.");
		return;
	}
	if (t->status != NULL)
		t->status(t->arg, "waiting for your answer");
	if (approve_ask(t->m, sarg(t, "question"), labels, n,
	    gw.conf->ask_timeout, NULL, ask_answered, t) == 0)
		finishf(t, 1, "Error: the question could not be asked.");
}

static void
gdrive_fetched(int ok, const char *msg, void *arg)
{
	finishf(arg, !ok, "%s%s", ok ? "Downloaded: " : "Error: ", msg);
}

static void
tool_gdrive_download(struct toolrun *t)
{
	json_t	*req;

	if (!need(t, "file_id") || !need(t, "path"))
		return;
	req = json_pack("{s:I, s:s}", "user", (json_int_t)t->m->user,
	    "file_id", sarg(t, "file_id"));
	if (req == NULL) {
		finishf(t, 1, "Error: out of memory");
		return;
	}
	fetch_to_workspace(t->m, IMSG_PROXY_GDRIVE_DOWNLOAD, req,
	    sarg(t, "path"), gdrive_fetched, t);
	json_decref(req);
}

struct mapping {
	const char	*tool;
	int		 peer;
	uint32_t	 type;
	const char	*required;
	const char	*keys[5];
	const char	*as[5];
};

static const struct mapping mappings[] = {
	{ "run_command", PROC_SANDBOXD, IMSG_SANDBOX_EXEC, "command",
	  { "command", "timeout", NULL }, { NULL } },
	{ "read_file", PROC_SANDBOXD, IMSG_SANDBOX_FILE_READ, "path",
	  { "path", "offset", "limit", NULL }, { NULL } },
	{ "write_file", PROC_SANDBOXD, IMSG_SANDBOX_FILE_WRITE, "path",
	  { "path", "content", NULL }, { NULL } },
	{ "edit_file", PROC_SANDBOXD, IMSG_SANDBOX_FILE_EDIT, "path",
	  { "path", "old_text", "new_text", NULL },
	  { NULL, "find", "replace", NULL } },
	{ "delete_file", PROC_SANDBOXD, IMSG_SANDBOX_FILE_DELETE, "path",
	  { "path", NULL }, { NULL } },
	{ "search_files", PROC_SANDBOXD, IMSG_SANDBOX_FILE_GLOB, "pattern",
	  { "pattern", "path", NULL }, { NULL } },
	{ "search_text", PROC_SANDBOXD, IMSG_SANDBOX_FILE_GREP, "pattern",
	  { "pattern", "path", "ignore_case", NULL }, { NULL } },
	{ "list_directory", PROC_SANDBOXD, IMSG_SANDBOX_FILE_LIST, NULL,
	  { "path", NULL }, { NULL } },
	{ "send_file", PROC_SANDBOXD, IMSG_SANDBOX_FILE_OPEN, "path",
	  { "path", NULL }, { NULL } },
	{ "search_web", PROC_PROXYD, IMSG_PROXY_SEARCH_WEB, "query",
	  { "query", NULL }, { NULL } },
	{ "fetch_page", PROC_PROXYD, IMSG_PROXY_FETCH_PAGE, "url",
	  { "url", NULL }, { NULL } },
	{ "gdrive_auth", PROC_PROXYD, IMSG_PROXY_GDRIVE_AUTH_URL, NULL,
	  { NULL }, { NULL } },
	{ "gdrive_callback", PROC_PROXYD, IMSG_PROXY_GDRIVE_AUTH_CODE, "code",
	  { "code", NULL }, { NULL } },
	{ "gdrive_list", PROC_PROXYD, IMSG_PROXY_GDRIVE_LIST, NULL,
	  { "folder", NULL }, { NULL } },
	{ "gdrive_search", PROC_PROXYD, IMSG_PROXY_GDRIVE_SEARCH, "query",
	  { "query", NULL }, { NULL } },
};

/*
 * Run tool name with args for the sender of m; done(text, is_error,
 * arg) runs once with a malloc'd text.  status(arg, line) may update
 * the status message.
 */
void
tool_exec(struct chatmsg *m, const char *name, json_t *args,
    tool_done_cb done, void *arg, void (*status)(void *, const char *))
{
	const struct mapping	*mp = NULL;
	struct toolrun		*t;
	size_t			 i;
	char			*s;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		done(NULL, 1, arg);
		return;
	}
	t->m = m;
	strlcpy(t->name, name, sizeof(t->name));
	t->args = json_incref(args);
	t->done = done;
	t->arg = arg;
	t->status = status;
	if (strncmp(name, "gdrive_", 7) == 0 && !gw.conf->gdrive) {
		finishf(t, 1, "Error: Google Drive is switched off.");
		return;
	}
	if ((strncmp(name, "gdrive_", 7) == 0 &&
	    !(tools_features() & TOOLS_GDRIVE)) ||
	    (strcmp(name, "search_web") == 0 &&
	    !(tools_features() & TOOLS_SEARCH))) {
		finishf(t, 1, "Error: %s is not available on this bot.", name);
		return;
	}
	/* a consent link or code shown in a group is seen by its members */
	if ((strcmp(name, "gdrive_auth") == 0 ||
	    strcmp(name, "gdrive_callback") == 0) && m->group) {
		finishf(t, 1, "Error: Google Drive is linked in a private "
		    "chat with the bot only; ask the user to send /gdrive "
		    "there.");
		return;
	}
	if (strcmp(name, "send_dm") == 0) {
		if (!gw.conf->send_dm)
			finishf(t, 1, "Error: send_dm is switched off.");
		else
			tool_send_dm(t);
		return;
	}
	if (strcmp(name, "memory") == 0) {
		tool_memory(t);
		return;
	}
	if (strcmp(name, "schedule_task") == 0) {
		s = sched_tool(m, args);
		finish(t, s, 0);
		return;
	}
	if (strcmp(name, "ask_user") == 0) {
		tool_ask_user(t);
		return;
	}
	if (strcmp(name, "gdrive_download") == 0) {
		tool_gdrive_download(t);
		return;
	}
	for (i = 0; i < sizeof(mappings) / sizeof(mappings[0]); i++)
		if (strcmp(mappings[i].tool, name) == 0)
			mp = &mappings[i];
	if (mp == NULL) {
		finishf(t, 1, "Error: unknown tool %s", name);
		return;
	}
	if (mp->required != NULL && !need(t, mp->required))
		return;
	t->peer = mp->peer;
	t->type = mp->type;
	t->req = json_pack("{s:I, s:s}", "user", (json_int_t)m->user, "name",
	    m->name != NULL ? m->name : "");
	if (t->req == NULL) {
		finishf(t, 1, "Error: out of memory");
		return;
	}
	if (mp->peer == PROC_SANDBOXD || mp->type ==
	    IMSG_PROXY_GDRIVE_AUTH_URL || mp->type ==
	    IMSG_PROXY_GDRIVE_AUTH_CODE)
		json_object_set_new(t->req, "chat", json_integer(m->chat));
	if (mp->type == IMSG_PROXY_SEARCH_WEB)
		json_object_set_new(t->req, "count", json_integer(5));
	if (mp->type == IMSG_PROXY_FETCH_PAGE)
		json_object_set_new(t->req, "max_bytes", json_integer(
		    gw.conf->tool_output_max * 4));
	copy_args(t, mp->keys, mp->as);
	run_request(t);
}

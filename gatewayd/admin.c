/*
 * admin.c - the operator's hands: the admin-only Telegram commands
 * /users, /allow, /block and /stats (admins are the user ids of the
 * admins keyword), and topshctl's users requests on gatewayd's control
 * socket (imsg_gateway.h).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conf_gateway.h"
#include "gateway.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

#define USERS_SHOWN	50

static void
say(struct chatmsg *m, const char *text)
{
	tg_send(m->chat, text, m->msgid, NULL, NULL, NULL);
}

/* the first word after the command, or NULL */
static const char *
argument(const char *text, char *buf, size_t len)
{
	const char	*p = text;
	size_t		 n;

	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	for (n = 0; p[n] != '\0' && p[n] != ' ' && p[n] != '\t' &&
	    p[n] != '\n'; n++)
		;
	if (n == 0 || n >= len)
		return (NULL);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return (buf);
}

static void
cmd_users(struct chatmsg *m)
{
	struct buf	 b;
	json_t		*l, *o;
	size_t		 i;
	char		 line[512], *text;
	const char	*un, *name;

	l = access_list();
	buf_init(&b);
	snprintf(line, sizeof(line), "Access mode: %s. Users on the list: "
	    "%zu\n", gw.conf->access == ACCESS_OPEN ? "open" :
	    gw.conf->access == ACCESS_ALLOWLIST ? "allowlist" : "pairing",
	    json_array_size(l));
	buf_puts(&b, line);
	json_array_foreach(l, i, o) {
		if (i >= USERS_SHOWN) {
			buf_puts(&b, "...\n");
			break;
		}
		un = json_string_value(json_object_get(o, "username"));
		name = json_string_value(json_object_get(o, "name"));
		snprintf(line, sizeof(line), "%lld %s%s%s: %s%s%s%s\n",
		    (long long)json_integer_value(json_object_get(o, "user")),
		    name != NULL ? name : "?", un != NULL ? " @" : "",
		    un != NULL ? un : "",
		    json_string_value(json_object_get(o, "state")),
		    json_is_true(json_object_get(o, "admin")) ? " (admin)" : "",
		    json_object_get(o, "code") != NULL ? ", code " : "",
		    json_object_get(o, "code") != NULL ? json_string_value(
		    json_object_get(o, "code")) : "");
		buf_puts(&b, line);
	}
	json_decref(l);
	if ((text = buf_finish(&b)) != NULL)
		say(m, text);
	free(text);
}

static void
cmd_set(struct chatmsg *m, const char *what)
{
	char	 arg[64], err[256], by[64], text[384];
	int64_t	 user;

	if (argument(m->text, arg, sizeof(arg)) == NULL) {
		snprintf(text, sizeof(text), "Usage: /%s USER-ID or /%s CODE",
		    what, what);
		say(m, text);
		return;
	}
	snprintf(by, sizeof(by), "admin %" PRId64, m->user);
	if (access_set(arg, what, by, &user, err, sizeof(err)) == -1) {
		snprintf(text, sizeof(text), "Not done: %s.", err);
		say(m, text);
		return;
	}
	snprintf(text, sizeof(text), "User %" PRId64 " is %s.", user,
	    strcmp(what, "allow") == 0 ? "allowed" : "blocked");
	say(m, text);
}

static void
cmd_stats(struct chatmsg *m)
{
	struct buf	 b;
	json_t		*t, *c;
	const char	*key;
	long long	 tokens = 0, tools = 0;
	char		 line[512], *text;

	t = budget_today();
	json_object_foreach(t, key, c) {
		tokens += json_integer_value(json_object_get(c, "tokens"));
		tools += json_integer_value(json_object_get(c, "tools"));
	}
	buf_init(&b);
	snprintf(line, sizeof(line), "Users: %zu allowed, %zu pending, %zu "
	    "blocked, %zu admin%s\nActive today: %zu, model tokens %lld, tool "
	    "calls %lld\nJobs running: %zu of %lld; requests in flight: %zu; "
	    "updates handled: %llu\n", access_count("allowed") +
	    gw.conf->allow_users.n, access_count("pending"),
	    access_count("blocked"), gw.conf->admins.n,
	    gw.conf->admins.n == 1 ? "" : "s", json_object_size(t), tokens,
	    tools, gw.jobs.running, gw.conf->max_jobs, rpc_pending(),
	    gw.handled);
	buf_puts(&b, line);
	json_decref(t);
	if ((text = buf_finish(&b)) != NULL)
		say(m, text);
	free(text);
}

/* 1 when cmd is an admin command (answered here, admin or not) */
int
admin_command(struct chatmsg *m, const char *cmd)
{
	if (strcmp(cmd, "users") != 0 && strcmp(cmd, "allow") != 0 &&
	    strcmp(cmd, "block") != 0 && strcmp(cmd, "stats") != 0)
		return (0);
	if (!access_is_admin(m->user)) {
		log_info("user %" PRId64 " tried /%s: not an admin", m->user,
		    cmd);
		say(m, "This command is for the bot's admins.");
		return (1);
	}
	if (strcmp(cmd, "users") == 0)
		cmd_users(m);
	else if (strcmp(cmd, "stats") == 0)
		cmd_stats(m);
	else
		cmd_set(m, cmd);
	return (1);
}

static void
ctl_fail(struct peer *p, uint32_t id, const char *msg)
{
	json_t	*o;

	if ((o = json_pack("{s:s}", "error", msg)) != NULL) {
		peer_compose_json(p, IMSG_CTL_FAIL, id, -1, o);
		json_decref(o);
	}
}

int
admin_control(struct peer *p, struct imsg *imsg)
{
	uint32_t	 id = imsg_get_id(imsg);
	json_t		*req, *l, *o;
	const char	*action, *who;
	char		 err[256];
	int64_t		 user;
	size_t		 i;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_USERS_LIST:
		l = access_list();
		json_array_foreach(l, i, o)
			peer_compose_json(p, IMSG_CTL_DATA, id, -1, o);
		json_decref(l);
		peer_compose(p, IMSG_CTL_END, id, -1, NULL, 0);
		return (0);
	case IMSG_CTL_USERS_SET:
		if ((req = imsg_get_json(imsg)) == NULL) {
			ctl_fail(p, id, "malformed request");
			return (0);
		}
		action = json_string_value(json_object_get(req, "action"));
		who = json_string_value(json_object_get(req, "who"));
		if (action == NULL || who == NULL ||
		    (strcmp(action, "allow") != 0 &&
		    strcmp(action, "block") != 0 &&
		    strcmp(action, "remove") != 0)) {
			json_decref(req);
			ctl_fail(p, id, "\"action\" must be allow, block or "
			    "remove, \"who\" a user id or code");
			return (0);
		}
		if (access_set(who, action, "topshctl", &user, err,
		    sizeof(err)) == -1) {
			json_decref(req);
			ctl_fail(p, id, err);
			return (0);
		}
		o = json_pack("{s:I, s:s}", "user", (json_int_t)user, "state",
		    strcmp(action, "allow") == 0 ? "allowed" :
		    strcmp(action, "block") == 0 ? "blocked" : "removed");
		peer_compose_json(p, IMSG_CTL_DATA, id, -1, o);
		peer_compose(p, IMSG_CTL_END, id, -1, NULL, 0);
		json_decref(o);
		json_decref(req);
		return (0);
	}
	ctl_fail(p, id, "unknown request");
	return (-1);
}

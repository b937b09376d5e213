/*
 * access.c - who is served.
 *
 * topsh.conf's access mode: "open" serves everybody (a warning at every
 * start), "allowlist" only admins, allow-users and users allowed later,
 * "pairing" (the default) also gives an unknown user in a private chat
 * a short code and nothing else: no job, no container, no model call,
 * until an admin approves the code (topshctl users approve CODE, or
 * /allow CODE in Telegram).  Blocked users are ignored in every mode.
 * Groups are served only when listed in allow-chats (or in open mode);
 * in any other group the bot says nothing and leaves when added.
 *
 * The decisions live in access.json in gatewayd's state directory,
 * rewritten atomically after every change:
 *   {"users": {"ID": {"state": "allowed"|"blocked"|"pending",
 *              "code": str (pending), "name": str, "username": str,
 *              "since": epoch, "by": str (who decided)}}}
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "conf_gateway.h"
#include "gateway.h"
#include "log.h"
#include "topsh.h"

#define CODE_LEN	8
#define NOTICE_EVERY	3600	/* seconds between refusals to one user */

static json_t	*acc;		/* access.json */

static json_t *
users_obj(void)
{
	json_t	*u;

	if (acc == NULL && (acc = json_object()) == NULL)
		return (NULL);
	if ((u = json_object_get(acc, "users")) == NULL) {
		u = json_object();
		json_object_set_new(acc, "users", u);
	}
	return (u);
}

static int
save(void)
{
	char	 path[1024];

	if (store_path(&gw.store, path, sizeof(path), "access.json") == -1)
		return (-1);
	/* on disk before the operator is told it is done */
	if (state_write_json(path, acc) == -1 || state_flush() == -1) {
		log_warn("saving %s", path);
		return (-1);
	}
	return (0);
}

void
access_init(void)
{
	char	 path[1024];

	json_decref(acc);
	acc = NULL;
	if (store_path(&gw.store, path, sizeof(path), "access.json") == 0)
		acc = state_read_json(path, 16 * 1024 * 1024);
	if (!json_is_object(acc)) {
		json_decref(acc);
		acc = json_object();
	}
	users_obj();
	if (gw.conf->access == ACCESS_OPEN)
		log_warnx("access open: every Telegram user who finds the bot "
		    "is served at your expense; set access pairing or "
		    "allowlist in topsh.conf");
	log_info("access %s, %zu admin%s, %zu user%s on the list",
	    gw.conf->access == ACCESS_OPEN ? "open" : gw.conf->access ==
	    ACCESS_ALLOWLIST ? "allowlist" : "pairing", gw.conf->admins.n,
	    gw.conf->admins.n == 1 ? "" : "s", json_object_size(users_obj()),
	    json_object_size(users_obj()) == 1 ? "" : "s");
}

static int
in_list(const struct cfstrlist *l, int64_t id)
{
	const char	*errstr;
	size_t		 i;

	for (i = 0; i < l->n; i++)
		if (strtonum(l->v[i], LLONG_MIN, LLONG_MAX, &errstr) == id &&
		    errstr == NULL)
			return (1);
	return (0);
}

int
access_is_admin(int64_t user)
{
	return (in_list(&gw.conf->admins, user));
}

static json_t *
entry(int64_t user)
{
	char	 key[32];

	snprintf(key, sizeof(key), "%" PRId64, user);
	return (json_object_get(users_obj(), key));
}

static const char *
state_of(int64_t user)
{
	return (json_string_value(json_object_get(entry(user), "state")));
}

int
access_is_blocked(int64_t user)
{
	const char	*st = state_of(user);

	return (st != NULL && strcmp(st, "blocked") == 0 &&
	    !access_is_admin(user));
}

/* may this user be served in a private chat (or anywhere they are) */
int
access_user_allowed(int64_t user)
{
	const char	*st;

	if (access_is_admin(user))
		return (1);
	if (access_is_blocked(user))
		return (0);
	if (gw.conf->access == ACCESS_OPEN ||
	    in_list(&gw.conf->allow_users, user))
		return (1);
	st = state_of(user);
	return (st != NULL && strcmp(st, "allowed") == 0);
}

int
access_chat_allowed(int64_t chat)
{
	return (gw.conf->access == ACCESS_OPEN ||
	    in_list(&gw.conf->allow_chats, chat));
}

static json_t *
entry_new(int64_t user, const char *state, const char *by)
{
	json_t	*e, *old;
	char	 key[32];

	snprintf(key, sizeof(key), "%" PRId64, user);
	old = json_object_get(users_obj(), key);
	if ((e = json_object()) == NULL)
		return (NULL);
	/* the name seen last stays */
	if (old != NULL) {
		json_object_set(e, "name", json_object_get(old, "name"));
		json_object_set(e, "username", json_object_get(old,
		    "username"));
		if (json_object_get(e, "name") == NULL)
			json_object_del(e, "name");
		if (json_object_get(e, "username") == NULL)
			json_object_del(e, "username");
	}
	json_object_set_new(e, "state", json_string(state));
	json_object_set_new(e, "since", json_integer(time(NULL)));
	if (by != NULL)
		json_object_set_new(e, "by", json_string(by));
	json_object_set_new(users_obj(), key, e);
	return (e);
}

static void
new_code(char *code, size_t len)
{
	/* no 0/O, 1/I/L: read over the phone without mistakes */
	static const char alpha[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
	size_t	 i;

	for (i = 0; i + 1 < len && i < CODE_LEN; i++)
		code[i] = alpha[arc4random_uniform(sizeof(alpha) - 1)];
	code[i] = '\0';
}

static void
note_names(json_t *e, const struct chatmsg *m)
{
	if (m->name != NULL)
		json_object_set_new(e, "name", json_string(m->name));
	if (m->username != NULL)
		json_object_set_new(e, "username", json_string(m->username));
}

/*
 * May m be answered?  ACCESS_OK; ACCESS_IGNORE (say nothing);
 * ACCESS_ANSWERED (a code or a refusal was sent, nothing else happens).
 */
enum access_verdict
access_check(struct chatmsg *m)
{
	json_t		*e;
	const char	*code, *st;
	char		 buf[CODE_LEN + 1], *text;
	time_t		 now = time(NULL);
	long long	 last;

	if (access_is_blocked(m->user)) {
		log_debug("user %" PRId64 " is blocked: ignored", m->user);
		return (ACCESS_IGNORE);
	}
	if (m->group)
		return (access_chat_allowed(m->chat) ? ACCESS_OK :
		    ACCESS_IGNORE);
	if (access_user_allowed(m->user))
		return (ACCESS_OK);
	e = entry(m->user);
	last = json_integer_value(json_object_get(e, "notified"));
	if (gw.conf->access == ACCESS_ALLOWLIST) {
		if (now - last < NOTICE_EVERY)
			return (ACCESS_IGNORE);
		if (e == NULL && (e = entry_new(m->user, "refused",
		    NULL)) == NULL)
			return (ACCESS_IGNORE);
		note_names(e, m);
		json_object_set_new(e, "notified", json_integer(now));
		save();
		log_info("user %" PRId64 " (%s) is not on the allow list",
		    m->user, m->name);
		tg_send(m->chat, "Sorry, this bot serves only the people its "
		    "operator allowed.", 0, NULL, NULL, NULL);
		return (ACCESS_ANSWERED);
	}
	/* pairing */
	code = json_string_value(json_object_get(e, "code"));
	st = json_string_value(json_object_get(e, "state"));
	if (e == NULL || code == NULL || st == NULL ||
	    strcmp(st, "pending") != 0) {
		if ((e = entry_new(m->user, "pending", NULL)) == NULL)
			return (ACCESS_IGNORE);
		new_code(buf, sizeof(buf));
		json_object_set_new(e, "code", json_string(buf));
		code = json_string_value(json_object_get(e, "code"));
		last = 0;
		log_info("user %" PRId64 " (%s) asks for access: pairing code "
		    "%s", m->user, m->name, code);
		store_log(&gw.store, "user %" PRId64 " asks for access with "
		    "code %s", m->user, code);
	}
	note_names(e, m);
	if (now - last < 60) {
		save();
		return (ACCESS_IGNORE);
	}
	json_object_set_new(e, "notified", json_integer(now));
	save();
	if (asprintf(&text, "Hello! This bot serves only people its operator "
	    "let in. Your access code is %s\n\nSend this code to the "
	    "operator; once it is approved, write to me again.", code) == -1)
		return (ACCESS_ANSWERED);
	tg_send(m->chat, text, 0, NULL, NULL, NULL);
	free(text);
	return (ACCESS_ANSWERED);
}

/* a Telegram user id or a pending code: the user id, or 0 */
static int64_t
resolve(const char *who)
{
	const char	*key, *code, *errstr;
	json_t		*e;
	long long	 id;
	char		 up[CODE_LEN + 8];
	size_t		 i;

	if (who == NULL || *who == '\0')
		return (0);
	id = strtonum(who, 1, LLONG_MAX, &errstr);
	if (errstr == NULL)
		return (id);
	for (i = 0; who[i] != '\0' && i + 1 < sizeof(up); i++)
		up[i] = toupper((unsigned char)who[i]);
	up[i] = '\0';
	json_object_foreach(users_obj(), key, e) {
		code = json_string_value(json_object_get(e, "code"));
		if (code != NULL && strcmp(code, up) == 0) {
			id = strtonum(key, 1, LLONG_MAX, &errstr);
			return (errstr == NULL ? id : 0);
		}
	}
	if (*who == '@') {
		json_object_foreach(gw.users, key, e) {
			code = json_string_value(json_object_get(e,
			    "username"));
			if (code != NULL && strcasecmp(code, who + 1) == 0) {
				id = strtonum(key, 1, LLONG_MAX, &errstr);
				return (errstr == NULL ? id : 0);
			}
		}
	}
	return (0);
}

/*
 * allow / block / remove USER-or-CODE by BY: 0 with the user id in
 * *user, -1 with err.
 */
int
access_set(const char *who, const char *what, const char *by,
    int64_t *user, char *err, size_t errlen)
{
	json_t		*e;
	int64_t		 id;
	char		 key[32];
	int		 was_pending;
	int64_t		 chat;

	if ((id = resolve(who)) == 0) {
		snprintf(err, errlen, "no user or pending code \"%s\"",
		    who != NULL ? who : "");
		return (-1);
	}
	*user = id;
	snprintf(key, sizeof(key), "%" PRId64, id);
	e = entry(id);
	was_pending = e != NULL && state_of(id) != NULL &&
	    strcmp(state_of(id), "pending") == 0;
	if (strcmp(what, "remove") == 0) {
		if (e == NULL && gw_user_find(key) == NULL) {
			snprintf(err, errlen, "user %" PRId64 " is not known",
			    id);
			return (-1);
		}
		json_object_del(users_obj(), key);
	} else if (strcmp(what, "block") == 0) {
		if (access_is_admin(id)) {
			snprintf(err, errlen, "user %" PRId64 " is an admin "
			    "(topsh.conf); remove them from admins first", id);
			return (-1);
		}
		if (entry_new(id, "blocked", by) == NULL)
			goto oom;
	} else {
		if (entry_new(id, "allowed", by) == NULL)
			goto oom;
	}
	if (save() == -1) {
		snprintf(err, errlen, "cannot save access.json");
		return (-1);
	}
	log_info("user %" PRId64 ": %s by %s", id, strcmp(what, "allow") ==
	    0 ? "allowed" : strcmp(what, "block") == 0 ? "blocked" :
	    "removed", by);
	store_log(&gw.store, "user %" PRId64 " %s by %s", id, what, by);
	/* tell a newly let-in user */
	if (strcmp(what, "allow") == 0 && was_pending &&
	    (e = gw_user_find(key)) != NULL &&
	    (chat = json_integer_value(json_object_get(e, "chat"))) != 0)
		tg_send(chat, "You are in: the operator approved your access. "
		    "Write to me what you need.", 0, NULL, NULL, NULL);
	return (0);
 oom:
	snprintf(err, errlen, "out of memory");
	return (-1);
}

/* the list for topshctl and /users: one object per user */
json_t *
access_list(void)
{
	json_t		*a = json_array(), *e, *o, *seen;
	const char	*key, *errstr;
	size_t		 i;
	char		 k[32];

	json_object_foreach(users_obj(), key, e) {
		o = json_deep_copy(e);
		json_object_set_new(o, "user", json_integer(strtonum(key, 1,
		    LLONG_MAX, &errstr)));
		json_object_del(o, "notified");
		if ((seen = gw_user_find(key)) != NULL && json_object_get(o,
		    "name") == NULL)
			json_object_set(o, "name", json_object_get(seen,
			    "name"));
		json_array_append_new(a, o);
	}
	for (i = 0; i < gw.conf->admins.n; i++) {
		if (entry(strtonum(gw.conf->admins.v[i], 1, LLONG_MAX,
		    &errstr)) != NULL || errstr != NULL)
			continue;
		snprintf(k, sizeof(k), "%s", gw.conf->admins.v[i]);
		o = json_pack("{s:I, s:s, s:s}", "user", (json_int_t)strtonum(
		    k, 1, LLONG_MAX, &errstr), "state", "admin", "by",
		    "topsh.conf");
		json_array_append_new(a, o);
	}
	for (i = 0; i < gw.conf->allow_users.n; i++) {
		if (entry(strtonum(gw.conf->allow_users.v[i], 1, LLONG_MAX,
		    &errstr)) != NULL || errstr != NULL)
			continue;
		o = json_pack("{s:I, s:s, s:s}", "user", (json_int_t)strtonum(
		    gw.conf->allow_users.v[i], 1, LLONG_MAX, &errstr), "state",
		    "allowed", "by", "topsh.conf");
		json_array_append_new(a, o);
	}
	json_array_foreach(a, i, o)
		if (access_is_admin(json_integer_value(json_object_get(o,
		    "user"))))
			json_object_set_new(o, "admin", json_true());
	return (a);
}

size_t
access_count(const char *state)
{
	json_t		*e;
	const char	*key, *st;
	size_t		 n = 0;

	json_object_foreach(users_obj(), key, e) {
		st = json_string_value(json_object_get(e, "state"));
		if (st != NULL && strcmp(st, state) == 0)
			n++;
	}
	return (n);
}

/* topsh.conf's admins and allow lists hold user or chat ids */
int
access_conf_check(const struct conf_gateway *c, char *err, size_t errlen)
{
	const struct cfstrlist	*l[] = { &c->admins, &c->allow_users,
	    &c->allow_chats };
	const char		*names[] = { "admins", "allow-users",
	    "allow-chats" };
	const char		*errstr;
	size_t			 i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < l[i]->n; j++) {
			(void)strtonum(l[i]->v[j], i == 2 ? LLONG_MIN : 1,
			    LLONG_MAX, &errstr);
			if (errstr != NULL) {
				snprintf(err, errlen, "%s: \"%s\" is not a "
				    "Telegram %s id", names[i], l[i]->v[j],
				    i == 2 ? "chat" : "user");
				return (-1);
			}
		}
	return (0);
}

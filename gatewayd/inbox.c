/*
 * inbox.c - messages accepted but not yet answered, kept on disk
 * (inbox.json) so that a restarted gatewayd answers them; and the
 * users known to the bot (users.json), the only ones send_dm may reach.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"
#include "log.h"

#define INBOX_MAX_REPLAYS	3

void
chatmsg_free(struct chatmsg *m)
{
	if (m == NULL)
		return;
	free(m->username);
	free(m->name);
	free(m->text);
	free(m->file_id);
	free(m->file_name);
	free(m);
}

json_t *
chatmsg_json(const struct chatmsg *m)
{
	json_t	*j;

	j = json_pack("{s:I, s:I, s:I, s:I, s:b, s:s, s:s, s:I}",
	    "update_id", (json_int_t)m->update_id, "user", (json_int_t)m->user,
	    "chat", (json_int_t)m->chat, "msgid", (json_int_t)m->msgid,
	    "group", m->group, "name", m->name ? m->name : "",
	    "text", m->text ? m->text : "", "inbox_id",
	    (json_int_t)m->inbox_id);
	if (j == NULL)
		return (NULL);
	if (m->username != NULL)
		json_object_set_new(j, "username", json_string(m->username));
	if (m->file_id != NULL) {
		json_object_set_new(j, "file_id", json_string(m->file_id));
		json_object_set_new(j, "file_name", json_string(m->file_name ?
		    m->file_name : "file"));
		json_object_set_new(j, "file_size",
		    json_integer(m->file_size));
	}
	return (j);
}

static char *
dupstr(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? strdup(s) : NULL);
}

struct chatmsg *
chatmsg_from_json(json_t *j)
{
	struct chatmsg	*m;

	if (!json_is_object(j) || (m = calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	m->update_id = json_integer_value(json_object_get(j, "update_id"));
	m->user = json_integer_value(json_object_get(j, "user"));
	m->chat = json_integer_value(json_object_get(j, "chat"));
	m->msgid = json_integer_value(json_object_get(j, "msgid"));
	m->group = json_is_true(json_object_get(j, "group"));
	m->inbox_id = json_integer_value(json_object_get(j, "inbox_id"));
	m->username = dupstr(j, "username");
	m->name = dupstr(j, "name");
	m->text = dupstr(j, "text");
	m->file_id = dupstr(j, "file_id");
	m->file_name = dupstr(j, "file_name");
	m->file_size = json_integer_value(json_object_get(j, "file_size"));
	if (m->name == NULL)
		m->name = strdup("");
	if (m->text == NULL)
		m->text = strdup("");
	if (m->user <= 0 || m->name == NULL || m->text == NULL) {
		chatmsg_free(m);
		return (NULL);
	}
	return (m);
}

static void
inbox_save(void)
{
	char	 path[PATH_MAX];

	if (store_path(&gw.store, path, sizeof(path), "inbox.json") == -1 ||
	    state_write_json_in(STATE_INBOX, path, gw.inbox) == -1)
		log_warn("saving the inbox");
}

void
gw_inbox_add(struct chatmsg *m)
{
	char	 key[32];
	json_t	*j;

	m->inbox_id = ++gw.inbox_next;
	snprintf(key, sizeof(key), "%020" PRId64, m->inbox_id);
	if ((j = chatmsg_json(m)) == NULL)
		return;
	json_object_set_new(gw.inbox, key, j);
	inbox_save();
}

void
gw_inbox_done(struct chatmsg *m)
{
	char	 key[32];

	if (m->inbox_id == 0)
		return;
	snprintf(key, sizeof(key), "%020" PRId64, m->inbox_id);
	if (json_object_del(gw.inbox, key) == 0)
		inbox_save();
}

/* remember the status message of a job, to remove it after a crash */
void
gw_inbox_status(struct chatmsg *m, int64_t msgid)
{
	char	 key[32];
	json_t	*v;

	if (m->inbox_id == 0)
		return;
	snprintf(key, sizeof(key), "%020" PRId64, m->inbox_id);
	if ((v = json_object_get(gw.inbox, key)) == NULL)
		return;
	json_object_set_new(v, "status_msg", json_integer(msgid));
	inbox_save();
}

/* load inbox.json and submit what it holds, oldest first */
void
gw_inbox_replay(void)
{
	char		 path[PATH_MAX];
	const char	*key;
	json_t		*v;
	struct chatmsg	*m;
	const char	**keys;
	size_t		 n = 0, i, j;
	int		 tries;

	gw.inbox = NULL;
	if (store_path(&gw.store, path, sizeof(path), "inbox.json") == 0)
		gw.inbox = state_read_json(path, 16 * 1024 * 1024);
	if (!json_is_object(gw.inbox)) {
		json_decref(gw.inbox);
		gw.inbox = json_object();
		return;
	}
	if ((keys = calloc(json_object_size(gw.inbox) + 1, sizeof(*keys))) ==
	    NULL)
		return;
	json_object_foreach(gw.inbox, key, v)
		keys[n++] = key;
	/* keys are zero-padded numbers: string order is arrival order */
	for (i = 1; i < n; i++) {
		key = keys[i];
		for (j = i; j > 0 && strcmp(keys[j - 1], key) > 0; j--)
			keys[j] = keys[j - 1];
		keys[j] = key;
	}
	for (i = 0; i < n; i++) {
		m = chatmsg_from_json(json_object_get(gw.inbox, keys[i]));
		if (m == NULL || m->inbox_id <= 0) {
			log_warnx("inbox: dropping a malformed entry");
			chatmsg_free(m);
			continue;
		}
		if (m->inbox_id > gw.inbox_next)
			gw.inbox_next = m->inbox_id;
		v = json_object_get(gw.inbox, keys[i]);
		tries = json_integer_value(json_object_get(v, "replays")) + 1;
		if (tries > INBOX_MAX_REPLAYS) {
			/* it was tried and gatewayd died each time */
			log_warnx("message %lld of user %lld failed %d times; "
			    "dropped", (long long)m->msgid, (long long)m->user,
			    INBOX_MAX_REPLAYS);
			tg_send(m->chat, "Sorry, I could not process this "
			    "message.", m->msgid, NULL, NULL, NULL);
			gw_inbox_done(m);
			chatmsg_free(m);
			continue;
		}
		json_object_set_new(v, "replays", json_integer(tries));
		/* the "working" message of the interrupted job goes */
		if (json_integer_value(json_object_get(v, "status_msg")) > 0) {
			tg_delete(m->chat, json_integer_value(json_object_get(v,
			    "status_msg")));
			json_object_del(v, "status_msg");
		}
		inbox_save();
		log_info("answering message %lld of user %lld from before "
		    "the restart", (long long)m->msgid, (long long)m->user);
		/* the entry stays in the inbox until the job is done */
		bot_submit(m, 0);
	}
	free(keys);
}

void
gw_users_note(int64_t user, const char *username, const char *name,
    int64_t private_chat)
{
	char	 key[32];
	json_t	*u;
	int	 changed = 0;

	snprintf(key, sizeof(key), "%" PRId64, user);
	if ((u = json_object_get(gw.users, key)) == NULL) {
		u = json_object();
		json_object_set_new(gw.users, key, u);
		changed = 1;
	}
	if (username != NULL && (json_string_value(json_object_get(u,
	    "username")) == NULL || strcmp(json_string_value(
	    json_object_get(u, "username")), username) != 0)) {
		json_object_set_new(u, "username", json_string(username));
		changed = 1;
	}
	if (name != NULL && json_object_get(u, "name") == NULL) {
		json_object_set_new(u, "name", json_string(name));
		changed = 1;
	}
	if (private_chat != 0 && json_integer_value(json_object_get(u,
	    "chat")) != private_chat) {
		json_object_set_new(u, "chat", json_integer(private_chat));
		changed = 1;
	}
	if (changed && store_users_save(&gw.store, gw.users) == -1)
		log_warn("saving users.json");
}

/* "@username" or a numeric id; NULL when the bot never saw that user */
json_t *
gw_user_find(const char *who)
{
	const char	*key, *un;
	json_t		*u;

	if (who == NULL || *who == '\0')
		return (NULL);
	if (*who == '@')
		who++;
	if ((u = json_object_get(gw.users, who)) != NULL)
		return (u);
	json_object_foreach(gw.users, key, u) {
		un = json_string_value(json_object_get(u, "username"));
		if (un != NULL && strcasecmp(un, who) == 0)
			return (u);
	}
	return (NULL);
}

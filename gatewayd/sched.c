/*
 * sched.c - schedule_task: reminders and delayed commands, kept in
 * schedules.json so that they survive restarts (a task that came due
 * while gatewayd was down runs as soon as it is back).  A reminder is
 * a message to the chat; a command runs in the user's sandbox through
 * sandboxd (policy checked there like any other) and its output is
 * posted to the chat.
 */
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

static json_t		*sched;		/* {"next": int, "tasks": [...]} */
static struct event	*sched_ev;

static void	sched_arm(void);

static void
sched_save(void)
{
	if (store_sched_save(&gw.store, sched) == -1)
		log_warn("saving schedules.json");
}

static void
command_done(struct rpc_reply *rep, void *arg)
{
	json_t		*task = arg;
	const char	*out, *err;
	char		*text;
	int64_t		 chat = json_integer_value(json_object_get(task, "chat"));

	if (!rep->ok) {
		if (asprintf(&text, "\xe2\x8f\xb0 Scheduled command `%s` did "
		    "not run: %s", json_string_value(json_object_get(task,
		    "text")), rep->error) == -1)
			text = NULL;
	} else {
		out = json_string_value(json_object_get(rep->result, "stdout"));
		err = json_string_value(json_object_get(rep->result, "stderr"));
		if (asprintf(&text, "\xe2\x8f\xb0 Scheduled command `%s` "
		    "finished with exit code %lld.\n```\n%s%s\n```",
		    json_string_value(json_object_get(task, "text")),
		    (long long)json_integer_value(json_object_get(rep->result,
		    "exit")), out ? out : "", err ? err : "") == -1)
			text = NULL;
	}
	if (text != NULL)
		tg_send(chat, text, 0, NULL, NULL, NULL);
	free(text);
	json_decref(task);
}

static void
sched_fire(json_t *task)
{
	const char	*kind = json_string_value(json_object_get(task, "kind"));
	const char	*text = json_string_value(json_object_get(task, "text"));
	int64_t		 chat = json_integer_value(json_object_get(task, "chat"));
	json_t		*req;
	char		*msg;

	log_info("task %lld of user %lld is due",
	    (long long)json_integer_value(json_object_get(task, "id")),
	    (long long)json_integer_value(json_object_get(task, "user")));
	if (kind != NULL && strcmp(kind, "command") == 0) {
		req = json_pack("{s:O, s:I, s:s}", "user",
		    json_object_get(task, "user"), "chat", (json_int_t)chat,
		    "command", text != NULL ? text : "true");
		if (req != NULL && rpc_call(PROC_SANDBOXD, IMSG_SANDBOX_EXEC,
		    req, -1, 0, command_done, json_incref(task)) == 0)
			json_decref(task);
		json_decref(req);
		return;
	}
	if (asprintf(&msg, "\xe2\x8f\xb0 Reminder: %s", text != NULL ? text :
	    "") != -1) {
		tg_send(chat, msg, 0, NULL, NULL, NULL);
		free(msg);
	}
}

static void
sched_tick(evutil_socket_t fd, short ev, void *arg)
{
	json_t	*tasks = json_object_get(sched, "tasks"), *t;
	time_t	 now = time(NULL);
	size_t	 i;
	int	 changed = 0;

	for (i = 0; i < json_array_size(tasks); ) {
		t = json_array_get(tasks, i);
		if (json_integer_value(json_object_get(t, "due")) > now) {
			i++;
			continue;
		}
		json_incref(t);
		json_array_remove(tasks, i);
		changed = 1;
		/* saved before it runs: a crash never runs it twice */
		sched_save();
		sched_fire(t);
		json_decref(t);
	}
	if (changed)
		sched_save();
	sched_arm();
}

static void
sched_arm(void)
{
	json_t		*tasks = json_object_get(sched, "tasks"), *t;
	json_int_t	 next = 0, due;
	struct timeval	 tv = { 0, 0 };
	time_t		 now = time(NULL);
	size_t		 i;

	evtimer_del(sched_ev);
	json_array_foreach(tasks, i, t) {
		due = json_integer_value(json_object_get(t, "due"));
		if (next == 0 || due < next)
			next = due;
	}
	if (next == 0)
		return;
	tv.tv_sec = next > now ? next - now : 0;
	if (tv.tv_sec > 3600)
		tv.tv_sec = 3600;
	evtimer_add(sched_ev, &tv);
}

void
sched_init(void)
{
	sched = store_sched_load(&gw.store);
	if (!json_is_array(json_object_get(sched, "tasks")))
		json_object_set_new(sched, "tasks", json_array());
	if (!json_is_integer(json_object_get(sched, "next")))
		json_object_set_new(sched, "next", json_integer(1));
	if ((sched_ev = evtimer_new(gw_base(), sched_tick, NULL)) == NULL)
		fatalx("sched: evtimer_new");
	log_info("%zu scheduled tasks", json_array_size(json_object_get(sched,
	    "tasks")));
	sched_arm();
}

json_t *
sched_list(int64_t user)
{
	json_t	*out = json_array(), *t;
	size_t	 i;

	json_array_foreach(json_object_get(sched, "tasks"), i, t)
		if (json_integer_value(json_object_get(t, "user")) == user)
			json_array_append(out, t);
	return (out);
}

static char *
sched_add(struct chatmsg *m, json_t *args)
{
	json_t		*tasks = json_object_get(sched, "tasks"), *list, *t;
	const char	*kind = json_string_value(json_object_get(args, "kind"));
	const char	*text = json_string_value(json_object_get(args, "text"));
	json_int_t	 delay = json_integer_value(json_object_get(args,
	    "delay_seconds"));
	json_int_t	 id = json_integer_value(json_object_get(sched, "next"));
	char		*s;
	size_t		 n;

	if (kind == NULL)
		kind = "reminder";
	if (strcmp(kind, "reminder") != 0 && strcmp(kind, "command") != 0)
		return (strdup("Error: kind is \"reminder\" or \"command\"."));
	if (text == NULL || *text == '\0')
		return (strdup("Error: \"text\" is required."));
	if (delay < 1 || delay > gw.conf->schedule_max_delay) {
		if (asprintf(&s, "Error: delay_seconds must be 1 to %lld.",
		    gw.conf->schedule_max_delay) == -1)
			return (NULL);
		return (s);
	}
	list = sched_list(m->user);
	n = json_array_size(list);
	json_decref(list);
	if ((long long)n >= gw.conf->schedules_per_user) {
		if (asprintf(&s, "Error: you already have %zu scheduled tasks "
		    "(the limit).", n) == -1)
			return (NULL);
		return (s);
	}
	t = json_pack("{s:I, s:I, s:I, s:s, s:s, s:I}", "id", id, "user",
	    (json_int_t)m->user, "chat", (json_int_t)m->chat, "kind", kind,
	    "text", text, "due", (json_int_t)(time(NULL) + delay));
	if (t == NULL)
		return (NULL);
	json_array_append_new(tasks, t);
	json_object_set_new(sched, "next", json_integer(id + 1));
	sched_save();
	sched_arm();
	store_log(&gw.store, "user %" PRId64 " scheduled task %lld (%s) in "
	    "%lld s", m->user, (long long)id, kind, (long long)delay);
	if (asprintf(&s, "Scheduled task %lld: %s in %lld seconds.",
	    (long long)id, kind, (long long)delay) == -1)
		return (NULL);
	return (s);
}

static char *
sched_cancel(struct chatmsg *m, json_t *args)
{
	json_t		*tasks = json_object_get(sched, "tasks"), *t;
	json_int_t	 id = json_integer_value(json_object_get(args, "id"));
	size_t		 i;

	json_array_foreach(tasks, i, t) {
		if (json_integer_value(json_object_get(t, "id")) != id ||
		    json_integer_value(json_object_get(t, "user")) != m->user)
			continue;
		json_array_remove(tasks, i);
		sched_save();
		sched_arm();
		return (strdup("Cancelled."));
	}
	return (strdup("Error: you have no task with that id."));
}

/* the schedule_task tool: a malloc'd text for the model */
char *
sched_tool(struct chatmsg *m, json_t *args)
{
	const char	*action = json_string_value(json_object_get(args,
	    "action"));
	json_t		*list;
	char		*s;

	if (action == NULL)
		action = "add";
	if (strcmp(action, "add") == 0)
		return (sched_add(m, args));
	if (strcmp(action, "cancel") == 0)
		return (sched_cancel(m, args));
	list = sched_list(m->user);
	s = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return (s);
}

/*
 * budget.c - each user's daily budgets: model tokens, counted from the
 * usage fields of the provider's replies (total_tokens, or prompt plus
 * completion tokens), and tool calls.  model-tokens-per-day and
 * tool-calls-per-day set them for everybody (0: no limit), user-limits
 * for named users.  The day ends at 00:00 UTC.  A user over a budget
 * gets a message saying when it resets and no model request is made.
 *
 * usage.json in the state directory, rewritten atomically:
 *   {"day": "YYYY-MM-DD", "users": {"ID": {"tokens": n, "tools": n}}}
 */
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
#include "userlimit.h"

static json_t	*usage;

static void
today(char *buf, size_t len, time_t now)
{
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static int
save(void)
{
	char	 path[1024];

	if (store_path(&gw.store, path, sizeof(path), "usage.json") == -1 ||
	    state_write_json(path, usage) == -1) {
		log_warn("saving usage.json");
		return (-1);
	}
	return (0);
}

/* the counters of today; a new day starts from zero */
static json_t *
users(void)
{
	char		 day[16];
	const char	*d;

	today(day, sizeof(day), time(NULL));
	if (usage == NULL)
		usage = json_object();
	d = json_string_value(json_object_get(usage, "day"));
	if (d == NULL || strcmp(d, day) != 0) {
		json_object_set_new(usage, "day", json_string(day));
		json_object_set_new(usage, "users", json_object());
	}
	return (json_object_get(usage, "users"));
}

static json_t *
counters(int64_t user, int create)
{
	json_t	*u = users(), *c;
	char	 key[32];

	snprintf(key, sizeof(key), "%" PRId64, user);
	if ((c = json_object_get(u, key)) == NULL && create) {
		c = json_pack("{s:i, s:i}", "tokens", 0, "tools", 0);
		json_object_set_new(u, key, c);
	}
	return (c);
}

void
budget_init(void)
{
	char	 path[1024];

	json_decref(usage);
	usage = NULL;
	if (store_path(&gw.store, path, sizeof(path), "usage.json") == 0)
		usage = state_read_json(path, 16 * 1024 * 1024);
	if (!json_is_object(usage)) {
		json_decref(usage);
		usage = NULL;
	}
	users();
}

long long
budget_limit(int64_t user, int what)
{
	const char	*key = what == BUDGET_TOKENS ? "model-tokens-per-day" :
	    "tool-calls-per-day";

	return (userlimit_num(&gw.conf->user_limits, user, key,
	    what == BUDGET_TOKENS ? gw.conf->model_tokens_per_day :
	    gw.conf->tool_calls_per_day));
}

long long
budget_used(int64_t user, int what)
{
	return (json_integer_value(json_object_get(counters(user, 0),
	    what == BUDGET_TOKENS ? "tokens" : "tools")));
}

/* 0 within the budget; -1 with the message for the user */
int
budget_check(int64_t user, int what, char *msg, size_t len)
{
	long long	 limit = budget_limit(user, what), left;
	time_t		 now = time(NULL);

	if (limit <= 0 || budget_used(user, what) < limit)
		return (0);
	left = 86400 - now % 86400;
	snprintf(msg, len, "You have used your daily %s (%lld). It resets "
	    "at 00:00 UTC, in %lldh %02lldm; I will not %s until then.",
	    what == BUDGET_TOKENS ? "budget of model tokens" :
	    "budget of tool calls", limit, left / 3600, (left % 3600) / 60,
	    what == BUDGET_TOKENS ? "ask the model for you" :
	    "run tools for you");
	return (-1);
}

void
budget_add(int64_t user, int what, long long n)
{
	json_t		*c;
	const char	*key = what == BUDGET_TOKENS ? "tokens" : "tools";

	if (n <= 0 || (c = counters(user, 1)) == NULL)
		return;
	json_object_set_new(c, key, json_integer(json_integer_value(
	    json_object_get(c, key)) + n));
	save();
}

/* the tokens a chat completion reply reports */
long long
budget_usage_tokens(json_t *result)
{
	json_t		*u = json_object_get(result, "usage");
	long long	 t;

	if (!json_is_object(u))
		return (0);
	t = json_integer_value(json_object_get(u, "total_tokens"));
	if (t <= 0)
		t = json_integer_value(json_object_get(u, "prompt_tokens")) +
		    json_integer_value(json_object_get(u, "completion_tokens"));
	return (t > 0 ? t : 0);
}

/* today's counters of every user, for /stats */
json_t *
budget_today(void)
{
	return (json_deep_copy(users()));
}

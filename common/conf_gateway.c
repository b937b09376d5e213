/*
 * conf_gateway.c - the gateway { } section of topsh.conf(5).
 * Keep the table sorted by name: config.c searches it with bsearch(3).
 * Every key is documented in man/fragments/conf_gateway.mdoc.
 */
#include <stddef.h>

#include "config.h"

#define K(n, t, f, lo, hi, d) \
	{ n, t, offsetof(struct conf_gateway, f), lo, hi, d, NULL }
#define E(n, f, d, c) \
	{ n, CF_ENUM, offsetof(struct conf_gateway, f), 0, 0, d, c }
#define DAY	(24LL * 3600)

static const char *const access_modes[] = { "open", "allowlist",
	"pairing", NULL };
static const char *const approvers[] = { "auto", "requester", "admin",
	"either", NULL };

static const struct cfkey keys[] = {
	E("access", access, "pairing", access_modes),
	K("admins", CF_STRLIST, admins, 0, 0, NULL),
	K("allow-chats", CF_STRLIST, allow_chats, 0, 0, NULL),
	K("allow-users", CF_STRLIST, allow_users, 0, 0, NULL),
	K("approval-timeout", CF_TIME, approval_timeout, 5, DAY, "2m"),
	E("approve-by", approve_by, "auto", approvers),
	K("ask-timeout", CF_TIME, ask_timeout, 5, DAY, "5m"),
	K("bot-username", CF_STRING, bot_username, 0, 0, NULL),
	K("context-max", CF_SIZE, context_max, 4096, 16LL << 20, "96K"),
	K("context-messages", CF_INT, context_messages, 2, 10000, "40"),
	K("dm-per-hour", CF_INT, dm_per_hour, 0, 10000, "5"),
	K("emoji-chance", CF_PERCENT, emoji_chance, 0, 0, "10%"),
	K("emoji-interval", CF_TIME, emoji_interval, 0, DAY, "5m"),
	K("emoji-reactions", CF_BOOL, emoji_reactions, 0, 0, "yes"),
	K("gdrive", CF_BOOL, gdrive, 0, 0, "yes"),
	K("group-reply-chance", CF_PERCENT, group_reply_chance, 0, 0, "0%"),
	K("group-reply-min-length", CF_INT, group_reply_min_length, 0,
	    4096, "80"),
	K("groups", CF_BOOL, groups, 0, 0, "yes"),
	K("history-max", CF_SIZE, history_max, 1024, 64LL << 20, "64K"),
	K("log-max", CF_SIZE, log_max, 4096, 1LL << 30, "1M"),
	K("max-iterations", CF_INT, max_iterations, 1, 200, "25"),
	K("max-jobs", CF_INT, max_jobs, 1, 10000, "32"),
	K("memory-max", CF_SIZE, memory_max, 1024, 16LL << 20, "16K"),
	K("model", CF_STRING, model, 0, 0, NULL),
	K("model-tokens-per-day", CF_INT, model_tokens_per_day, 0,
	    1000000000000LL, "0"),
	K("poll-timeout", CF_TIME, poll_timeout, 1, 600, "30s"),
	K("private-chats", CF_BOOL, private_chats, 0, 0, "yes"),
	K("queue-per-user", CF_INT, queue_per_user, 0, 1000, "5"),
	K("rate-per-minute", CF_INT, rate_per_minute, 0, 10000, "10"),
	K("reactions", CF_BOOL, reactions, 0, 0, "yes"),
	K("schedule-max-delay", CF_TIME, schedule_max_delay, 60, 366 * DAY,
	    "30d"),
	K("schedules-per-user", CF_INT, schedules_per_user, 0, 1000, "10"),
	K("send-dm", CF_BOOL, send_dm, 0, 0, "yes"),
	K("session-max", CF_SIZE, session_max, 4096, 64LL << 20, "128K"),
	K("status-delay", CF_TIME, status_delay, 0, 3600, "1s"),
	K("status-messages", CF_BOOL, status_messages, 0, 0, "yes"),
	K("system-prompt", CF_PATH, system_prompt, 0, 0,
	    "/etc/topsh/prompts/system.md"),
	K("thought-chance", CF_PERCENT, thought_chance, 0, 0, "50%"),
	K("thought-context", CF_INT, thought_context, 1, 1000, "30"),
	K("thought-interval-max", CF_TIME, thought_interval_max, 5,
	    30 * DAY, "4h"),
	K("thought-interval-min", CF_TIME, thought_interval_min, 5,
	    30 * DAY, "1h"),
	K("thoughts", CF_BOOL, thoughts, 0, 0, "no"),
	K("tool-calls-per-day", CF_INT, tool_calls_per_day, 0, 100000000,
	    "0"),
	K("tool-output-max", CF_SIZE, tool_output_max, 1024, 4LL << 20,
	    "16K"),
	K("typing", CF_BOOL, typing, 0, 0, "yes"),
	K("upload-max", CF_SIZE, upload_max, 1024, 6LL << 20, "5M"),
	K("user", CF_STRING, user, 0, 0, "topsh-gateway"),
	K("user-limits", CF_STRLIST, user_limits, 0, 0, NULL),
	K("workspace", CF_STRING, workspace, 0, 0, "/workspace"),
};

const struct cfsection conf_gateway_section = {
	"gateway", keys, sizeof(keys) / sizeof(keys[0]),
	offsetof(struct topsh_conf, gateway)
};

#ifndef TOPSH_CONF_GATEWAY_H
#define TOPSH_CONF_GATEWAY_H

#include "config.h"

/*
 * The gateway { } section of topsh.conf(5).  Keys (lowercase, dashes)
 * map to the fields below in the same order; conf_gateway.c holds the
 * sorted table with types, bounds and defaults.
 */
struct conf_gateway {
	char		*user;			/* user "_topsh_gw" */
	char		*bot_username;		/* bot-username "" (getMe) */
	char		*system_prompt;		/* system-prompt PATH */
	char		*model;			/* model "" (proxyd's) */
	long long	 max_jobs;		/* max-jobs 32 */
	long long	 queue_per_user;	/* queue-per-user 5 */
	long long	 rate_per_minute;	/* rate-per-minute 10 */
	long long	 max_iterations;	/* max-iterations 25 */
	long long	 history_max;		/* history-max 64K */
	long long	 session_max;		/* session-max 128K */
	long long	 memory_max;		/* memory-max 16K */
	long long	 log_max;		/* log-max 1M */
	long long	 context_max;		/* context-max 96K */
	long long	 context_messages;	/* context-messages 40 */
	long long	 tool_output_max;	/* tool-output-max 16K */
	long long	 poll_timeout;		/* poll-timeout 30s */
	long long	 approval_timeout;	/* approval-timeout 2m */
	long long	 ask_timeout;		/* ask-timeout 5m */
	long long	 upload_max;		/* upload-max 5M */
	int		 private_chats;		/* private-chats yes */
	int		 groups;		/* groups yes */
	double		 group_reply_chance;	/* group-reply-chance 0% */
	long long	 group_reply_min_length; /* group-reply-min-length 80 */
	int		 status_messages;	/* status-messages yes */
	long long	 status_delay;		/* seconds before it shows */
	int		 typing;		/* typing yes */
	int		 reactions;		/* reactions yes (start/done/error) */
	int		 emoji_reactions;	/* emoji-reactions yes (LLM-chosen) */
	double		 emoji_chance;		/* emoji-chance 10% */
	long long	 emoji_interval;	/* emoji-interval 5m */
	int		 thoughts;		/* thoughts no */
	double		 thought_chance;	/* thought-chance 50% */
	long long	 thought_interval_min;	/* thought-interval-min 1h */
	long long	 thought_interval_max;	/* thought-interval-max 4h */
	long long	 thought_context;	/* thought-context 30 messages */
	int		 send_dm;		/* send-dm yes */
	long long	 dm_per_hour;		/* dm-per-hour 5 */
	long long	 schedules_per_user;	/* schedules-per-user 10 */
	long long	 schedule_max_delay;	/* schedule-max-delay 30d */
	int		 gdrive;		/* gdrive yes */
	char		*workspace;		/* workspace "/workspace" */
	int		 access;		/* access pairing (ACCESS_*) */
	struct cfstrlist admins;		/* admins ID... */
	struct cfstrlist allow_users;		/* allow-users ID... */
	struct cfstrlist allow_chats;		/* allow-chats ID... */
	int		 approve_by;		/* approve-by auto (APPROVE_BY_*) */
	long long	 model_tokens_per_day;	/* model-tokens-per-day 0 */
	long long	 tool_calls_per_day;	/* tool-calls-per-day 0 */
	struct cfstrlist user_limits;		/* user-limits "ID k=v..." */
};

/* access: the index of the choice in the table */
enum { ACCESS_OPEN, ACCESS_ALLOWLIST, ACCESS_PAIRING };
/* approve-by: auto is either in private chats, admin in groups */
enum { APPROVE_BY_AUTO, APPROVE_BY_REQUESTER, APPROVE_BY_ADMIN,
	APPROVE_BY_EITHER };

#endif

/*
 * imsg_gateway.h - messages served by gatewayd (500-599).
 *
 * gatewayd serves no other daemon: it only connects out, to proxyd
 * (imsg_proxy.h) and sandboxd (imsg_sandbox.h), and it accepts no peer.
 * Its control socket answers the common requests (IMSG_CTL_STATUS,
 * IMSG_CTL_LOG_VERBOSE, IMSG_CTL_RELOAD); the status object gets these
 * fields from gatewayd:
 *   {"jobs_running": int (users with a job), "jobs_max": int (max-jobs),
 *    "model_calls": int (in flight, at most jobs_max),
 *    "model_waiting": int (jobs waiting for a model call slot),
 *    "requests_in_flight": int,
 *    "inbox": int (messages accepted, not yet answered),
 *    "next_update": int (the Telegram update offset),
 *    "updates_handled": int, "bot": str|null (the bot's user name),
 *    "access": "open"|"allowlist"|"pairing", "admins": int,
 *    "users_allowed": int, "users_pending": int, "users_blocked": int}
 *
 * topshctl's own requests (replies IMSG_CTL_DATA objects then
 * IMSG_CTL_END, or IMSG_CTL_FAIL {"error": str}):
 * IMSG_CTL_USERS_LIST  {}
 *   one DATA per user on the access list: {"user": int, "state":
 *   "allowed"|"blocked"|"pending"|"refused"|"admin", "name": str (opt),
 *   "username": str (opt), "code": str (pending), "since": int,
 *   "by": str (who decided), "admin": true (opt)}
 *   topshctl users list
 * IMSG_CTL_USERS_SET   {"action": "allow"|"block"|"remove",
 *                       "who": str (a user id, a pairing code or
 *                              @username)}
 *   DATA {"user": int, "state": "allowed"|"blocked"|"removed"}
 *   topshctl users allow|approve|block|remove
 */
#ifndef TOPSH_IMSG_GATEWAY_H
#define TOPSH_IMSG_GATEWAY_H

enum imsg_type_gateway {
	IMSG_GATEWAY_BASE = 500,
	IMSG_CTL_USERS_LIST = 590,
	IMSG_CTL_USERS_SET,
};

#endif

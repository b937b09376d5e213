/*
 * conf_policy.c - the policy { } section of topsh.conf(5).
 * Keep the table sorted by name: config.c searches it with bsearch(3).
 */
#include <stddef.h>

#include "config.h"

#define K(n, t, f, lo, hi, d) \
	{ n, t, offsetof(struct conf_policy, f), lo, hi, d, NULL }

static const struct cfkey keys[] = {
	K("approve-timeout", CF_TIME, approve_timeout, 5, 86400, "5m"),
	K("audit-log", CF_PATH, audit_log, 0, 0,
	    "/var/log/topsh/audit.log"),
	K("max-depth", CF_INT, max_depth, 1, 16, "5"),
	K("max-input", CF_SIZE, max_input, 256, 1024 * 1024, "64K"),
	K("rules", CF_PATHLIST, rules, 0, 0,
	    "/etc/topsh/policy/default.rules"),
	K("user", CF_STRING, user, 0, 0, "topsh-policy"),
	K("vouch-window", CF_TIME, vouch_window, 60, 30 * 86400, "1h"),
};

const struct cfsection conf_policy_section = {
	"policy", keys, sizeof(keys) / sizeof(keys[0]),
	offsetof(struct topsh_conf, policy)
};

/*
 * conf_gateway.c - the gateway { } section of topsh.conf(5).
 * Keep the table sorted by name: config.c searches it with bsearch(3).
 */
#include <stddef.h>

#include "config.h"

#define K(n, t, f, lo, hi, d) \
	{ n, t, offsetof(struct conf_gateway, f), lo, hi, d, NULL }

static const struct cfkey keys[] = {
	K("history-max", CF_SIZE, history_max, 1024, 64LL << 20, "256K"),
	K("max-iterations", CF_INT, max_iterations, 1, 200, "25"),
	K("max-jobs", CF_INT, max_jobs, 1, 10000, "10"),
	K("queue-per-user", CF_INT, queue_per_user, 0, 1000, "5"),
	K("rate-per-minute", CF_INT, rate_per_minute, 1, 10000, "10"),
	K("system-prompt", CF_PATH, system_prompt, 0, 0,
	    "/etc/topsh/prompts/system.md"),
	K("user", CF_STRING, user, 0, 0, "topsh-gateway"),
};

const struct cfsection conf_gateway_section = {
	"gateway", keys, sizeof(keys) / sizeof(keys[0]),
	offsetof(struct topsh_conf, gateway)
};

/*
 * engine.c - the rule set policyd answers from: built from the policy
 * section of topsh.conf (or from rule files named directly), and
 * replaced on reload only when the new one compiled completely.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "policy.h"
#include "policyd.h"

static void
engine_limits(struct ruleset *rs, const struct conf_policy *pc)
{
	if (pc == NULL)
		return;
	rs->approve_timeout = pc->approve_timeout;
	rs->maxdepth = (int)pc->max_depth;
	rs->maxinput = (size_t)pc->max_input;
}

struct ruleset *
pd_engine_build(char *const *files, size_t nfiles, const struct conf_policy *pc,
    struct cfmacros *macros, struct cferrs *errs)
{
	struct ruleset	*rs;

	if ((rs = malloc(sizeof(*rs))) == NULL) {
		cf_error(errs, "-", 0, "out of memory");
		return (NULL);
	}
	ruleset_init(rs);
	engine_limits(rs, pc);
	if (ruleset_load(rs, files, nfiles, macros, errs) == -1) {
		free(rs);
		return (NULL);
	}
	return (rs);
}

struct ruleset *
pd_engine_build_conf(const struct conf_policy *pc, struct cferrs *errs)
{
	return (pd_engine_build(pc->rules.v, pc->rules.n, pc, NULL, errs));
}

void
pd_engine_free(struct ruleset *rs)
{
	if (rs == NULL)
		return;
	ruleset_free(rs);
	free(rs);
}

/*
 * Compile the rules of a new configuration; swap them in only if all
 * of it compiled.  On failure every error is in err and *cur stays.
 */
int
pd_engine_reload(struct ruleset **cur, const struct conf_policy *pc,
    char *err, size_t errlen)
{
	struct cferrs	 errs;
	struct ruleset	*rs;
	char		*joined;

	cferrs_init(&errs);
	if ((rs = pd_engine_build_conf(pc, &errs)) == NULL) {
		joined = cferrs_join(&errs);
		(void)snprintf(err, errlen, "rules refused, the old ones stay "
		    "in force (%zu error%s):\n%s", errs.n,
		    errs.n == 1 ? "" : "s", joined != NULL ? joined : "");
		free(joined);
		cferrs_free(&errs);
		return (-1);
	}
	cferrs_free(&errs);
	if (*cur != NULL) {
		rs->checks = (*cur)->checks;
		rs->denied = (*cur)->denied;
		rs->held = (*cur)->held;
	}
	pd_engine_free(*cur);
	*cur = rs;
	log_info("rules loaded: %zu regex, %zu command, %zu file, %zu "
	    "network%s", rs->count[RK_REGEX], rs->count[RK_COMMAND],
	    rs->count[RK_FILE], rs->count[RK_NET],
	    rs->jit ? "" : " (pcre2 JIT unavailable: interpreter)");
	return (0);
}

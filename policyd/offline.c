/*
 * offline.c - policyd without the daemon: -n validates the rules,
 * -t answers one command per input line with one JSON object per output
 * line.  FILE may be topsh.conf (its policy section names the rule
 * files) or a rule file itself: a file whose statements are rules
 * (block, approve, command, file, network, default) is a rule file.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policyd.h"

int
pd_offline_check(struct ruleset *rs, int verbose)
{
	size_t	i, block = 0;

	if (!verbose)
		return (0);
	for (i = 0; i < rs->nregex; i++)
		if (rs->regex[i]->decision == POL_DENY)
			block++;
	printf("rules: %zu regex (%zu block, %zu approve), %zu command, "
	    "%zu file, %zu network\n", rs->nregex, block, rs->nregex - block,
	    rs->count[RK_COMMAND], rs->count[RK_FILE], rs->count[RK_NET]);
	printf("defaults: command %s, file %s, network %s\n",
	    pol_decision_name(rs->def[RK_COMMAND]),
	    pol_decision_name(rs->def[RK_FILE]),
	    pol_decision_name(rs->def[RK_NET]));
	printf("pcre2 JIT: %s; patterns without a prefilter literal: %zu\n",
	    rs->jit ? "yes" : "no (interpreter)", prefilter_always(rs->pf));
	return (0);
}

int
pd_offline_test(struct ruleset *rs, FILE *in, FILE *out)
{
	struct pol_result	 res;
	char			*line = NULL, *s;
	size_t			 cap = 0;
	ssize_t			 len;
	json_t			*o;

	while ((len = getline(&line, &cap, in)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		pol_check_command(rs, line, (size_t)len, &res);
		if ((o = pol_result_json(&res, line)) == NULL ||
		    (s = json_dumps(o, JSON_COMPACT)) == NULL) {
			json_decref(o);
			free(line);
			fprintf(stderr, "policyd: out of memory\n");
			return (1);
		}
		fprintf(out, "%s\n", s);
		fflush(out);
		free(s);
		json_decref(o);
	}
	free(line);
	return (ferror(in) || ferror(out) ? 1 : 0);
}

int
pd_offline_is_rulefile(const char *path, struct cfmacros *macros)
{
	struct cferrs	 errs;
	struct cftree	*t;
	int		 rv = 0;

	cferrs_init(&errs);
	if ((t = cf_parse_file(path, macros, &errs)) != NULL) {
		rv = ruleset_looks_like_rules(t);
		cf_free(t);
	}
	cferrs_free(&errs);
	return (rv);
}

int
pd_offline_rulefile(const char *path, int noaction, int test, int verbose,
    struct cfmacros *macros)
{
	struct cferrs	 errs;
	struct ruleset	*rs;
	char		*files[1];
	int		 rv = 0;

	cferrs_init(&errs);
	files[0] = (char *)path;
	if ((rs = pd_engine_build(files, 1, NULL, macros, &errs)) == NULL) {
		cferrs_print(&errs, stderr);
		fprintf(stderr, "policyd: %s: %zu error%s, rules not loaded\n",
		    path, errs.n, errs.n == 1 ? "" : "s");
		cferrs_free(&errs);
		return (1);
	}
	cferrs_free(&errs);
	if (test)
		rv = pd_offline_test(rs, stdin, stdout);
	else if (noaction) {
		pd_offline_check(rs, verbose);
		printf("configuration OK\n");
	} else {
		fprintf(stderr, "policyd: %s is a rule file; use -n or -t, "
		    "or name it in the rules of topsh.conf\n", path);
		rv = 1;
	}
	pd_engine_free(rs);
	return (rv);
}

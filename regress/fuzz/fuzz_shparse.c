/*
 * fuzz_shparse.c - the shell parser on arbitrary command lines, and
 * the whole command check on the same bytes against a small rule set.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../policyd/policy.h"
#include "../../policyd/shparse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char rules[] =
    "block b1 category c pattern '/proc/[^/]+/environ' message m\n"
    "block b2 category c pattern '(\\\\w+)\\\\s*\\\\(\\\\)\\\\s*\\\\{\\\\s*\\\\1' message m\n"
    "approve a1 category c pattern 'rm\\\\s+-rf' message m\n"
    "command deny c1 match sudo\n"
    "command approve c2 match rm args '-r'\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shparse	 sp;
	static struct ruleset	 rs;
	static int		 init;
	struct pol_result	 res;
	struct cferrs		 errs;
	size_t			 i;

	if (!init) {
		shparse_init(&sp, SH_MAXDEPTH);
		ruleset_init(&rs);
		cferrs_init(&errs);
		if (ruleset_load_buffer(&rs, "fuzz.rules", rules,
		    sizeof(rules) - 1, &errs) == -1)
			__builtin_trap();
		cferrs_free(&errs);
		init = 1;
	}
	if (shparse(&sp, (const char *)data, size) == 0) {
		for (i = 0; i < sp.ncmds; i++)
			if (sp.cmds[i].argc < 1 || sp.cmds[i].argv[0] == NULL ||
			    sp.cmds[i].depth > sp.maxdepth)
				__builtin_trap();
	} else if (sp.errmsg[0] == '\0')
		__builtin_trap();
	pol_check_command(&rs, (const char *)data, size, &res);
	if (res.decision != POL_ALLOW && res.rule == NULL)
		__builtin_trap();
	return (0);
}

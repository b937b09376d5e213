/*
 * rules_re.c - compiling rule patterns with pcre2: JIT when it is
 * available (before the process is confined), the interpreter
 * otherwise; and the one match data and JIT stack every check shares.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "policy.h"

#define RE_MATCH_LIMIT	200000	/* bounds a runaway backtrack */
#define RE_DEPTH_LIMIT	10000

int
rule_re_flags(const char *s, uint32_t *f)
{
	*f = 0;
	for (; *s != '\0'; s++) {
		switch (*s) {
		case 'i':
			*f |= PCRE2_CASELESS;
			break;
		case 'm':
			*f |= PCRE2_MULTILINE;
			break;
		case 's':
			*f |= PCRE2_DOTALL;
			break;
		case 'x':
			*f |= PCRE2_EXTENDED;
			break;
		default:
			return (-1);
		}
	}
	return (0);
}

int
rule_compile(struct ruleset *rs, struct rule *r, const char *pattern,
    uint32_t flags, pcre2_code **rep, char *msg, size_t msglen)
{
	PCRE2_UCHAR	 buf[160];
	PCRE2_SIZE	 off;
	pcre2_code	*re;
	int		 code;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    flags, &code, &off, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(code, buf, sizeof(buf)) < 0)
			strlcpy((char *)buf, "unknown error", sizeof(buf));
		(void)snprintf(msg, msglen, "bad pattern at offset %zu: %s",
		    (size_t)off, (char *)buf);
		return (-1);
	}
	/*
	 * All or nothing: once one pattern cannot be JIT-compiled, the rest
	 * use the interpreter too, and matching goes through pcre2_match().
	 */
	r->jit = 0;
	if (rs->jit) {
		if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0)
			r->jit = 1;
		else
			rs->jit = 0;
	}
	*rep = re;
	return (0);
}

int
ruleset_scratch(struct ruleset *rs, char *msg, size_t msglen)
{
	if ((rs->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (rs->mctx = pcre2_match_context_create(NULL)) == NULL) {
		(void)snprintf(msg, msglen, "out of memory");
		return (-1);
	}
	(void)pcre2_set_match_limit(rs->mctx, RE_MATCH_LIMIT);
	(void)pcre2_set_depth_limit(rs->mctx, RE_DEPTH_LIMIT);
	if (rs->jit) {
		if ((rs->jstack = pcre2_jit_stack_create(32 * 1024,
		    512 * 1024, NULL)) == NULL) {
			(void)snprintf(msg, msglen, "out of memory");
			return (-1);
		}
		pcre2_jit_stack_assign(rs->mctx, NULL, rs->jstack);
	}
	return (0);
}

/*
 * 1 match, 0 none.  A pattern that gives up (match or depth limit)
 * counts as a match: a check fails closed.
 */
int
rule_re_match(struct ruleset *rs, pcre2_code *re, const char *s, size_t len)
{
	return (rule_re_match_at(rs, re, s, len, 0));
}

int
rule_re_match_at(struct ruleset *rs, pcre2_code *re, const char *s,
    size_t len, size_t off)
{
	int	rc;

	/* every pattern JIT-compiled: the fast path without checks */
	if (rs->jit)
		rc = pcre2_jit_match(re, (PCRE2_SPTR)s, len, off, 0, rs->md,
		    rs->mctx);
	else
		rc = pcre2_match(re, (PCRE2_SPTR)s, len, off, 0, rs->md,
		    rs->mctx);
	if (rc >= 0)
		return (1);
	if (rc == PCRE2_ERROR_NOMATCH)
		return (0);
	return (1);
}

/* a match that starts at or before offset limit (re_lim twins only) */
int
rule_re_match_upto(struct ruleset *rs, pcre2_code *re, const char *s,
    size_t len, size_t limit)
{
	int	m;

	(void)pcre2_set_offset_limit(rs->mctx, limit);
	m = rule_re_match_at(rs, re, s, len, 0);
	(void)pcre2_set_offset_limit(rs->mctx, PCRE2_UNSET);
	return (m);
}

/* the last place the literal of regex rule i was seen */
static size_t
last_literal(const struct ruleset *rs, size_t i)
{
	size_t	k, last = 0;

	for (k = 0; k < rs->npos[i]; k++)
		if (rs->pos[i * PF_MAXPOS + k] > last)
			last = rs->pos[i * PF_MAXPOS + k];
	return (last);
}

/*
 * Does regex rule i match s?  After prefilter_scan: a rule whose matches
 * start at its literal is tried anchored at each place the literal was
 * seen, instead of scanning the whole text.  Any other match contains
 * its literal (never in a lookaround), so it starts at or before the
 * last place the literal was seen: pcre2 need not try beyond.
 */
int
regex_rule_matches(struct ruleset *rs, size_t i, const char *s, size_t len)
{
	const struct rule	*r = rs->regex[i];
	size_t			 k;

	if (r->re_anch == NULL || rs->npos[i] > PF_MAXPOS) {
		if (r->re_lim != NULL && rs->npos[i] > 0 &&
		    rs->npos[i] <= PF_MAXPOS)
			return (rule_re_match_upto(rs, r->re_lim, s, len,
			    last_literal(rs, i)));
		return (rule_re_match(rs, r->re, s, len));
	}
	for (k = 0; k < rs->npos[i]; k++)
		if (rule_re_match_at(rs, r->re_anch, s, len,
		    rs->pos[i * PF_MAXPOS + k]))
			return (1);
	return (0);
}

/*
 * The twins of the rules the prefilter can place: anchored when every
 * match starts at the literal, with an offset limit otherwise.
 */
int
ruleset_anchor(struct ruleset *rs, char *msg, size_t msglen)
{
	struct rule	*r;
	size_t		 i;

	for (i = 0; i < rs->nregex; i++) {
		r = rs->regex[i];
		if (r->always)
			continue;
		if (rule_compile(rs, r, r->pattern, r->reflags |
		    (r->prefix ? PCRE2_ANCHORED : PCRE2_USE_OFFSET_LIMIT),
		    r->prefix ? &r->re_anch : &r->re_lim, msg, msglen) == -1)
			return (-1);
	}
	return (0);
}

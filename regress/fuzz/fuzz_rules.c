/*
 * fuzz_rules.c - the rule file loader (statements, options, pcre2
 * patterns, CIDRs, ports, the prefilter's literal extraction) on
 * arbitrary files; a rule set that loads is then used once.  Then the
 * input as "pattern\nsubject": where pcre2 finds a match, the claims the
 * engine's pattern analysis makes about every match must hold (its
 * bytes lie in rx_span(), it holds a prefilter literal, at its start
 * for a prefix rule, and a follow literal after nothing but the bytes
 * prefilter_follow() says can come before it, then one of the second
 * set prefilter_follow2() gives with nothing but its gap between, and
 * what follows a leading literal is what rx_next() says); and an
 * attempt anchored at any place reads nothing outside what
 * rx_readspan() and the longest lookbehind say: changing every other
 * byte never changes its answer.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../policyd/policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* does one of the n literals occur in s[from, to) (at from only)? */
static int
holds(char **v, size_t n, const char *s, size_t from, size_t to, int at)
{
	size_t	i, k, l;

	for (i = 0; i < n; i++) {
		if ((l = strlen(v[i])) == 0)
			return (1);
		for (k = from; k + l <= to; k++) {
			if (strncasecmp(s + k, v[i], l) == 0)
				return (1);
			if (at)
				break;
		}
	}
	return (0);
}

/*
 * Does one of the n literals occur in s[from, to) with nothing but gap
 * bytes before it from from on?
 */
static int
holds_after_gap(char **v, size_t n, const char *s, size_t from, size_t to,
    const uint8_t *gap)
{
	size_t	i, k, l;

	for (k = from; k <= to; k++) {
		for (i = 0; i < n; i++)
			if ((l = strlen(v[i])) <= to - k &&
			    strncasecmp(s + k, v[i], l) == 0)
				return (1);
		if (k == to || !(gap[(unsigned char)s[k] / 8] &
		    (1 << ((unsigned char)s[k] % 8))))
			return (0);
	}
	return (0);
}

static void
freev(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* the earliest end of one of the n literals in s[from, to), or to + 1 */
static size_t
first_end(char **v, size_t n, const char *s, size_t from, size_t to)
{
	size_t	i, k, l, best = to + 1;

	for (i = 0; i < n; i++) {
		l = strlen(v[i]);
		for (k = from; k + l <= to; k++)
			if (strncasecmp(s + k, v[i], l) == 0) {
				if (k + l < best)
					best = k + l;
				break;
			}
	}
	return (best);
}

/* the match holds the pre sets, then the post sets, in order */
static void
check_chain(const char *pat, const char *s, size_t m, size_t e)
{
	struct litchain	 pre, post;
	size_t		 k, at = m, lead;

	if (prefilter_chain(pat, 0, &pre, &post) == -1)
		return;
	/* the first set comes at most rx_maxlen() bytes into the match */
	if (pre.n > 0 && pre.start != SIZE_MAX &&
	    (lead = rx_maxlen(pat, pre.start)) != SIZE_MAX) {
		for (k = m; k <= m + lead && k < e; k++)
			if (holds(pre.sets[0], pre.nset[0], s, k, e, 1))
				break;
		if (k > m + lead || k >= e)
			__builtin_trap();
	}
	for (k = 0; k < pre.n && at <= e; k++)
		at = first_end(pre.sets[k], pre.nset[k], s, at, e);
	for (k = 0; k < post.n && at <= e; k++)
		at = first_end(post.sets[k], post.nset[k], s, at, e);
	if (at > e)
		__builtin_trap();
	litchain_free(&pre);
	litchain_free(&post);
}

/*
 * The match s[m, e) holds one of the follow literals after nothing but
 * follow gap bytes (prefilter_follow(), all bytes when it finds none),
 * and one of the second set at or after it with nothing but gap2 bytes
 * between (prefilter_follow2()).
 */
static void
check_follow2(const char *pat, const char *s, size_t m, size_t e, int near)
{
	uint8_t	  gap[32], gap2[32];
	char	**fv, **v, **v1;
	size_t	  fn, n, n1, f;
	int	  ok = 0, g1;

	if (!prefilter_follow2(pat, 0, near, &fv, &fn, &v, &n, gap2))
		return;
	if ((g1 = prefilter_follow(pat, 0, 1, near, &v1, &n1, gap)))
		freev(v1, n1);
	for (f = m; f <= e && !ok; f++) {
		if (holds(fv, fn, s, f, e, 1) &&
		    holds_after_gap(v, n, s, f, e, gap2))
			ok = 1;
		if (f == e || (g1 && !(gap[(unsigned char)s[f] / 8] &
		    (1 << ((unsigned char)s[f] % 8)))))
			break;
	}
	if (!ok)
		__builtin_trap();
	freev(fv, fn);
	freev(v, n);
}

static int
anchored_at(pcre2_code *re, pcre2_match_data *md, const char *s, size_t len,
    size_t p)
{
	int	rc;

	rc = pcre2_match(re, (PCRE2_SPTR)s, len, p, PCRE2_ANCHORED, md, NULL);
	return (rc != PCRE2_ERROR_NOMATCH);
}

static void
check_reads(const char *pat, pcre2_code *re, pcre2_match_data *md,
    const char *subj, size_t len)
{
	uint8_t		 set[32];
	uint32_t	 behind;
	char		*t;
	size_t		 p, a, e, b, k;

	if (!rx_readspan(pat, 0, set) || pcre2_pattern_info(re,
	    PCRE2_INFO_MAXLOOKBEHIND, &behind) != 0 || (t = malloc(len +
	    1)) == NULL)
		return;
	if (behind == 0)
		behind = 1;
	for (p = 0; p <= len && p < 32; p++) {
		a = p < behind ? 0 : p - behind;
		for (e = p; e < len && (set[(unsigned char)subj[e] / 8] &
		    (1 << ((unsigned char)subj[e] % 8))); e++)
			;
		b = e < len ? e + 1 : len;
		for (k = 0; k < len; k++)
			t[k] = k >= a && k < b ? subj[k] : subj[k] ^ 0x2a;
		if (anchored_at(re, md, subj, len, p) !=
		    anchored_at(re, md, t, len, p))
			__builtin_trap();
	}
	free(t);
}

/* an anchored match at any place: what follows its literal is in rx_next */
static void
check_next(const char *pat, pcre2_code *re, pcre2_match_data *md,
    const char *subj, size_t len)
{
	struct rxnext	nx;
	size_t		p;

	if (!rx_next(pat, 0, &nx))
		return;
	for (p = 0; p <= len && p < 32; p++)
		if (pcre2_match(re, (PCRE2_SPTR)subj, len, p, PCRE2_ANCHORED,
		    md, NULL) >= 0 && !rx_next_ok(&nx, subj, len, p))
			__builtin_trap();
}

static void
check_claims(const char *pat, const char *subj, size_t len)
{
	pcre2_code		*re;
	pcre2_match_data	*md;
	PCRE2_SIZE		*ov, off;
	uint8_t			 span[32], gap[32];
	char			**v;
	size_t			 n, k, m, e;
	int			 code, prefix, near;

	if (strstr(pat, "\\K") != NULL || strstr(pat, "(*") != NULL)
		return;		/* the match start can move */
	if ((re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0,
	    &code, &off, NULL)) == NULL)
		return;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md != NULL) {
		check_reads(pat, re, md, subj, len);
		check_next(pat, re, md, subj, len);
	}
	if (md != NULL && pcre2_match(re, (PCRE2_SPTR)subj, len, 0, 0, md,
	    NULL) >= 0) {
		ov = pcre2_get_ovector_pointer(md);
		m = ov[0];
		e = ov[1];
		if (m <= e && e <= len) {
			if (rx_span(pat, 0, span))
				for (k = m; k < e; k++)
					if (!(span[(unsigned char)subj[k] / 8] &
					    (1 << ((unsigned char)subj[k] % 8))))
						__builtin_trap();
			if (prefilter_literals(pat, 0, &v, &n, &prefix)) {
				if (!holds(v, n, subj, m, e, prefix))
					__builtin_trap();
				freev(v, n);
			}
			check_chain(pat, subj, m, e);
			check_follow2(pat, subj, m, e, 0);
			check_follow2(pat, subj, m, e, 1);
			for (near = 0; near < 2; near++)
				if (prefilter_follow(pat, 0, 1, near, &v, &n,
				    gap)) {
					if (!holds_after_gap(v, n, subj, m, e,
					    gap))
						__builtin_trap();
					freev(v, n);
				}
		}
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
}

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

	/* the pattern analysis on the raw bytes as "pattern\nsubject" */
	if ((pat = strndup((const char *)data, size)) != NULL) {
		if (prefilter_literals(pat, 0, &v, &n, NULL)) {
			for (i = 0; i < n; i++)
				free(v[i]);
			free(v);
		}
		if ((i = strcspn(pat, "\n")) < strlen(pat)) {
			pat[i] = '\0';
			check_claims(pat, (const char *)data + i + 1,
			    size - i - 1);
		} else
			check_claims(pat, pat, strlen(pat));
		free(pat);
	}
	return (0);
}

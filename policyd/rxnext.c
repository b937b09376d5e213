/*
 * rxnext.c - what can come right after the literal that starts every
 * match of a pattern.
 *
 * A rule whose matches start at its literal is tried with one anchored
 * pcre2 call at each place the literal was seen, and most of those
 * calls fail on the very next byte: \$\{?IFS\b at "$HOME", \bgit\s+
 * (?:checkout|restore) at "git status".  When every branch of the
 * pattern is \b, a plain literal of one length and a rest R, pcre2
 * itself says which bytes any match of R can start with (its start
 * bitmap); a place whose next byte is not one of them is not tried.
 * When R starts with \s* or \s+ and cannot start with a space itself,
 * the spaces are skipped first.  Anything else: no such set.
 *
 * For a rule with a chain of literal sets: how many bytes at most a
 * match holds before the first set (2 in \b(?:ba|z)?sh\s+-i\b.*>&), so
 * pcre2 need not try starts farther back.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define NEXT_MAXBRANCH	16

static size_t	maxlen_atom(const char *, size_t *, size_t, int);

/*
 * Nothing that makes a rest compiled on its own differ from the rest in
 * its pattern: inline options, named or numbered references, verbs,
 * \Q...\E quoting.
 */
static int
next_safe(const char *p)
{
	for (; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] != '\0') {
			if (isdigit((unsigned char)p[1]) ||
			    strchr("gkKQE", p[1]) != NULL)
				return (0);
			p++;
			continue;
		}
		if (p[0] == '(' && (p[1] == '*' || (p[1] == '?' &&
		    strchr(":=!<>", p[2]) == NULL) || (p[1] == '?' &&
		    p[2] == '<' && p[3] != '=' && p[3] != '!')))
			return (0);
	}
	return (1);
}

/*
 * How many bytes s[0..n) matches when it is a plain literal or a group
 * of plain alternatives of one length ((?:curl|wget)); SIZE_MAX when it
 * is anything else.
 */
static size_t
plain_len(const char *s, size_t n)
{
	size_t	i = 0, l = 0, alt = SIZE_MAX;
	int	group = 0;

	if (n >= 4 && strncmp(s, "(?:", 3) == 0 && s[n - 1] == ')') {
		group = 1;
		i = 3;
		n--;
	} else if (n >= 2 && s[0] == '(' && s[1] != '?' && s[n - 1] == ')') {
		group = 1;
		i = 1;
		n--;
	}
	for (; i < n; i++) {
		if (s[i] == '|' && group) {
			if (alt != SIZE_MAX && alt != l)
				return (SIZE_MAX);
			alt = l;
			l = 0;
			continue;
		}
		if (s[i] == '\\') {
			if (i + 1 >= n || isalnum((unsigned char)s[i + 1]))
				return (SIZE_MAX);
			i++;
		} else if (strchr("()[]{}|*+?.^$", s[i]) != NULL)
			return (SIZE_MAX);
		l++;
	}
	if ((alt != SIZE_MAX && alt != l) || l == 0)
		return (SIZE_MAX);
	return (l);
}

/* the bytes any match of rest starts with, added to set; 0 unknown */
static int
first_bytes(const char *rest, uint32_t flags, int skipws, uint8_t *set)
{
	pcre2_code	*re;
	const uint8_t	*map = NULL;
	uint8_t		 s[32];
	uint32_t	 type, cu;
	PCRE2_SIZE	 off;
	int		 code, c, ok = 0;

	if ((re = pcre2_compile((PCRE2_SPTR)rest, PCRE2_ZERO_TERMINATED, flags,
	    &code, &off, NULL)) == NULL)
		return (0);
	memset(s, 0, sizeof(s));
	if (pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &type) == 0 &&
	    type == 1 &&
	    pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODEUNIT, &cu) == 0 &&
	    cu < 256) {
		/* both cases: a caseless first unit is not flagged here */
		s[cu / 8] |= 1 << (cu % 8);
		c = isupper((int)cu) ? tolower((int)cu) : toupper((int)cu);
		s[c / 8] |= 1 << (c % 8);
		ok = 1;
	} else if (pcre2_pattern_info(re, PCRE2_INFO_FIRSTBITMAP, &map) == 0 &&
	    map != NULL) {
		memcpy(s, map, sizeof(s));
		ok = 1;
	}
	pcre2_code_free(re);
	for (c = 0; ok && skipws && c < 256; c++)
		if (rx_is_ws(c) && byte_in(s, (char)c))
			ok = 0;		/* it can start with a space */
	for (c = 0; ok && c < 32; c++)
		set[c] |= s[c];
	return (ok);
}

/* one top-level branch: its literal's length, what follows it */
static int
branch_next(const char *b, uint32_t flags, struct rxnext *nx, int *ws)
{
	const char	*rest;
	size_t		 start, end, i, l;
	int		 bw;

	if (!prefilter_lead(b, &start, &end))
		return (0);
	for (i = 0; i < start; i += 2)
		if (strncmp(b + i, "\\b", 2) != 0)
			return (0);	/* something before the literal */
	if ((l = plain_len(b + start, end - start)) == SIZE_MAX ||
	    (nx->len != 0 && nx->len != l))
		return (0);
	nx->len = l;
	for (rest = b + end; strncmp(rest, "\\b", 2) == 0; rest += 2)
		;		/* dropping a zero-width test: more bytes */
	bw = (strncmp(rest, "\\s*", 3) == 0 || strncmp(rest, "\\s+", 3) == 0) &&
	    rest[3] != '{';
	if (bw) {
		rest += 3;
		if (*rest == '?' || *rest == '+')
			rest++;
	}
	if (*ws != -1 && *ws != bw)
		return (0);
	*ws = bw;
	return (first_bytes(rest, flags, bw, nx->set));
}

/*
 * The length of the literal that starts every match of pattern and the
 * bytes that can come right after it (after spaces when nx->skipws):
 * 1, or 0 when that cannot be said.
 */
int
rx_next(const char *pattern, uint32_t flags, struct rxnext *nx)
{
	size_t	 ends[NEXT_MAXBRANCH], nb, k, from = 0;
	char	*b;
	int	 ws = -1, ok = 1;

	memset(nx, 0, sizeof(*nx));
	if ((flags & PCRE2_EXTENDED) || !next_safe(pattern) ||
	    (nb = prefilter_branches(pattern, ends, NEXT_MAXBRANCH)) == 0)
		return (0);
	for (k = 0; k < nb && ok; k++) {
		if ((b = strndup(pattern + from, ends[k] - from)) == NULL)
			ok = 0;
		else
			ok = branch_next(b, flags, nx, &ws);
		free(b);
		from = ends[k] + 1;
	}
	nx->skipws = ws == 1;
	if (!ok)
		memset(nx, 0, sizeof(*nx));
	return (ok);
}

/*
 * The most bytes s[*i..n) can match, up to an unmatched ) or | at depth
 * 0 (left at *i); SIZE_MAX when unbounded or not understood.
 */
static size_t
maxlen_alt(const char *s, size_t *i, size_t n, int depth)
{
	size_t	best = 0, cur = 0, atom, m, k;

	while (*i < n) {
		if (s[*i] == '|') {
			best = cur > best ? cur : best;
			cur = 0;
			(*i)++;
			continue;
		}
		if (s[*i] == ')')
			break;
		if ((atom = maxlen_atom(s, i, n, depth)) == SIZE_MAX)
			return (SIZE_MAX);
		/* a quantifier: ? {n} {n,m} keep it bounded */
		if (*i < n && (s[*i] == '*' || s[*i] == '+'))
			return (SIZE_MAX);
		m = 1;
		if (*i < n && s[*i] == '?')
			(*i)++;
		else if (*i < n && s[*i] == '{') {
			k = *i + 1;
			for (m = 0; k < n && isdigit((unsigned char)s[k]); k++)
				m = m * 10 + (size_t)(s[k] - '0');
			if (k < n && s[k] == ',') {
				if (k + 1 < n && s[k + 1] == '}')
					return (SIZE_MAX);
				for (m = 0, k++; k < n &&
				    isdigit((unsigned char)s[k]); k++)
					m = m * 10 + (size_t)(s[k] - '0');
			}
			if (k >= n || s[k] != '}' || m > 1000)
				return (SIZE_MAX);
			*i = k + 1;
		}
		if (*i < n && (s[*i] == '?' || s[*i] == '+'))
			(*i)++;		/* lazy, possessive */
		cur += atom * m;
	}
	return (cur > best ? cur : best);
}

/* one atom at s[*i], *i moved past it: the most bytes it matches */
static size_t
maxlen_atom(const char *s, size_t *i, size_t n, int depth)
{
	size_t	m;
	int	look;

	switch (s[*i]) {
	case '\\':
		if (++(*i) >= n)
			return (SIZE_MAX);
		if (strchr("bBAzZG", s[*i]) != NULL) {
			(*i)++;
			return (0);
		}
		if (isdigit((unsigned char)s[*i]) ||
		    strchr("xpPgkcoNRXQEK", s[*i]) != NULL)
			return (SIZE_MAX);	/* not worth understanding */
		(*i)++;
		return (1);
	case '[':
		if (++(*i) < n && s[*i] == '^')
			(*i)++;
		if (*i < n && s[*i] == ']')
			(*i)++;
		for (; *i < n && s[*i] != ']'; (*i)++)
			if (s[*i] == '\\')
				(*i)++;
			else if (s[*i] == '[')
				return (SIZE_MAX);
		if (*i >= n)
			return (SIZE_MAX);
		(*i)++;
		return (1);
	case '(':
		look = 0;
		if (depth > 16)
			return (SIZE_MAX);
		(*i)++;
		if (*i + 1 < n && s[*i] == '?') {
			if (s[*i + 1] == '<' && *i + 2 < n &&
			    (s[*i + 2] == '=' || s[*i + 2] == '!'))
				(*i)++;
			if (s[*i + 1] == '=' || s[*i + 1] == '!')
				look = 1;	/* looks, consumes nothing */
			else if (s[*i + 1] != ':' && s[*i + 1] != '>')
				return (SIZE_MAX);
			*i += 2;
		}
		m = maxlen_alt(s, i, n, depth + 1);
		if (m == SIZE_MAX || *i >= n || s[*i] != ')')
			return (SIZE_MAX);
		(*i)++;
		return (look ? 0 : m);
	case '^': case '$':
		(*i)++;
		return (0);
	case '*': case '+': case '?': case '{': case ')': case '|':
		return (SIZE_MAX);
	default:
		(*i)++;
		return (1);
	}
}

/*
 * The most bytes pattern[0..end) can match (pattern: one top-level
 * branch); SIZE_MAX when unbounded or unknown.
 */
size_t
rx_maxlen(const char *pattern, size_t end)
{
	size_t	i = 0, m;

	if (!next_safe(pattern))
		return (SIZE_MAX);
	m = maxlen_alt(pattern, &i, end, 0);
	return (i == end ? m : SIZE_MAX);
}

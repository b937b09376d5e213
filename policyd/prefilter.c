/*
 * prefilter.c - find quickly which regex rules can match a text.
 *
 * For each pattern we work out a set of literal strings one of which
 * every match must contain (for a|b, one from each branch; for a
 * sequence, the longest mandatory run).  All literals go into one
 * Aho-Corasick automaton over lower-cased bytes; one pass over the text
 * marks the rules whose literal occurs, and only those (plus the few
 * patterns without a usable literal) are run through pcre2.  Rules keep
 * their own names: the filter only skips patterns that cannot match.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "policy.h"

#define LIT_MIN		1	/* see lit_score() */
#ifndef FOLLOW_MIN
#define FOLLOW_MIN	7	/* follow literals worth their cost */
#endif
#define LIT_MAX		64
#define RX_MAXDEPTH	32
#define PF_MAXSTATES	(1U << 20)
#define PF_IDBITS	20	/* an output: rule | literal length << 20 */
#define PF_OUT		0x80000000U	/* in the table: the state has outputs */
#define PF_OUT16	0x8000U
#define PF_IDMASK	((1U << PF_IDBITS) - 1)
#define PF_OUT4		4	/* outputs a state copied at once */

struct litset {
	char		**v;
	size_t		  n;
	int		  prefix;	/* a match starts with the literal */
	size_t		  end;		/* pattern offset past its atoms */
	size_t		  start;	/* pattern offset of its first atom */
};

struct rx {
	const char	*s;
	size_t		 i;
	size_t		 n;
	int		 fail;
	int		 depth;
	int		 noprefix;	/* rank literals by score alone */
	int		 first;		/* take the first usable set, not the best */
};

struct prefilter {
	uint8_t		 cls[256];
	uint32_t	 nclass;
	uint32_t	 nstates;
	uint32_t	*delta;		/* nstates * nclass: row offsets */
	uint16_t	*delta16;	/* the same as state numbers */
	int		 small;		/* delta16 is used */
	uint32_t	 shift;		/* delta16: 1 << shift entries a row */
	uint32_t	 outfirst;	/* first state with outputs (delta16) */
	uint32_t	*outoff;	/* nstates + 1 */
	uint32_t	*outs;
	size_t		 nalways;
	size_t		 nids;		/* literal sets */
	uint32_t	*idoff;		/* nids + 1: where each id's rules are */
	uint32_t	*idrule;	/* rules by the id they look for first */
};

static void	rx_alt(struct rx *, struct litset *);

static void
ls_free(struct litset *ls)
{
	size_t	i;

	for (i = 0; i < ls->n; i++)
		free(ls->v[i]);
	free(ls->v);
	ls->v = NULL;
	ls->n = 0;
}

/*
 * How well a literal filters: its length, but a single character only
 * counts when it is rare punctuation (a backslash, $, ?, >, ...).
 */
static int
rare(int c)
{
	return (ispunct(c) && strchr("/.-_,:", c) == NULL);
}

/*
 * Twice the length, one more with rare punctuation in it: ">&" filters
 * better than "sh".  A single character counts only if it is rare.
 */
static size_t
lit_score(const char *s)
{
	size_t	len = strlen(s), i, bonus = 0;

	for (i = 0; i < len; i++)
		if (rare((unsigned char)s[i]))
			bonus = 1;
	if (len == 1)
		return (bonus ? 1 : 0);
	return (len * 2 + bonus);
}

static size_t
ls_score(const struct litset *ls)
{
	size_t	i, m = SIZE_MAX;

	if (ls->n == 0)
		return (0);
	for (i = 0; i < ls->n; i++)
		if (lit_score(ls->v[i]) < m)
			m = lit_score(ls->v[i]);
	return (m);
}

static int
ls_add(struct litset *ls, const char *s, size_t len)
{
	char	**v;

	if ((v = reallocarray(ls->v, ls->n + 1, sizeof(*v))) == NULL)
		return (-1);
	ls->v = v;
	if ((v[ls->n] = strndup(s, len)) == NULL)
		return (-1);
	ls->n++;
	return (0);
}

/*
 * Which set of literals to look for: the rarer the better, and a set
 * that starts every match counts for more, since the pattern can then
 * be tried anchored where the literal occurs instead of over the text.
 */
static size_t
ls_rank(const struct litset *ls)
{
	size_t	score = ls_score(ls);

	return (score > 0 && ls->prefix ? score + 8 : score);
}

/* keep the better of best and cand (or the first); cand is consumed */
static void
ls_better(const struct rx *x, struct litset *best, struct litset *cand)
{
	if (x->first ? best->n == 0 && ls_score(cand) >= LIT_MIN :
	    ls_rank(cand) > ls_rank(best)) {
		ls_free(best);
		*best = *cand;
	} else
		ls_free(cand);
	cand->v = NULL;
	cand->n = 0;
	cand->prefix = 0;
	cand->end = cand->start = SIZE_MAX;
}

/* a quantifier after an atom: 0 none, 1 may be absent, 2 at least once */
static int
rx_quant(struct rx *x)
{
	size_t	j;
	int	q = 0;

	if (x->i >= x->n)
		return (0);
	switch (x->s[x->i]) {
	case '?':
	case '*':
		q = 1;
		x->i++;
		break;
	case '+':
		q = 2;
		x->i++;
		break;
	case '{':
		j = x->i + 1;
		if (j >= x->n || !isdigit((unsigned char)x->s[j]))
			return (0);
		q = x->s[j] == '0' ? 1 : 2;
		while (j < x->n && (isdigit((unsigned char)x->s[j]) ||
		    x->s[j] == ','))
			j++;
		if (j >= x->n || x->s[j] != '}')
			return (0);	/* a literal { */
		/* {0,} {0,3} {01}: absent; {1} {2,}: present */
		x->i = j + 1;
		break;
	default:
		return (0);
	}
	if (x->i < x->n && (x->s[x->i] == '?' || x->s[x->i] == '+'))
		x->i++;
	return (q);
}

static void
rx_skip_class(struct rx *x)
{
	x->i++;			/* [ */
	if (x->i < x->n && x->s[x->i] == '^')
		x->i++;
	if (x->i < x->n && x->s[x->i] == ']')
		x->i++;
	while (x->i < x->n && x->s[x->i] != ']') {
		if (x->s[x->i] == '\\')
			x->i++;
		else if (x->s[x->i] == '[' && x->i + 1 < x->n &&
		    x->s[x->i + 1] == ':') {
			const char *e = strstr(x->s + x->i + 2, ":]");

			if (e != NULL)
				x->i = e - x->s + 1;
		}
		x->i++;
	}
	if (x->i >= x->n)
		x->fail = 1;
	else
		x->i++;
}

/* an escape: returns the literal byte, or -1 for anything else */
static int
rx_escape(struct rx *x)
{
	int	d;

	if (x->i + 1 >= x->n) {
		x->fail = 1;
		return (-1);
	}
	d = (unsigned char)x->s[x->i + 1];
	x->i += 2;
	if (!isalnum(d))
		return (d);
	switch (d) {
	case 'Q':
	case 'E':
		x->fail = 1;
		return (-1);
	case 'x': case 'p': case 'P': case 'N': case 'g': case 'k':
	case 'o':
		if (x->i < x->n && (x->s[x->i] == '{' || x->s[x->i] == '<' ||
		    x->s[x->i] == '\'')) {
			int close = x->s[x->i] == '{' ? '}' :
			    x->s[x->i] == '<' ? '>' : '\'';

			while (x->i < x->n && x->s[x->i] != close)
				x->i++;
			x->i++;
		} else if (d == 'x') {
			if (x->i < x->n && isxdigit((unsigned char)x->s[x->i]))
				x->i++;
			if (x->i < x->n && isxdigit((unsigned char)x->s[x->i]))
				x->i++;
		}
		return (-1);
	case 'c':
		x->i++;
		return (-1);
	default:
		while (isdigit(d) && x->i < x->n &&
		    isdigit((unsigned char)x->s[x->i]))
			x->i++;
		return (-1);
	}
}

/* (?...) and (...): the group's literal set, or none */
static void
rx_group(struct rx *x, struct litset *out, int *zerowidth)
{
	const char	*s = x->s;
	int		 look = 0;

	x->i++;			/* ( */
	*zerowidth = 0;
	if (x->i < x->n && s[x->i] == '*') {
		x->fail = 1;	/* (*VERB) */
		return;
	}
	if (x->i < x->n && s[x->i] == '?') {
		x->i++;
		if (x->i >= x->n) {
			x->fail = 1;
			return;
		}
		switch (s[x->i]) {
		case '=': case '!':
			look = 1;
			x->i++;
			break;
		case '<':
			if (x->i + 1 < x->n && (s[x->i + 1] == '=' ||
			    s[x->i + 1] == '!')) {
				look = 1;
				x->i += 2;
				break;
			}
			/* FALLTHROUGH */
		case 'P': case '\'':
			while (x->i < x->n && s[x->i] != '>' && s[x->i] != '\'')
				x->i++;
			x->i++;
			break;
		case ':': case '>': case '|':
			x->i++;
			break;
		case '#':
			while (x->i < x->n && s[x->i] != ')')
				x->i++;
			x->i++;
			*zerowidth = 1;
			return;
		default:
			/* inline flags: (?i) or (?i:...) */
			while (x->i < x->n && (isalpha((unsigned char)s[x->i]) ||
			    s[x->i] == '-' || s[x->i] == '^')) {
				if (s[x->i] == 'x') {
					x->fail = 1;
					return;
				}
				x->i++;
			}
			if (x->i < x->n && s[x->i] == ')') {
				x->i++;
				*zerowidth = 1;
				return;
			}
			if (x->i >= x->n || s[x->i] != ':') {
				x->fail = 1;
				return;
			}
			x->i++;
		}
	}
	if (++x->depth > RX_MAXDEPTH) {
		x->fail = 1;
		return;
	}
	rx_alt(x, out);
	x->depth--;
	if (x->i >= x->n || s[x->i] != ')') {
		x->fail = 1;
		ls_free(out);
		return;
	}
	x->i++;
	if (look) {
		ls_free(out);
		*zerowidth = 1;
	}
}

/* atoms: how many atoms came before the run (0: it starts the match) */
static void
run_flush(struct rx *x, struct litset *best, char *run, size_t *rl, int atoms,
    size_t start, size_t end)
{
	struct litset	cand = { NULL, 0, 0, SIZE_MAX, SIZE_MAX };

	cand.prefix = atoms == 0 && !x->noprefix;
	cand.start = start;
	cand.end = end;
	if (*rl > 0 && ls_add(&cand, run, *rl) == 0)
		ls_better(x, best, &cand);
	else
		ls_free(&cand);
	*rl = 0;
}

/* a sequence of atoms up to | or ) */
static void
rx_seq(struct rx *x, struct litset *best)
{
	struct litset	 g;
	char		 run[LIT_MAX];
	size_t		 rl = 0, runend = SIZE_MAX, runbeg = SIZE_MAX, at;
	int		 c, lit, q, zw, isgroup, atoms = 0, runstart = 0;

	best->v = NULL;
	best->n = 0;
	best->prefix = 0;
	best->end = best->start = SIZE_MAX;
	while (x->i < x->n && !x->fail) {
		at = x->i;
		c = (unsigned char)x->s[x->i];
		if (c == '|' || c == ')')
			break;
		lit = -1;
		isgroup = 0;
		g.v = NULL;
		g.n = 0;
		g.prefix = 0;
		if (c == '\\' && x->i + 1 < x->n && x->s[x->i + 1] == 'b') {
			x->i += 2;	/* zero-width: the run may go on */
			if (rl > 0)
				run_flush(x, best, run, &rl, runstart, runbeg, runend);
			continue;
		}
		if (rl == 0)
			runstart = atoms;
		atoms++;
		if (c == '\\')
			lit = rx_escape(x);
		else if (c == '[')
			rx_skip_class(x);
		else if (c == '(') {
			rx_group(x, &g, &zw);
			if (zw)
				continue;
			isgroup = 1;
		} else if (c == '.' || c == '^' || c == '$') {
			x->i++;
		} else if (c == '*' || c == '+' || c == '?') {
			x->fail = 1;
			break;
		} else {
			lit = c;
			x->i++;
		}
		if (x->fail) {
			ls_free(&g);
			break;
		}
		q = rx_quant(x);
		if (lit != -1) {
			if (q == 1) {
				run_flush(x, best, run, &rl, runstart, runbeg, runend);
				continue;
			}
			if (rl == sizeof(run)) {
				/* the rest of a long run does not start it */
				run_flush(x, best, run, &rl, runstart, runbeg, runend);
				runstart = atoms;
			}
			if (rl == 0)
				runbeg = at;
			run[rl++] = (char)tolower(lit);
			runend = x->i;
			if (q == 2)
				run_flush(x, best, run, &rl, runstart, runbeg, runend);
			continue;
		}
		run_flush(x, best, run, &rl, runstart, runbeg, runend);
		if (isgroup && q != 1) {
			/* a group's literals start the match if it comes first */
			g.prefix = g.prefix && atoms == 1 && !x->noprefix;
			g.start = at;
			g.end = x->i;
			ls_better(x, best, &g);
		} else
			ls_free(&g);
	}
	run_flush(x, best, run, &rl, runstart, runbeg, runend);
	if (x->fail)
		ls_free(best);
}

/* branches: every one must give a literal */
static void
rx_alt(struct rx *x, struct litset *out)
{
	struct litset	b;
	size_t		i, nb = 0;
	int		all = 1;

	out->v = NULL;
	out->n = 0;
	out->prefix = 1;
	out->end = out->start = SIZE_MAX;
	for (;;) {
		rx_seq(x, &b);
		out->start = nb == 0 ? b.start : SIZE_MAX;
		out->end = nb++ == 0 ? b.end : SIZE_MAX;
		if (b.n == 0 || ls_score(&b) < LIT_MIN)
			all = 0;
		if (!b.prefix)
			out->prefix = 0;
		for (i = 0; all && i < b.n; i++)
			if (ls_add(out, b.v[i], strlen(b.v[i])) == -1)
				x->fail = 1;
		ls_free(&b);
		if (x->fail || x->i >= x->n || x->s[x->i] != '|')
			break;
		x->i++;
	}
	if (!all || x->fail)
		ls_free(out);
}

/* the literal set of a pattern; 0 none */
static int
lit_analyse(const char *pattern, int noprefix, struct litset *ls)
{
	struct rx	x;

	memset(&x, 0, sizeof(x));
	x.s = pattern;
	x.n = strlen(pattern);
	x.noprefix = noprefix;
	x.first = noprefix > 1;
	rx_alt(&x, ls);
	if (x.fail || x.i != x.n || ls->n == 0 || ls_score(ls) < LIT_MIN) {
		ls_free(ls);
		return (0);
	}
	return (1);
}

/*
 * Where the literal that starts every match of pattern (a single
 * branch) lies in it: s[*start..*end); 0 when there is none.
 */
int
prefilter_lead(const char *pattern, size_t *start, size_t *end)
{
	struct litset	ls;
	int		ok;

	if (!lit_analyse(pattern, 0, &ls))
		return (0);
	ok = ls.prefix && ls.start != SIZE_MAX && ls.end != SIZE_MAX;
	*start = ls.start;
	*end = ls.end;
	ls_free(&ls);
	return (ok);
}

int
prefilter_literals(const char *pattern, uint32_t flags, char ***v, size_t *n,
    int *prefix)
{
	struct litset	ls;

	*v = NULL;
	*n = 0;
	if (prefix != NULL)
		*prefix = 0;
	if ((flags & PCRE2_EXTENDED) || !lit_analyse(pattern, 0, &ls))
		return (0);
	*v = ls.v;
	*n = ls.n;
	if (prefix != NULL)
		*prefix = ls.prefix;
	return (1);
}

/* where the branches at the top of the pattern end (at | or the end) */
static size_t
rx_branches(const char *s, size_t *ends, size_t max)
{
	struct rx	x;
	size_t		n = 0;
	int		depth = 0;

	memset(&x, 0, sizeof(x));
	x.s = s;
	x.n = strlen(s);
	while (x.i < x.n && !x.fail) {
		if (s[x.i] == '\\')
			x.i += 2;
		else if (s[x.i] == '[')
			rx_skip_class(&x);
		else {
			if (s[x.i] == '(')
				depth++;
			else if (s[x.i] == ')')
				depth--;
			else if (s[x.i] == '|' && depth == 0) {
				if (n == max)
					return (0);
				ends[n++] = x.i;
			}
			x.i++;
		}
	}
	if (x.fail || depth != 0 || x.i != x.n || n == max)
		return (0);
	ends[n++] = x.n;
	return (n);
}

/* where the top-level branches of pattern end; 0 when unsure */
size_t
prefilter_branches(const char *pattern, size_t *ends, size_t max)
{
	return (rx_branches(pattern, ends, max));
}

/*
 * The bytes the pattern's atoms before offset end can consume, added to
 * gap (all of them when that cannot be cut out).
 */
static void
gap_add(const char *branch, size_t end, uint8_t *gap)
{
	uint8_t	 set[32];
	char	*head;
	size_t	 k;

	if (end == SIZE_MAX || (head = strndup(branch, end)) == NULL) {
		memset(gap, 0xff, 32);
		return;
	}
	(void)rx_span(head, 0, set);
	free(head);
	for (k = 0; k < 32; k++)
		gap[k] |= set[k];
}

/* does the gap leave some byte out? */
static int
gap_partial(const uint8_t *gap)
{
	size_t	k;

	for (k = 0; k < 32; k++)
		if (gap[k] != 0xff)
			return (1);
	return (0);
}

/*
 * The follow literals of one top-level branch, added to out, and the
 * bytes a match can hold before them, added to gap; 0 none.
 */
static int
branch_follow(const char *branch, int near, struct litset *out, uint8_t *gap)
{
	struct litset	first, rest;
	size_t		i;
	int		ok = 0;

	if (!lit_analyse(branch, 0, &first))
		return (0);
	if (first.end != SIZE_MAX && first.end < strlen(branch) &&
	    lit_analyse(branch + first.end, near ? 2 : 1, &rest)) {
		ok = 1;
		for (i = 0; i < rest.n; i++)
			if (ls_add(out, rest.v[i], strlen(rest.v[i])) == -1)
				ok = 0;
		gap_add(branch, rest.start == SIZE_MAX ? SIZE_MAX :
		    first.end + rest.start, gap);
		ls_free(&rest);
	}
	ls_free(&first);
	return (ok);
}

/*
 * Literals one of which every match must contain after the literal the
 * prefilter looks for (for \bgit\b[^|;&]*\bpush\b, "push"; for a|b,
 * those of each branch, after that branch's own literal).  A match
 * holding that literal at p then holds one of these at or after p, and
 * nothing but gap bytes from p up to the first of them (gap: the bytes
 * the atoms before them can consume, case-closed; may be NULL).  0:
 * none found, or none with a score of at least min.
 */
int
prefilter_follow(const char *pattern, uint32_t flags, size_t min, int near,
    char ***v, size_t *n, uint8_t *gap)
{
	struct litset	 out = { NULL, 0, 0, SIZE_MAX, SIZE_MAX };
	size_t		 ends[16], nb, k, from = 0;
	uint8_t		 g[32];
	char		*branch;
	int		 ok = 1;

	*v = NULL;
	*n = 0;
	memset(g, 0, sizeof(g));
	if ((flags & PCRE2_EXTENDED) ||
	    (nb = rx_branches(pattern, ends, 16)) == 0)
		return (0);
	for (k = 0; k < nb && ok; k++) {
		if ((branch = strndup(pattern + from, ends[k] - from)) == NULL)
			ok = 0;
		else
			ok = branch_follow(branch, near, &out, g);
		free(branch);
		from = ends[k] + 1;
	}
	if (!ok || out.n == 0 || ls_score(&out) < min) {
		ls_free(&out);
		return (0);
	}
	*v = out.v;
	*n = out.n;
	if (gap != NULL) {
		/*
		 * A newline is the one byte whose place in a span depends on
		 * the flags, (?s) anywhere included: the whole pattern's
		 * span says.
		 */
		(void)rx_span(pattern, flags, gap);
		g['\n' / 8] |= gap['\n' / 8] & (1 << ('\n' % 8));
		memcpy(gap, g, sizeof(g));
	}
	return (1);
}

/*
 * For a one-branch pattern: the follow literals prefilter_follow()
 * finds (near as there) in fv, and the last literal set every match
 * holds after them in v (for \bcurl\b[^|;&]*https?://[^\s]*(?:\$\(|`):
 * "http", then "$(" and "`").  gap: the bytes the pattern can hold from
 * where the follow literals' atoms start to where that set's atoms end,
 * case-closed; a match whose follow literal starts at f holds one of v
 * at some g >= f with nothing but gap bytes from f to g.  0: none.
 */
int
prefilter_follow2(const char *pattern, uint32_t flags, int near, char ***fv,
    size_t *fn, char ***v, size_t *n, uint8_t *gap)
{
	struct litset	 first, rest, ls, last = { NULL, 0, 0, 0, 0 };
	size_t		 ends[2], off, from, to = SIZE_MAX, len;
	uint8_t		 whole[32];
	char		*head;

	*fv = *v = NULL;
	*fn = *n = 0;
	len = strlen(pattern);
	if ((flags & PCRE2_EXTENDED) || rx_branches(pattern, ends, 2) != 1 ||
	    !lit_analyse(pattern, 0, &first))
		return (0);
	if (first.end == SIZE_MAX || first.end >= len ||
	    !lit_analyse(pattern + first.end, near ? 2 : 1, &rest)) {
		ls_free(&first);
		return (0);
	}
	ls_free(&first);
	if (rest.start == SIZE_MAX || rest.end == SIZE_MAX) {
		ls_free(&rest);
		return (0);
	}
	from = first.end + rest.start;
	/* the sets after the follow literals, in order (chain_collect()) */
	for (off = first.end + rest.end; off < len; off += ls.end) {
		if (!lit_analyse(pattern + off, 2, &ls))
			break;
		if (ls.end == SIZE_MAX || ls.end == 0 || ls.start == SIZE_MAX) {
			ls_free(&ls);
			break;
		}
		ls_free(&last);
		last = ls;
		to = off + ls.end;
	}
	if (to == SIZE_MAX || (head = strndup(pattern + from, to - from)) ==
	    NULL) {
		ls_free(&rest);
		ls_free(&last);
		return (0);
	}
	(void)rx_span(head, 0, gap);
	free(head);
	/* a newline as the whole pattern's flags say (prefilter_follow()) */
	(void)rx_span(pattern, flags, whole);
	gap['\n' / 8] |= whole['\n' / 8] & (1 << ('\n' % 8));
	*fv = rest.v;
	*fn = rest.n;
	*v = last.v;
	*n = last.n;
	return (1);
}

/* sets of literals, in the order a match holds them */
static int
chain_collect(const char *s, struct litchain *c)
{
	struct litset	 ls;
	const char	*from = s;
	char		***sets;
	size_t		*ns;

	c->start = SIZE_MAX;
	while (*s != '\0' && c->n < PF_MAXCHAIN) {
		if (!lit_analyse(s, 2, &ls))
			return (0);
		if (ls.end == SIZE_MAX || ls.end == 0) {
			ls_free(&ls);
			return (0);
		}
		if (c->n == 0 && ls.start != SIZE_MAX)
			c->start = (size_t)(s - from) + ls.start;
		sets = reallocarray(c->sets, c->n + 1, sizeof(*sets));
		ns = reallocarray(c->nset, c->n + 1, sizeof(*ns));
		if (sets != NULL)
			c->sets = sets;
		if (ns != NULL)
			c->nset = ns;
		if (sets == NULL || ns == NULL) {
			ls_free(&ls);
			return (-1);
		}
		c->sets[c->n] = ls.v;
		c->nset[c->n++] = ls.n;
		s += ls.end;
	}
	return (0);
}

void
litchain_free(struct litchain *c)
{
	size_t	i, j;

	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->nset[i]; j++)
			free(c->sets[i][j]);
		free(c->sets[i]);
	}
	free(c->sets);
	free(c->nset);
	memset(c, 0, sizeof(*c));
}

/*
 * For a pattern of one branch: the literal sets a match must hold, in
 * order, before the literal the prefilter looks for (pre) and after it
 * (post).  "\bwhile\b.*\b(?:curl|wget)\b[^;]*;\s*do\b" gives post
 * {curl,wget} ; do.  0 with both filled in (maybe empty), -1 none.
 */
int
prefilter_chain(const char *pattern, uint32_t flags, struct litchain *pre,
    struct litchain *post)
{
	struct litset	 first;
	size_t		 ends[2];
	char		*head;
	int		 rv = -1;

	memset(pre, 0, sizeof(*pre));
	memset(post, 0, sizeof(*post));
	if ((flags & PCRE2_EXTENDED) || rx_branches(pattern, ends, 2) != 1 ||
	    !lit_analyse(pattern, 0, &first))
		return (-1);
	if (first.start != SIZE_MAX && first.end != SIZE_MAX &&
	    (head = strndup(pattern, first.start)) != NULL) {
		if (chain_collect(head, pre) == 0 &&
		    chain_collect(pattern + first.end, post) == 0)
			rv = 0;
		free(head);
	}
	ls_free(&first);
	if (rv == -1) {
		litchain_free(pre);
		litchain_free(post);
	}
	return (rv);
}

/* the automaton under construction */
struct acbuild {
	uint32_t	*go;		/* nstates * nclass, UINT32_MAX none */
	uint32_t	 nstates;
	uint32_t	 cap;
	uint32_t	 nclass;
	uint32_t	**out;		/* per state: rule positions */
	uint32_t	*nout;
};

static int
ac_grow(struct acbuild *b)
{
	uint32_t	*go, **out, *nout, ncap, i;

	if (b->nstates < b->cap)
		return (0);
	if (b->cap >= PF_MAXSTATES)
		return (-1);
	ncap = b->cap ? b->cap * 2 : 256;
	if ((go = reallocarray(b->go, (size_t)ncap * b->nclass,
	    sizeof(*go))) == NULL)
		return (-1);
	b->go = go;
	if ((out = reallocarray(b->out, ncap, sizeof(*out))) == NULL)
		return (-1);
	b->out = out;
	if ((nout = reallocarray(b->nout, ncap, sizeof(*nout))) == NULL)
		return (-1);
	b->nout = nout;
	for (i = b->cap; i < ncap; i++) {
		b->out[i] = NULL;
		b->nout[i] = 0;
	}
	memset(b->go + (size_t)b->cap * b->nclass, 0xff,
	    (size_t)(ncap - b->cap) * b->nclass * sizeof(*go));
	b->cap = ncap;
	return (0);
}

static int
ac_addout(struct acbuild *b, uint32_t st, uint32_t id)
{
	uint32_t	*o, i;

	for (i = 0; i < b->nout[st]; i++)
		if (b->out[st][i] == id)
			return (0);
	if ((o = reallocarray(b->out[st], b->nout[st] + 1,
	    sizeof(*o))) == NULL)
		return (-1);
	o[b->nout[st]++] = id;
	b->out[st] = o;
	return (0);
}

static int
ac_insert(struct acbuild *b, const struct prefilter *pf, const char *lit,
    uint32_t id)
{
	size_t		 len = strnlen(lit, PF_LITMAX);
	uint32_t	 st = 0, c;
	const char	*p;

	id |= (uint32_t)len << PF_IDBITS;
	for (p = lit; p < lit + len; p++) {
		c = pf->cls[(unsigned char)*p];
		if (b->go[(size_t)st * b->nclass + c] == UINT32_MAX) {
			if (ac_grow(b) == -1)
				return (-1);
			b->go[(size_t)st * b->nclass + c] = b->nstates++;
		}
		st = b->go[(size_t)st * b->nclass + c];
	}
	return (ac_addout(b, st, id));
}

/*
 * New state numbers, breadth-first so that the shallow states the scan
 * spends its time in sit together: the root, the states without outputs,
 * then those with outputs (from pf->outfirst on), so that the scan sees
 * from the state number alone whether to look at outputs.  The root has
 * none: no literal is empty.
 */
static void
pf_number(struct prefilter *pf, uint32_t n, const uint32_t *order,
    uint32_t *perm, uint32_t *inv)
{
	uint32_t	i, s, t = 1, has;

	perm[0] = inv[0] = 0;
	for (has = 0; has < 2; has++) {
		if (has)
			pf->outfirst = t;
		for (i = 0; i + 1 < n; i++) {
			s = order[i];
			if ((pf->outoff[s + 1] > pf->outoff[s]) == has) {
				perm[s] = t;
				inv[t++] = s;
			}
		}
	}
}

/*
 * The scan's table, in the new state numbers.  With fewer than 32768
 * states an entry is a 16-bit state number (half the cache) and a row
 * has a power of two entries, so that finding one takes a shift rather
 * than a multiply; otherwise an entry is the next state's row offset
 * (state * nclass), its top bit saying that the state has outputs.
 * off: where each state's outputs start.
 */
static int
pf_table(const struct acbuild *b, struct prefilter *pf, const uint32_t *perm,
    const uint32_t *off)
{
	uint32_t	s, t;
	size_t		c;

	pf->small = b->nstates <= PF_OUT16;
	for (pf->shift = 0; (1U << pf->shift) < b->nclass; pf->shift++)
		;
	if (pf->small)
		pf->delta16 = calloc((size_t)b->nstates << pf->shift,
		    sizeof(*pf->delta16));
	else
		pf->delta = calloc((size_t)b->nstates * b->nclass,
		    sizeof(*pf->delta));
	if (pf->small ? pf->delta16 == NULL : pf->delta == NULL)
		return (-1);
	for (s = 0; s < b->nstates; s++)
		for (c = 0; c < b->nclass; c++) {
			t = perm[b->go[(size_t)s * b->nclass + c]];
			if (pf->small)
				pf->delta16[((size_t)perm[s] << pf->shift) +
				    c] = (uint16_t)t;
			else
				pf->delta[(size_t)perm[s] * b->nclass + c] =
				    t * b->nclass | (off[t + 1] > off[t] ?
				    PF_OUT : 0);
		}
	return (0);
}

/* the automaton renumbered (pf_number()), its outputs in that order */
static int
pf_compact(struct acbuild *b, struct prefilter *pf, const uint32_t *order)
{
	uint32_t	*perm, *inv, *off, *outs, s, t, k, i;
	int		 rv = -1;

	perm = calloc(b->nstates, sizeof(*perm));
	inv = calloc(b->nstates, sizeof(*inv));
	off = calloc(b->nstates + 1, sizeof(*off));
	/* room for pf_pend() to read PF_OUT4 outputs past the last */
	outs = calloc(pf->outoff[b->nstates] + PF_OUT4, sizeof(*outs));
	if (perm == NULL || inv == NULL || off == NULL || outs == NULL)
		goto done;
	pf_number(pf, b->nstates, order, perm, inv);
	for (t = 0, k = 0; t < b->nstates; t++) {
		s = inv[t];
		off[t] = k;
		for (i = pf->outoff[s]; i < pf->outoff[s + 1]; i++)
			outs[k++] = pf->outs[i];
	}
	off[b->nstates] = k;
	if (pf_table(b, pf, perm, off) == -1)
		goto done;
	free(pf->outoff);
	free(pf->outs);
	pf->outoff = off;
	pf->outs = outs;
	off = outs = NULL;
	rv = 0;
 done:
	free(perm);
	free(inv);
	free(off);
	free(outs);
	return (rv);
}

/* failure links by breadth-first search, folded into a full table */
static int
ac_link(struct acbuild *b, struct prefilter *pf)
{
	uint32_t	*fail, *queue, qh = 0, qt = 0, s, t, c, i, k;
	size_t		 total = 0;
	int		 rv = -1;

	fail = calloc(b->nstates, sizeof(*fail));
	queue = calloc(b->nstates, sizeof(*queue));
	if (fail == NULL || queue == NULL)
		goto done;
	for (c = 0; c < b->nclass; c++) {
		t = b->go[c];
		if (t == UINT32_MAX)
			b->go[c] = 0;
		else {
			fail[t] = 0;
			queue[qt++] = t;
		}
	}
	while (qh < qt) {
		s = queue[qh++];
		for (i = 0; i < b->nout[fail[s]]; i++)
			if (ac_addout(b, s, b->out[fail[s]][i]) == -1)
				goto done;
		for (c = 0; c < b->nclass; c++) {
			t = b->go[(size_t)s * b->nclass + c];
			if (t == UINT32_MAX)
				b->go[(size_t)s * b->nclass + c] =
				    b->go[(size_t)fail[s] * b->nclass + c];
			else {
				fail[t] = b->go[(size_t)fail[s] * b->nclass +
				    c];
				queue[qt++] = t;
			}
		}
	}
	for (s = 0; s < b->nstates; s++)
		total += b->nout[s];
	pf->outoff = calloc(b->nstates + 1, sizeof(*pf->outoff));
	pf->outs = calloc(total + 1, sizeof(*pf->outs));
	if (pf->outoff == NULL || pf->outs == NULL)
		goto done;
	for (s = 0, k = 0; s < b->nstates; s++) {
		pf->outoff[s] = k;
		for (i = 0; i < b->nout[s]; i++)
			pf->outs[k++] = b->out[s][i];
	}
	pf->outoff[b->nstates] = k;
	if (qt + 1 != b->nstates || pf_compact(b, pf, queue) == -1)
		goto done;
	pf->nstates = b->nstates;
	rv = 0;
 done:
	free(fail);
	free(queue);
	return (rv);
}

static void
ac_free(struct acbuild *b)
{
	uint32_t	i;

	for (i = 0; i < b->cap; i++)
		free(b->out[i]);
	free(b->out);
	free(b->nout);
	free(b->go);
}

/* byte classes: one per byte that occurs in a literal, 0 for the rest */
static void
pf_classes(struct prefilter *pf, char ***lits, size_t *nlits, size_t n)
{
	size_t		 i, j;
	const char	*p;
	int		 b;

	memset(pf->cls, 0, sizeof(pf->cls));
	pf->nclass = 1;
	for (i = 0; i < n; i++)
		for (j = 0; j < nlits[i]; j++)
			for (p = lits[i][j]; *p != '\0'; p++)
				if (pf->cls[(unsigned char)*p] == 0)
					pf->cls[(unsigned char)*p] =
					    pf->nclass++;
	/* upper case bytes fold onto their lower case class */
	for (b = 'A'; b <= 'Z'; b++)
		pf->cls[b] = pf->cls[tolower(b)];
}

static int
lit_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* a literal set in the form the automaton sees: cut, sorted, unique */
static void
ls_canon(char **v, size_t *n)
{
	size_t	i, m = 0;

	for (i = 0; i < *n; i++)
		if (strlen(v[i]) > PF_LITMAX)
			v[i][PF_LITMAX] = '\0';
	qsort(v, *n, sizeof(*v), lit_cmp);
	for (i = 0; i < *n; i++) {
		if (m > 0 && strcmp(v[m - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[m++] = v[i];
	}
	*n = m;
}

/* the id of a canonical literal set already filed; -1 none */
static int
pf_find(const struct prefilter *pf, char ***lits, const size_t *nlits,
    char **v, size_t n)
{
	size_t	id, i;

	for (id = 0; id < pf->nids; id++) {
		if (nlits[id] != n)
			continue;
		for (i = 0; i < n && strcmp(lits[id][i], v[i]) == 0; i++)
			;
		if (i == n)
			return ((int)id);
	}
	return (-1);
}

/*
 * The id of a literal set: one already filed if it is the same set
 * (eight rules looking for "git" share one id, so each "git" in a text
 * is noted once), a new one otherwise.  v is consumed.
 */
static int
pf_file(struct prefilter *pf, char ***lits, size_t *nlits, char **v, size_t n)
{
	size_t	i;
	int	id;

	ls_canon(v, &n);
	if ((id = pf_find(pf, lits, nlits, v, n)) != -1) {
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return (id);
	}
	lits[pf->nids] = v;
	nlits[pf->nids] = n;
	return ((int)pf->nids++);
}

/* for each id, the rules that look for it first (rule->lit) */
static int
pf_idrules(struct prefilter *pf, struct rule **rules, size_t n)
{
	size_t	i, *fill;

	pf->idoff = calloc(pf->nids + 1, sizeof(*pf->idoff));
	pf->idrule = calloc(n + 1, sizeof(*pf->idrule));
	fill = calloc(pf->nids + 1, sizeof(*fill));
	if (pf->idoff == NULL || pf->idrule == NULL || fill == NULL) {
		free(fill);
		return (-1);
	}
	for (i = 0; i < n; i++)
		if (rules[i]->lit >= 0)
			pf->idoff[rules[i]->lit + 1]++;
	for (i = 0; i < pf->nids; i++)
		pf->idoff[i + 1] += pf->idoff[i];
	for (i = 0; i < n; i++)
		if (rules[i]->lit >= 0)
			pf->idrule[pf->idoff[rules[i]->lit] +
			    fill[rules[i]->lit]++] = (uint32_t)i;
	free(fill);
	return (0);
}

/* does the pattern have .* or .+ (a match can run on for a whole line)? */
static int
rx_dotstar(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			continue;
		}
		if (*s == '.' && (s[1] == '*' || s[1] == '+'))
			return (1);
	}
	return (0);
}

/*
 * Does every match of a prefix rule start at a word boundary before a
 * word byte (each branch opens with \b and each literal with a word
 * byte)?  Then a place right after a word byte cannot start one.
 */
static int
pf_wordstart(const char *pattern, char *const *v, size_t n)
{
	size_t	ends[16], nb, k, from = 0;

	for (k = 0; k < n; k++)
		if (!isalnum((unsigned char)v[k][0]) && v[k][0] != '_')
			return (0);
	if ((nb = rx_branches(pattern, ends, 16)) == 0)
		return (0);
	for (k = 0; k < nb; k++) {
		if (strncmp(pattern + from, "\\b", 2) != 0)
			return (0);
		from = ends[k] + 1;
	}
	return (1);
}

/* the literal chains of a rule, each set under a prefilter id */
static void
pf_chain(struct prefilter *pf, struct rule *r, char ***lits, size_t *nlits)
{
	struct litchain	pre, post;
	size_t		k;

	r->npre = r->npost = 0;
	if (prefilter_chain(r->pattern, r->reflags, &pre, &post) == -1)
		return;
	for (k = 0; k < pre.n; k++)
		r->preid[r->npre++] = pf_file(pf, lits, nlits, pre.sets[k],
		    pre.nset[k]);
	r->prelead = pre.n > 0 && pre.start != SIZE_MAX ?
	    rx_maxlen(r->pattern, pre.start) : SIZE_MAX;
	for (k = 0; k < post.n; k++)
		r->postid[r->npost++] = pf_file(pf, lits, nlits,
		    post.sets[k], post.nset[k]);
	/* the sets now belong to the prefilter */
	free(pre.sets);
	free(pre.nset);
	free(post.sets);
	free(post.nset);
}

/*
 * The literals right after the first ones (the | of (?:rev|tr\s)\b
 * [^;&]*\|\s*sh) prune more than the best ones (sh) when only a few
 * bytes can come before them: used instead when nothing but any byte
 * can come before the best ones.
 */
static void
pf_near_follow(struct prefilter *pf, struct rule *r, char ***lits,
    size_t *nlits)
{
	uint8_t	  gap[32];
	char	**v;
	size_t	  nv, i;
	int	  id;

	if (r->always || (r->follow != -1 && gap_partial(r->gap)) ||
	    !prefilter_follow(r->pattern, r->reflags, 1, 1, &v, &nv, gap))
		return;
	if (!gap_partial(gap)) {
		for (i = 0; i < nv; i++)
			free(v[i]);
		free(v);
		return;
	}
	/* only a set another rule looks for: a new one costs the scan more */
	ls_canon(v, &nv);
	id = pf_find(pf, lits, nlits, v, nv);
	for (i = 0; i < nv; i++)
		free(v[i]);
	free(v);
	if (id != -1 && id != r->lit) {
		r->follow = id;
		memcpy(r->gap, gap, sizeof(gap));
	}
}

/*
 * Follow literals too weak to be worth a place in the automaton (the
 * "|" of curl[^;&]*\|\s*sh) cost the scan nothing when another rule
 * looks for the same set: that id is used.
 */
static void
pf_weak_follow(struct prefilter *pf, struct rule *r, char ***lits,
    size_t *nlits)
{
	char	**v;
	size_t	  nv, i;
	int	  id;

	if (r->always || r->follow != -1 ||
	    !prefilter_follow(r->pattern, r->reflags, 1, 0, &v, &nv, r->gap))
		return;
	ls_canon(v, &nv);
	if ((id = pf_find(pf, lits, nlits, v, nv)) != -1 && id != r->lit)
		r->follow = id;
	for (i = 0; i < nv; i++)
		free(v[i]);
	free(v);
}

/*
 * A second set after a rule's follow literals (prefilter_follow2()),
 * when another rule already looks for it: for exfil-url-subst,
 * "$(" or "`" after "http" with no space between.
 */
static void
pf_follow2(struct prefilter *pf, struct rule *r, char ***lits,
    size_t *nlits)
{
	uint8_t	  gap[32];
	char	**fv, **v;
	size_t	  fn, nv, i;
	int	  near, id;

	r->follow2 = -1;
	if (r->always || r->follow < 0)
		return;
	for (near = 0; near < 2 && r->follow2 == -1; near++) {
		if (!prefilter_follow2(r->pattern, r->reflags, near, &fv, &fn,
		    &v, &nv, gap))
			continue;
		ls_canon(fv, &fn);
		ls_canon(v, &nv);
		if (pf_find(pf, lits, nlits, fv, fn) == r->follow &&
		    (id = pf_find(pf, lits, nlits, v, nv)) != -1 &&
		    id != r->follow && gap_partial(gap)) {
			r->follow2 = id;
			memcpy(r->gap2, gap, sizeof(gap));
		}
		for (i = 0; i < fn; i++)
			free(fv[i]);
		free(fv);
		for (i = 0; i < nv; i++)
			free(v[i]);
		free(v);
	}
}

/*
 * The literals of every rule (rule->lit) and, where the pattern gives
 * them, its follow literals (prefilter_follow(), rule->follow), each
 * set under an id; -1 for none.
 */
static int
pf_literals(struct prefilter *pf, struct rule **rules, size_t n,
    char ***lits, size_t *nlits)
{
	struct rule	*r;
	char		**v;
	size_t		 i, nv;

	for (i = 0; i < n; i++) {
		r = rules[i];
		r->lit = r->follow = -1;
		r->spanned = rx_span(r->pattern, r->reflags, r->span);
		r->always = !prefilter_literals(r->pattern, r->reflags, &v,
		    &nv, &r->prefix);
		if (r->always) {
			pf->nalways++;
			continue;
		}
		r->wordstart = r->prefix && pf_wordstart(r->pattern, v, nv);
		if (r->prefix)
			(void)rx_next(r->pattern, r->reflags, &r->next);
		/*
		 * A rule with .* costs pcre2 the rest of a long line each
		 * time it is tried: the literal sets its matches hold in
		 * order are checked first (rules_re.c).
		 */
		if (rx_dotstar(r->pattern))
			pf_chain(pf, r, lits, nlits);
		r->lit = pf_file(pf, lits, nlits, v, nv);
		if (prefilter_follow(r->pattern, r->reflags, FOLLOW_MIN, 0, &v,
		    &nv, r->gap))
			r->follow = pf_file(pf, lits, nlits, v, nv);
		if (r->follow == r->lit)
			r->follow = -1;
	}
	for (i = 0; i < n; i++) {
		pf_weak_follow(pf, rules[i], lits, nlits);
		pf_near_follow(pf, rules[i], lits, nlits);
		rules[i]->gapped = rules[i]->follow >= 0 &&
		    gap_partial(rules[i]->gap);
		pf_follow2(pf, rules[i], lits, nlits);
	}
	return (pf_idrules(pf, rules, n));
}

struct prefilter *
prefilter_build(struct rule **rules, size_t n)
{
	struct prefilter	*pf;
	struct acbuild		 b;
	char			***lits;
	size_t			*nlits, i, j;
	int			 ok = 0;

	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		return (NULL);
	memset(&b, 0, sizeof(b));
	lits = calloc((2 + 2 * PF_MAXCHAIN) * n + 1, sizeof(*lits));
	nlits = calloc((2 + 2 * PF_MAXCHAIN) * n + 1, sizeof(*nlits));
	if (lits == NULL || nlits == NULL ||
	    pf_literals(pf, rules, n, lits, nlits) == -1)
		goto done;
	pf_classes(pf, lits, nlits, pf->nids);
	b.nclass = pf->nclass;
	if (ac_grow(&b) == -1)
		goto done;
	b.nstates = 1;
	for (i = 0; i < pf->nids; i++)
		for (j = 0; j < nlits[i]; j++)
			if (ac_insert(&b, pf, lits[i][j], i) == -1)
				goto done;
	if (ac_link(&b, pf) == -1)
		goto done;
	ok = 1;
 done:
	for (i = 0; lits != NULL && i < pf->nids; i++) {
		for (j = 0; j < nlits[i]; j++)
			free(lits[i][j]);
		free(lits[i]);
	}
	free(lits);
	free(nlits);
	ac_free(&b);
	if (!ok) {
		prefilter_free(pf);
		return (NULL);
	}
	return (pf);
}

void
prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->delta);
	free(pf->delta16);
	free(pf->idoff);
	free(pf->idrule);
	free(pf->outoff);
	free(pf->outs);
	free(pf);
}

size_t
prefilter_always(const struct prefilter *pf)
{
	return (pf->nalways);
}

/* how many ids (literal sets) prefilter_scan() reports */
size_t
prefilter_nids(const struct prefilter *pf)
{
	return (pf->nids);
}

/* the rules (regex indices) that look for id first; how many */
size_t
prefilter_rules(const struct prefilter *pf, size_t id, const uint32_t **v)
{
	*v = pf->idrule + pf->idoff[id];
	return (pf->idoff[id + 1] - pf->idoff[id]);
}

/* output o (an id and a literal length) of a state, at i */
static inline void
pf_note(uint32_t o, size_t i, uint64_t *bits, uint32_t *pos, uint8_t *npos)
{
	uint32_t	id = o & PF_IDMASK, n;

	bits[id / 64] |= 1ULL << (id % 64);
	if (npos == NULL || (n = npos[id]) > PF_MAXPOS)
		return;
	if (n < PF_MAXPOS)
		pos[id * PF_MAXPOS + n] = (uint32_t)(i + 1 - (o >> PF_IDBITS));
	npos[id] = (uint8_t)(n + 1);
}

/* the literals that end at i: the outputs o to e of its state */
static inline void
pf_out(const uint32_t *o, const uint32_t *e, size_t i, uint64_t *bits,
    uint32_t *pos, uint8_t *npos)
{
	for (; o < e; o++)
		pf_note(*o, i, bits, pos, npos);
}

/* the outputs of state st, at i */
static inline void
pf_outs(const struct prefilter *pf, uint32_t st, size_t i, uint64_t *bits,
    uint32_t *pos, uint8_t *npos)
{
	pf_out(pf->outs + pf->outoff[st], pf->outs + pf->outoff[st + 1], i,
	    bits, pos, npos);
}

/*
 * Texts of PF_SHORT bytes on, a 512-byte block at a time: eight lanes
 * over its eight 64-byte parts at once, so that the table lookups of one
 * lane overlap those of the others instead of waiting on each other.  A
 * lane starts in the state the PF_LITMAX - 1 bytes before its part lead
 * to from the root, which finds every literal ending in its part (no
 * literal in the table is longer).  The lanes write down their state at
 * every byte, without a branch; then, lane by lane, the bytes whose state
 * has outputs are reported, so that the places come out in increasing
 * order.
 */
#define PF_LANES	8
#define PF_LANELEN	64	/* bytes: the bits of a uint64_t */
#define PF_BLOCK	(PF_LANES * PF_LANELEN)
#define PF_SHORT	192	/* shorter texts: one byte after another */

/* the state the PF_LITMAX - 1 bytes before s[at] lead to (s[0] on) */
static uint32_t
pf_warm(const struct prefilter *pf, const uint8_t *s, size_t at)
{
	size_t		a = at < PF_LITMAX - 1 ? 0 : at - (PF_LITMAX - 1);
	uint32_t	st = 0;

	for (; a < at; a++)
		st = pf->delta16[(st << pf->shift) + pf->cls[s[a]]];
	return (st);
}

/* the state of each lane of the block at s[at], byte by byte */
static void
pf_block(const struct prefilter *pf, const uint8_t *s, size_t at,
    uint16_t *log)
{
	const uint8_t	*cls = pf->cls;
	const uint16_t	*d = pf->delta16;
	uint32_t	 st[PF_LANES], sh = pf->shift, j, k;

	/* lanes 1 on start PF_LANELEN in: warm them up side by side */
	st[0] = pf_warm(pf, s, at);
	for (k = 1; k < PF_LANES; k++)
		st[k] = 0;
	s += at;
	for (j = 0; j < PF_LITMAX - 1; j++) {
#pragma GCC unroll 8
		for (k = 1; k < PF_LANES; k++)
			st[k] = d[(st[k] << sh) + cls[s[k * PF_LANELEN -
			    (PF_LITMAX - 1) + j]]];
	}
	for (j = 0; j < PF_LANELEN; j++) {
#pragma GCC unroll 8
		for (k = 0; k < PF_LANES; k++) {
			st[k] = d[(st[k] << sh) + cls[s[k * PF_LANELEN + j]]];
			log[k * PF_LANELEN + j] = (uint16_t)st[k];
		}
	}
}

/*
 * The bytes of a lane whose state has outputs, byte j in bit j.  SSE2
 * is part of x86-64, so no run-time check is needed.
 */
#ifdef __SSE2__
static uint64_t
pf_hits(const struct prefilter *pf, const uint16_t *log)
{
	__m128i		t = _mm_set1_epi16((short)(pf->outfirst - 1)), a, b;
	uint64_t	m = 0;
	uint32_t	j;

	/* states are below 32768: a signed compare will do */
	for (j = 0; j < PF_LANELEN; j += 16) {
		a = _mm_cmpgt_epi16(_mm_loadu_si128((const void *)(log + j)),
		    t);
		b = _mm_cmpgt_epi16(_mm_loadu_si128((const void *)(log + j +
		    8)), t);
		m |= (uint64_t)_mm_movemask_epi8(_mm_packs_epi16(a, b)) << j;
	}
	return (m);
}
#else
static uint64_t
pf_hits(const struct prefilter *pf, const uint16_t *log)
{
	uint64_t	m = 0;
	uint32_t	j;

	for (j = 0; j < PF_LANELEN; j++)
		m |= (uint64_t)(log[j] >= pf->outfirst) << j;
	return (m);
}
#endif

/*
 * The outputs the lanes find wait in a list, to be noted in one loop:
 * a state's outputs go in PF_OUT4 at a time (outs[] has room past its
 * end), without a loop whose length the processor must guess.
 */
#define PF_PENDING	256

struct pfpend {
	uint32_t	 o[PF_PENDING];
	uint32_t	 at[PF_PENDING];
	size_t		 n;
	uint64_t	*bits;
	uint32_t	*pos;
	uint8_t		*npos;
};

static void
pf_flush(struct pfpend *p)
{
	size_t	k;

	for (k = 0; k < p->n; k++)
		pf_note(p->o[k], p->at[k], p->bits, p->pos, p->npos);
	p->n = 0;
}

/* the n outputs o of the state at i */
static inline void
pf_pend(struct pfpend *p, const uint32_t *o, uint32_t n, size_t i)
{
	size_t	k;

	if (p->n + PF_OUT4 > PF_PENDING || n > PF_OUT4) {
		pf_flush(p);
		if (n > PF_OUT4) {
			pf_out(o, o + n, i, p->bits, p->pos, p->npos);
			return;
		}
	}
	memcpy(p->o + p->n, o, PF_OUT4 * sizeof(*o));
	for (k = 0; k < PF_OUT4; k++)
		p->at[p->n + k] = (uint32_t)i;
	p->n += n;
}

/* which of the bytes of the lane at from lie in [done, end) */
static uint64_t
pf_window(size_t from, size_t done, size_t end)
{
	uint64_t	m = ~0ULL;

	if (done >= from + PF_LANELEN || end <= from)
		return (0);
	if (done > from)
		m &= ~0ULL << (done - from);
	if (end < from + PF_LANELEN)
		m &= ~(~0ULL << (end - from));
	return (m);
}

/* the outputs of the block at at, in the bytes from done to end */
static void
pf_report(const struct prefilter *pf, const uint16_t *log, size_t at,
    size_t done, size_t end, struct pfpend *p)
{
	const uint32_t	*outs = pf->outs, *off = pf->outoff;
	uint64_t	 m;
	size_t		 k, j, from;
	uint16_t	 st;

	for (k = 0; k < PF_LANES; k++) {
		from = at + k * PF_LANELEN;
		m = pf_hits(pf, log + k * PF_LANELEN) &
		    pf_window(from, done, end);
		for (; m != 0; m &= m - 1) {
			j = (size_t)__builtin_ctzll(m);
			st = log[k * PF_LANELEN + j];
			pf_pend(p, outs + off[st], off[st + 1] - off[st],
			    from + j);
		}
	}
}

/*
 * The blocks of a text: the last one may overlap the one before; a
 * text shorter than a block is copied into one, the bytes after it
 * scanned but not reported.
 */
static void
pf_scan_lanes(const struct prefilter *pf, const char *s, size_t len,
    uint64_t *bits, uint32_t *pos, uint8_t *npos)
{
	struct pfpend	 p;
	uint16_t	 log[PF_BLOCK];
	uint8_t		 pad[PF_BLOCK];
	const uint8_t	*t = (const uint8_t *)s;
	size_t		 at, done, n = len;

	p.n = 0;
	p.bits = bits;
	p.pos = pos;
	p.npos = npos;
	if (len < PF_BLOCK) {
		memcpy(pad, s, len);
		memset(pad + len, 0, PF_BLOCK - len);
		t = pad;
		n = PF_BLOCK;
	}
	for (done = 0; done < n; done = at + PF_BLOCK) {
		at = n - done < PF_BLOCK ? n - PF_BLOCK : done;
		pf_block(pf, t, at, log);
		pf_report(pf, log, at, done, len, &p);
	}
	pf_flush(&p);
}

/*
 * Set the bit of every id whose literal occurs in s, and note where
 * (up to PF_MAXPOS places an id, the first ones; one more means
 * "many").  pos and npos may be NULL.
 */
void
prefilter_scan(const struct prefilter *pf, const char *s, size_t len,
    uint64_t *bits, uint32_t *pos, uint8_t *npos)
{
	const uint8_t	*cls = pf->cls;
	uint32_t	 row = 0, st = 0, nc = pf->nclass;
	size_t		 i;

	if (pf->small && len >= PF_SHORT) {
		pf_scan_lanes(pf, s, len, bits, pos, npos);
		return;
	}
	if (pf->small) {
		for (i = 0; i < len; i++) {
			st = pf->delta16[(st << pf->shift) +
			    cls[(unsigned char)s[i]]];
			if (st >= pf->outfirst)
				pf_outs(pf, st, i, bits, pos, npos);
		}
		return;
	}
	for (i = 0; i < len; i++) {
		row = pf->delta[row + cls[(unsigned char)s[i]]];
		if (row & PF_OUT) {
			row &= ~PF_OUT;
			pf_outs(pf, row / nc, i, bits, pos, npos);
		}
	}
}

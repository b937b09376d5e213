/*
 * rules_re.c - compiling rule patterns with pcre2, and the one match
 * data and JIT stack every check shares.
 *
 * A pattern is JIT-compiled the first time a check runs it, not when
 * the rules are loaded: most patterns run only when the prefilter saw
 * their literal, and JIT code for all of the shipped set is about
 * 1.7 MB of policyd's memory and a third of its start-up
 * (bench/results/policy.md).  Whether the JIT works here (pcre2 built
 * with it; executable memory allowed) is found out once per rule set
 * with a small pattern; when it does not, or one pattern later fails
 * to compile, matching goes on through pcre2_match(): the interpreter,
 * or the JIT code a pattern already has.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define RE_MATCH_LIMIT	200000	/* bounds a runaway backtrack */
#define RE_DEPTH_LIMIT	10000
#define READ_MAX	256	/* longer reads are not compared */
#define FEWPOS		32	/* more places: search the text, unless */
				/* repeated reads can be skipped */
#define MANY_READS	2	/* and past FEWPOS, how many may differ */
#define SAME_MINPOS	4	/* fewer places: reads are not compared */

/*
 * The last attempt that found no match: where the bytes it could read
 * start (a), its start and last start from there.
 */
struct lastread {
	size_t	a;
	size_t	start;
	size_t	upto;
	int	valid;
	size_t	calls;		/* to pcre2 so far */
};

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
rule_compile(const char *pattern, uint32_t flags, pcre2_code **rep,
    char *msg, size_t msglen)
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
	*rep = re;
	return (0);
}

/* 1 when pcre2's JIT compiles and runs code here, 0 when not */
static int
jit_works(void)
{
	pcre2_code	*re;
	int		 code, ok;
	PCRE2_SIZE	 off;

	if ((re = pcre2_compile((PCRE2_SPTR)"a+b", PCRE2_ZERO_TERMINATED, 0,
	    &code, &off, NULL)) == NULL)
		return (0);
	ok = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
	pcre2_code_free(re);
	return (ok);
}

/*
 * re JIT-compiled, now if it was not yet: 1, or 0 (and the rule set
 * matches through pcre2_match() from now on) when that failed.
 */
static int
jit_ready(struct ruleset *rs, pcre2_code *re)
{
	size_t	size = 0;

	if (pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &size) == 0 &&
	    size > 0)
		return (1);
	if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0) {
		rs->njit++;
		return (1);
	}
	rs->jit = 0;
	rs->jit_lost = 1;	/* the daemon tells (server.c) */
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
	if (rs->jit && !jit_works())
		rs->jit = 0;
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

	/* JIT code: the fast path without pcre2_match()'s checks */
	if (rs->jit && jit_ready(rs, re))
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

/* a match that starts between from and limit (re_lim twins only) */
int
rule_re_match_upto(struct ruleset *rs, pcre2_code *re, const char *s,
    size_t len, size_t limit, size_t from)
{
	int	m;

	(void)pcre2_set_offset_limit(rs->mctx, limit);
	m = rule_re_match_at(rs, re, s, len, from);
	(void)pcre2_set_offset_limit(rs->mctx, PCRE2_UNSET);
	return (m);
}

/* which rules' literals occur in s, and where (rs->cand, pos, npos) */
void
regex_scan(struct ruleset *rs, const char *s, size_t len)
{
	memset(rs->cand, 0, (rs->nids / 64 + 1) * sizeof(*rs->cand));
	memset(rs->npos, 0, rs->nids);
	prefilter_scan(rs->pf, s, len, rs->cand, rs->pos, rs->npos);
}

/*
 * A byte \b counts as part of a word (pcre2's \w without UCP: ASCII
 * letters, digits, _), without the locale lookup isalnum() makes.
 */
static inline int
is_word(char c)
{
	unsigned char	u = (unsigned char)c;

	return ((u >= '0' && u <= '9') || ((u | 0x20) >= 'a' &&
	    (u | 0x20) <= 'z') || u == '_');
}

/* the places id's literals were seen, in increasing order; n of them */
static size_t
places(const struct ruleset *rs, size_t id, uint32_t *v)
{
	size_t		n = rs->npos[id], k, j;
	uint32_t	p;

	for (k = 0; k < n; k++) {
		p = rs->pos[id * PF_MAXPOS + k];
		for (j = k; j > 0 && v[j - 1] > p; j--)
			v[j] = v[j - 1];
		v[j] = p;
	}
	return (n);
}

/* the first of the nf sorted places fv not before p; nf if none */
static size_t
first_from(const uint32_t *fv, size_t nf, size_t p)
{
	size_t	lo = 0, hi = nf, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (fv[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/*
 * The places of a literal set in one text, nf of them in increasing
 * order, and what gap_clean() learnt of the bytes before each: from
 * lo[k] up to place k they are all in the gap, and when blocked[k] the
 * one before lo[k] is not.  Each byte is read once a rule, however many
 * places ask and however far the literal is.
 */
struct gapped {
	uint32_t	fv[FEWPOS];
	size_t		nf;
	size_t		cur;		/* gapped_first()'s last answer */
	uint32_t	lo[FEWPOS];
	uint8_t		blocked[FEWPOS];
};

/* id's places, when the prefilter noted them all; 0 otherwise */
static int
gapped_start(const struct ruleset *rs, int id, struct gapped *g)
{
	size_t	k;

	if (id < 0 || rs->npos[id] > FEWPOS)
		return (0);
	g->nf = places(rs, (size_t)id, g->fv);
	g->cur = 0;
	for (k = 0; k < g->nf; k++) {
		g->lo[k] = g->fv[k];
		g->blocked[k] = 0;
	}
	return (1);
}

/*
 * The first of g's places not before p (nf: none).  The places asked
 * about mostly come in increasing order: on from the last answer.
 */
static inline size_t
gapped_first(struct gapped *g, size_t p)
{
	size_t	k = g->cur;

	if (k > 0 && g->fv[k - 1] >= p)
		k = first_from(g->fv, k, p);	/* p went back */
	while (k < g->nf && g->fv[k] < p)
		k++;
	return (g->cur = k);
}

/* are the bytes from p up to place k all in gap? */
static int
gap_clean(const uint8_t *gap, const char *s, size_t p, size_t k,
    struct gapped *g)
{
	size_t	j;

	if (p >= g->lo[k])
		return (1);
	if (g->blocked[k])
		return (0);
	for (j = g->lo[k]; j > p; j--)
		if (!byte_in(gap, s[j - 1])) {
			g->lo[k] = (uint32_t)j;
			g->blocked[k] = 1;
			return (0);
		}
	g->lo[k] = (uint32_t)p;
	return (1);
}

/* a rule's follow literals, and the second set after them (follow2) */
struct follow {
	struct gapped	f1;
	struct gapped	f2;
	int		two;
};

static int
follow_start(const struct ruleset *rs, const struct rule *r,
    struct follow *fw)
{
	if (!gapped_start(rs, r->follow, &fw->f1))
		return (0);
	fw->two = gapped_start(rs, r->follow2, &fw->f2);
	return (1);
}

/*
 * Can a match of rule r start at p?  It holds one of the follow
 * literals at or after p, and every byte up to it is one the pattern
 * can hold before them (r->gap); with a second set, one of that at or
 * after such a follow literal, with nothing but r->gap2 bytes between.
 * The first follow place after p tells whether any will do; with a
 * second set, each follow place up to the first byte outside r->gap is
 * asked for the first place of that set after it.  Each asks about the
 * bytes from the place before it only (those before are known), so
 * no byte is read twice for a rule, however the places fall.
 */
static int
follow_ok(const struct rule *r, const char *s, size_t p, struct follow *fw)
{
	struct gapped	*f1 = &fw->f1, *f2 = &fw->f2;
	size_t		 k, m, from = p;

	for (k = gapped_first(f1, p); k < f1->nf; from = f1->fv[k++]) {
		if (r->gapped && !gap_clean(r->gap, s, from, k, f1))
			return (0);	/* nor any later one */
		if (!fw->two)
			return (1);
		if ((m = gapped_first(f2, f1->fv[k])) == f2->nf)
			return (0);	/* nor after any later one */
		if (gap_clean(r->gap2, s, f1->fv[k], m, f2))
			return (1);
	}
	return (0);
}

/*
 * The literal sets ids[0..n) in order, latest first, from the places the
 * prefilter noted, each before the next one and before end.  Returns
 * where the first set starts in the latest such chain (SIZE_MAX: there
 * is none), so a chain exists from p on only if p is at most that.  A
 * set seen in too many places to note does not narrow anything.
 */
static size_t
chain_back(const struct ruleset *rs, const int *ids, size_t n, size_t end)
{
	const uint32_t	*v;
	size_t		 k, j, best;
	int		 id;

	for (k = n; k > 0; k--) {
		id = ids[k - 1];
		if (!pf_bit(rs->cand, (size_t)id))
			return (SIZE_MAX);
		if (rs->npos[id] > FEWPOS)
			continue;
		v = rs->pos + (size_t)id * PF_MAXPOS;
		best = SIZE_MAX;
		for (j = 0; j < rs->npos[id]; j++)
			if (v[j] < end && (best == SIZE_MAX || v[j] > best))
				best = v[j];
		if (best == SIZE_MAX)
			return (SIZE_MAX);
		end = best;
	}
	return (end);
}

/* for a rule with n places: where to note failed reads; NULL, none */
static struct lastread *
lastread_start(const struct rule *r, size_t n, struct lastread *l)
{
	if (!r->rspanned || n < SAME_MINPOS)
		return (NULL);	/* no reads to compare, or too few places */
	l->valid = 0;
	l->calls = 0;
	return (l);
}

/*
 * Would an attempt from start (to upto) read the same bytes as the
 * last one that found nothing?  It then finds nothing either: what
 * pcre2 answers depends on nothing but the bytes it can read, from
 * r->behind before start to the first byte at or after upto that no
 * atom of the pattern, lookarounds included, can consume (a byte it
 * can look at, never step over), and on whether the text ends there.
 * The two are compared byte by byte up to that byte; it is the last
 * one of the text in neither.  ls -la && ls -la && ...: one pcre2
 * call, not hundreds.
 */
static inline int
same_read(const struct rule *r, const struct lastread *l, const char *s,
    size_t len, size_t start, size_t upto)
{
	size_t		a = start - (start < r->behind ? start : r->behind), k, j;
	uint64_t	x, y;

	if (!l->valid || start - a != l->start || upto - start != l->upto)
		return (0);
	if (a + 16 <= len) {	/* most differ early: one look at 16 */
		memcpy(&x, s + a, 8);
		memcpy(&y, s + l->a, 8);
		if (x != y)
			return (0);
		memcpy(&x, s + a + 8, 8);
		memcpy(&y, s + l->a + 8, 8);
		if (x != y)
			return (0);
	}
	for (k = 0; k <= READ_MAX; k++) {
		j = a + k;	/* the later one: it meets the end first */
		if (j == len || s[j] != s[l->a + k])
			return (0);
		if (k >= l->start + l->upto &&
		    !byte_in(r->rspan, s[j]))
			return (j + 1 < len);
	}
	return (0);
}

/*
 * pcre2 from start, anchored there or up to upto (re_lim twins), unless
 * the last attempt read the same bytes (r->rspanned: l is not NULL).
 * -1: a literal seen in many places, and reads that do not repeat
 * (more than MANY_READS calls): one search of the whole text costs
 * less.
 */
static inline int
try_from(struct ruleset *rs, const struct rule *r, struct lastread *l,
    const char *s, size_t len, size_t start, size_t upto)
{
	int	m, many = rs->npos[r->lit] > FEWPOS;

	if (l != NULL && same_read(r, l, s, len, start, upto))
		return (0);
	if (many && (l == NULL || ++l->calls > MANY_READS))
		return (-1);	/* they do not repeat */
	if (r->prefix)
		m = rule_re_match_at(rs, r->re_anch, s, len, start);
	else
		m = rule_re_match_upto(rs, r->re_lim, s, len, upto, start);
	if (m == 0 && l != NULL) {
		l->a = start - (start < r->behind ? start : r->behind);
		l->start = start - l->a;
		l->upto = upto - start;
		l->valid = 1;
	}
	return (m);
}

/*
 * Where the places of a literal set the prefilter saw but did not note
 * can start, given the n it noted (all it notes, PF_MAXPOS): it notes
 * them in the order they end, so the others end no sooner than the last
 * noted one, and start at most PF_LITMAX - 1 bytes before it.
 */
static size_t
past_noted(const uint32_t *v, size_t n)
{
	size_t	k, last = 0;

	for (k = 0; k < n; k++)
		if (v[k] > last)
			last = v[k];
	return (last >= PF_LITMAX - 1 ? last - (PF_LITMAX - 1) : 0);
}

/*
 * A rule whose matches start at its literal: tried where it was seen,
 * and with follow literals only where one of them comes after.  A
 * literal seen in more places than the prefilter notes: the noted ones
 * first, then one search from where the others can start (past_noted()).
 */
static int
match_anchored(struct ruleset *rs, size_t i, const char *s, size_t len)
{
	const struct rule	*r = rs->regex[i];
	const uint32_t		*v = rs->pos + (size_t)r->lit * PF_MAXPOS;
	size_t			 k, n = rs->npos[r->lit], upto = SIZE_MAX;
	struct lastread		 last, *l;
	struct follow		 fw;
	int			 follow, m;

	if (n > PF_MAXPOS)
		n = PF_MAXPOS;
	l = lastread_start(r, rs->npos[r->lit], &last);
	follow = follow_start(rs, r, &fw);
	/* a rule with a chain: the places after upto cannot start one */
	if (r->npost > 0 && (upto = chain_back(rs, r->postid, r->npost,
	    len)) == SIZE_MAX)
		return (0);
	for (k = 0; k < n; k++) {
		if (r->wordstart && v[k] > 0 && is_word(s[v[k] - 1]))
			continue;	/* no \b before it */
		if (r->next.len > 0 && !rx_next_ok(&r->next, s, len, v[k]))
			continue;	/* not what follows its literal */
		if (follow && !follow_ok(r, s, v[k], &fw))
			continue;
		if (v[k] > upto)
			continue;
		if (l == NULL) {
			if (rule_re_match_at(rs, r->re_anch, s, len, v[k]))
				return (1);
		} else if ((m = try_from(rs, r, l, s, len, v[k], v[k])) != 0)
			return (m == 1 || rule_re_match(rs, r->re, s, len));
	}
	if (rs->npos[r->lit] <= PF_MAXPOS)
		return (0);
	return (rule_re_match_at(rs, r->re, s, len, past_noted(v, n)));
}

/* the starts merged so far into one window for pcre2 */
struct window {
	size_t	from;
	size_t	to;
	int	open;
};

/*
 * Starts a to b: they join the open window when they touch it;
 * otherwise that window is tried first (try_from()'s answer, 0 when
 * there was none) and they open the next one.
 */
static int
window_add(struct ruleset *rs, const struct rule *r, struct lastread *l,
    struct window *wd, const char *s, size_t len, size_t a, size_t b)
{
	int	m;

	if (wd->open && a <= wd->to + 1) {
		if (b > wd->to)
			wd->to = b;
		return (0);
	}
	if (wd->open && (m = try_from(rs, r, l, s, len, wd->from, wd->to)) !=
	    0)
		return (m);
	wd->from = a;
	wd->to = b;
	wd->open = 1;
	return (0);
}

/* the last window: 1 match, 0 none, -1 search the whole text */
static int
window_end(struct ruleset *rs, const struct rule *r, struct lastread *l,
    struct window *wd, const char *s, size_t len)
{
	return (wd->open ? try_from(rs, r, l, s, len, wd->from, wd->to) : 0);
}

/*
 * A rule with a pre chain whose first set comes at most r->prelead
 * bytes into any match (\b(?:ba|z)?sh\s+-i\b.*>&: 2 before "sh"):
 * matches start only that far before a place of that set, and not
 * after last.  Those few starts are all pcre2 tries, however far .*
 * would take it from anywhere else.
 */
static int
match_pre(struct ruleset *rs, const struct rule *r, struct lastread *l,
    const char *s, size_t len, size_t last)
{
	struct window	wd = { 0, 0, 0 };
	uint32_t	q[PF_MAXPOS];
	size_t		n, k, a, b;
	int		m = 0;

	n = places(rs, (size_t)r->preid[0], q);
	for (k = 0; k < n && m == 0; k++) {
		a = q[k] > r->prelead ? q[k] - r->prelead : 0;
		b = q[k] < last ? q[k] : last;
		if (a <= b)
			m = window_add(rs, r, l, &wd, s, len, a, b);
	}
	if (m == 0)
		m = window_end(rs, r, l, &wd, s, len);
	return (m == 1 || (m == -1 && rule_re_match(rs, r->re, s, len)));
}

/*
 * Any other rule: a match holds a place p where its literal was seen
 * and lies within the run of span bytes around p, so it starts between
 * the start of that run and p.  Those windows, merged, are all pcre2
 * has to try.
 */
static int
match_windows(struct ruleset *rs, size_t i, const char *s, size_t len)
{
	const struct rule	*r = rs->regex[i];
	uint32_t		 v[PF_MAXPOS];
	size_t			 lim[PF_MAXPOS], n, k, m, w;
	size_t			 prev = 0, lastw = 0;
	size_t			 upto = SIZE_MAX, last = SIZE_MAX;
	struct lastread		 lr, *l;
	struct window		 wd = { 0, 0, 0 };
	struct follow		 fw;
	int			 follow, hit = 0;

	n = places(rs, (size_t)r->lit, v);
	follow = follow_start(rs, r, &fw);
	/*
	 * No match starts after the pre chain found back from the last
	 * place; none at all without one.
	 */
	if (r->npre > 0 && (last = chain_back(rs, r->preid, r->npre,
	    v[n - 1])) == SIZE_MAX)
		return (0);
	if (r->npost > 0 && (upto = chain_back(rs, r->postid, r->npost,
	    len)) == SIZE_MAX)
		return (0);
	l = lastread_start(r, n, &lr);
	if (r->npre > 0 && r->prelead != SIZE_MAX &&
	    rs->npos[r->preid[0]] <= FEWPOS)
		return (match_pre(rs, r, l, s, len, last));
	/* the places a match can hold, and the last start for each */
	for (k = 0, m = 0; k < n; k++) {
		if (follow && !follow_ok(r, s, v[k], &fw))
			continue;
		if (v[k] > upto)
			break;	/* nor any later place */
		lim[m] = v[k] < last ? v[k] : last;
		v[m++] = v[k];
	}
	if ((n = m) == 0)
		return (0);
	if (!r->spanned)
		return (rule_re_match_upto(rs, r->re_lim, s, len, lim[n - 1],
		    0));
	for (k = 0; k < n && hit == 0; k++) {
		w = v[k];
		while (w > prev && byte_in(r->span, s[w - 1]))
			w--;
		if (k > 0 && w == prev)
			w = lastw;	/* the run goes on from the last place */
		lastw = w;
		prev = v[k];
		if (w <= lim[k])	/* a start is left for this place */
			hit = window_add(rs, r, l, &wd, s, len, w, lim[k]);
	}
	if (hit == 0)
		hit = window_end(rs, r, l, &wd, s, len);
	return (hit == 1 || (hit == -1 && rule_re_match(rs, r->re, s, len)));
}

/*
 * Does s hold the bytes every match of r holds (r->needcu, 0: none)?
 * A letter in either case: pcre2 does not say whether it folds case.
 * Asked only before the costly paths, for a literal seen in many
 * places.
 */
static int
has_needed(const struct rule *r, const char *s, size_t len)
{
	int	k, c;

	for (k = 0; k < 2; k++) {
		if ((c = r->needcu[k]) == 0)
			continue;
		if (memchr(s, c, len) != NULL)
			continue;
		if (!isalpha(c) || memchr(s, c ^ 0x20, len) == NULL)
			return (0);
	}
	return (1);
}

/*
 * Does regex rule i match s?  After regex_scan(): tried only where the
 * prefilter says a match can be; with too many places to note, over the
 * whole text.
 */
int
regex_rule_matches(struct ruleset *rs, size_t i, const char *s, size_t len)
{
	const struct rule	*r = rs->regex[i];

	if (!r->always && rs->npos[r->lit] > FEWPOS && !has_needed(r, s, len))
		return (0);
	if (r->always || rs->npos[r->lit] == 0 ||
	    (rs->npos[r->lit] > PF_MAXPOS && !r->prefix) ||
	    (rs->npos[r->lit] > FEWPOS && !r->rspanned) ||
	    (r->prefix ? r->re_anch : r->re_lim) == NULL)
		return (rule_re_match(rs, r->re, s, len));
	if (r->prefix)
		return (match_anchored(rs, i, s, len));
	return (match_windows(rs, i, s, len));
}

/*
 * The twins of the rules the prefilter can place: anchored when every
 * match starts at the literal, with an offset limit otherwise.
 */
/* pcre2's first and last code units of r's pattern, when it has them */
static void
need_units(struct rule *r)
{
	static const uint32_t	 what[2][2] = {
		{ PCRE2_INFO_FIRSTCODETYPE, PCRE2_INFO_FIRSTCODEUNIT },
		{ PCRE2_INFO_LASTCODETYPE, PCRE2_INFO_LASTCODEUNIT },
	};
	uint32_t		 type, unit;
	int			 k;

	for (k = 0; k < 2; k++) {
		r->needcu[k] = 0;
		if (pcre2_pattern_info(r->re, what[k][0], &type) == 0 &&
		    type == 1 && pcre2_pattern_info(r->re, what[k][1],
		    &unit) == 0 && unit < 256)
			r->needcu[k] = (uint8_t)unit;
	}
}

int
ruleset_anchor(struct ruleset *rs, char *msg, size_t msglen)
{
	struct rule	*r;
	size_t		 i;
	uint32_t	 behind;

	for (i = 0; i < rs->nregex; i++) {
		r = rs->regex[i];
		if (r->always)
			continue;
		if (rule_compile(r->pattern, r->reflags |
		    (r->prefix ? PCRE2_ANCHORED : PCRE2_USE_OFFSET_LIMIT),
		    r->prefix ? &r->re_anch : &r->re_lim, msg, msglen) == -1)
			return (-1);
		need_units(r);
		if (pcre2_pattern_info(r->re, PCRE2_INFO_MAXLOOKBEHIND,
		    &behind) != 0)
			continue;	/* r->rspanned stays 0 */
		r->behind = behind > 0 ? behind : 1;
		r->rspanned = rx_readspan(r->pattern, r->reflags, r->rspan);
	}
	return (0);
}

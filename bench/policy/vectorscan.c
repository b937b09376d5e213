/*
 * vectorscan.c - would Debian's vectorscan pay off in front of pcre2?
 * Every regex rule of the shipped set goes into one block-mode
 * database in prefilter mode (HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH,
 * caseless/dotall/multiline from the rule flags); each input is then
 * checked two ways:
 *   - soundness: pcre2 on every rule x input, against the candidates of
 *     one scan of the input copied at each of 64 alignments; a rule that
 *     pcre2 matches and the scan does not name is a miss;
 *   - time: one scan plus pcre2 on the candidates, against what
 *     policyd does (the literal prefilter, then pcre2 on its candidates,
 *     anchored where it can).
 *
 * usage: vectorscan rules-file corpus...
 */
#include <sys/types.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs.h>

#include "../../policyd/policy.h"
#include "../../policyd/policyd.h"
#include "inputs.h"

#define ALIGNS	64

struct hsdb {
	hs_database_t	*db;
	hs_scratch_t	*scratch;
	size_t		 n;		/* rules in it */
	double		 secs;		/* to compile */
};

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
}

static unsigned int
hs_flags(uint32_t reflags)
{
	unsigned int	f = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH |
			    HS_FLAG_ALLOWEMPTY;

	if (reflags & PCRE2_CASELESS)
		f |= HS_FLAG_CASELESS;
	if (reflags & PCRE2_DOTALL)
		f |= HS_FLAG_DOTALL;
	if (reflags & PCRE2_MULTILINE)
		f |= HS_FLAG_MULTILINE;
	return (f);
}

/* every rule it takes; a pattern it refuses is left out and reported */
static void
hs_build(struct ruleset *rs, struct hsdb *h)
{
	hs_compile_error_t	*ce;
	char			**pats;
	unsigned int		*flags, *ids;
	int			*out;
	size_t			 i, n;
	uint64_t		 t0;

	pats = calloc(rs->nregex, sizeof(*pats));
	flags = calloc(rs->nregex, sizeof(*flags));
	ids = calloc(rs->nregex, sizeof(*ids));
	out = calloc(rs->nregex, sizeof(*out));
	if (pats == NULL || flags == NULL || ids == NULL || out == NULL)
		err(1, "out of memory");
	t0 = now_ns();
	for (;;) {
		for (i = 0, n = 0; i < rs->nregex; i++) {
			if (out[i])
				continue;
			free(pats[n]);
			if ((rs->regex[i]->reflags & PCRE2_EXTENDED ?
			    asprintf(&pats[n], "(?x)%s\n",
			    rs->regex[i]->pattern) :
			    asprintf(&pats[n], "%s", rs->regex[i]->pattern)) ==
			    -1)
				err(1, "out of memory");
			flags[n] = hs_flags(rs->regex[i]->reflags);
			ids[n++] = (unsigned int)i;
		}
		if (hs_compile_multi((const char *const *)pats, flags, ids,
		    (unsigned int)n, HS_MODE_BLOCK, NULL, &h->db, &ce) ==
		    HS_SUCCESS)
			break;
		if (ce->expression < 0)
			errx(1, "vectorscan: %s", ce->message);
		printf("vectorscan refuses %s: %s\n",
		    rs->regex[ids[ce->expression]]->name, ce->message);
		out[ids[ce->expression]] = 1;
		hs_free_compile_error(ce);
	}
	h->secs = (now_ns() - t0) / 1e9;
	h->n = n;
	if (hs_alloc_scratch(h->db, &h->scratch) != HS_SUCCESS)
		errx(1, "hs_alloc_scratch");
	for (i = 0; i < rs->nregex; i++)
		free(pats[i]);
	free(pats);
	free(flags);
	free(ids);
	free(out);
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int fl, void *ctx)
{
	uint64_t	*bits = ctx;

	(void)from;
	(void)to;
	(void)fl;
	bits[id / 64] |= 1ULL << (id % 64);
	return (0);
}

static void
hs_cands(struct hsdb *h, const char *s, size_t len, uint64_t *bits,
    size_t nwords)
{
	memset(bits, 0, nwords * sizeof(*bits));
	if (hs_scan(h->db, s, (unsigned int)len, 0, h->scratch, on_match,
	    bits) != HS_SUCCESS)
		errx(1, "hs_scan failed");
}

/* soundness: every pcre2 match named by the scan, at every alignment */
static void
soundness(struct ruleset *rs, struct hsdb *h, const struct inputs *in,
    uint64_t *bits, size_t nwords)
{
	static char	 buf[8192 + ALIGNS] __attribute__((aligned(64)));
	size_t		 k, i, a, pairs = 0, misses = 0, bad = 0, shown = 0;
	size_t		 badal;

	for (k = 0; k < in->n; k++) {
		if (in->len[k] > 8192)
			continue;
		for (i = 0; i < rs->nregex; i++) {
			if (!rule_re_match(rs, rs->regex[i]->re, in->v[k],
			    in->len[k]))
				continue;
			for (a = 0, badal = 0; a < ALIGNS; a++) {
				memcpy(buf + a, in->v[k], in->len[k]);
				hs_cands(h, buf + a, in->len[k], bits, nwords);
				pairs++;
				if (!(bits[i / 64] & (1ULL << (i % 64))))
					badal++;
			}
			misses += badal;
			if (badal > 0 && shown++ < 5)
				printf("  miss: %s on input %zu (%zu bytes) at "
				    "%zu of %d alignments\n",
				    rs->regex[i]->name, k, in->len[k], badal,
				    ALIGNS);
			bad += badal > 0;
		}
	}
	printf("soundness: %zu of %zu (matching rule x input x alignment) "
	    "scans miss the match; %zu rule x input pairs affected\n",
	    misses, pairs, bad);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* can_beat() of check.c: could r change the outcome? */
static int
beats(const struct rule *best, const struct rule *r)
{
	if (best == NULL)
		return (1);
	if (r->decision != best->decision)
		return (r->decision > best->decision);
	return (r->index < best->index);
}

/* the regex rules on one text the way check.c runs them */
static const struct rule *
via_prefilter(struct ruleset *rs, const char *s, size_t len)
{
	const struct rule	*best = NULL;
	size_t			 i;

	regex_scan(rs, s, len);
	for (i = 0; i < rs->nregex; i++)
		if (regex_candidate(rs, i) &&
		    beats(best, rs->regex[i]) &&
		    regex_rule_matches(rs, i, s, len))
			best = rs->regex[i];
	return (best);
}

static const struct rule *
via_hs(struct ruleset *rs, struct hsdb *h, const char *s, size_t len,
    uint64_t *bits, size_t nwords)
{
	const struct rule	*best = NULL;
	size_t			 i;

	hs_cands(h, s, len, bits, nwords);
	for (i = 0; i < rs->nregex; i++)
		if ((bits[i / 64] & (1ULL << (i % 64))) &&
		    beats(best, rs->regex[i]) &&
		    rule_re_match(rs, rs->regex[i]->re, s, len))
			best = rs->regex[i];
	return (best);
}

static void
timing(struct ruleset *rs, struct hsdb *h, const struct inputs *in,
    size_t from, size_t to, size_t checks, const char *what, uint64_t *bits,
    size_t nwords)
{
	uint64_t	*lp, *lh, t0;
	size_t		 k, j;

	if ((lp = calloc(checks, sizeof(*lp))) == NULL ||
	    (lh = calloc(checks, sizeof(*lh))) == NULL)
		err(1, "out of memory");
	for (j = 0; j < checks; j++) {
		k = from + j % (to - from);
		t0 = now_ns();
		(void)via_prefilter(rs, in->v[k], in->len[k]);
		lp[j] = now_ns() - t0;
		t0 = now_ns();
		(void)via_hs(rs, h, in->v[k], in->len[k], bits, nwords);
		lh[j] = now_ns() - t0;
	}
	qsort(lp, checks, sizeof(*lp), cmp_u64);
	qsort(lh, checks, sizeof(*lh), cmp_u64);
	printf("%-28s prefilter+pcre2 p50 %6.2f p99 %6.2f us | vectorscan+"
	    "pcre2 p50 %6.2f p99 %6.2f us\n", what, lp[checks / 2] / 1e3,
	    lp[checks * 99 / 100] / 1e3, lh[checks / 2] / 1e3,
	    lh[checks * 99 / 100] / 1e3);
	free(lp);
	free(lh);
}

int
main(int argc, char *argv[])
{
	struct inputs	 in;
	struct cferrs	 errs;
	struct ruleset	*rs;
	struct hsdb	 h;
	uint64_t	*bits;
	size_t		 nwords, dbsize = 0;
	char		*files[1];

	if (argc < 3)
		errx(1, "usage: vectorscan rules corpus...");
	files[0] = argv[1];
	cferrs_init(&errs);
	if ((rs = pd_engine_build(files, 1, NULL, NULL, &errs)) == NULL) {
		cferrs_print(&errs, stderr);
		return (1);
	}
	memset(&in, 0, sizeof(in));
	inputs_load(&in, argv + 2, (size_t)argc - 2);
	memset(&h, 0, sizeof(h));
	hs_build(rs, &h);
	(void)hs_database_size(h.db, &dbsize);
	printf("vectorscan %s: %zu of %zu regex rules in one prefilter "
	    "database, compiled in %.2f s, %zu KiB\n", hs_version(), h.n,
	    rs->nregex, h.secs, dbsize / 1024);
	nwords = rs->nregex / 64 + 1;
	if ((bits = calloc(nwords, sizeof(*bits))) == NULL)
		err(1, "out of memory");
	soundness(rs, &h, &in, bits, nwords);
	timing(rs, &h, &in, 0, in.nbase, 20000, "corpus commands", bits,
	    nwords);
	timing(rs, &h, &in, in.nbase, in.shapes, 2000,
	    "1/4 KiB everyday chains", bits, nwords);
	timing(rs, &h, &in, in.shapes, in.attacks, 2000,
	    "2/4 KiB script/code/JSON", bits, nwords);
	timing(rs, &h, &in, in.attacks, in.repeats, 2000, "4 KiB attack chains",
	    bits, nwords);
	free(bits);
	hs_free_scratch(h.scratch);
	hs_free_database(h.db);
	inputs_free(&in);
	pd_engine_free(rs);
	cferrs_free(&errs);
	return (0);
}

/*
 * dlp_rules.c - detectors as data: the shipped table (etc/dlp.rules,
 * built into proxyd by dlp_table.c) and the operator's files
 * (dlp-detectors in topsh.conf(5)), one detector a line:
 *
 *	name  LABEL  keywords  options  pattern
 *
 * keywords is a comma-separated list of words (case does not matter)
 * one of which must occur near a match, or "-" for none (the pattern
 * is then tried over the whole text); options is "-" or a comma-
 * separated list of entropy=BITS (Shannon entropy per byte of the
 * value), check=NAME (a check the value must pass: luhn, iban, jwt,
 * pem, github, npm),
 * trust=NAME (a checksum that, when it holds, waives the entropy
 * threshold: github, npm, jwt), class=pii (personal data rather than a
 * credential) or class=generic (a catch-all whose label gives way to
 * any other where they overlap), mixed=yes (a digit, or both cases),
 * identifier=no (not a name: one case of letters with digits, '_', '.'
 * and '-' unless all hexadecimal)
 * and near=BYTES (how far from a keyword a match may
 * start, default 16).  The pattern is pcre2; when it has a capture
 * group, group 1 is the value redacted, else the whole match.  Macros
 * in patterns: $KW (the keywords as an alternation), $ASSIGN (what
 * goes between a name and its value: more name, quotes, '=', ':',
 * '=>', ':=' and blanks), $END (the value ends: no further token
 * character) and $B (a word starts, also right after a JSON escape).
 *
 * keyword=word (a keyword counts only at the start of a word) and
 * keyword=exact (only in the case written) make a short keyword
 * cheaper.
 *
 * The scan is one pass over the text for every keyword of every
 * detector at once (vectorscan, the portable Hyperscan, with all the
 * keywords as case-folded literals in one database, built when the
 * table is complete: dlp_prepare), and a detector's pattern only runs,
 * with pcre2's offset limit, where one of its keywords was seen.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#include <pcre2.h>

#include "dlp_int.h"

#define NEAR_DEFAULT	16
#define NEAR_MAX	4096
#define LINE_MAX_LEN	4096
#define KW_MAX		64
#define RULE_MATCH_LIMIT 1000000
#define RULE_DEPTH_LIMIT 1000

static const char MAC_ASSIGN[] =
    "[\\w. \\t-]{0,40}?[\\s\"'`]{0,3}(?:=>|:{1,3}=|\\?=|\\|\\||[:=>,])"
    "[\\s\"'`=]{0,5}";
static const char MAC_END[] = "(?![\\w+/=~-])";
/*
 * $B: a word starts here: no letter or digit before it, or a JSON or
 * C escape (\n, \" or \u0022) just before it, as a raw request body
 * has them ("x\nsk-proj-..."); word_start() below is the same in C.
 */
static const char MAC_B[] = "(?:(?<![A-Za-z0-9])|(?<=\\\\[a-z\"/\\\\])|"
    "(?<=\\\\u[0-9A-Fa-f]{4}))";


/* checks by name */
static const struct {
	const char	*name;
	int		 id;
} checks[] = {
	{ "github", DLP_CK_GITHUB }, { "iban", DLP_CK_IBAN },
	{ "jwt", DLP_CK_JWT }, { "luhn", DLP_CK_LUHN }, { "npm", DLP_CK_NPM },
	{ "pem", DLP_CK_PEM },
};

static int
check_id(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (strcmp(s, checks[i].name) == 0)
			return (checks[i].id);
	return (-1);
}

struct sbuild {
	char	*s;
	size_t	 len, cap;
};

static int
sput(struct sbuild *b, const char *p, size_t n)
{
	char	*ns;

	if (b->len + n + 1 > b->cap) {
		if ((ns = realloc(b->s, (b->len + n + 1) * 2)) == NULL)
			return (-1);
		b->s = ns;
		b->cap = (b->len + n + 1) * 2;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return (0);
}

/* Quote a keyword for the $KW alternation. */
static int
sput_quoted(struct sbuild *b, const char *k, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)k[i]) && k[i] != '_' &&
		    k[i] != ' ' && sput(b, "\\", 1) == -1)
			return (-1);
		if (sput(b, k + i, 1) == -1)
			return (-1);
	}
	return (0);
}

static char *
expand(const char *pat, const char *kws)
{
	struct sbuild	 b = { NULL, 0, 0 };
	const char	*p = pat, *k, *c;
	int		 first;

	while (*p != '\0') {
		if (strncmp(p, "$KW", 3) == 0) {
			if (sput(&b, "(?:", 3) == -1)
				goto fail;
			first = 1;
			for (k = kws; *k != '\0'; k = *c ? c + 1 : c) {
				c = k + strcspn(k, ",");
				if (!first && sput(&b, "|", 1) == -1)
					goto fail;
				first = 0;
				if (sput_quoted(&b, k, c - k) == -1)
					goto fail;
			}
			if (sput(&b, ")", 1) == -1)
				goto fail;
			p += 3;
		} else if (strncmp(p, "$ASSIGN", 7) == 0) {
			if (sput(&b, MAC_ASSIGN, sizeof(MAC_ASSIGN) - 1) == -1)
				goto fail;
			p += 7;
		} else if (strncmp(p, "$B", 2) == 0) {
			if (sput(&b, MAC_B, sizeof(MAC_B) - 1) == -1)
				goto fail;
			p += 2;
		} else if (strncmp(p, "$END", 4) == 0) {
			if (sput(&b, MAC_END, sizeof(MAC_END) - 1) == -1)
				goto fail;
			p += 4;
		} else {
			if (sput(&b, p, 1) == -1)
				goto fail;
			p++;
		}
	}
	if (b.s == NULL && sput(&b, "", 0) == -1)
		goto fail;
	return (b.s);
 fail:
	free(b.s);
	return (NULL);
}

static int
parse_opts(struct dlp_rule *r, char *opts, char *err, size_t errlen)
{
	char		*o, *v;
	const char	*es;
	double		 d;
	char		*ep;

	r->near = NEAR_DEFAULT;
	r->prio = DLP_P_CREDENTIAL;
	if (strcmp(opts, "-") == 0)
		return (0);
	while ((o = strsep(&opts, ",")) != NULL) {
		if ((v = strchr(o, '=')) == NULL) {
			snprintf(err, errlen, "option %s needs a value", o);
			return (-1);
		}
		*v++ = '\0';
		if (strcmp(o, "entropy") == 0) {
			errno = 0;
			d = strtod(v, &ep);
			if (errno != 0 || *ep != '\0' || d < 0 || d > 8) {
				snprintf(err, errlen, "bad entropy %s", v);
				return (-1);
			}
			r->entropy = d;
		} else if (strcmp(o, "check") == 0 || strcmp(o, "trust") == 0) {
			int id = check_id(v);

			if (id == -1) {
				snprintf(err, errlen, "unknown check %s", v);
				return (-1);
			}
			if (o[0] == 'c')
				r->check = id;
			else
				r->trust = id;
		} else if (strcmp(o, "class") == 0) {
			if (strcmp(v, "pii") == 0)
				r->prio = DLP_P_PII;
			else if (strcmp(v, "credential") == 0)
				r->prio = DLP_P_CREDENTIAL;
			else if (strcmp(v, "generic") == 0)
				r->prio = DLP_P_GENERIC;
			else {
				snprintf(err, errlen, "unknown class %s", v);
				return (-1);
			}
		} else if (strcmp(o, "keyword") == 0) {
			/* keyword=word, keyword=exact or keyword=word+exact */
			if (strcmp(v, "word") == 0)
				r->wordstart = 1;
			else if (strcmp(v, "exact") == 0)
				r->exact = 1;
			else if (strcmp(v, "word+exact") == 0)
				r->wordstart = r->exact = 1;
			else {
				snprintf(err, errlen, "keyword takes word, "
				    "exact or word+exact");
				return (-1);
			}
		} else if (strcmp(o, "identifier") == 0) {
			if (strcmp(v, "no") != 0 && strcmp(v, "yes") != 0) {
				snprintf(err, errlen, "identifier takes yes "
				    "or no");
				return (-1);
			}
			r->noident = v[0] == 'n';
		} else if (strcmp(o, "mixed") == 0) {
			if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
				snprintf(err, errlen, "mixed takes yes or no");
				return (-1);
			}
			r->mixed = v[0] == 'y';
		} else if (strcmp(o, "near") == 0) {
			r->near = strtonum(v, 0, NEAR_MAX, &es);
			if (es != NULL) {
				snprintf(err, errlen, "near %s: %s", v, es);
				return (-1);
			}
		} else {
			snprintf(err, errlen, "unknown option %s", o);
			return (-1);
		}
	}
	return (0);
}

static void
rules_unbuild(struct dlp_rules *rs)
{
	if (rs->scratch != NULL)
		hs_free_scratch(rs->scratch);
	if (rs->db != NULL)
		hs_free_database(rs->db);
	rs->scratch = rs->db = NULL;
	rs->built = 0;
}

static int
add_kw(struct dlp_rules *rs, const char *k, size_t n, size_t rule)
{
	struct dlp_kw	*nk;
	size_t		 i;

	if (n == 0 || n >= KW_MAX)
		return (-1);
	nk = reallocarray(rs->kws, rs->nkws + 1, sizeof(*nk));
	if (nk == NULL)
		return (-1);
	rs->kws = nk;
	nk = &rs->kws[rs->nkws++];
	for (i = 0; i < n; i++) {
		nk->s[i] = tolower((unsigned char)k[i]);
		nk->orig[i] = k[i];
	}
	nk->s[n] = nk->orig[n] = '\0';
	nk->len = n;
	nk->rule = rule;
	return (0);
}

static int
name_ok(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n >= DLP_NAME_MAX)
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return (0);
	return (1);
}

/* One line; 0 added or blank, -1 error (message in err). */
static int
rules_line(struct dlp_rules *rs, char *line, char *err, size_t errlen)
{
	struct dlp_rule	*r;
	char		*f[4], *p = line, *pat, *x;
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	pcre2_code	*code;
	uint32_t	 ncap;
	size_t		 i, idx;
	int		 ec;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#' || *p == '\0' || *p == '\n')
		return (0);
	p[strcspn(p, "\r\n")] = '\0';
	for (i = 0; i < 4; i++) {
		f[i] = p;
		p += strcspn(p, " \t");
		if (*p == '\0') {
			snprintf(err, errlen, "expected name, label, keywords, "
			    "options and a pattern");
			return (-1);
		}
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
	}
	pat = p;
	for (x = pat + strlen(pat); x > pat && (x[-1] == ' ' ||
	    x[-1] == '\t'); x--)
		x[-1] = '\0';
	if (*pat == '\0') {
		snprintf(err, errlen, "%s: empty pattern", f[0]);
		return (-1);
	}
	if (!name_ok(f[0])) {
		snprintf(err, errlen, "bad detector name %s", f[0]);
		return (-1);
	}
	for (i = 0; i < rs->n; i++)
		if (strcasecmp(rs->r[i].name, f[0]) == 0) {
			snprintf(err, errlen, "%s: defined twice", f[0]);
			return (-1);
		}
	r = reallocarray(rs->r, rs->n + 1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	rs->r = r;
	idx = rs->n;
	r = &rs->r[idx];
	memset(r, 0, sizeof(*r));
	strlcpy(r->name, f[0], sizeof(r->name));
	if (dlp_make_label(r->label, sizeof(r->label), f[1]) == -1) {
		snprintf(err, errlen, "%s: bad label", f[0]);
		return (-1);
	}
	if (parse_opts(r, f[3], err, errlen) == -1)
		return (-1);
	if (strcmp(f[2], "-") == 0)
		r->nokw = 1;
	else {
		for (p = f[2]; *p != '\0'; p = *x ? x + 1 : x) {
			x = p + strcspn(p, ",");
			if (add_kw(rs, p, x - p, idx) == -1) {
				snprintf(err, errlen, "%s: bad keyword", f[0]);
				return (-1);
			}
		}
	}
	if ((x = expand(pat, r->nokw ? "" : f[2])) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	code = pcre2_compile((PCRE2_SPTR)x, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_USE_OFFSET_LIMIT,
	    &ec, &off, NULL);
	free(x);
	if (code == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "%s: %s at offset %zu", f[0],
		    (char *)msg, (size_t)off);
		return (-1);
	}
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &ncap);
	r->group = ncap > 0;
	/*
	 * JIT-compiled on first use (rule_run), not here: every detector
	 * waits behind its keywords, most never run in a given process,
	 * and compiling all of them cost proxyd 1.5 MB of executable
	 * memory and a tenth of its start-up.
	 */
	r->jit = 0;
	r->jit_tried = 0;
	r->code = code;
	r->enabled = 1;
	rs->n++;
	return (0);
}

int
dlp_rules_load(struct dlp_rules *rs, const char *text, const char *file,
    char *err, size_t errlen)
{
	const char	*p = text, *nl;
	char		 line[LINE_MAX_LEN], e[512];
	int		 lineno = 0, nerr = 0;
	size_t		 n;

	while (*p != '\0') {
		lineno++;
		nl = strchr(p, '\n');
		n = nl == NULL ? strlen(p) : (size_t)(nl - p);
		if (n >= sizeof(line)) {
			if (nerr++ == 0)
				snprintf(err, errlen, "%s:%d: line too long",
				    file, lineno);
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			if (rules_line(rs, line, e, sizeof(e)) == -1 &&
			    nerr++ == 0)
				snprintf(err, errlen, "%s:%d: %s", file, lineno,
				    e);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if (nerr > 0)
		return (-1);
	rs->built = 0;
	return (0);
}

/*
 * The keyword filter: every keyword of every detector in one vectorscan
 * (Hyperscan) literal database, case folded; a match's keyword is then
 * checked for keyword=exact and keyword=word in C.
 */
static const char *
kw_lit(void *arg, size_t i, size_t *len)
{
	struct dlp_rules	*rs = arg;

	*len = rs->kws[i].len;
	return (rs->kws[i].s);
}

int
dlp_rules_build(struct dlp_rules *rs)
{
	rules_unbuild(rs);
	if (rs->nkws > 0 && dlp_hs_literals(rs->nkws, kw_lit, rs, 1,
	    &rs->db, &rs->scratch) == -1) {
		rules_unbuild(rs);
		return (-1);
	}
	rs->built = 1;
	return (0);
}

void
dlp_rules_free(struct dlp_rules *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++)
		pcre2_code_free(rs->r[i].code);
	free(rs->r);
	free(rs->kws);
	rules_unbuild(rs);
	memset(rs, 0, sizeof(*rs));
}

/* Bits of Shannon entropy per byte of p[0, n). */
double
dlp_entropy(const char *p, size_t n)
{
	unsigned int	 cnt[256];
	double		 h = 0, f;
	size_t		 i;

	if (n == 0)
		return (0);
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		cnt[(unsigned char)p[i]]++;
	for (i = 0; i < 256; i++) {
		if (cnt[i] == 0)
			continue;
		f = (double)cnt[i] / n;
		h -= f * log2(f);
	}
	return (h);
}

/* A digit, or both upper and lower case letters. */
static int
mixed(const char *v, size_t n)
{
	size_t	i;
	int	k = 0;

	for (i = 0; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			return (1);
		if (v[i] >= 'a' && v[i] <= 'z')
			k |= 1;
		else if (v[i] >= 'A' && v[i] <= 'Z')
			k |= 2;
	}
	return (k == 3);
}

/*
 * Looks like a name rather than a secret: one case of letters with
 * digits and _ . - (sqlite3_column_bytes16, SQLITE3_API), unless it is
 * all hexadecimal digits.
 */
static int
identifier(const char *v, size_t n)
{
	size_t	i;
	int	lo = 0, up = 0, nonhex = 0;

	for (i = 0; i < n; i++) {
		if (v[i] >= 'a' && v[i] <= 'z') {
			lo = 1;
			nonhex |= v[i] > 'f';
		} else if (v[i] >= 'A' && v[i] <= 'Z') {
			up = 1;
			nonhex |= v[i] > 'F';
		} else if (!(v[i] >= '0' && v[i] <= '9') && v[i] != '_' &&
		    v[i] != '.' && v[i] != '-')
			return (0);
	}
	return (!(lo && up) && nonhex);
}

static int
rule_accept(const struct dlp_rule *r, const char *v, size_t n)
{
	if (r->mixed && !mixed(v, n))
		return (0);
	if (r->noident && identifier(v, n))
		return (0);
	if (r->check != 0 && !dlp_check(r->check, v, n))
		return (0);
	if (r->entropy > 0 && dlp_entropy(v, n) < r->entropy)
		return (r->trust != 0 && dlp_check(r->trust, v, n));
	return (1);
}

/* Run r's pattern for matches starting in [from, to]. */
static void
rule_run(struct dlp *d, struct dlp_rule *r, const char *p, size_t len,
    size_t from, size_t to, size_t anchor, size_t start)
{
	PCRE2_SIZE	*ov;
	PCRE2_SIZE	 off;
	struct dlp_match *m;
	size_t		 so, eo;
	int		 rc, g;

	/*
	 * Not inside the rule's last match, as within one window: a run
	 * of keywords inside one long match (a base64 block) would
	 * otherwise match again from each of them to the block's end.
	 */
	if (from < r->done)
		from = r->done;
	if (from > to)
		return;
	off = from;
	r->runs++;
	if (!r->jit_tried) {
		/* the interpreter stays the fallback if JIT is refused */
		r->jit_tried = 1;
		r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
	}
	pcre2_set_offset_limit(d->rctx, to);
	while (off <= to && off <= len) {
		if (r->jit)
			rc = pcre2_jit_match(r->code, (PCRE2_SPTR)p, len, off,
			    0, d->rdata, d->rctx);
		else
			rc = pcre2_match(r->code, (PCRE2_SPTR)p, len, off,
			    0, d->rdata, d->rctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return;
		if (rc < 0) {
			d->errors++;
			return;
		}
		ov = pcre2_get_ovector_pointer(d->rdata);
		if (ov[1] < ov[0])
			return;
		so = ov[0];
		eo = ov[1];
		/* the first capture group that took part, if any */
		for (g = 1; r->group && g < rc; g++)
			if (ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] >
			    ov[2 * g]) {
				so = ov[2 * g];
				eo = ov[2 * g + 1];
				break;
			}
		if (eo > so && eo > start && rule_accept(r, p + so, eo - so)) {
			if (so < start)
				so = start;
			m = dlp_add_match(d, so, eo, r->label, r->prio);
			if (m != NULL)
				m->anchor = anchor < so ? (anchor < start ?
				    start : anchor) : so;
		}
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		r->done = off;
	}
}

static int
rules_setup(struct dlp *d)
{
	if (d->rdata != NULL)
		return (0);
	if ((d->rctx = pcre2_match_context_create(NULL)) == NULL)
		return (-1);
	pcre2_set_match_limit(d->rctx, RULE_MATCH_LIMIT);
	pcre2_set_depth_limit(d->rctx, RULE_DEPTH_LIMIT);
	d->rjstack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (d->rjstack != NULL)
		pcre2_jit_stack_assign(d->rctx, NULL, d->rjstack);
	/* group 1 is all a rule uses; more pairs for patterns with many */
	if ((d->rdata = pcre2_match_data_create(32, NULL)) == NULL)
		return (-1);
	return (0);
}

void
dlp_rules_teardown(struct dlp *d)
{
	pcre2_match_data_free(d->rdata);
	pcre2_match_context_free(d->rctx);
	pcre2_jit_stack_free(d->rjstack);
	d->rdata = d->rctx = d->rjstack = NULL;
}

/* A keyword of rule r ends at e: note or extend its window. */
static void
rule_hit(struct dlp *d, struct dlp_rule *r, const char *p, size_t len,
    size_t ks, size_t start)
{
	size_t	from = ks > r->near ? ks - r->near : 0;
	size_t	to = ks + r->near;

	if (to > len)
		to = len;
	if (r->wpending && from <= r->wto + 1) {
		if (to > r->wto)
			r->wto = to;
		return;
	}
	if (r->wpending)
		rule_run(d, r, p, len, r->wfrom, r->wto, r->wanchor, start);
	r->wpending = 1;
	r->wfrom = from;
	r->wto = to;
	r->wanchor = ks;
}

struct scanctx {
	struct dlp	*d;
	const char	*p;
	size_t		 len;
	size_t		 base;
	size_t		 start;
};

/* A word starts at p[i] (as $B). */
static int
word_start(const char *p, size_t i)
{
	if (i == 0 || !DLP_IS(p[i - 1], DLP_C_ALNUM))
		return (1);
	if (i >= 2 && p[i - 2] == '\\' && p[i - 1] >= 'a' && p[i - 1] <= 'z')
		return (1);
	return (i >= 6 && p[i - 6] == '\\' && p[i - 5] == 'u' &&
	    isxdigit((unsigned char)p[i - 4]) &&
	    isxdigit((unsigned char)p[i - 3]) &&
	    isxdigit((unsigned char)p[i - 2]) &&
	    isxdigit((unsigned char)p[i - 1]));
}

/* vectorscan found keyword id ending at base + to */
static int
kw_found(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int hsflags, void *arg)
{
	struct scanctx		*c = arg;
	struct dlp_rules	*rs = &c->d->rules;
	struct dlp_kw		*k = &rs->kws[id];
	struct dlp_rule		*r = &rs->r[k->rule];
	size_t			 i = c->base + to - k->len;

	if (!r->enabled)
		return (0);
	if (r->exact && memcmp(c->p + i, k->orig, k->len) != 0)
		return (0);
	if (r->wordstart && !word_start(c->p, i))
		return (0);
	rule_hit(c->d, r, c->p, c->len, i, c->start);
	return (0);
}

void
dlp_rules_scan(struct dlp *d, const char *p, size_t len, size_t start)
{
	struct dlp_rules	*rs = &d->rules;
	struct scanctx		 c;
	struct dlp_rule		*r;
	size_t			 j, from;

	if (rs->n == 0)
		return;
	if (!rs->built && dlp_rules_build(rs) == -1) {
		d->nomem = 1;
		return;
	}
	if (rules_setup(d) == -1) {
		d->nomem = 1;
		return;
	}
	for (j = 0; j < rs->n; j++) {
		rs->r[j].wpending = 0;
		rs->r[j].done = 0;
	}
	/* keywordless rules: the whole text */
	for (j = 0; j < rs->n; j++)
		if (rs->r[j].enabled && rs->r[j].nokw)
			rule_run(d, &rs->r[j], p, len, start, len, start,
			    start);
	from = start > NEAR_MAX ? start - NEAR_MAX : 0;
	c.d = d;
	c.p = p;
	c.len = len;
	c.base = from;
	c.start = start;
	if (rs->db != NULL && len > from && len - from <= UINT_MAX &&
	    hs_scan(rs->db, p + from, len - from, 0, rs->scratch, kw_found,
	    &c) != HS_SUCCESS)
		d->errors++;
	for (j = 0; j < rs->n; j++) {
		r = &rs->r[j];
		if (r->wpending)
			rule_run(d, r, p, len, r->wfrom, r->wto, r->wanchor,
			    start);
		r->wpending = 0;
	}
}

/*
 * cmdindex.c - which command rules match a simple command, found by
 * its name instead of trying every rule on every command.
 *
 * A plain glob is filed in an open-addressed hash table (a path glob
 * under the full name, the others under the last component) and
 * matched by hash, length and bytes.  A wildcard glob is filed under
 * the first byte of its literal prefix (the bytes before any * ? [ or
 * backslash), and fnmatch() only sees the names that start with that
 * prefix.  The name is read once for its last component, length and
 * hash.  The index decides the glob half of a rule, exactly; check.c
 * looks at the arguments, and asks cmdindex_args() first: a rule's
 * args pattern cannot match unless one of its literals
 * (prefilter_literals(), the ones the regex prefilter relies on too)
 * is in the arguments, in any case.
 */
#include <sys/types.h>

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define CI_NONE		UINT32_MAX
#define CI_ANY		256	/* wildcard globs with no literal prefix */

struct cient {				/* a plain glob */
	const char	*key;		/* owned by the rule */
	size_t		 len;
	int		 path;		/* against the full name */
	uint32_t	 rule;		/* index in bykind[RK_COMMAND] */
};

struct cislot {				/* open addressing, linear probing */
	uint32_t	 hash;
	uint32_t	 ent;		/* CI_NONE: empty */
};

struct ciwild {				/* a glob with * ? or [ */
	const char	*glob;		/* owned by the rule */
	size_t		 plen;		/* literal prefix */
	uint32_t	 rule;
	uint32_t	 next;
	int		 esc;		/* starts with a backslash */
	uint8_t		 first[32];	/* then: the names it may see */
};

struct cilits {				/* one of these is in every match */
	char		**v;		/* lower case ASCII */
	size_t		 *len;
	uint64_t	 *bytes;	/* as in struct ciargs */
	uint8_t		 *space;	/* holds a space */
	size_t		  n;		/* 0: no literal, always try */
};

struct ciname {
	const char	*s;
	size_t		 len;
	uint32_t	 hash;
};

struct cmdindex {
	struct cislot	*slot;
	size_t		 mask;
	struct cient	*ent;
	size_t		 nent;
	size_t		 npath;		/* plain path globs */
	struct ciwild	*wild;
	size_t		 nwild;
	uint32_t	 whead[2][CI_ANY + 1];	/* [path][first byte] */
	uint64_t	 wnext[CI_ANY];	/* base lists: second bytes, mod 64 */
	struct cilits	*lits;		/* per rule */
	size_t		 nrules;
	uint64_t	 bit[256];	/* a byte's bit in struct ciargs */
};

static int
fold(int c)
{
	return (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* bytes up to the first that fnmatch() may treat specially */
static size_t
glob_prefix(const char *g)
{
	size_t	i;

	for (i = 0; g[i] != '\0'; i++)
		if (strchr("*?[\\", g[i]) != NULL ||
		    (unsigned char)g[i] >= 0x80)
			break;
	return (i);
}

static void
lits_free(struct cilits *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->len);
	free(l->bytes);
	free(l->space);
	memset(l, 0, sizeof(*l));
}

/*
 * The literals of an args pattern; none (always try) when it has none
 * or one is not plain ASCII, whose case folding we would not know.
 */
static int
lits_build(struct cilits *l, const struct rule *r)
{
	size_t	i, k;

	memset(l, 0, sizeof(*l));
	if (r->re == NULL || r->pattern == NULL ||
	    !prefilter_literals(r->pattern, r->reflags, &l->v, &l->n, NULL))
		return (0);
	if ((l->len = calloc(l->n, sizeof(*l->len))) == NULL ||
	    (l->bytes = calloc(l->n, sizeof(*l->bytes))) == NULL ||
	    (l->space = calloc(l->n, sizeof(*l->space))) == NULL) {
		lits_free(l);
		return (-1);
	}
	for (i = 0; i < l->n; i++) {
		l->len[i] = strlen(l->v[i]);
		for (k = 0; k < l->len[i]; k++) {
			if ((unsigned char)l->v[i][k] >= 0x80 ||
			    (l->v[i][k] >= 'A' && l->v[i][k] <= 'Z'))
				break;
			l->bytes[i] |= 1ULL << (l->v[i][k] & 63);
			l->space[i] |= l->v[i][k] == ' ';
		}
		if (l->len[i] == 0 || k < l->len[i]) {
			lits_free(l);
			return (0);
		}
	}
	return (0);
}

void
cmdindex_free(struct cmdindex *ci)
{
	size_t	i;

	if (ci == NULL)
		return;
	if (ci->lits != NULL)
		for (i = 0; i < ci->nrules; i++)
			lits_free(&ci->lits[i]);
	free(ci->lits);
	free(ci->slot);
	free(ci->ent);
	free(ci->wild);
	free(ci);
}

static void
add_plain(struct cmdindex *ci, const char *glob, int path, uint32_t rule)
{
	struct cient	*e = &ci->ent[ci->nent];
	uint32_t	 h;
	size_t		 b;

	e->key = glob;
	e->len = strlen(glob);
	e->path = path;
	e->rule = rule;
	h = fnv1a(glob, e->len);
	b = h & ci->mask;
	while (ci->slot[b].ent != CI_NONE)
		b = (b + 1) & ci->mask;
	ci->slot[b].hash = h;
	ci->slot[b].ent = (uint32_t)ci->nent++;
	ci->npath += path;
}

/*
 * Kept from the rule filter this index replaces: a glob that starts
 * with a backslash (\d*) is only tried on names that start with the
 * first byte of one of the rule's globs, unless one of them starts
 * with * ? [ or holds a slash; so \d* alone matches nothing.
 */
static void
esc_first(struct ciwild *w, const struct rule *r)
{
	size_t		i;
	unsigned char	c;

	w->esc = 1;
	for (i = 0; i < r->nglobs; i++) {
		c = (unsigned char)r->globs[i][0];
		if (strchr("*?[", c) != NULL || (r->globflags[i] & GLOB_PATH))
			w->esc = 0;
		else
			w->first[c / 8] |= 1 << (c % 8);
	}
}

/* appended to its list: the lists stay in rule order */
static void
add_wild(struct cmdindex *ci, const struct rule *r, size_t k, uint32_t rule)
{
	struct ciwild	*w = &ci->wild[ci->nwild];
	const char	*glob = r->globs[k];
	int		 path = (r->globflags[k] & GLOB_PATH) != 0;
	uint32_t	*p;

	w->glob = glob;
	w->plen = glob_prefix(glob);
	w->rule = rule;
	w->next = CI_NONE;
	if (glob[0] == '\\' && !path)
		esc_first(w, r);
	if (w->plen > 0 && !path)
		ci->wnext[(unsigned char)glob[0]] |= w->plen > 1 ?
		    1ULL << ((unsigned char)glob[1] & 63) : ~0ULL;
	p = &ci->whead[path][w->plen > 0 ? (unsigned char)glob[0] : CI_ANY];
	while (*p != CI_NONE)
		p = &ci->wild[*p].next;
	*p = (uint32_t)ci->nwild++;
}

struct cmdindex *
cmdindex_build(struct rule **rules, size_t n)
{
	struct cmdindex	*ci;
	size_t		 i, k, nglobs = 0, nb = 16;
	int		 path;

	for (i = 0; i < n; i++)
		nglobs += rules[i]->nglobs;
	while (nb < nglobs * 4)		/* mostly empty: a miss costs a load */
		nb *= 2;
	if ((ci = calloc(1, sizeof(*ci))) == NULL)
		return (NULL);
	if ((ci->slot = calloc(nb, sizeof(*ci->slot))) == NULL ||
	    (ci->ent = calloc(nglobs + 1, sizeof(*ci->ent))) == NULL ||
	    (ci->wild = calloc(nglobs + 1, sizeof(*ci->wild))) == NULL ||
	    (ci->lits = calloc(n + 1, sizeof(*ci->lits))) == NULL) {
		cmdindex_free(ci);
		return (NULL);
	}
	ci->nrules = n;
	for (i = 0; i < 256; i++)
		ci->bit[i] = 1ULL << (fold((int)i) & 63);
	memset(ci->slot, 0xff, nb * sizeof(*ci->slot));
	memset(ci->whead, 0xff, sizeof(ci->whead));
	ci->mask = nb - 1;
	for (i = 0; i < n; i++) {
		if (lits_build(&ci->lits[i], rules[i]) == -1) {
			cmdindex_free(ci);
			return (NULL);
		}
		for (k = 0; k < rules[i]->nglobs; k++) {
			path = (rules[i]->globflags[k] & GLOB_PATH) != 0;
			if (rules[i]->globflags[k] & GLOB_WILD)
				add_wild(ci, rules[i], k, (uint32_t)i);
			else
				add_plain(ci, rules[i]->globs[k], path,
				    (uint32_t)i);
		}
	}
	return (ci);
}

/* room cmdindex_lookup() may need */
size_t
cmdindex_max(const struct cmdindex *ci)
{
	return (ci->nent + ci->nwild + 1);
}

/* the same bytes as s, for n of them (none of them NUL) */
static inline int
same(const char *key, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (key[i] != s[i])
			return (0);
	return (1);
}

static inline size_t
find_plain(const struct cmdindex *ci, const struct ciname *nm, int path,
    uint32_t *out, size_t n)
{
	const struct cislot	*sl;
	const struct cient	*e;
	size_t			 b;

	for (b = nm->hash & ci->mask; (sl = &ci->slot[b])->ent != CI_NONE;
	    b = (b + 1) & ci->mask) {
		if (sl->hash != nm->hash)
			continue;
		e = &ci->ent[sl->ent];
		if (e->len == nm->len && e->path == path &&
		    same(e->key, nm->s, nm->len))
			out[n++] = e->rule;
	}
	return (n);
}

/* same() on the literal prefix: it holds no NUL, so stops at the name's end */
static size_t
find_wild(const struct cmdindex *ci, uint32_t j, const struct ciname *nm,
    uint32_t *out, size_t n)
{
	const struct ciwild	*w;
	unsigned char		 c = (unsigned char)nm->s[0];

	for (; j != CI_NONE; j = w->next) {
		w = &ci->wild[j];
		if (w->esc && !(w->first[c / 8] & (1 << (c % 8))))
			continue;
		if (same(w->glob, nm->s, w->plen) &&
		    fnmatch(w->glob, nm->s, 0) == 0)
			out[n++] = w->rule;
	}
	return (n);
}

/*
 * The name and its last component (sh_basename()) in one pass, field
 * by field (a copy of the whole struct stalls on the stores just made);
 * returns whether the name holds a slash.  full's hash is left to the
 * caller unless the last component is the whole name.
 */
static int
split_name(const char *argv0, struct ciname *full, struct ciname *base)
{
	const char	*p, *seg = argv0;
	uint32_t	 h = FNV_BASIS;
	int		 slash = 0;

	for (p = argv0; *p != '\0'; p++) {
		if (*p == '/') {
			slash = 1;
			seg = p + 1;
			h = FNV_BASIS;
		} else
			h = (h ^ (unsigned char)*p) * FNV_PRIME;
	}
	full->s = argv0;
	full->len = p - argv0;
	full->hash = h;
	if (slash && *seg == '\0') {
		seg = argv0;	/* a trailing slash: the whole name */
		h = fnv1a(argv0, full->len);
		full->hash = h;
	}
	base->s = seg;
	base->len = p - seg;
	base->hash = h;
	return (slash);
}

/*
 * The command rules with a glob that matches a command named argv0
 * (fnmatch(glob, name, 0), or the same bytes for a plain glob; name:
 * the last component, or argv0 for a glob with a slash), in rule order
 * without repeats, into out (room for cmdindex_max()).  Returns how
 * many.
 */
size_t
cmdindex_lookup(const struct cmdindex *ci, const char *argv0, uint32_t *out)
{
	struct ciname	 full, base;
	size_t		 n, i, j, k;
	uint32_t	 v, head;
	unsigned char	 c;

	n = 0;
	if (split_name(argv0, &full, &base) && ci->npath > 0) {
		full.hash = fnv1a(full.s, full.len);
		n = find_plain(ci, &full, 1, out, n);
	}
	n = find_plain(ci, &base, 0, out, n);
	/* the second byte rules out most names that share a first one */
	c = (unsigned char)base.s[0];
	if ((head = ci->whead[0][c]) != CI_NONE &&
	    (ci->wnext[c] & (1ULL << ((unsigned char)base.s[1] & 63))))
		n = find_wild(ci, head, &base, out, n);
	if ((head = ci->whead[0][CI_ANY]) != CI_NONE)
		n = find_wild(ci, head, &base, out, n);
	if ((head = ci->whead[1][(unsigned char)full.s[0]]) != CI_NONE)
		n = find_wild(ci, head, &full, out, n);
	if ((head = ci->whead[1][CI_ANY]) != CI_NONE)
		n = find_wild(ci, head, &full, out, n);
	if (n < 2)
		return (n);
	/* few: insertion sort, then drop repeats */
	for (i = 1; i < n; i++) {
		v = out[i];
		for (j = i; j > 0 && out[j - 1] > v; j--)
			out[j] = out[j - 1];
		out[j] = v;
	}
	for (i = 1, k = 1; i < n; i++)
		if (out[i] != out[k - 1])
			out[k++] = out[i];
	return (k);
}

/* which bytes the words hold, spaces between them included */
static uint64_t
args_bytes(const struct cmdindex *ci, char *const *argv, int argc)
{
	const char	*p;
	uint64_t	 m = 0;
	int		 i;

	for (i = 0; i < argc; i++)
		for (p = argv[i]; *p != '\0'; p++)
			m |= ci->bit[(unsigned char)*p];
	if (argc > 1)
		m |= ci->bit[' '];
	return (m);
}

/* lit (lower case, no space) in the word, in any case */
static int
word_has(const char *w, const char *lit, size_t n)
{
	size_t	k;
	int	c0 = lit[0], c1 = lit[0];

	if (c0 >= 'a' && c0 <= 'z')
		c1 = c0 - ('a' - 'A');
	for (; *w != '\0'; w++) {
		if (*w != c0 && *w != c1)
			continue;
		/* fold('\0') is no byte of lit: stops at the word's end */
		for (k = 1; k < n; k++)
			if (fold((unsigned char)w[k]) != lit[k])
				break;
		if (k == n)
			return (1);
	}
	return (0);
}

/* literal k in the words joined by spaces; 1 when it holds a space */
static int
args_have(const struct ciargs *a, const struct cilits *l, size_t k)
{
	int	i;

	if (l->space[k])
		return (1);
	for (i = 0; i < a->argc; i++)
		if (word_has(a->argv[i], l->v[k], l->len[k]))
			return (1);
	return (0);
}

/*
 * Can the args pattern of command rule i match these arguments, joined
 * by spaces?  0 only when none of its literals is there, in any case.
 */
int
cmdindex_args(const struct cmdindex *ci, uint32_t i, struct ciargs *a)
{
	const struct cilits	*l = &ci->lits[i];
	size_t			 k;

	if (l->n == 0)
		return (1);
	if (!a->known) {
		a->bytes = args_bytes(ci, a->argv, a->argc);
		a->known = 1;
	}
	for (k = 0; k < l->n; k++)
		if ((l->bytes[k] & ~a->bytes) == 0 &&
		    args_have(a, l, k))
			return (1);
	return (0);
}

/*
 * dlp_secret.c - proxyd's own secret values, always redacted: the raw
 * value and the forms it takes on the wire (base64 standard and
 * url-safe, padded or not, and the part of it that stays the same
 * inside longer base64 text at any alignment; URL-encoded with upper-
 * or lower-case hex and '+' for blanks; JSON-escaped; hex in either
 * case), looked for in the text and in its decoded view (below), which
 * undoes \u, \x, % and HTML escapes wherever they are, even on part
 * of a value, and joins strings and wrapped lines.  Every form is a
 * literal of one vectorscan (Hyperscan) database, so each of the two
 * passes is one hs_scan() call.  Every copy is wiped when freed: the
 * forms here, and the database and its scratch through the allocator
 * that dlp_hs_allocator() gives vectorscan (the compiler's own
 * temporaries are freed by vectorscan without being wiped).
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dlp_int.h"

#define CORE_MIN	12	/* value length for embedded base64 forms */
#define PLAIN_BITS	16	/* the plain matcher's filter: 8 KiB */
#define PLAIN_WORDS	((1U << PLAIN_BITS) / 64)

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct sbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

static int
sb_put(struct sbuf *b, const char *p, size_t n)
{
	char	*ns;
	size_t	 ncap;

	if (b->len + n + 1 > b->cap) {
		ncap = (b->len + n + 1) * 2;
		if ((ns = malloc(ncap)) == NULL)
			return (-1);
		if (b->s != NULL) {
			memcpy(ns, b->s, b->len);
			freezero(b->s, b->cap);
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return (0);
}

static void
sb_wipe(struct sbuf *b)
{
	if (b->s != NULL)
		freezero(b->s, b->cap);
	memset(b, 0, sizeof(*b));
}

static int
b64(struct sbuf *b, const unsigned char *v, size_t n, const char *abc,
    int pad)
{
	char	q[4];
	size_t	i;
	uint32_t w;

	for (i = 0; i + 3 <= n; i += 3) {
		w = (uint32_t)v[i] << 16 | (uint32_t)v[i + 1] << 8 | v[i + 2];
		q[0] = abc[w >> 18];
		q[1] = abc[(w >> 12) & 63];
		q[2] = abc[(w >> 6) & 63];
		q[3] = abc[w & 63];
		if (sb_put(b, q, 4) == -1)
			return (-1);
	}
	if (i < n) {
		w = (uint32_t)v[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)v[i + 1] << 8;
		q[0] = abc[w >> 18];
		q[1] = abc[(w >> 12) & 63];
		q[2] = i + 1 < n ? abc[(w >> 6) & 63] : '=';
		q[3] = '=';
		if (sb_put(b, q, pad ? 4 : (i + 1 < n ? 3 : 2)) == -1)
			return (-1);
	}
	explicit_bzero(&w, sizeof(w));
	explicit_bzero(q, sizeof(q));
	return (0);
}

static int
urlenc(struct sbuf *b, const unsigned char *v, size_t n, const char *hex,
    int plus)
{
	char	q[3];
	size_t	i;

	for (i = 0; i < n; i++) {
		if (DLP_IS(v[i], DLP_C_ALNUM) || v[i] == '-' || v[i] == '.' ||
		    v[i] == '_' || v[i] == '~') {
			if (sb_put(b, (const char *)v + i, 1) == -1)
				return (-1);
		} else if (plus && v[i] == ' ') {
			if (sb_put(b, "+", 1) == -1)
				return (-1);
		} else {
			q[0] = '%';
			q[1] = hex[v[i] >> 4];
			q[2] = hex[v[i] & 15];
			if (sb_put(b, q, 3) == -1)
				return (-1);
		}
	}
	return (0);
}

static int
jsonesc(struct sbuf *b, const unsigned char *v, size_t n, int slash)
{
	static const char hex[] = "0123456789abcdef";
	char	q[6];
	size_t	i;
	int	r = 0;

	for (i = 0; i < n && r == 0; i++) {
		if (v[i] == '"' || v[i] == '\\' || (slash && v[i] == '/')) {
			q[0] = '\\';
			q[1] = v[i];
			r = sb_put(b, q, 2);
		} else if (v[i] == '\n')
			r = sb_put(b, "\\n", 2);
		else if (v[i] == '\t')
			r = sb_put(b, "\\t", 2);
		else if (v[i] == '\r')
			r = sb_put(b, "\\r", 2);
		else if (v[i] < 0x20) {
			memcpy(q, "\\u00", 4);
			q[4] = hex[v[i] >> 4];
			q[5] = hex[v[i] & 15];
			r = sb_put(b, q, 6);
		} else
			r = sb_put(b, (const char *)v + i, 1);
	}
	return (r);
}

static int
hexenc(struct sbuf *b, const unsigned char *v, size_t n, const char *hex)
{
	char	q[2];
	size_t	i;

	for (i = 0; i < n; i++) {
		q[0] = hex[v[i] >> 4];
		q[1] = hex[v[i] & 15];
		if (sb_put(b, q, 2) == -1)
			return (-1);
	}
	explicit_bzero(q, sizeof(q));
	return (0);
}

/* Add a copy of p[0, n) as a form of secret idx, unless known. */
static int
form_add(struct dlp_secrets *ss, size_t idx, const char *p, size_t n)
{
	struct dlp_form	*f;
	size_t		 i;

	if (n < 4)
		return (0);
	for (i = 0; i < ss->nforms; i++)
		if (ss->forms[i].len == n && memcmp(ss->forms[i].s, p, n) == 0)
			return (0);
	f = reallocarray(ss->forms, ss->nforms + 1, sizeof(*f));
	if (f == NULL)
		return (-1);
	ss->forms = f;
	f = &ss->forms[ss->nforms];
	if ((f->s = malloc(n)) == NULL)
		return (-1);
	memcpy(f->s, p, n);
	f->len = n;
	f->secret = idx;
	ss->nforms++;
	ss->built = 0;
	return (0);
}

/* The base64 characters that depend only on the value, at offset k. */
static int
b64_core(struct dlp_secrets *ss, size_t idx, const unsigned char *v,
    size_t n, size_t k, const char *abc)
{
	struct sbuf	 in = { 0 }, out = { 0 };
	static const unsigned char zero[2];
	size_t		 js, je;
	int		 r = -1;

	if (sb_put(&in, (const char *)zero, k) == -1 ||
	    sb_put(&in, (const char *)v, n) == -1 ||
	    b64(&out, (unsigned char *)in.s, in.len, abc, 0) == -1)
		goto done;
	js = (8 * k + 5) / 6;
	je = (8 * (k + n)) / 6;
	r = je > js ? form_add(ss, idx, out.s + js, je - js) : 0;
 done:
	sb_wipe(&in);
	sb_wipe(&out);
	return (r);
}

static int
forms_encoded(struct dlp_secrets *ss, size_t idx, const unsigned char *v,
    size_t n)
{
	static const char *const abcs[] = { b64std, b64url };
	struct sbuf	 b = { 0 };
	size_t		 a, k;
	int		 pad, r = -1;

	for (a = 0; a < 2; a++) {
		for (pad = 0; pad < 2; pad++) {
			b.len = 0;
			if (b64(&b, v, n, abcs[a], pad) == -1 ||
			    form_add(ss, idx, b.s, b.len) == -1)
				goto done;
		}
		for (k = 0; n >= CORE_MIN && k < 3; k++)
			if (b64_core(ss, idx, v, n, k, abcs[a]) == -1)
				goto done;
	}
	for (a = 0; a < 3; a++) {
		b.len = 0;
		if (urlenc(&b, v, n, a == 1 ? "0123456789abcdef" :
		    "0123456789ABCDEF", a == 2) == -1 ||
		    form_add(ss, idx, b.s, b.len) == -1)
			goto done;
	}
	for (a = 0; a < 2; a++) {
		b.len = 0;
		if (jsonesc(&b, v, n, a) == -1 ||
		    form_add(ss, idx, b.s, b.len) == -1)
			goto done;
	}
	/* hex, either case, as text or as in a hex dump ("de ad") */
	for (a = 0; a < 2; a++) {
		b.len = 0;
		if (hexenc(&b, v, n, a ? "0123456789ABCDEF" :
		    "0123456789abcdef") == -1 ||
		    form_add(ss, idx, b.s, b.len) == -1)
			goto done;
	}
	r = 0;
 done:
	sb_wipe(&b);
	return (r);
}

int
dlp_secret_add(struct dlp_secrets *ss, const char *name, const void *value,
    size_t len)
{
	char	(*nn)[DLP_NAME_MAX];
	size_t	idx;

	if (value == NULL || len < DLP_SECRET_MIN) {
		errno = EINVAL;
		return (-1);
	}
	nn = reallocarray(ss->names, ss->nnames + 1, sizeof(*nn));
	if (nn == NULL)
		return (-1);
	ss->names = nn;
	idx = ss->nnames;
	if (dlp_make_label(ss->names[idx], DLP_NAME_MAX, name) == -1) {
		errno = EINVAL;
		return (-1);
	}
	ss->nnames++;
	if (form_add(ss, idx, value, len) == -1 ||
	    forms_encoded(ss, idx, value, len) == -1)
		return (-1);
	return (0);
}

/*
 * vectorscan's memory (databases, scratch) comes from here: the size
 * is kept in front of the block so that it is wiped when freed.  Set
 * once, by dlp_new(), before any database exists.
 */
#define HSA_HDR	16	/* keeps malloc's 16-byte alignment */

static void *
hsa_alloc(size_t n)
{
	char	*p;

	if (n > SIZE_MAX - HSA_HDR || (p = malloc(n + HSA_HDR)) == NULL)
		return (NULL);
	memcpy(p, &n, sizeof(n));
	return (p + HSA_HDR);
}

static void
hsa_free(void *q)
{
	char	*p;
	size_t	 n;

	if (q == NULL)
		return;
	p = (char *)q - HSA_HDR;
	memcpy(&n, p, sizeof(n));
	freezero(p, n + HSA_HDR);
}

void
dlp_hs_allocator(void)
{
	static int	done;

	if (!done && hs_set_allocator(hsa_alloc, hsa_free) == HS_SUCCESS)
		done = 1;
}

static void
secret_unbuild(struct dlp_secrets *ss)
{
	if (ss->scratch != NULL)
		hs_free_scratch(ss->scratch);
	if (ss->db != NULL)
		hs_free_database(ss->db);
	ss->scratch = ss->db = NULL;
	if (ss->pbits != NULL)
		freezero(ss->pbits, PLAIN_WORDS * sizeof(*ss->pbits));
	ss->pbits = NULL;
	ss->built = 0;
}

/*
 * The plain matcher (dlp_new_secrets: the log scrubber), without a
 * vectorscan database, so that it is ready at once and costs neither
 * a compile nor a database's memory: a 2^PLAIN_BITS-bit filter of the
 * forms' first four bytes (every form has at least four), hashed.  A
 * text position whose four bytes miss the filter starts no form; one
 * that hits it (about one in a thousand of text that holds no form,
 * with a hundred forms) is compared with every form.  Every form found
 * at every position, as the database reports them.
 */
static uint32_t
load4(const char *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return (v);
}

static unsigned int
plain_hash(uint32_t v)
{
	return ((v * 2654435761U) >> (32 - PLAIN_BITS));
}

static int
plain_build(struct dlp_secrets *ss)
{
	unsigned int	h;
	size_t		i;

	if ((ss->pbits = calloc(PLAIN_WORDS, sizeof(*ss->pbits))) == NULL)
		return (-1);
	for (i = 0; i < ss->nforms; i++) {
		h = plain_hash(load4(ss->forms[i].s));
		ss->pbits[h / 64] |= 1ULL << (h % 64);
	}
	return (0);
}

/*
 * n literals, the i-th lit(arg, i, &len), in one vectorscan block-mode
 * database (case folded if caseless) with its scratch, in *db and
 * *scratch; a literal's id is its index.  On failure what was made is
 * left in *db and *scratch for the caller to free.
 */
int
dlp_hs_literals(size_t n, const char *(*lit)(void *, size_t, size_t *),
    void *arg, int caseless, void **db, void **scratch)
{
	hs_compile_error_t	*cerr = NULL;
	const char		**lits = NULL;
	unsigned int		*flags = NULL, *ids = NULL;
	size_t			*lens = NULL, i;
	int			 rv = -1;

	if (n > UINT_MAX ||
	    (lits = calloc(n, sizeof(*lits))) == NULL ||
	    (flags = calloc(n, sizeof(*flags))) == NULL ||
	    (ids = calloc(n, sizeof(*ids))) == NULL ||
	    (lens = calloc(n, sizeof(*lens))) == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		lits[i] = lit(arg, i, &lens[i]);
		flags[i] = caseless ? HS_FLAG_CASELESS : 0;
		ids[i] = i;
	}
	/* at start-up in a child process (dlp_hschild.c), else here */
	if ((!dlp_hs_isolated() || dlp_hs_compile_child(lits, flags, ids,
	    lens, (unsigned int)n, db) == -1) &&
	    hs_compile_lit_multi(lits, flags, ids, lens, n, HS_MODE_BLOCK,
	    NULL, (hs_database_t **)db, &cerr) != HS_SUCCESS) {
		if (cerr != NULL)
			hs_free_compile_error(cerr);
		*db = NULL;
		goto done;
	}
	if (hs_alloc_scratch(*db, (hs_scratch_t **)scratch) == HS_SUCCESS)
		rv = 0;
 done:
	free(lits);
	free(flags);
	free(ids);
	free(lens);
	return (rv);
}

static const char *
form_lit(void *arg, size_t i, size_t *len)
{
	struct dlp_secrets	*ss = arg;

	*len = ss->forms[i].len;
	return (ss->forms[i].s);
}

/*
 * Every form as a literal of one database; the form's index is its id.
 * Plain: the filter of the forms' first bytes instead.
 */
int
dlp_secret_build(struct dlp_secrets *ss)
{
	secret_unbuild(ss);
	if (ss->plain) {
		if (plain_build(ss) == -1)
			return (-1);
		ss->built = 1;
		return (0);
	}
	if (ss->nforms > 0 && dlp_hs_literals(ss->nforms, form_lit, ss, 0,
	    &ss->db, &ss->scratch) == -1) {
		secret_unbuild(ss);
		return (-1);
	}
	ss->built = 1;
	return (0);
}

/*
 * The decoded view of a text: \uXXXX, \xXX, \/ and the like, %XX,
 * HTML character references (&#NN; &#xNN; &amp; ...) decoded; line
 * breaks (real or escaped as \n, \r, \t) and the indentation after
 * them dropped, and strings joined where one ends and the next begins
 * ("abc" + "def", "abc",\n"def").  Every secret form is looked for in
 * it too, so that a secret encoded in part, in another encoding than
 * its forms, or split by a JSON string boundary or a line wrap in a
 * PEM or base64 block is still found.  segs maps view offsets back to
 * the text: from seg k's v on, view bytes come from the text at s on,
 * one for one if id, else all from [s, next seg's s).
 */
struct vseg {
	size_t	v;
	size_t	s;
	int	id;
};

struct view {
	char		*b;
	size_t		 n, cap;	/* used, allocated */
	struct vseg	*seg;
	size_t		 nseg, segcap;
	int		 nomem;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

static void
view_seg(struct view *w, size_t s, int id)
{
	struct vseg	*ns;
	size_t		 ncap;

	if (w->nseg > 0 && w->seg[w->nseg - 1].v == w->n) {
		w->seg[w->nseg - 1].s = s;	/* nothing came out of the last */
		w->seg[w->nseg - 1].id = id;
		return;
	}
	if (w->nseg == w->segcap) {
		ncap = w->segcap ? w->segcap * 2 : 256;
		if ((ns = reallocarray(w->seg, ncap, sizeof(*ns))) == NULL) {
			w->nomem = 1;
			return;
		}
		w->seg = ns;
		w->segcap = ncap;
	}
	w->seg[w->nseg].v = w->n;
	w->seg[w->nseg].s = s;
	w->seg[w->nseg].id = id;
	w->nseg++;
}

static void
view_put(struct view *w, const unsigned char *c, size_t k)
{
	memcpy(w->b + w->n, c, k);
	w->n += k;
}

/* UTF-8 of code point cp into o; its length (0 for surrogates). */
static size_t
utf8(unsigned long cp, unsigned char *o)
{
	if (cp < 0x80) {
		o[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return (0);
	if (cp < 0x10000) {
		o[0] = 0xe0 | cp >> 12;
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	if (cp > 0x10ffff)
		return (0);
	o[0] = 0xf0 | cp >> 18;
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return (4);
}

static int
blank(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

/*
 * After an escaped quote at e: blanks, escaped line breaks, maybe '+'
 * or ',', more of them and another escaped quote (two JSON-escaped
 * strings in a row, \"abc\" + \"def\"): where that ends, else 0.
 */
static size_t
join_escaped(const char *p, size_t len, size_t e)
{
	int	sep = 0;

	for (;;) {
		if (e < len && blank(p[e]))
			e++;
		else if (e + 1 < len && p[e] == '\\' && (p[e + 1] == 'n' ||
		    p[e + 1] == 'r' || p[e + 1] == 't'))
			e += 2;
		else if (e < len && !sep && (p[e] == '+' || p[e] == ',')) {
			sep = 1;
			e++;
		} else
			break;
	}
	if (e + 1 < len && p[e] == '\\' && p[e + 1] == '"')
		return (e + 2);
	return (0);
}

/*
 * The sequence at p[i]: its decoded bytes in o (count in *k, 0 when
 * dropped) and its length, or 0 when it is an ordinary byte.
 */
static size_t
decode_at(const char *p, size_t len, size_t i, unsigned char *o, size_t *k)
{
	static const struct { const char *n; char c; } ent[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' }, { "&sol;", '/' },
		{ "&plus;", '+' }, { "&equals;", '=' }
	};
	unsigned long	cp;
	size_t		j, e;
	int		h0, h1;
	char		c = p[i];

	*k = 0;
	switch (c) {
	case '\\':
		if (i + 1 >= len)
			return (0);
		c = p[i + 1];
		if (c == 'u' && i + 6 <= len) {
			for (cp = 0, j = i + 2; j < i + 6; j++) {
				if ((h0 = hexval((unsigned char)p[j])) == -1)
					return (0);
				cp = cp << 4 | h0;
			}
			if ((*k = utf8(cp, o)) == 0)
				return (0);
			return (6);
		}
		if (c == 'x' && i + 4 <= len &&
		    (h0 = hexval((unsigned char)p[i + 2])) != -1 &&
		    (h1 = hexval((unsigned char)p[i + 3])) != -1) {
			o[0] = h0 << 4 | h1;
			*k = 1;
			return (4);
		}
		if (c == 'n' || c == 'r' || c == 't') {
			for (e = i + 2; e + 1 < len && p[e] == '\\' &&
			    (p[e + 1] == 'n' || p[e + 1] == 'r' ||
			    p[e + 1] == 't'); e += 2)
				;
			while (e < len && (p[e] == ' ' || p[e] == '\t'))
				e++;
			return (e - i);
		}
		if (c == '"' && (e = join_escaped(p, len, i + 2)) != 0)
			return (e - i);
		if (c == '/' || c == '"' || c == '\'' || c == '\\') {
			o[0] = c;
			*k = 1;
			return (2);
		}
		return (0);
	case '%':
		if (i + 3 <= len &&
		    (h0 = hexval((unsigned char)p[i + 1])) != -1 &&
		    (h1 = hexval((unsigned char)p[i + 2])) != -1) {
			o[0] = h0 << 4 | h1;
			*k = 1;
			return (3);
		}
		return (0);
	case '&':
		if (i + 3 < len && p[i + 1] == '#') {
			int hex = p[i + 2] == 'x' || p[i + 2] == 'X';

			for (cp = 0, j = i + 2 + hex; j < len && j < i + 12;
			    j++) {
				h0 = hexval((unsigned char)p[j]);
				if (h0 == -1 || (!hex && h0 > 9))
					break;
				cp = cp * (hex ? 16 : 10) + h0;
			}
			if (j == i + 2 + hex || j >= len || p[j] != ';' ||
			    (*k = utf8(cp, o)) == 0)
				return (0);
			return (j + 1 - i);
		}
		for (j = 0; j < sizeof(ent) / sizeof(ent[0]); j++) {
			e = strlen(ent[j].n);
			if (i + e <= len && memcmp(p + i, ent[j].n, e) == 0) {
				o[0] = ent[j].c;
				*k = 1;
				return (e);
			}
		}
		return (0);
	case '\n':
	case '\r':
		for (e = i + 1; e < len && (p[e] == ' ' || p[e] == '\t' ||
		    p[e] == '\n' || p[e] == '\r'); e++)
			;
		return (e - i);
	case '"':
	case '\'':
		/* "abc" + "def", "abc",\n"def", "abc" "def" */
		for (e = i + 1; e < len && (p[e] == ' ' || p[e] == '\t' ||
		    p[e] == '\n' || p[e] == '\r'); e++)
			;
		if (e < len && (p[e] == '+' || p[e] == ',' || p[e] == '.'))
			for (e++; e < len && (p[e] == ' ' || p[e] == '\t' ||
			    p[e] == '\n' || p[e] == '\r'); e++)
				;
		/* escaped line breaks between two JSON-escaped strings */
		while (e + 1 < len && p[e] == '\\' && (p[e + 1] == 'n' ||
		    p[e + 1] == 'r' || p[e + 1] == 't'))
			e += 2;
		if (e < len && e > i + 1 && p[e] == c)
			return (e + 1 - i);
		if (e + 1 < len && p[e] == '\\' && p[e + 1] == c &&
		    e > i + 1)
			return (e + 2 - i);
		return (0);
	default:
		return (0);
	}
}

static const uint8_t special[256] = {
	['\\'] = 1, ['%'] = 1, ['&'] = 1, ['\n'] = 1, ['\r'] = 1,
	['"'] = 1, ['\''] = 1,
};

/*
 * The first byte at or after i that may start a sequence: 16 bytes at
 * a time with SSE2 (most text has a quote or an escape only every few
 * dozen bytes), then one table lookup a byte.
 */
static size_t
next_special(const char *p, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i	 bs = _mm_set1_epi8('\\'), pc = _mm_set1_epi8('%'),
			 am = _mm_set1_epi8('&'), nl = _mm_set1_epi8('\n'),
			 cr = _mm_set1_epi8('\r'), dq = _mm_set1_epi8('"'),
			 sq = _mm_set1_epi8('\'');
	__m128i		 x, m;
	unsigned int	 bits;

	for (; i + 16 <= len; i += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		m = _mm_or_si128(
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, bs),
		    _mm_cmpeq_epi8(x, pc)), _mm_or_si128(_mm_cmpeq_epi8(x, am),
		    _mm_cmpeq_epi8(x, nl))), _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, dq)),
		    _mm_cmpeq_epi8(x, sq)));
		if ((bits = (unsigned int)_mm_movemask_epi8(m)) != 0)
			return (i + (size_t)__builtin_ctz(bits));
	}
#endif
	while (i < len && !special[(unsigned char)p[i]])
		i++;
	return (i);
}

static int
view_build(struct view *w, const char *p, size_t len)
{
	unsigned char	o[4];
	size_t		i, l, k, run = 0;
	int		edits = 0;

	w->n = 0;
	w->nseg = 0;
	w->nomem = 0;
	if (w->cap < len + 1) {
		char	*nb;

		if ((nb = malloc(len + 1)) == NULL)
			return (-1);
		if (w->b != NULL)
			freezero(w->b, w->cap);
		w->b = nb;
		w->cap = len + 1;
	}
	view_seg(w, 0, 1);
	for (i = 0; i < len && !w->nomem; ) {
		/* most bytes start nothing */
		l = next_special(p, i, len);
		run += l - i;
		if ((i = l) == len)
			break;
		if ((l = decode_at(p, len, i, o, &k)) == 0) {
			i++;
			run++;
			continue;
		}
		if (run > 0) {
			view_put(w, (const unsigned char *)p + i - run, run);
			run = 0;
		}
		view_seg(w, i, 0);
		view_put(w, o, k);
		i += l;
		view_seg(w, i, 1);
		edits++;
	}
	if (run > 0)
		view_put(w, (const unsigned char *)p + len - run, run);
	if (w->nomem || edits == 0) {
		explicit_bzero(w->b, w->n);
		return (w->nomem ? -1 : 0);
	}
	return (edits);
}

/* The segment holding view offset v. */
static const struct vseg *
view_find(const struct view *w, size_t v)
{
	size_t	lo = 0, hi = w->nseg, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (w->seg[mid].v <= v)
			lo = mid;
		else
			hi = mid;
	}
	return (&w->seg[lo]);
}

static void
view_map(const struct view *w, size_t len, size_t vs, size_t ve,
    size_t *so, size_t *eo)
{
	const struct vseg	*a = view_find(w, vs), *b = view_find(w, ve - 1);

	*so = a->id ? a->s + (vs - a->v) : a->s;
	if (b->id)
		*eo = b->s + (ve - 1 - b->v) + 1;
	else
		*eo = b + 1 < w->seg + w->nseg ? b[1].s : len;
}

struct fctx {
	struct dlp		*d;
	size_t			 base;	/* where the scan began */
	size_t			 start;
	const struct view	*w;	/* mapping back, or NULL */
	size_t			 plen;	/* the text's length */
};

static int
form_found(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct fctx		*c = arg;
	struct dlp_secrets	*ss = &c->d->secrets;
	const struct dlp_form	*f = &ss->forms[id];
	size_t			 so, eo;

	eo = c->base + to;
	so = eo - f->len;
	if (c->w != NULL)
		view_map(c->w, c->plen, so, eo, &so, &eo);
	if (eo <= c->start)
		return (0);
	if (so < c->start)
		so = c->start;
	dlp_add_match(c->d, so, eo, ss->names[f->secret], DLP_P_SECRET);
	return (0);
}

/* Every form in p[0, n) without a database: form_found() for each. */
static void
plain_scan(struct fctx *c, const char *p, size_t n)
{
	const struct dlp_secrets *ss = &c->d->secrets;
	const uint64_t		*bits = ss->pbits;
	const struct dlp_form	*f;
	unsigned int		 h;
	uint32_t		 v;
	size_t			 i, k;

	for (i = 0; i + 4 <= n; i++) {
		v = load4(p + i);
		h = plain_hash(v);
		if ((bits[h / 64] & (1ULL << (h % 64))) == 0)
			continue;
		for (k = 0; k < ss->nforms; k++) {
			f = &ss->forms[k];
			if (f->len <= n - i && load4(f->s) == v &&
			    memcmp(p + i, f->s, f->len) == 0)
				(void)form_found((unsigned int)k, i,
				    i + f->len, 0, c);
		}
	}
}

/* One pass over p[from, len) for every form at once. */
static void
forms_scan(struct dlp *d, const char *p, size_t len, size_t from,
    size_t start, const struct view *w, size_t plen)
{
	struct fctx	c;

	if (len <= from || len - from < 4)
		return;
	c.d = d;
	c.base = from;
	c.start = start;
	c.w = w;
	c.plen = plen;
	if (d->secrets.plain) {
		if (d->secrets.pbits == NULL)
			d->nomem = 1;	/* not built: fail closed */
		else
			plain_scan(&c, p + from, len - from);
		return;
	}
	if (len - from > UINT_MAX || hs_scan(d->secrets.db, p + from,
	    len - from, 0, d->secrets.scratch, form_found, &c) != HS_SUCCESS)
		d->nomem = 1;	/* fail closed: nothing goes out unscanned */
}

/*
 * The view's buffers are kept between calls (a fresh megabyte each time
 * costs page faults); what a call put there is wiped before it returns.
 */
void
dlp_secret_scan(struct dlp *d, const char *p, size_t len, size_t start)
{
	struct view	*w;

	if (d->secrets.nforms == 0 || len < 4)
		return;
	if (!d->secrets.built && dlp_secret_build(&d->secrets) == -1) {
		d->nomem = 1;
		return;
	}
	forms_scan(d, p, len, start, start, NULL, len);
	if (d->view == NULL && (d->view = calloc(1, sizeof(*w))) == NULL) {
		d->nomem = 1;
		return;
	}
	w = d->view;
	switch (view_build(w, p, len)) {
	case -1:
		d->nomem = 1;
		return;
	case 0:
		return;
	}
	forms_scan(d, w->b, w->n, 0, start, w, len);
	explicit_bzero(w->b, w->n);
}

void
dlp_secret_view_free(struct dlp *d)
{
	struct view	*w = d->view;

	if (w == NULL)
		return;
	if (w->b != NULL)
		freezero(w->b, w->cap);
	free(w->seg);
	free(w);
	d->view = NULL;
}

void
dlp_secret_free(struct dlp_secrets *ss)
{
	size_t	i;

	for (i = 0; i < ss->nforms; i++)
		freezero(ss->forms[i].s, ss->forms[i].len);
	free(ss->forms);
	if (ss->names != NULL)
		freezero(ss->names, ss->nnames * sizeof(*ss->names));
	secret_unbuild(ss);
	memset(ss, 0, sizeof(*ss));
}

/*
 * dlp_secret.c - proxyd's own secret values, always redacted: the raw
 * value and the forms it takes on the wire (base64 standard and
 * url-safe, padded or not, and the part of it that stays the same
 * inside longer base64 text at any alignment; URL-encoded with upper-
 * or lower-case hex and '+' for blanks; JSON-escaped).  A bloom filter
 * on the first four bytes of every form keeps the pass over the text
 * at a table lookup per byte.  Every copy is wiped when freed.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlp_int.h"

#define CORE_MIN	12	/* value length for embedded base64 forms */

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

static uint32_t
head32(const char *p)
{
	uint32_t	x;

	memcpy(&x, p, sizeof(x));
	return (x);
}

static size_t
bloom_bit(uint32_t x)
{
	return ((x * 2654435761U) >> 16);
}

/* Add a copy of p[0, n) as a form of secret idx, unless known. */
static int
form_add(struct dlp_secrets *ss, size_t idx, const char *p, size_t n)
{
	struct dlp_form	*f;
	size_t		 i;
	uint32_t	 h;

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
	f->head = h = head32(p);
	f->secret = idx;
	ss->nforms++;
	ss->bloom[bloom_bit(h) / 64] |= 1ULL << (bloom_bit(h) % 64);
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
	if (ss->bloom == NULL &&
	    (ss->bloom = calloc(DLP_BLOOM_BITS / 64, sizeof(uint64_t))) == NULL)
		return (-1);
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

void
dlp_secret_scan(struct dlp *d, const char *p, size_t len, size_t start)
{
	struct dlp_secrets	*ss = &d->secrets;
	const uint64_t		*bloom = ss->bloom;
	const struct dlp_form	*f;
	size_t			 i, j, b;
	uint32_t		 x;

	if (ss->nforms == 0 || len < 4)
		return;
	for (i = start; i + 4 <= len; i++) {
		x = head32(p + i);
		b = bloom_bit(x);
		if ((bloom[b / 64] & (1ULL << (b % 64))) == 0)
			continue;
		for (j = 0; j < ss->nforms; j++) {
			f = &ss->forms[j];
			if (f->head != x || f->len > len - i ||
			    memcmp(p + i, f->s, f->len) != 0)
				continue;
			dlp_add_match(d, i, i + f->len,
			    ss->names[f->secret], DLP_P_SECRET);
		}
	}
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
	free(ss->bloom);
	memset(ss, 0, sizeof(*ss));
}

/*
 * dlp_token.c - reversible tokenization (dlp tokenize): a map from
 * sensitive values to placeholders such as <EMAIL_1>, numbered per
 * label in the order the values were first seen, so that the same value
 * gets the same placeholder for as long as the map lives (one per
 * conversation, kept by proxyd's tokenize.c), and placeholders in a
 * model's answer can be turned back into the values.  Values are wiped
 * when the map is freed; nothing here logs.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp_int.h"

#define PH_MAX		(DLP_NAME_MAX + 16)

struct dlp_token {
	TAILQ_ENTRY(dlp_token)	 entry;
	char			 label[DLP_NAME_MAX];
	char			 ph[PH_MAX];	/* <LABEL_n> */
	char			*value;
	size_t			 len;
};

struct dlp_tokens {
	TAILQ_HEAD(, dlp_token)	 list;
	size_t			 n;
	size_t			 max;
};

struct dlp_tokens *
dlp_tokens_new(size_t max)
{
	struct dlp_tokens	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	TAILQ_INIT(&t->list);
	t->max = max;
	return (t);
}

void
dlp_tokens_free(struct dlp_tokens *t)
{
	struct dlp_token	*e;

	if (t == NULL)
		return;
	while ((e = TAILQ_FIRST(&t->list)) != NULL) {
		TAILQ_REMOVE(&t->list, e, entry);
		freezero(e->value, e->len);
		freezero(e, sizeof(*e));
	}
	free(t);
}

size_t
dlp_tokens_count(const struct dlp_tokens *t)
{
	return (t == NULL ? 0 : t->n);
}

/*
 * The placeholder of value under label, a new one if it is new; NULL
 * when the map is full (the caller redacts instead) or out of memory.
 */
const char *
dlp_tokens_put(struct dlp_tokens *t, const char *label, const char *v,
    size_t len)
{
	struct dlp_token	*e;
	size_t			 n = 1;

	TAILQ_FOREACH(e, &t->list, entry) {
		if (strcmp(e->label, label) != 0)
			continue;
		if (e->len == len && memcmp(e->value, v, len) == 0)
			return (e->ph);
		n++;
	}
	if (t->n >= t->max || (e = calloc(1, sizeof(*e))) == NULL)
		return (NULL);
	if ((e->value = malloc(len + 1)) == NULL) {
		free(e);
		return (NULL);
	}
	memcpy(e->value, v, len);
	e->value[len] = '\0';
	e->len = len;
	strlcpy(e->label, label, sizeof(e->label));
	snprintf(e->ph, sizeof(e->ph), "<%s_%zu>", label, n);
	TAILQ_INSERT_TAIL(&t->list, e, entry);
	t->n++;
	return (e->ph);
}

static const struct dlp_token *
lookup(const struct dlp_tokens *t, const char *ph)
{
	const struct dlp_token	*e;

	TAILQ_FOREACH(e, &t->list, entry)
		if (strcmp(e->ph, ph) == 0)
			return (e);
	return (NULL);
}

struct obuf {
	char	*s;
	size_t	 len, cap;
	int	 nomem;
};

static void
oput(struct obuf *b, const char *p, size_t n)
{
	char	*ns;
	size_t	 ncap;

	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = (b->len + n + 1) * 2;
		if ((ns = malloc(ncap)) == NULL) {
			b->nomem = 1;
			return;
		}
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
}

/* value as the inside of a JSON string */
static void
oput_json(struct obuf *b, const char *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char	 q[6];
	size_t	 i;

	for (i = 0; i < n; i++) {
		unsigned char c = v[i];

		if (c == '"' || c == '\\') {
			q[0] = '\\';
			q[1] = c;
			oput(b, q, 2);
		} else if (c < 0x20) {
			memcpy(q, "\\u00", 4);
			q[4] = hex[c >> 4];
			q[5] = hex[c & 15];
			oput(b, q, 6);
		} else
			oput(b, v + i, 1);
	}
}

/*
 * A placeholder at p[i]: "<LABEL_n>" or, in JSON text, its escaped
 * form "\u003cLABEL_n\u003e".  Its length and the plain form in ph.
 */
static size_t
placeholder_at(const char *p, size_t len, size_t i, char *ph)
{
	size_t	j, o = 0, open, close;
	int	digits = 0, us = 0;

	if (p[i] == '<')
		open = 1;
	else if (i + 6 <= len && strncasecmp(p + i, "\\u003c", 6) == 0)
		open = 6;
	else
		return (0);
	ph[o++] = '<';
	for (j = i + open; j < len && o < PH_MAX - 2; j++) {
		char c = p[j];

		if ((c >= 'A' && c <= 'Z') || c == '_') {
			if (digits)
				return (0);
			us = c == '_';
		} else if (c >= '0' && c <= '9') {
			if (us)
				digits = 1;
		} else
			break;
		ph[o++] = c;
	}
	if (!digits || j >= len)
		return (0);
	if (p[j] == '>')
		close = 1;
	else if (j + 6 <= len && strncasecmp(p + j, "\\u003e", 6) == 0)
		close = 6;
	else
		return (0);
	ph[o++] = '>';
	ph[o] = '\0';
	return (j + close - i);
}

/*
 * Put the values back in place of every placeholder of the map in
 * p[0, len); json: the text is JSON (a tool call's arguments), so the
 * values go in escaped.  Returns a new string (length in *outlen,
 * replacements in *nfound), or NULL with *nfound 0 when there was
 * nothing to restore, or NULL with *nfound -1 when out of memory.
 */
char *
dlp_tokens_restore(const struct dlp_tokens *t, const char *p, size_t len,
    int json, size_t *outlen, int *nfound)
{
	const struct dlp_token	*e;
	struct obuf		 b = { NULL, 0, 0, 0 };
	char			 ph[PH_MAX];
	size_t			 i, from = 0, l;

	*nfound = 0;
	if (t == NULL || t->n == 0)
		return (NULL);
	for (i = 0; i < len; i++) {
		if (p[i] != '<' && p[i] != '\\')
			continue;
		if ((l = placeholder_at(p, len, i, ph)) == 0 ||
		    (e = lookup(t, ph)) == NULL)
			continue;
		oput(&b, p + from, i - from);
		if (json)
			oput_json(&b, e->value, e->len);
		else
			oput(&b, e->value, e->len);
		(*nfound)++;
		i += l - 1;
		from = i + 1;
	}
	if (*nfound == 0)
		return (NULL);
	oput(&b, p + from, len - from);
	if (b.nomem) {
		if (b.s != NULL)
			freezero(b.s, b.cap);
		*nfound = -1;
		return (NULL);
	}
	*outlen = b.len;
	return (b.s);
}

void
dlp_set_tokens(struct dlp *d, struct dlp_tokens *t)
{
	d->tok = t;
}

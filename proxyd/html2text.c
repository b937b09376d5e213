/*
 * html2text.c - HTML to readable text for the model (fetch_page).
 *
 * One forgiving pass, no tree: text runs are copied with blanks
 * collapsed, tags only decide where lines break, which contents are
 * dropped and where a link's URL goes.  Malformed markup (unclosed
 * tags, quotes or comments, stray '<' and '&') degrades to text or is
 * dropped to the end of input, never read out of bounds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem, asprintf without -D_GNU_SOURCE */
#endif
#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dlp.h"
#include "html2text.h"

#define NAME_MAX_	16
#define URL_MAX		2048
#define ALT_MAX		256
#define MARKLEN		(sizeof(HTML2TEXT_MARK) - 1)

struct h2t {
	const char	*p;
	size_t		 len;
	char		*out;
	size_t		 olen;
	size_t		 ocap;
	size_t		 budget;	/* text bytes allowed before the mark */
	int		 truncated;
	int		 nomem;
	int		 pre;		/* <pre> depth */
	int		 head;		/* inside <head> */
	int		 nl;		/* newlines owed before the next text */
	int		 sp;		/* a blank owed */
	int		 tailnl;	/* newlines at the end of out */
	const char	*prefix;	/* "- " owed after the newlines */
	int		 cells;		/* cells so far in this table row */
	int		 in_a;
	size_t		 a_start;	/* out offset of the link text */
	char		 href[URL_MAX];
};

struct tagattr {
	char	name[NAME_MAX_];
	int	closing;
	char	href[URL_MAX];
	char	alt[ALT_MAX];
};

static int
grow(struct h2t *h, size_t n)
{
	char	*o;
	size_t	 ncap;

	if (h->olen + n + 1 <= h->ocap)
		return (0);
	ncap = h->ocap ? h->ocap : 4096;
	while (ncap < h->olen + n + 1)
		ncap *= 2;
	if ((o = realloc(h->out, ncap)) == NULL) {
		h->nomem = 1;
		return (-1);
	}
	h->out = o;
	h->ocap = ncap;
	return (0);
}

/* Append; what passes the budget is cut at a character boundary. */
static void
raw(struct h2t *h, const char *s, size_t n)
{
	if (h->truncated || h->nomem)
		return;
	if (h->budget != 0 && h->olen + n > h->budget) {
		h->truncated = 1;
		n = h->budget - h->olen;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (grow(h, n) == -1)
		return;
	memcpy(h->out + h->olen, s, n);
	h->olen += n;
}

/* Visible text: pay the owed newlines, blank and list prefix first. */
static void
visible(struct h2t *h, const char *s, size_t n)
{
	if (h->olen > 0) {
		while (h->nl > h->tailnl)
			raw(h, "\n", 1), h->tailnl++;
		if (h->nl == 0 && h->sp && h->tailnl == 0)
			raw(h, " ", 1);
	}
	h->nl = h->sp = 0;
	if (h->prefix != NULL) {
		raw(h, h->prefix, strlen(h->prefix));
		h->prefix = NULL;
	}
	raw(h, s, n);
	h->tailnl = 0;
}

static void
block(struct h2t *h, int n)
{
	if (n > h->nl)
		h->nl = n;
}

static void
text(struct h2t *h, const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, l;

	if (h->head)
		return;
	while (i < n && !h->truncated) {
		if (u[i] == ' ' || u[i] == '\t' || u[i] == '\n' ||
		    u[i] == '\r' || u[i] == '\f') {
			if (h->pre && u[i] == '\n') {
				raw(h, "\n", 1);
				h->tailnl++;
				h->nl = h->sp = 0;
			} else if (h->pre && u[i] != '\r')
				visible(h, " ", 1);
			else
				h->sp = 1;
			i++;
		} else if (u[i] < 0x20 || u[i] == 0x7f)
			i++;
		else if (u[i] < 0x80) {
			for (l = i; l < n && u[l] > 0x20 && u[l] < 0x7f; l++)
				;
			visible(h, s + i, l - i);
			i = l;
		} else if ((l = dlp_utf8_seqlen(u + i, n - i)) != 0) {
			visible(h, s + i, l);
			i += l;
		} else {
			visible(h, "\xef\xbf\xbd", 3);
			i++;
		}
	}
}

static size_t
utf8_put(char *o, uint32_t cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		o[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | cp >> 12;
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	o[0] = 0xf0 | cp >> 18;
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return (4);
}

struct entity {
	const char	*name;
	uint32_t	 cp;
};

static const struct entity entities[] = {
	{ "AElig", 0xc6 }, { "Aacute", 0xc1 }, { "Agrave", 0xc0 },
	{ "Auml", 0xc4 }, { "Ccedil", 0xc7 }, { "Eacute", 0xc9 },
	{ "Ntilde", 0xd1 }, { "Oacute", 0xd3 }, { "Ouml", 0xd6 },
	{ "Uuml", 0xdc }, { "aacute", 0xe1 }, { "acirc", 0xe2 },
	{ "aelig", 0xe6 }, { "agrave", 0xe0 }, { "amp", '&' },
	{ "apos", '\'' }, { "aring", 0xe5 }, { "auml", 0xe4 },
	{ "bull", 0x2022 }, { "ccedil", 0xe7 }, { "cent", 0xa2 },
	{ "copy", 0xa9 }, { "dagger", 0x2020 }, { "deg", 0xb0 },
	{ "divide", 0xf7 }, { "eacute", 0xe9 }, { "ecirc", 0xea },
	{ "egrave", 0xe8 }, { "euml", 0xeb }, { "euro", 0x20ac },
	{ "frac12", 0xbd }, { "gt", '>' }, { "hellip", 0x2026 },
	{ "iacute", 0xed }, { "iexcl", 0xa1 }, { "iquest", 0xbf },
	{ "larr", 0x2190 }, { "laquo", 0xab }, { "ldquo", 0x201c },
	{ "lsquo", 0x2018 }, { "lt", '<' }, { "mdash", 0x2014 },
	{ "middot", 0xb7 }, { "minus", 0x2212 }, { "nbsp", ' ' },
	{ "ndash", 0x2013 }, { "ntilde", 0xf1 }, { "oacute", 0xf3 },
	{ "ouml", 0xf6 }, { "para", 0xb6 }, { "plusmn", 0xb1 },
	{ "pound", 0xa3 }, { "quot", '"' }, { "raquo", 0xbb },
	{ "rarr", 0x2192 }, { "rdquo", 0x201d }, { "reg", 0xae },
	{ "rsquo", 0x2019 }, { "sect", 0xa7 }, { "shy", 0xad },
	{ "szlig", 0xdf }, { "times", 0xd7 }, { "trade", 0x2122 },
	{ "uacute", 0xfa }, { "uuml", 0xfc }, { "yen", 0xa5 },
	{ "zwj", 0x200d }, { "zwnj", 0x200c }
};

static int
entity_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct entity *)e)->name));
}

/*
 * Decode the entity at p[i] ('&') into o (at least 4 bytes).  Returns
 * the bytes consumed (0: not an entity) and the output length in *ol.
 */
static size_t
entity(const char *p, size_t len, size_t i, char *o, size_t *ol)
{
	const struct entity	*e;
	char			 name[12];
	uint32_t		 cp = 0;
	size_t			 j = i + 1, n = 0;
	int			 hex = 0, digits = 0;

	if (j < len && p[j] == '#') {
		if (++j < len && (p[j] == 'x' || p[j] == 'X')) {
			hex = 1;
			j++;
		}
		for (; j < len && (hex ? isxdigit((unsigned char)p[j]) :
		    isdigit((unsigned char)p[j])); j++, digits++)
			if (cp <= 0x10ffff)
				cp = cp * (hex ? 16 : 10) + (isdigit(
				    (unsigned char)p[j]) ? p[j] - '0' :
				    (tolower((unsigned char)p[j]) - 'a' + 10));
		if (digits == 0)
			return (0);
		if (j < len && p[j] == ';')
			j++;
		*ol = utf8_put(o, cp);
		return (j - i);
	}
	while (j < len && n < sizeof(name) - 1 &&
	    isalnum((unsigned char)p[j]))
		name[n++] = p[j++];
	name[n] = '\0';
	if (n == 0 || j >= len || p[j] != ';')
		return (0);
	e = bsearch(name, entities, sizeof(entities) / sizeof(entities[0]),
	    sizeof(entities[0]), entity_cmp);
	if (e == NULL)
		return (0);
	*ol = e->cp == 0xad ? 0 : utf8_put(o, e->cp);
	return (j + 1 - i);
}

/* Copy an attribute value with entities decoded, bounded. */
static void
attr_value(char *dst, size_t dsz, const char *p, size_t len)
{
	char	 o[4];
	size_t	 i = 0, n = 0, c, ol;

	while (i < len && n + 4 < dsz) {
		if (p[i] == '&' && (c = entity(p, len, i, o, &ol)) != 0) {
			memcpy(dst + n, o, ol);
			n += ol;
			i += c;
		} else if ((unsigned char)p[i] < 0x20)
			i++;
		else
			dst[n++] = p[i++];
	}
	dst[n] = '\0';
}

static int
is_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f');
}

/* Parse attributes from p[k] to '>', keeping href and alt. */
static size_t
tag_attrs(const char *p, size_t len, size_t k, struct tagattr *t)
{
	size_t	ns, ne, vs, ve;
	char	q;

	while (k < len && p[k] != '>') {
		if (is_space(p[k]) || p[k] == '/') {
			k++;
			continue;
		}
		ns = k;
		while (k < len && !is_space(p[k]) && p[k] != '=' &&
		    p[k] != '>' && p[k] != '/')
			k++;
		ne = k;
		while (k < len && is_space(p[k]))
			k++;
		if (k >= len || p[k] != '=') {
			if (ne == ns)
				k++;
			continue;
		}
		k++;
		while (k < len && is_space(p[k]))
			k++;
		if (k < len && (p[k] == '"' || p[k] == '\'')) {
			q = p[k++];
			vs = k;
			while (k < len && p[k] != q)
				k++;
			ve = k;
			if (k < len)
				k++;
		} else {
			vs = k;
			while (k < len && !is_space(p[k]) && p[k] != '>')
				k++;
			ve = k;
		}
		if (ne - ns == 4 && strncasecmp(p + ns, "href", 4) == 0)
			attr_value(t->href, sizeof(t->href), p + vs, ve - vs);
		else if (ne - ns == 3 && strncasecmp(p + ns, "alt", 3) == 0)
			attr_value(t->alt, sizeof(t->alt), p + vs, ve - vs);
	}
	return (k < len ? k + 1 : len);
}

/* Case-insensitive search for "</name" from i; len if none. */
static size_t
find_close(const char *p, size_t len, size_t i, const char *name)
{
	size_t	n = strlen(name);
	const char *q;

	while (i + 2 + n <= len) {
		if ((q = memchr(p + i, '<', len - i)) == NULL)
			return (len);
		i = q - p;
		if (i + 2 + n <= len && p[i + 1] == '/' &&
		    strncasecmp(p + i + 2, name, n) == 0 &&
		    (i + 2 + n == len || !isalnum((unsigned char)p[i + 2 + n])))
			return (i);
		i++;
	}
	return (len);
}

static int
in_list(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return (1);
	return (0);
}

static const char *const dropped[] = { "script", "style", "template",
	"noscript", "svg", "iframe", "object", "math", NULL };
static const char *const para[] = { "p", "h1", "h2", "h3", "h4", "h5",
	"h6", "pre", "blockquote", "table", "ul", "ol", "dl", "hr", NULL };
static const char *const lines[] = { "div", "br", "section", "article",
	"header", "footer", "nav", "main", "aside", "form", "figure",
	"figcaption", "details", "summary", "address", "fieldset", "dt", "dd",
	"tr", "li", "caption", "body", "option", "legend", NULL };

static void
link_end(struct h2t *h)
{
	size_t	n = strlen(h->href), tl;
	char	*t;
	int	 sp;

	h->in_a = 0;
	if (n == 0 || h->href[0] == '#' ||
	    strncasecmp(h->href, "javascript:", 11) == 0)
		return;
	t = h->out + h->a_start;
	tl = h->olen > h->a_start ? h->olen - h->a_start : 0;
	if (tl == n && memcmp(t, h->href, n) == 0)
		return;		/* the text is the URL */
	if (tl == 0) {
		text(h, h->href, n);
		return;
	}
	sp = h->sp;
	h->sp = 0;
	visible(h, " (", 2);
	text(h, h->href, n);
	visible(h, ")", 1);
	h->sp = sp;
}

static void
element(struct h2t *h, struct tagattr *t)
{
	char	alt[ALT_MAX + 16];

	if (strcmp(t->name, "head") == 0) {
		h->head = !t->closing;
		return;
	}
	if (in_list(t->name, para) || in_list(t->name, lines)) {
		h->head = 0;
		block(h, in_list(t->name, para) ? 2 : 1);
	}
	if (strcmp(t->name, "pre") == 0)
		h->pre += t->closing ? (h->pre > 0 ? -1 : 0) : 1;
	else if (strcmp(t->name, "li") == 0 && !t->closing)
		h->prefix = "- ";
	else if (strcmp(t->name, "tr") == 0)
		h->cells = 0;
	else if ((strcmp(t->name, "td") == 0 || strcmp(t->name, "th") == 0) &&
	    !t->closing && h->cells++ > 0) {
		h->sp = 0;
		visible(h, " | ", 3);
	} else if (strcmp(t->name, "a") == 0) {
		if (h->in_a)
			link_end(h);
		if (!t->closing) {
			h->in_a = 1;
			strlcpy(h->href, t->href, sizeof(h->href));
			h->a_start = h->olen;
		}
	} else if (strcmp(t->name, "img") == 0 && t->alt[0] != '\0') {
		snprintf(alt, sizeof(alt), "[image: %s]", t->alt);
		text(h, alt, strlen(alt));
	}
}

/* A tag at p[i] == '<'; returns where text goes on. */
static size_t
tag(struct h2t *h, size_t i)
{
	struct tagattr	 t;
	const char	*p = h->p, *q;
	size_t		 j, n = 0, end;

	if (i + 4 <= h->len && memcmp(p + i, "<!--", 4) == 0) {
		q = memmem(p + i + 4, h->len - i - 4, "-->", 3);
		return (q == NULL ? h->len : (size_t)(q - p) + 3);
	}
	if (i + 1 < h->len && (p[i + 1] == '!' || p[i + 1] == '?')) {
		q = memchr(p + i, '>', h->len - i);
		return (q == NULL ? h->len : (size_t)(q - p) + 1);
	}
	memset(&t, 0, sizeof(t));
	j = i + 1;
	if (j < h->len && p[j] == '/') {
		t.closing = 1;
		j++;
	}
	if (j >= h->len || !isalpha((unsigned char)p[j])) {
		text(h, "<", 1);
		return (i + 1);
	}
	while (j < h->len && (isalnum((unsigned char)p[j]) || p[j] == '-' ||
	    p[j] == ':')) {
		if (n < sizeof(t.name) - 1)
			t.name[n++] = tolower((unsigned char)p[j]);
		j++;
	}
	end = tag_attrs(p, h->len, j, &t);
	if (!t.closing && in_list(t.name, dropped)) {
		j = find_close(p, h->len, end, t.name);
		if (j == h->len)
			return (h->len);
		q = memchr(p + j, '>', h->len - j);
		return (q == NULL ? h->len : (size_t)(q - p) + 1);
	}
	element(h, &t);
	return (end);
}

static char *
finish(struct h2t *h, size_t maxout, size_t *outlen)
{
	if (!h->nomem && h->truncated) {
		h->truncated = 0;
		h->budget = 0;
		if (h->olen > 0)
			raw(h, "\n", 1);
		raw(h, HTML2TEXT_MARK, MARKLEN);
		if (maxout != 0 && h->olen > maxout)
			h->olen = maxout;
	}
	if (!h->nomem)
		grow(h, 1);
	if (h->nomem) {
		free(h->out);
		return (NULL);
	}
	h->out[h->olen] = '\0';
	if (outlen != NULL)
		*outlen = h->olen;
	return (h->out);
}

char *
html2text(const char *html, size_t len, size_t maxout, size_t *outlen)
{
	struct h2t	 h;
	char		 o[4];
	size_t		 i = 0, n, c, ol;

	memset(&h, 0, sizeof(h));
	h.p = html == NULL ? "" : html;
	h.len = html == NULL ? 0 : len;
	if (maxout != 0)
		h.budget = maxout > MARKLEN + 1 ? maxout - MARKLEN - 1 : 1;
	while (i < h.len && !h.truncated && !h.nomem) {
		if (h.p[i] == '<')
			i = tag(&h, i);
		else if (h.p[i] == '&') {
			if ((c = entity(h.p, h.len, i, o, &ol)) == 0) {
				text(&h, "&", 1);
				i++;
			} else {
				text(&h, o, ol);
				i += c;
			}
		} else {
			for (n = i; n < h.len && h.p[n] != '<' &&
			    h.p[n] != '&'; n++)
				;
			text(&h, h.p + i, n - i);
			i = n;
		}
	}
	if (h.in_a && !h.truncated)
		link_end(&h);
	return (finish(&h, maxout, outlen));
}

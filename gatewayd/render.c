/*
 * render.c - the model's Markdown rendered as Telegram HTML.
 *
 * Everything that is not markup is escaped (&, <, >, and " inside
 * attributes).  Recognised: fenced code blocks with a language,
 * `inline code`, **bold** and __bold__, *italic* and _italic_,
 * ~~strike~~, [text](url) links whose URL is http(s) or tg:, "# "
 * headings (bold) and "- " / "* " bullets.  An emphasis marker that is
 * not closed on the same line is printed as is, so every tag produced
 * is closed: the output is always well formed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define RENDER_MAXDEPTH	8

static void	render_inline(struct buf *, const char *, size_t, int);

void
buf_init(struct buf *b)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
}

void
buf_add(struct buf *b, const char *s, size_t n)
{
	char	*p;
	size_t	 ncap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((p = realloc(b->s, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* the string, or NULL when memory ran out; the caller frees it */
char *
buf_finish(struct buf *b)
{
	if (b->oom) {
		free(b->s);
		return (NULL);
	}
	if (b->s == NULL)
		return (strdup(""));
	return (b->s);
}

void
html_escape(struct buf *b, const char *s, size_t n, int attr)
{
	size_t	i, start = 0;

	for (i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			if (attr)
				rep = "&quot;";
			break;
		}
		if (rep == NULL)
			continue;
		buf_add(b, s + start, i - start);
		buf_puts(b, rep);
		start = i + 1;
	}
	buf_add(b, s + start, n - start);
}

/* http, https and tg links without spaces, quotes or control chars */
int
render_url_safe(const char *u, size_t n)
{
	size_t	i;

	if (n > 2048)
		return (0);
	if (!(n > 8 && strncasecmp(u, "https://", 8) == 0) &&
	    !(n > 7 && strncasecmp(u, "http://", 7) == 0) &&
	    !(n > 5 && strncasecmp(u, "tg://", 5) == 0))
		return (0);
	for (i = 0; i < n; i++) {
		unsigned char c = u[i];

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == '\\' || c == '`')
			return (0);
	}
	return (1);
}

static int
is_word(char c)
{
	return (isalnum((unsigned char)c) || (c & 0x80));
}

/* find a closing marker of length ml on the line, not right after space */
static const char *
find_close(const char *s, size_t n, const char *m, size_t ml)
{
	size_t	i;

	for (i = 1; i + ml <= n; i++) {
		if (memcmp(s + i, m, ml) != 0)
			continue;
		if (ml == 1 && i + 1 < n && s[i + 1] == m[0]) {
			i++;	/* a doubled marker belongs to a pair */
			continue;
		}
		if (isspace((unsigned char)s[i - 1]))
			continue;
		return (s + i);
	}
	return (NULL);
}

static int
try_code(struct buf *b, const char *s, size_t n, size_t *used)
{
	const char	*e;

	if (n < 3 || (e = memchr(s + 1, '`', n - 1)) == NULL || e == s + 1)
		return (0);
	buf_puts(b, "<code>");
	html_escape(b, s + 1, e - s - 1, 0);
	buf_puts(b, "</code>");
	*used = e - s + 1;
	return (1);
}

static int
try_link(struct buf *b, const char *s, size_t n, size_t *used, int depth)
{
	const char	*tend, *uend;
	size_t		 tl, ul;

	if ((tend = memchr(s, ']', n)) == NULL || tend == s + 1)
		return (0);
	if ((size_t)(tend - s) + 2 >= n || tend[1] != '(')
		return (0);
	if ((uend = memchr(tend + 2, ')', n - (tend + 2 - s))) == NULL)
		return (0);
	tl = tend - s - 1;
	ul = uend - tend - 2;
	if (render_url_safe(tend + 2, ul)) {
		buf_puts(b, "<a href=\"");
		html_escape(b, tend + 2, ul, 1);
		buf_puts(b, "\">");
		render_inline(b, s + 1, tl, depth + 1);
		buf_puts(b, "</a>");
	} else {
		/* keep the text, show the address as plain text */
		render_inline(b, s + 1, tl, depth + 1);
		buf_puts(b, " (");
		html_escape(b, tend + 2, ul, 0);
		buf_puts(b, ")");
	}
	*used = uend - s + 1;
	return (1);
}

static int
try_emph(struct buf *b, const char *s, size_t n, size_t *used, int depth)
{
	static const struct {
		const char	*mark;
		const char	*tag;
		int		 wordy;	/* _ inside words is not markup */
	} em[] = {
		{ "**", "b", 0 },
		{ "__", "b", 1 },
		{ "~~", "s", 0 },
		{ "*", "i", 0 },
		{ "_", "i", 1 },
	};
	const char	*e;
	size_t		 i, ml;

	for (i = 0; i < sizeof(em) / sizeof(em[0]); i++) {
		ml = strlen(em[i].mark);
		if (n <= ml * 2 || memcmp(s, em[i].mark, ml) != 0)
			continue;
		if (isspace((unsigned char)s[ml]))
			continue;
		if ((e = find_close(s + ml, n - ml, em[i].mark, ml)) == NULL)
			continue;
		if (em[i].wordy && (size_t)(e + ml - s) < n &&
		    is_word(e[ml]))
			continue;
		buf_puts(b, "<");
		buf_puts(b, em[i].tag);
		buf_puts(b, ">");
		render_inline(b, s + ml, e - s - ml, depth + 1);
		buf_puts(b, "</");
		buf_puts(b, em[i].tag);
		buf_puts(b, ">");
		*used = e - s + ml;
		return (1);
	}
	return (0);
}

static void
render_inline(struct buf *b, const char *s, size_t n, int depth)
{
	size_t	i = 0, start = 0, used;
	int	done;

	while (i < n) {
		done = 0;
		if (depth < RENDER_MAXDEPTH && (i == 0 || s[i] == '`' ||
		    !is_word(s[i - 1]) || s[i] == '*' || s[i] == '~' ||
		    s[i] == '[')) {
			html_escape(b, s + start, i - start, 0);
			start = i;
			switch (s[i]) {
			case '`':
				done = try_code(b, s + i, n - i, &used);
				break;
			case '[':
				done = try_link(b, s + i, n - i, &used, depth);
				break;
			case '*':
			case '_':
			case '~':
				done = try_emph(b, s + i, n - i, &used, depth);
				break;
			}
		}
		if (done) {
			i += used;
			start = i;
		} else
			i++;
	}
	html_escape(b, s + start, n - start, 0);
}

static size_t
line_len(const char *s, size_t n)
{
	const char	*nl = memchr(s, '\n', n);

	return (nl ? (size_t)(nl - s) : n);
}

/* ``` fence at the start of a line (after up to 3 spaces) */
static int
is_fence(const char *s, size_t n, size_t *lead)
{
	size_t	i = 0;

	while (i < n && i < 3 && s[i] == ' ')
		i++;
	if (n - i >= 3 && memcmp(s + i, "```", 3) == 0) {
		*lead = i + 3;
		return (1);
	}
	return (0);
}

static void
render_code_lang(struct buf *b, const char *s, size_t n)
{
	size_t	i, l = 0;

	while (l < n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	for (i = 0; i < n && i < 32; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '-' && s[i] != '_' && s[i] != '#' && s[i] != '.')
			break;
		l++;
	}
	if (l == 0) {
		buf_puts(b, "<pre>");
		return;
	}
	buf_puts(b, "<pre><code class=\"language-");
	buf_add(b, s, l);
	buf_puts(b, "\">");
}

static void
render_line(struct buf *b, const char *s, size_t n)
{
	size_t	i = 0;

	while (i < n && s[i] == '#')
		i++;
	if (i > 0 && i <= 6 && i < n && s[i] == ' ') {
		buf_puts(b, "<b>");
		render_inline(b, s + i + 1, n - i - 1, 0);
		buf_puts(b, "</b>");
		return;
	}
	for (i = 0; i < n && s[i] == ' '; i++)
		;
	if (n - i >= 2 && (s[i] == '-' || s[i] == '*') && s[i + 1] == ' ') {
		buf_add(b, s, i);
		buf_puts(b, "\xe2\x80\xa2 ");	/* bullet */
		render_inline(b, s + i + 2, n - i - 2, 0);
		return;
	}
	render_inline(b, s, n, 0);
}

char *
render_html(const char *md)
{
	struct buf	 b;
	const char	*s = md;
	size_t		 n = strlen(md), l, lead;
	int		 incode = 0, codetag = 0;

	buf_init(&b);
	while (n > 0) {
		l = line_len(s, n);
		if (is_fence(s, l, &lead)) {
			if (!incode) {
				render_code_lang(&b, s + lead, l - lead);
				codetag = b.len > 5 &&
				    b.s[b.len - 1] == '>' && b.s[b.len - 2] == '"';
				incode = 1;
			} else {
				if (b.len > 0 && b.s[b.len - 1] == '\n')
					b.len--;
				buf_puts(&b, codetag ? "</code></pre>" :
				    "</pre>");
				incode = 0;
			}
		} else if (incode) {
			html_escape(&b, s, l, 0);
			buf_puts(&b, "\n");
		} else {
			render_line(&b, s, l);
			if (l < n)
				buf_puts(&b, "\n");
		}
		if (l < n)
			l++;
		s += l;
		n -= l;
		if (!incode && n == 0)
			break;
	}
	if (incode) {
		if (b.len > 0 && b.s[b.len - 1] == '\n')
			b.len--;
		buf_puts(&b, codetag ? "</code></pre>" : "</pre>");
	}
	return (buf_finish(&b));
}

/* HTML back to text: tags dropped, the five entities decoded */
char *
render_plain(const char *html)
{
	static const struct {
		const char	*ent;
		char		 c;
	} ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&#39;", '\'' },
	};
	struct buf	 b;
	const char	*p = html, *e;
	size_t		 i;

	buf_init(&b);
	while (*p != '\0') {
		if (*p == '<' && (e = strchr(p, '>')) != NULL) {
			p = e + 1;
			continue;
		}
		if (*p == '&') {
			for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
				size_t el = strlen(ents[i].ent);

				if (strncmp(p, ents[i].ent, el) == 0) {
					buf_add(&b, &ents[i].c, 1);
					p += el;
					break;
				}
			}
			if (i < sizeof(ents) / sizeof(ents[0]))
				continue;
		}
		buf_add(&b, p, 1);
		p++;
	}
	return (buf_finish(&b));
}

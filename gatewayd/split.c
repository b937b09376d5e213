/*
 * split.c - cut a message into pieces Telegram accepts (4096 UTF-16
 * units each).  In HTML mode a piece never ends inside a tag or an
 * entity: the tags open at the cut are closed at the end of the piece
 * and opened again at the start of the next one, so a long code block
 * continues as a code block.  Cuts prefer the last newline in the
 * second half of a piece.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define SPLIT_MAXDEPTH	16

struct tagref {
	size_t		 off;		/* the opening tag in the source */
	size_t		 len;
	char		 name[16];
};

struct tagstack {
	struct tagref	 t[SPLIT_MAXDEPTH];
	int		 n;
};

/* UTF-16 units of a UTF-8 string */
size_t
utf16_units(const char *s, size_t n)
{
	size_t	i, u = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if ((c & 0xc0) == 0x80)
			continue;
		u += c >= 0xf0 ? 2 : 1;
	}
	return (u);
}

/*
 * Bytes of the character at s: a lead byte counts only with all its
 * continuation bytes present, so that a stray byte never swallows the
 * `<' of the tag after it.
 */
static size_t
utf8_len(const char *s, size_t n)
{
	unsigned char	c = s[0];
	size_t		l = 1, i;

	if (c >= 0xf0 && c <= 0xf4)
		l = 4;
	else if (c >= 0xe0 && c <= 0xef)
		l = 3;
	else if (c >= 0xc2 && c <= 0xdf)
		l = 2;
	if (l > n)
		return (1);
	for (i = 1; i < l; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return (1);
	return (l);
}

static void
tag_name(const char *s, size_t n, char *name, size_t sz, int *closing)
{
	size_t	i = 1, j = 0;

	*closing = 0;
	if (i < n && s[i] == '/') {
		*closing = 1;
		i++;
	}
	while (i < n && j + 1 < sz && s[i] != '>' && s[i] != ' ')
		name[j++] = s[i++];
	name[j] = '\0';
}

static size_t
close_units(const struct tagstack *st)
{
	size_t	u = 0;
	int	i;

	for (i = 0; i < st->n; i++)
		u += strlen(st->t[i].name) + 3;
	return (u);
}

static size_t
open_units(const char *src, const struct tagstack *st)
{
	size_t	u = 0;
	int	i;

	for (i = 0; i < st->n; i++)
		u += utf16_units(src + st->t[i].off, st->t[i].len);
	return (u);
}

/*
 * Length of the token at s: a whole tag, a whole entity or one
 * character; the stack is updated for tags.
 */
static size_t
next_token(const char *src, size_t pos, size_t n, int html,
    struct tagstack *st)
{
	const char	*s = src + pos, *e;
	char		 name[16];
	int		 closing;
	size_t		 l;

	if (html && *s == '<' && (e = memchr(s, '>', n - pos)) != NULL) {
		l = e - s + 1;
		tag_name(s, l, name, sizeof(name), &closing);
		if (closing) {
			if (st->n > 0)
				st->n--;
		} else if (st->n < SPLIT_MAXDEPTH) {
			st->t[st->n].off = pos;
			st->t[st->n].len = l;
			strlcpy(st->t[st->n].name, name,
			    sizeof(st->t[st->n].name));
			st->n++;
		}
		return (l);
	}
	if (html && *s == '&' && (e = memchr(s, ';', n - pos)) != NULL &&
	    e - s < 10)
		return (e - s + 1);
	return (utf8_len(s, n - pos));
}

static int
emit(char ***out, size_t *nout, const char *src, const struct tagstack *open,
    size_t from, size_t to, const struct tagstack *close)
{
	struct buf	 b;
	char		**v, *s;
	int		 i;
	size_t		 k;

	for (k = from; k < to; k++)
		if (src[k] != '\n' && src[k] != ' ')
			break;
	if (k == to)
		return (0);	/* nothing visible */
	buf_init(&b);
	for (i = 0; i < open->n; i++)
		buf_add(&b, src + open->t[i].off, open->t[i].len);
	buf_add(&b, src + from, to - from);
	for (i = close->n - 1; i >= 0; i--) {
		buf_puts(&b, "</");
		buf_puts(&b, close->t[i].name);
		buf_puts(&b, ">");
	}
	if ((s = buf_finish(&b)) == NULL)
		return (-1);
	if ((v = reallocarray(*out, *nout + 2, sizeof(*v))) == NULL) {
		free(s);
		return (-1);
	}
	v[(*nout)++] = s;
	v[*nout] = NULL;
	*out = v;
	return (0);
}

void
split_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * A NULL-terminated array of pieces of at most limit UTF-16 units,
 * or NULL when memory ran out.
 */
char **
split_message(const char *src, size_t limit, int html)
{
	struct tagstack	 st, cur, best, after;
	char		**out = NULL;
	size_t		 n = strlen(src), nout = 0, pos = 0, i, units, tl;
	size_t		 bestpos, tu;

	memset(&st, 0, sizeof(st));
	if ((out = calloc(1, sizeof(*out))) == NULL)
		return (NULL);
	while (pos < n) {
		cur = st;
		units = open_units(src, &st);
		bestpos = 0;
		i = pos;
		while (i < n) {
			after = cur;
			tl = next_token(src, i, n, html, &after);
			tu = utf16_units(src + i, tl);
			if (units + tu + close_units(&after) > limit &&
			    i > pos)
				break;
			cur = after;
			units += tu;
			i += tl;
			if (src[i - 1] == '\n' && tl == 1) {
				bestpos = i;
				best = cur;
			}
		}
		if (i < n && bestpos > pos + (i - pos) / 2) {
			i = bestpos;
			cur = best;
		}
		if (emit(&out, &nout, src, &st, pos, i, &cur) == -1) {
			split_free(out);
			return (NULL);
		}
		st = cur;
		pos = i;
	}
	return (out);
}

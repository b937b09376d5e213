/*
 * shparse.c - a sh(1) command line splitter: quoting, operators,
 * compound commands, redirections, substitutions and here-documents.
 * What each simple command wraps is worked out in shwrap.c.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shparse.h"

#define SH_MAXHEREDOCS	16
#define SH_ARENACHUNK	8192
#define SH_ARENAKEEP	(256 * 1024)	/* most memory kept between lines */
#define SH_WORDCHUNK	256		/* word slots taken from the arena at once */

struct sharena {
	struct sharena	*next;
	size_t		 size;
	size_t		 used;
	max_align_t	 data[];
};

enum lexmode {
	M_CMD,			/* words make a simple command */
	M_SKIP,			/* for/select header: until a separator */
	M_DBRACKET,		/* [[ ... ]] */
	M_FUNCNAME,		/* after `function' */
	M_CASESUBJ,		/* after `case' */
	M_CASEIN,		/* expecting `in' */
	M_CASEPAT,		/* a case pattern, up to `)' */
};

/* character classes, indexed by unsigned char */
#define CH_BLANK	0x01	/* space, tab, CR */
#define CH_META		0x02	/* ends an unquoted word */
#define CH_WORD		0x04	/* not plain in a word: meta, \ ' " $ ` */
#define CH_DQUOTE	0x08	/* special in "...": " \ $ ` */
#define CH_TOKEN	0x10	/* may start something else than a word */
#define CH_ASSIGN	0x20	/* = and [, found in NAME=value and a[i]= */
#define CH_SLASH	0x40	/* /, so a command name is its basename */

#define CH_BLANKS	(CH_BLANK | CH_META | CH_WORD | CH_TOKEN)
#define CH_METAS	(CH_META | CH_WORD | CH_TOKEN)

/*
 * Every string the lexer reads has a NUL at its end (lex_start()), and a
 * NUL counts as CH_WORD so that the loops over a plain word and over
 * blanks stop there without a bounds test of their own.  A NUL inside
 * a string (decoded from $'\0' and the like) then sends its word to
 * lex_parts(), which reads it the same.
 */
static const unsigned char chclass[256] = {
	['\0'] = CH_WORD,
	[' '] = CH_BLANKS, ['\t'] = CH_BLANKS, ['\r'] = CH_BLANKS,
	['\n'] = CH_METAS, [';'] = CH_METAS, ['&'] = CH_METAS,
	['|'] = CH_METAS, ['<'] = CH_METAS, ['>'] = CH_METAS,
	['('] = CH_METAS, [')'] = CH_METAS,
	['\\'] = CH_WORD | CH_DQUOTE, ['"'] = CH_WORD | CH_DQUOTE,
	['$'] = CH_WORD | CH_DQUOTE, ['`'] = CH_WORD | CH_DQUOTE,
	['\''] = CH_WORD, ['#'] = CH_TOKEN,
	['0'] = CH_TOKEN, ['1'] = CH_TOKEN, ['2'] = CH_TOKEN,
	['3'] = CH_TOKEN, ['4'] = CH_TOKEN, ['5'] = CH_TOKEN,
	['6'] = CH_TOKEN, ['7'] = CH_TOKEN, ['8'] = CH_TOKEN,
	['9'] = CH_TOKEN, ['='] = CH_ASSIGN, ['['] = CH_ASSIGN,
	['/'] = CH_SLASH,
};

#define CHCLASS(c)	chclass[(unsigned char)(c)]

struct heredoc {
	char		*delim;
	int		 strip;		/* <<- */
	int		 quoted;	/* no expansion in the body */
	int		 shell;		/* body is a script for a shell */
	int		 owned;		/* shell is known */
};

struct sbuf {
	char		*b;
	size_t		 len;
	size_t		 cap;
};

/*
 * What one nesting level needs while it reads a line: room for the
 * words of its simple commands, the buffer a word is decoded into and
 * the here-documents still to read.  The parses of one line nest
 * strictly, each one level deeper than the one that started it, so the
 * depth names a level; levels are kept between lines so that a $(...)
 * or an inline script costs no malloc.
 *
 * The words of a command go straight into the slots of a chunk of the
 * arena, one command after the other, and stay there as its argv: no
 * copy when the command ends.  A command that does not fit in what is
 * left of a chunk moves to a new one.
 */
struct shlevel {
	char		**wfree;	/* the free slots, in the arena */
	size_t		  nfree;
	struct sbuf	  wb;
	struct heredoc	  hd[SH_MAXHEREDOCS];
};

struct word {
	const char	*raw;		/* where it starts in the source */
	char		*s;
	size_t		 len;
	int		 quoted;	/* some quoting or escape */
	int		 subst;		/* $(...) or `...` */
	int		 nquotes;	/* quoted parts */
	int		 plain;		/* unquoted characters too */
	int		 escaped;	/* a backslash or $'...' */
	int		 noassign;	/* surely not NAME=value */
	int		 noslash;	/* plain, no '/': len is strlen(s) */
};

/*
 * A word whose quoting hides something: c''at, r\m, "/etc/"'shadow'.
 * A word that is simply quoted whole reads the same without them.
 */
static int
split_quoted(const struct word *w)
{
	return (w->escaped || w->nquotes > 1 ||
	    (w->nquotes == 1 && w->plain));
}

/* lex_start() sets every field */
struct lex {
	struct shparse	*p;
	const char	*s;
	char		*cut;		/* a copy of s to cut plain words from */
					/* (s[n] and cut[n] are NULs) */
	size_t		 i;
	size_t		 n;
	int		 depth;
	int		 term;		/* ')' inside $(...) */
	int		 paren;		/* open subshells */
	enum lexmode	 mode;
	int		 casedepth;
	int		 timeopts;	/* after `time': skip -p */
	struct shlevel	*lv;		/* word slots, wb and hd of this depth */
	char		**argv;		/* the words of the command, in lv's */
	int		 nwords;
	int		 wroom;		/* nwords + 1 must stay below */
	int		 dyn0;
	size_t		 len0;		/* for sh_emit() */
	int		 quoted;	/* some word of the command was quoted */
	char		*herestr;
	size_t		 herelen;
	char		*infile;	/* < FILE */
	int		 nhd;
};

/* nested(): what the caller's text is */
#define NEST_TEXT	0x01	/* an inline script: keep it in texts */
#define NEST_COPY	0x02	/* may change or go away: copy it first */

static int	parse_seq(struct lex *);
static int	simple_body(struct shparse *, const char *, char *, size_t *,
		    size_t, int, int);
static int	lex_dollar(struct lex *, struct sbuf *, struct word *);
static int	lex_backtick(struct lex *, struct sbuf *, struct word *);

void
sh_seterr(struct shparse *p, enum sh_error e, const char *fmt, ...)
{
	va_list	ap;

	if (p->error != SH_OK)
		return;
	p->error = e;
	va_start(ap, fmt);
	(void)vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);
}

/* a new chunk with room for need bytes */
static void *
arena_grow(struct shparse *p, size_t need)
{
	struct sharena	*a;
	size_t		 sz;

	sz = need > SH_ARENACHUNK ? need : SH_ARENACHUNK;
	if ((a = malloc(sizeof(*a) + sz)) == NULL)
		return (NULL);
	a->size = sz;
	a->used = need;
	a->next = p->arena;
	p->arena = a;
	return (a->data);
}

static inline void *
arena_alloc(struct shparse *p, size_t len)
{
	struct sharena	*a = p->arena;
	size_t		 need;
	void		*v;

	need = (len + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (need < len)
		return (NULL);
	if (a == NULL || a->size - a->used < need)
		return (arena_grow(p, need));
	v = (char *)a->data + a->used;
	a->used += need;
	return (v);
}

static inline char *
arena_strndup(struct shparse *p, const char *s, size_t len)
{
	char	*d;

	if (len == SIZE_MAX || (d = arena_alloc(p, len + 1)) == NULL)
		return (NULL);
	memcpy(d, s, len);
	d[len] = '\0';
	return (d);
}

void *
sh_alloc(struct shparse *p, size_t len)
{
	return (arena_alloc(p, len));
}

char *
sh_strndup(struct shparse *p, const char *s, size_t len)
{
	return (arena_strndup(p, s, len));
}

const char *
sh_basename(const char *s)
{
	const char	*r;

	if ((r = strrchr(s, '/')) != NULL && r[1] != '\0')
		return (r + 1);
	return (s);
}

void
shparse_init(struct shparse *p, int maxdepth)
{
	memset(p, 0, sizeof(*p));
	p->maxdepth = maxdepth > 0 ? maxdepth : SH_MAXDEPTH;
}

/*
 * For the next line: the word slots were in the arena, which starts
 * over, and a word buffer a huge word grew is not kept.
 */
static void
levels_reset(struct shparse *p)
{
	struct shlevel	*lv;
	int		 d;

	for (d = 0; d < p->nlevels; d++) {
		if ((lv = p->levels[d]) == NULL)
			continue;
		lv->wfree = NULL;
		lv->nfree = 0;
		if (lv->wb.cap <= SH_ARENAKEEP)
			continue;
		free(lv->wb.b);
		memset(&lv->wb, 0, sizeof(lv->wb));
	}
}

/* the scratch of a depth, made the first time a line goes that deep */
static struct shlevel *
level_get(struct shparse *p, int depth)
{
	struct shlevel	**v;

	if (depth < p->nlevels && p->levels[depth] != NULL)
		return (p->levels[depth]);
	if (depth >= p->nlevels) {
		if ((v = recallocarray(p->levels, p->nlevels, depth + 1,
		    sizeof(*v))) == NULL)
			return (NULL);
		p->levels = v;
		p->nlevels = depth + 1;
	}
	return (p->levels[depth] = calloc(1, sizeof(**v)));
}

void
shparse_reset(struct shparse *p)
{
	struct sharena	*a, *next;
	size_t		 total = 0;

	for (a = p->arena; a != NULL; a = a->next)
		total += a->size;
	if (p->arena != NULL && p->arena->next != NULL &&
	    total <= SH_ARENAKEEP) {
		/* the next line likely needs as much: one chunk that big */
		for (a = p->arena; a != NULL; a = next) {
			next = a->next;
			free(a);
		}
		if ((a = malloc(sizeof(*a) + total)) != NULL) {
			a->size = total;
			a->next = NULL;
		}
		p->arena = a;
	}
	/* otherwise keep the newest chunk, drop the rest */
	if ((a = p->arena) != NULL) {
		for (next = a->next; next != NULL; next = a->next) {
			a->next = next->next;
			free(next);
		}
		a->used = 0;
	}
	levels_reset(p);
	p->ncmds = 0;
	p->ntexts = 0;
	p->error = SH_OK;
	p->errmsg[0] = '\0';
	p->dynamic = 0;
}

void
shparse_free(struct shparse *p)
{
	struct sharena	*a, *next;
	int		 d;

	for (a = p->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	for (d = 0; d < p->nlevels; d++) {
		if (p->levels[d] == NULL)
			continue;
		free(p->levels[d]->wb.b);
		free(p->levels[d]);
	}
	free(p->levels);
	free(p->cmds);
	free(p->texts);
	memset(p, 0, sizeof(*p));
}

static int
sb_grow(struct lex *lx, struct sbuf *sb, size_t len)
{
	size_t	 ncap;
	char	*nb;

	ncap = sb->cap ? sb->cap : 128;
	while (ncap < sb->len + len + 1)
		ncap *= 2;
	if ((nb = realloc(sb->b, ncap)) == NULL) {
		sh_seterr(lx->p, SH_ELIMIT, "out of memory");
		return (-1);
	}
	sb->b = nb;
	sb->cap = ncap;
	return (0);
}

static inline int
sb_add(struct lex *lx, struct sbuf *sb, const char *s, size_t len)
{
	if (sb->len + len + 1 > sb->cap && sb_grow(lx, sb, len) == -1)
		return (-1);
	memcpy(sb->b + sb->len, s, len);
	sb->len += len;
	sb->b[sb->len] = '\0';
	return (0);
}

static int
sb_addc(struct lex *lx, struct sbuf *sb, int c)
{
	char	ch = (char)c;

	return (sb_add(lx, sb, &ch, 1));
}

static inline int
is_blank(int c)
{
	return ((CHCLASS(c) & CH_BLANK) != 0);
}

static inline int
is_meta(int c)
{
	return ((CHCLASS(c) & CH_META) != 0);
}

static inline int
is_digit(int c)
{
	return (c >= '0' && c <= '9');
}

/* the end of the run of characters from i that are not of class cl */
static inline size_t
run_end(const char *s, size_t i, size_t n, int cl)
{
	while (i < n && (CHCLASS(s[i]) & cl) == 0)
		i++;
	return (i);
}

static int
syntax(struct lex *lx, const char *what)
{
	sh_seterr(lx->p, SH_ESYNTAX, "%s", what);
	return (-1);
}

/* the position after the `))' closing an arithmetic $(( or (( */
static int
skip_arith(struct lex *lx, size_t *pos)
{
	size_t	i = *pos;
	int	depth = 0;

	for (; i < lx->n; i++) {
		if (lx->s[i] == '(')
			depth++;
		else if (lx->s[i] == ')' && --depth == 0) {
			*pos = i + 1;
			return (0);
		}
	}
	return (syntax(lx, "unterminated arithmetic (( ))"));
}

/*
 * The next command's words start at the level's first free slot.  It
 * may have SH_MAXWORDS at most: wroom is the room left in the chunk,
 * but no more than that and the NULL after them, so that push_arg()
 * finds both the limit and a full chunk with one test.
 */
static inline void
words_next(struct lex *lx)
{
	struct shlevel	*lv = lx->lv;

	lx->argv = lv->wfree;
	lx->wroom = lv->nfree < SH_MAXWORDS + 1 ? (int)lv->nfree :
	    SH_MAXWORDS + 1;
}

/* what one simple command gathers, cleared for the next (finish()) */
static inline void
cmd_clear(struct lex *lx)
{
	lx->nwords = 0;
	lx->dyn0 = 0;
	lx->quoted = 0;
	lx->herestr = NULL;
	lx->herelen = 0;
	lx->infile = NULL;
	lx->timeopts = 0;
}

/*
 * A parse of s at depth, its words cut from cut, a copy of s; s[len]
 * and cut[len] are NULs.
 */
static int
lex_start(struct lex *lx, struct shparse *p, const char *s, char *cut,
    size_t len, int depth)
{
	/*
	 * Every field, one by one: the compiler makes a memset() of a
	 * struct this big a rep stos, slow to start, and this runs for
	 * every $(...), backquote and inline script.
	 */
	lx->p = p;
	lx->s = s;
	lx->cut = cut;
	lx->i = 0;
	lx->n = len;
	lx->depth = depth;
	lx->term = 0;
	lx->paren = 0;
	lx->mode = M_CMD;
	lx->casedepth = 0;
	lx->len0 = 0;
	lx->nhd = 0;
	cmd_clear(lx);
	if ((lx->lv = level_get(p, depth)) == NULL) {
		sh_seterr(p, SH_ELIMIT, "out of memory");
		return (-1);
	}
	words_next(lx);
	return (0);
}

/* a parse at depth would be one too many */
static int
too_deep(struct shparse *p, int depth)
{
	if (depth <= p->maxdepth)
		return (0);
	sh_seterr(p, SH_EDEPTH, "shell nesting deeper than %d levels",
	    p->maxdepth);
	return (1);
}

/*
 * Parse an inline script (from sh -c, eval, a here-string or a
 * here-document for a shell) one level deeper.  Unless
 * flags has NEST_COPY, s[len] is a NUL and s stays as it is until the
 * next line: it is read in place and kept as the text.
 */
static int
nested(struct shparse *p, const char *s, size_t len, int depth, int flags)
{
	struct lex	 lx;
	char		*cut, **v;
	size_t		 ncap, pos = 0;
	int		 r;

	if (too_deep(p, depth))
		return (-1);
	if (((flags & NEST_COPY) && (s = arena_strndup(p, s, len)) == NULL) ||
	    (cut = arena_strndup(p, s, len)) == NULL) {
		sh_seterr(p, SH_ELIMIT, "out of memory");
		return (-1);
	}
	if (flags & NEST_TEXT) {
		if (p->ntexts == p->captexts) {
			ncap = p->captexts ? p->captexts * 2 : 8;
			if ((v = reallocarray(p->texts, ncap,
			    sizeof(*v))) == NULL) {
				sh_seterr(p, SH_ELIMIT, "out of memory");
				return (-1);
			}
			p->texts = v;
			p->captexts = ncap;
		}
		/* texts are read only: the caller's string will do */
		p->texts[p->ntexts++] = (char *)s;
	}
	/* not for a whole line: few are a plain command */
	if (depth > 0 && (r = simple_body(p, s, cut, &pos, len, depth,
	    0)) != 0)
		return (r == 1 ? 0 : -1);
	if (lex_start(&lx, p, s, cut, len, depth) == -1)
		return (-1);
	return (parse_seq(&lx));
}

int
sh_nested(struct shparse *p, const char *s, size_t len, int depth)
{
	/* argv words and join_nested()'s string live as long as the line */
	return (nested(p, s, len, depth, NEST_TEXT));
}

/*
 * Room for one more word and the NULL after the last: the command's
 * words so far move to a new chunk of slots, at least twice as many.
 */
static int
words_grow(struct lex *lx)
{
	struct shlevel	 *lv = lx->lv;
	char		**v;
	size_t		  ncap;

	if (lx->nwords >= SH_MAXWORDS) {
		sh_seterr(lx->p, SH_ELIMIT, "more than %d words in a command",
		    SH_MAXWORDS);
		return (-1);
	}
	ncap = 2 * ((size_t)lx->nwords + 1);
	if (ncap < SH_WORDCHUNK)
		ncap = SH_WORDCHUNK;
	if ((v = arena_alloc(lx->p, ncap * sizeof(*v))) == NULL) {
		sh_seterr(lx->p, SH_ELIMIT, "out of memory");
		return (-1);
	}
	if (lx->nwords > 0)
		memcpy(v, lx->argv, lx->nwords * sizeof(*v));
	lv->wfree = v;
	lv->nfree = ncap;
	words_next(lx);
	return (0);
}

/* a word that is neither the first nor quoted nor a substitution */
static inline int
push_arg(struct lex *lx, char *s)
{
	if (lx->nwords + 1 >= lx->wroom && words_grow(lx) == -1)
		return (-1);
	/* finish() puts the NULL after the last */
	lx->argv[lx->nwords++] = s;
	return (0);
}

static inline int
push_word(struct lex *lx, const struct word *w)
{
	if (lx->nwords == 0) {
		lx->dyn0 = w->subst;
		lx->len0 = w->noslash ? w->len : 0;
	}
	if (w->quoted)
		lx->quoted |= split_quoted(w);
	return (push_arg(lx, w->s));
}

/* the current simple command is complete */
static int
finish(struct lex *lx)
{
	struct shlevel	 *lv = lx->lv;
	char		**argv;
	size_t		  k, n0 = lx->p->ncmds;
	int		  i, shell = 0, *shellp;

	if (lx->nwords > 0) {
		/* the words are in place: their slots are argv's now */
		argv = lx->argv;
		argv[lx->nwords] = NULL;
		lv->wfree += lx->nwords + 1;
		lv->nfree -= lx->nwords + 1;
		words_next(lx);
		/* whether it reads stdin as a script matters to these only */
		shellp = lx->herestr != NULL || lx->nhd > 0 ? &shell : NULL;
		if (sh_emit(lx->p, argv, lx->nwords, lx->depth,
		    lx->dyn0, lx->quoted, lx->len0, shellp) == -1)
			return (-1);
		/* the command and what it wraps read the file */
		if (lx->infile != NULL)
			for (k = n0; k < lx->p->ncmds; k++)
				lx->p->cmds[k].infile = lx->infile;
	}
	/* a here-string is a word: NUL-terminated, kept for the line */
	if (lx->herestr != NULL && shell && nested(lx->p, lx->herestr,
	    lx->herelen, lx->depth + 1, NEST_TEXT) == -1)
		return (-1);
	for (i = 0; i < lx->nhd; i++) {
		if (!lx->lv->hd[i].owned) {
			lx->lv->hd[i].owned = 1;
			lx->lv->hd[i].shell = shell;
		}
	}
	cmd_clear(lx);
	return (0);
}

/* $( and backquotes in an unquoted here-document body run commands */
static int
scan_expansions(struct lex *lx, const char *body, size_t len)
{
	struct lex	 sub;
	struct sbuf	 sb;
	struct word	 w;
	int		 rv = 0;

	memset(&sub, 0, sizeof(sub));
	memset(&sb, 0, sizeof(sb));
	memset(&w, 0, sizeof(w));
	sub.p = lx->p;
	/* a $(...) in it is read up to len: a NUL must end both there */
	if ((sub.s = arena_strndup(lx->p, body, len)) == NULL ||
	    (sub.cut = arena_strndup(lx->p, body, len)) == NULL) {
		sh_seterr(lx->p, SH_ELIMIT, "out of memory");
		return (-1);
	}
	sub.n = len;
	sub.depth = lx->depth;
	while (sub.i < sub.n && rv == 0) {
		switch (sub.s[sub.i]) {
		case '\\':
			sub.i += 2;
			break;
		case '$':
			rv = lex_dollar(&sub, &sb, &w);
			break;
		case '`':
			rv = lex_backtick(&sub, &sb, &w);
			break;
		default:
			sub.i++;
		}
	}
	free(sb.b);
	return (rv);
}

/* read the bodies of the here-documents opened on the line just ended */
static int
read_heredocs(struct lex *lx)
{
	struct heredoc	*hd;
	const char	*line, *eol, *body;
	size_t		 blen, llen, dlen;
	int		 i;

	for (i = 0; i < lx->nhd; i++) {
		hd = &lx->lv->hd[i];
		body = lx->s + lx->i;
		blen = 0;
		dlen = strlen(hd->delim);
		for (;;) {
			if (lx->i >= lx->n) {
				blen = (lx->s + lx->n) - body;
				break;
			}
			line = lx->s + lx->i;
			eol = memchr(line, '\n', lx->n - lx->i);
			llen = eol != NULL ? (size_t)(eol - line) :
			    lx->n - lx->i;
			lx->i += llen + (eol != NULL);
			blen = line - body;
			if (hd->strip)
				while (llen > 0 && *line == '\t') {
					line++;
					llen--;
				}
			if (llen == dlen && memcmp(line, hd->delim, llen) == 0)
				break;
		}
		if (!hd->quoted && scan_expansions(lx, body, blen) == -1)
			return (-1);
		if (hd->shell && nested(lx->p, body, blen, lx->depth + 1,
		    NEST_TEXT | NEST_COPY) == -1)
			return (-1);
	}
	lx->nhd = 0;
	return (0);
}

static int
lex_squote(struct lex *lx, struct sbuf *sb)
{
	const char	*end;

	end = memchr(lx->s + lx->i + 1, '\'', lx->n - lx->i - 1);
	if (end == NULL)
		return (syntax(lx, "unterminated single quote"));
	if (sb_add(lx, sb, lx->s + lx->i + 1, end - (lx->s + lx->i + 1)) ==
	    -1)
		return (-1);
	lx->i = end - lx->s + 1;
	return (0);
}

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

/* $'...': bash's ANSI-C quoting, decoded */
static int
lex_ansic(struct lex *lx, struct sbuf *sb)
{
	const char	*s = lx->s;
	size_t		 i = lx->i + 2;
	int		 c, v, k, d;

	for (; i < lx->n && s[i] != '\''; i++) {
		if (s[i] != '\\' || i + 1 >= lx->n) {
			if (sb_addc(lx, sb, s[i]) == -1)
				return (-1);
			continue;
		}
		c = s[++i];
		switch (c) {
		case 'a': v = '\a'; break;
		case 'b': v = '\b'; break;
		case 'e': case 'E': v = 033; break;
		case 'f': v = '\f'; break;
		case 'n': v = '\n'; break;
		case 'r': v = '\r'; break;
		case 't': v = '\t'; break;
		case 'v': v = '\v'; break;
		case 'c':
			v = i + 1 < lx->n ? (s[++i] & 0x1f) : 'c';
			break;
		case 'x':
			for (v = 0, k = 0; k < 2 && i + 1 < lx->n &&
			    (d = hexval((unsigned char)s[i + 1])) != -1; k++) {
				v = v * 16 + d;
				i++;
			}
			if (k == 0)
				v = 'x';
			break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			for (v = c - '0', k = 1; k < 3 && i + 1 < lx->n &&
			    s[i + 1] >= '0' && s[i + 1] <= '7'; k++)
				v = v * 8 + (s[++i] - '0');
			v &= 0xff;
			break;
		default:
			v = c;	/* \\ \' \" \? and the rest */
		}
		if (sb_addc(lx, sb, v) == -1)
			return (-1);
	}
	if (i >= lx->n)
		return (syntax(lx, "unterminated $'...' string"));
	lx->i = i + 1;
	return (0);
}

/*
 * $(...) at lx->i: parse it as commands one level deeper, in place.
 * The word gets it as written, unless sb is NULL.
 */
static int
lex_subst(struct lex *lx, struct sbuf *sb, struct word *w)
{
	struct lex	sub;
	size_t		start = lx->i, pos = lx->i + 2;
	int		r;

	if (too_deep(lx->p, lx->depth + 1))
		return (-1);
	if ((r = simple_body(lx->p, lx->s, lx->cut, &pos, lx->n,
	    lx->depth + 1, ')')) == -1)
		return (-1);
	if (r == 0) {
		if (lex_start(&sub, lx->p, lx->s, lx->cut, lx->n,
		    lx->depth + 1) == -1)
			return (-1);
		sub.i = pos;
		sub.term = ')';
		if (parse_seq(&sub) == -1)
			return (-1);
		pos = sub.i;
	}
	lx->i = pos;
	w->subst = 1;
	if (sb == NULL)
		return (0);
	return (sb_add(lx, sb, lx->s + start, lx->i - start));
}

/* ${...}: kept as written */
static int
lex_brace(struct lex *lx, struct sbuf *sb)
{
	size_t	i, start = lx->i;
	int	depth = 0;

	for (i = lx->i + 1; i < lx->n; i++) {
		if (lx->s[i] == '\\')
			i++;
		else if (lx->s[i] == '{')
			depth++;
		else if (lx->s[i] == '}' && --depth == 0)
			break;
	}
	if (i >= lx->n)
		return (syntax(lx, "unterminated ${...}"));
	lx->i = i + 1;
	return (sb_add(lx, sb, lx->s + start, lx->i - start));
}

static int
lex_dollar(struct lex *lx, struct sbuf *sb, struct word *w)
{
	size_t	start = lx->i, pos;
	int	next;

	next = lx->i + 1 < lx->n ? lx->s[lx->i + 1] : '\0';
	switch (next) {
	case '(':
		if (lx->i + 2 < lx->n && lx->s[lx->i + 2] == '(') {
			pos = lx->i + 1;
			if (skip_arith(lx, &pos) == -1)
				return (-1);
			lx->i = pos;
			return (sb_add(lx, sb, lx->s + start, pos - start));
		}
		return (lex_subst(lx, sb, w));
	case '{':
		return (lex_brace(lx, sb));
	default:
		lx->i++;
		return (sb_addc(lx, sb, '$'));
	}
}

/*
 * In backquotes a backslash escapes \, ` and $ (and a NUL, as strchr()
 * finds the terminator too); i is at a backslash.
 */
static inline int
bq_escape(const struct lex *lx, size_t i)
{
	return (i + 1 < lx->n && strchr("\\`$", lx->s[i + 1]) != NULL);
}

/*
 * The `...` at lx->i, len bytes unescaped: unescape, then parse one
 * level deeper.
 */
static int
bq_nested(struct lex *lx, size_t len, int escaped)
{
	struct lex	 sub;
	const char	*s = lx->s;
	char		*in, *cut;
	size_t		 i, k, start = lx->i;

	if (too_deep(lx->p, lx->depth + 1))
		return (-1);
	/*
	 * Unescaped into the arena, twice, in one allocation: the text
	 * and the copy to cut words from.  Most have nothing to unescape
	 * and are copied whole.  (len is less than lx->n, whose string and
	 * its copy are in memory: 2 * (len + 1) does not overflow.)
	 */
	if ((in = arena_alloc(lx->p, 2 * (len + 1))) == NULL) {
		sh_seterr(lx->p, SH_ELIMIT, "out of memory");
		return (-1);
	}
	cut = in + len + 1;
	if (!escaped) {
		memcpy(in, s + start + 1, len);
		memcpy(cut, s + start + 1, len);
	} else {
		for (i = start + 1, k = 0; k < len; i++, k++) {
			if (s[i] == '\\' && bq_escape(lx, i))
				i++;
			in[k] = cut[k] = s[i];
		}
	}
	in[len] = cut[len] = '\0';
	return (lex_start(&sub, lx->p, in, cut, len, lx->depth + 1) == -1 ||
	    parse_seq(&sub) == -1 ? -1 : 0);
}

/*
 * `...`: parse one level deeper.  The word gets it as written, unless
 * sb is NULL.
 */
static int
lex_backtick(struct lex *lx, struct sbuf *sb, struct word *w)
{
	const char	*s = lx->s;
	size_t		 i, len = 0, start = lx->i, pos = start + 1;
	int		 escaped = 0, r = 0;

	/*
	 * Plain words, as in `id`, have no backslash to unescape: they
	 * are read in place, cut from lx->cut as in a $(...).  Not when
	 * too deep: too_deep() must not set its error before an
	 * unterminated backquote has set its own.
	 */
	if (lx->depth + 1 <= lx->p->maxdepth && (r = simple_body(lx->p, s,
	    lx->cut, &pos, lx->n, lx->depth + 1, '`')) == -1)
		return (-1);
	if (r == 0) {
		for (i = start + 1; i < lx->n && s[i] != '`'; i++, len++)
			if (s[i] == '\\' && bq_escape(lx, i)) {
				escaped = 1;
				i++;
			}
		if (i >= lx->n)
			return (syntax(lx, "unterminated backquote"));
		if (bq_nested(lx, len, escaped) == -1)
			return (-1);
		pos = i + 1;
	}
	lx->i = pos;
	w->subst = 1;
	if (sb == NULL)
		return (0);
	return (sb_add(lx, sb, lx->s + start, lx->i - start));
}

static int
lex_dquote(struct lex *lx, struct sbuf *sb, struct word *w)
{
	size_t	start;
	int	c;

	lx->i++;
	while (lx->i < lx->n) {
		c = lx->s[lx->i];
		if (c == '"') {
			lx->i++;
			return (0);
		}
		if (c == '\\' && lx->i + 1 < lx->n) {
			c = lx->s[lx->i + 1];
			lx->i += 2;
			if (c == '\n')
				continue;
			if (strchr("$`\"\\", c) == NULL &&
			    sb_addc(lx, sb, '\\') == -1)
				return (-1);
			if (sb_addc(lx, sb, c) == -1)
				return (-1);
			continue;
		}
		if (c == '$') {
			if (lex_dollar(lx, sb, w) == -1)
				return (-1);
			continue;
		}
		if (c == '`') {
			if (lex_backtick(lx, sb, w) == -1)
				return (-1);
			continue;
		}
		/* a run of characters that stand for themselves */
		start = lx->i;
		lx->i = run_end(lx->s, lx->i + 1, lx->n, CH_DQUOTE);
		if (sb_add(lx, sb, lx->s + start, lx->i - start) == -1)
			return (-1);
	}
	return (syntax(lx, "unterminated double quote"));
}

/* NAME=value or NAME[sub]=value or NAME+=value */
static int
is_assignment(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return (0);
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	if (*s == '[') {
		if ((s = strchr(s, ']')) == NULL)
			return (0);
		s++;
	}
	if (*s == '+')
		s++;
	return (*s == '=');
}

/*
 * The end of the plain word at lx->i, or lx->i if the word there is
 * not plain: plain characters only, up to a metacharacter other than
 * '(' (a=(...) is an array assignment) or the end of the string.  If
 * seen is not NULL, it gets the classes of the characters; only a
 * command's first word needs to know whether it has a '/', '=' or '['.
 */
static inline size_t
plain_end(const struct lex *lx, int *seen)
{
	const char	*s = lx->s;
	size_t		 end = lx->i;
	int		 cl, all = 0;

	/* s[lx->n] is a NUL, which is CH_WORD */
	if (seen != NULL) {
		for (; ((cl = CHCLASS(s[end])) & CH_WORD) == 0; end++)
			all |= cl;
		*seen = all;
	} else {
		for (; ((cl = CHCLASS(s[end])) & CH_WORD) == 0; end++)
			;
	}
	if (end < lx->n && ((cl & CH_META) == 0 || s[end] == '('))
		return (lx->i);
	return (end);
}

/*
 * A plain word is the same in the source and in argv, so it is cut out
 * of lx->cut instead of being copied: the metacharacter after it is in
 * no word, and the copy has a NUL at lx->n already.
 */
static inline char *
cut_word(struct lex *lx, size_t end)
{
	char	*w = lx->cut + lx->i;

	lx->cut[end] = '\0';
	lx->i = end;
	return (w);
}

/* the common word, plain; returns 1 when it was one, 0 if not */
static inline int
lex_plain(struct lex *lx, struct word *w)
{
	size_t	end;
	int	seen = 0;

	if (lx->nwords == 0)
		end = plain_end(lx, &seen);
	else
		end = plain_end(lx, NULL);
	if (end == lx->i)
		return (0);
	w->plain = 1;
	if (lx->nwords == 0) {
		/*
		 * Without = or [ it is no NAME=value: is_assignment()
		 * would look no further than the end of the word, or the
		 * NUL at lx->n.
		 */
		w->noassign = (seen & CH_ASSIGN) == 0;
		w->noslash = (seen & CH_SLASH) == 0;
	}
	w->len = end - lx->i;
	w->s = cut_word(lx, end);
	return (1);
}

/* whether the word being read ends at lx->i, for lex_parts() */
static inline int
word_ends(const struct lex *lx)
{
	/* s[lx->n] is a NUL, which is no metacharacter */
	return (lx->i >= lx->n || is_meta(lx->s[lx->i]));
}

/*
 * The word at lx->i starts with $(...) or a backquote, and most such
 * words are nothing else: then the text as written goes from the
 * source to the arena at once, not through sb first.  Returns 1 when
 * the word ended with it, 0 when more follows (sb has the text so far),
 * -1 on error.  (A ( after it is no array assignment: sb would end in
 * ')' or '`', not in '='.)
 */
static int
lex_subst_word(struct lex *lx, struct sbuf *sb, struct word *w)
{
	size_t	start = lx->i;

	if (lx->s[start] == '`') {
		if (lex_backtick(lx, NULL, w) == -1)
			return (-1);
	} else {
		w->plain = 1;	/* as lex_parts() counts a '$' */
		if (lex_subst(lx, NULL, w) == -1)
			return (-1);
	}
	if (!word_ends(lx))
		return (sb_add(lx, sb, lx->s + start, lx->i - start));
	if ((w->s = arena_strndup(lx->p, lx->s + start,
	    lx->i - start)) == NULL)
		return (syntax(lx, "out of memory"));
	w->len = lx->i - start;
	return (1);
}

/*
 * The word at lx->i starts with a single quote: if the quoted string is
 * the whole word, as in sh -c 'ls', it goes to the arena at once.
 * Returns as lex_subst_word() does.
 */
static int
lex_squote_word(struct lex *lx, struct sbuf *sb, struct word *w)
{
	const char	*from = lx->s + lx->i + 1, *end;

	w->quoted = 1;
	w->nquotes++;
	if ((end = memchr(from, '\'', lx->n - lx->i - 1)) == NULL)
		return (syntax(lx, "unterminated single quote"));
	lx->i = end - lx->s + 1;
	/* 'a='(1 2) is an array assignment: lex_parts() tells */
	if (!word_ends(lx) || lx->s[lx->i] == '(')
		return (sb_add(lx, sb, from, end - from));
	if ((w->s = arena_strndup(lx->p, from, end - from)) == NULL)
		return (syntax(lx, "out of memory"));
	w->len = end - from;
	return (1);
}

/*
 * The word at lx->i starts with a double quote: if the string has no
 * backslash, $ or backquote and is the whole word, as in echo "a b",
 * it goes to the arena at once.  Returns 1 when it took the word, 0
 * having read nothing when it did not, -1 on error.
 */
static int
lex_dquote_word(struct lex *lx, struct word *w)
{
	const char	*from = lx->s + lx->i + 1;
	size_t		 end;

	end = run_end(lx->s, lx->i + 1, lx->n, CH_DQUOTE);
	/* "a="(1 2) is an array assignment: lex_parts() tells */
	if (end >= lx->n || lx->s[end] != '"' || (end + 1 < lx->n &&
	    (!is_meta(lx->s[end + 1]) || lx->s[end + 1] == '(')))
		return (0);
	w->quoted = 1;
	w->nquotes++;
	if ((w->s = arena_strndup(lx->p, from, lx->s + end - from)) == NULL)
		return (syntax(lx, "out of memory"));
	w->len = lx->s + end - from;
	lx->i = end + 1;
	return (1);
}

/*
 * A word with quotes, escapes or substitutions, decoded into lx->wb.
 * Kept out of line so that the hot path through lex_word() stays small.
 */
static __attribute__((__noinline__)) int
lex_parts(struct lex *lx, struct word *w)
{
	struct sbuf	*sb = &lx->lv->wb;
	const char	*s = lx->s;
	size_t		 start;
	int		 c, r;

	sb->len = 0;
	/* s[lx->n] is a NUL: after "$(", s[lx->i + 2] can be read */
	if (s[lx->i] == '`' || (s[lx->i] == '$' && s[lx->i + 1] == '(' &&
	    s[lx->i + 2] != '(')) {
		if ((r = lex_subst_word(lx, sb, w)) != 0)
			return (r == 1 ? 0 : -1);
	} else if (s[lx->i] == '\'') {
		if ((r = lex_squote_word(lx, sb, w)) != 0)
			return (r == 1 ? 0 : -1);
	} else if (s[lx->i] == '"') {
		if ((r = lex_dquote_word(lx, w)) != 0)
			return (r == 1 ? 0 : -1);
	}
	while (lx->i < lx->n) {
		c = lx->s[lx->i];
		if (is_meta(c)) {
			/* a=(1 2 3): an array assignment */
			if (c == '(' && sb->len > 0 && sb->b[sb->len - 1] ==
			    '=' && is_assignment(sb->b)) {
				size_t	pos = lx->i;
				int	depth = 0;

				start = lx->i;

				for (; pos < lx->n; pos++) {
					if (lx->s[pos] == '(')
						depth++;
					else if (lx->s[pos] == ')' &&
					    --depth == 0)
						break;
				}
				if (pos >= lx->n)
					return (syntax(lx,
					    "unterminated array assignment"));
				lx->i = pos + 1;
				if (sb_add(lx, sb, lx->s + start,
				    lx->i - start) == -1)
					return (-1);
				continue;
			}
			break;
		}
		switch (c) {
		case '\\':
			w->quoted = 1;
			w->escaped = 1;
			if (lx->i + 1 >= lx->n) {
				lx->i++;
				if (sb_addc(lx, sb, '\\') == -1)
					return (-1);
				break;
			}
			c = lx->s[lx->i + 1];
			lx->i += 2;
			if (c != '\n' && sb_addc(lx, sb, c) == -1)
				return (-1);
			break;
		case '\'':
			w->quoted = 1;
			w->nquotes++;
			if (lex_squote(lx, sb) == -1)
				return (-1);
			break;
		case '"':
			w->quoted = 1;
			w->nquotes++;
			if (lex_dquote(lx, sb, w) == -1)
				return (-1);
			break;
		case '$':
			if (lx->i + 1 < lx->n && lx->s[lx->i + 1] == '\'') {
				w->quoted = 1;
				w->escaped = 1;
				if (lex_ansic(lx, sb) == -1)
					return (-1);
			} else if (lx->i + 1 < lx->n &&
			    lx->s[lx->i + 1] == '"') {
				w->quoted = 1;
				w->nquotes++;
				lx->i++;
				if (lex_dquote(lx, sb, w) == -1)
					return (-1);
			} else {
				w->plain = 1;
				if (lex_dollar(lx, sb, w) == -1)
					return (-1);
			}
			break;
		case '`':
			if (lex_backtick(lx, sb, w) == -1)
				return (-1);
			break;
		default:
			/* a run of plain characters at once */
			w->plain = 1;
			start = lx->i;
			lx->i = run_end(lx->s, lx->i + 1, lx->n, CH_WORD);
			if (sb_add(lx, sb, lx->s + start, lx->i - start) == -1)
				return (-1);
		}
	}
	if ((w->s = arena_strndup(lx->p, sb->b != NULL ? sb->b : "",
	    sb->len)) == NULL)
		return (syntax(lx, "out of memory"));
	w->len = sb->len;
	return (0);
}

/* read one word; it ends at an unquoted metacharacter */
static inline int
lex_word(struct lex *lx, struct word *w)
{
	memset(w, 0, sizeof(*w));
	w->raw = lx->s + lx->i;
	if (lex_plain(lx, w))
		return (0);
	return (lex_parts(lx, w));
}

/* <(...) and >(...) */
static int
lex_procsubst(struct lex *lx)
{
	struct word	w;
	size_t		start = lx->i;

	memset(&w, 0, sizeof(w));
	/* lex_subst skips two characters, here the < or > and the ( */
	if (lex_subst(lx, NULL, &w) == -1)
		return (-1);
	/* the word is the text as written */
	if ((w.s = arena_strndup(lx->p, lx->s + start,
	    lx->i - start)) == NULL)
		return (syntax(lx, "out of memory"));
	if (lx->mode == M_CMD)
		return (push_word(lx, &w));
	return (0);
}

static int
lex_redirect(struct lex *lx)
{
	struct heredoc	*hd;
	struct word	 w;
	const char	*s = lx->s;
	size_t		 fd0 = lx->i;
	int		 heredoc = 0, herestr = 0, strip = 0, in = 0;

	while (lx->i < lx->n && is_digit(s[lx->i]))
		lx->i++;
	/* N< for an N other than 0 is no input of the command */
	fd0 = lx->i == fd0 || (lx->i == fd0 + 1 && s[fd0] == '0');
	if (s[lx->i] == '&') {			/* &> &>> */
		lx->i += 2;
		if (lx->i < lx->n && s[lx->i] == '>')
			lx->i++;
	} else if (s[lx->i] == '<') {
		lx->i++;
		if (lx->i < lx->n && s[lx->i] == '<') {
			lx->i++;
			if (lx->i < lx->n && s[lx->i] == '<') {
				lx->i++;
				herestr = 1;
			} else {
				heredoc = 1;
				if (lx->i < lx->n && s[lx->i] == '-') {
					lx->i++;
					strip = 1;
				}
			}
		} else if (lx->i < lx->n && (s[lx->i] == '&' ||
		    s[lx->i] == '>'))
			lx->i++;
		else
			in = fd0;
	} else {
		lx->i++;
		if (lx->i < lx->n && (s[lx->i] == '>' || s[lx->i] == '&' ||
		    s[lx->i] == '|'))
			lx->i++;
	}
	while (lx->i < lx->n && is_blank(s[lx->i]))
		lx->i++;
	if (lx->i >= lx->n || is_meta(s[lx->i]))
		return (syntax(lx, "redirection without a target"));
	if (lex_word(lx, &w) == -1)
		return (-1);
	if (in)
		lx->infile = w.s;
	if (herestr) {
		lx->herestr = w.s;
		lx->herelen = w.len;
	} else if (heredoc) {
		if (lx->nhd >= SH_MAXHEREDOCS)
			return (syntax(lx, "too many here-documents"));
		hd = &lx->lv->hd[lx->nhd++];
		memset(hd, 0, sizeof(*hd));
		hd->delim = w.s;
		hd->quoted = w.quoted;
		hd->strip = strip;
	}
	return (0);
}

static int
is_redirect(struct lex *lx)
{
	size_t	i = lx->i;
	int	c = lx->s[i];

	if (c == '&')
		return (i + 1 < lx->n && lx->s[i + 1] == '>');
	if (is_digit(c)) {
		while (i < lx->n && is_digit(lx->s[i]))
			i++;
		return (i < lx->n && (lx->s[i] == '<' || lx->s[i] == '>'));
	}
	return (c == '<' || c == '>');
}

/*
 * s, len bytes and a NUL, is the string literal kw: strcmp() would say
 * so, as s may hold a NUL of its own (a here-string's $'\0'), and this
 * compares the same bytes, kw's NUL included, in a memcmp() of a
 * constant size that the compiler makes a few loads.
 */
#define KW_IS(s, len, kw) \
	((len) >= sizeof(kw) - 1 && memcmp((s), (kw), sizeof(kw)) == 0)

/*
 * The first two bytes of every reserved word keyword() knows, as a bit
 * for the second (its low five bits) in a mask for the first: most
 * command names are rejected by one test instead of the switch.
 */
#define KB(c)	(1U << ((c) & 31))
static const uint32_t kwpairs[256] = {
	['!'] = KB('\0'), ['{'] = KB('\0'), ['}'] = KB('\0'),
	['c'] = KB('a'), ['d'] = KB('o'), ['e'] = KB('s') | KB('l'),
	['f'] = KB('o') | KB('u') | KB('i'), ['i'] = KB('f'),
	['s'] = KB('e'), ['t'] = KB('i') | KB('h'), ['u'] = KB('n'),
	['w'] = KB('h'), ['['] = KB('['),
};

/*
 * Whether s, len bytes and a NUL, may be a reserved word: one test,
 * inline, that rejects most command names before keyword()'s switch.
 */
static inline int
maybe_keyword(const char *s, size_t len)
{
	return (len <= 8 && s[0] != '\0' &&
	    (kwpairs[(unsigned char)s[0]] & KB(s[1])) != 0);
}

/*
 * The reserved words, switched on the first character: s, len bytes
 * and a NUL, is a word without quotes or substitutions.
 */
static int
keyword(struct lex *lx, const char *s, size_t len)
{
	if (!maybe_keyword(s, len))
		return (0);
	switch (s[0]) {
	case '!':
	case '{':
	case '}':
		return (s[1] == '\0');
	case 'c':
		if (!KW_IS(s, len, "case"))
			return (0);
		lx->casedepth++;
		lx->mode = M_CASESUBJ;
		return (1);
	case 'd':
		return (KW_IS(s, len, "do") || KW_IS(s, len, "done"));
	case 'e':
		if (KW_IS(s, len, "esac")) {
			if (lx->casedepth > 0)
				lx->casedepth--;
			return (1);
		}
		return (KW_IS(s, len, "elif") || KW_IS(s, len, "else"));
	case 'f':
		if (KW_IS(s, len, "for"))
			lx->mode = M_SKIP;
		else if (KW_IS(s, len, "function"))
			lx->mode = M_FUNCNAME;
		else
			return (KW_IS(s, len, "fi"));
		return (1);
	case 'i':
		return (KW_IS(s, len, "if"));
	case 's':
		if (!KW_IS(s, len, "select"))
			return (0);
		lx->mode = M_SKIP;
		return (1);
	case 't':
		if (KW_IS(s, len, "time")) {
			lx->timeopts = 1;
			return (1);
		}
		return (KW_IS(s, len, "then"));
	case 'u':
		return (KW_IS(s, len, "until"));
	case 'w':
		return (KW_IS(s, len, "while"));
	case '[':
		if (!KW_IS(s, len, "[["))
			return (0);
		lx->mode = M_DBRACKET;
		return (1);
	}
	return (0);
}

/* a word outside a simple command: it may end the construct */
static int
add_other(struct lex *lx, const struct word *w)
{
	switch (lx->mode) {
	case M_SKIP:
		return (0);
	case M_DBRACKET:
		if (strcmp(w->s, "]]") == 0 && !w->quoted)
			lx->mode = M_CMD;
		return (0);
	case M_FUNCNAME:
	case M_CASEIN:
		lx->mode = lx->mode == M_CASEIN ? M_CASEPAT : M_CMD;
		return (0);
	case M_CASESUBJ:
		lx->mode = M_CASEIN;
		return (0);
	case M_CASEPAT:
		if (strcmp(w->s, "esac") == 0 && !w->quoted) {
			if (lx->casedepth > 0)
				lx->casedepth--;
			lx->mode = M_CMD;
		}
		return (0);
	case M_CMD:		/* add_word()'s */
		break;
	}
	return (0);
}

static inline int
add_word(struct lex *lx, const struct word *w)
{
	if (lx->mode != M_CMD)
		return (add_other(lx, w));
	if (lx->nwords == 0) {
		if (!w->quoted && !w->subst && keyword(lx, w->s, w->len))
			return (0);
		if (lx->timeopts && w->s[0] == '-' && !w->quoted)
			return (0);
		if (w->raw != NULL && !w->noassign && is_assignment(w->raw))
			return (0);
	}
	return (push_word(lx, w));
}

/* the next non-blank character after pos */
static int
peek_nonblank(struct lex *lx, size_t pos, size_t *at)
{
	while (pos < lx->n && is_blank(lx->s[pos]))
		pos++;
	*at = pos;
	return (pos < lx->n ? lx->s[pos] : '\0');
}

static int
lex_open(struct lex *lx)
{
	size_t	pos;
	int	next;

	next = lx->i + 1 < lx->n ? lx->s[lx->i + 1] : '\0';
	if (lx->mode == M_CASEPAT || lx->mode == M_DBRACKET) {
		lx->i++;
		return (0);
	}
	if ((lx->nwords == 0 || lx->mode == M_SKIP) && next == '(') {
		pos = lx->i;
		if (skip_arith(lx, &pos) == -1)
			return (-1);
		lx->i = pos;
		return (0);
	}
	if (lx->nwords == 0) {
		lx->paren++;
		lx->i++;
		return (0);
	}
	if (lx->nwords == 1 && peek_nonblank(lx, lx->i + 1, &pos) == ')') {
		/* name() compound-command: a function definition */
		lx->nwords = 0;
		lx->dyn0 = 0;
		lx->i = pos + 1;
		return (0);
	}
	return (syntax(lx, "syntax error near \"(\""));
}

/* returns 1 at the end of a $(...) */
static int
lex_close(struct lex *lx)
{
	if (lx->mode == M_CASEPAT) {
		lx->mode = M_CMD;
		lx->i++;
		return (0);
	}
	if (lx->mode == M_DBRACKET) {
		lx->i++;
		return (0);
	}
	if (finish(lx) == -1)
		return (-1);
	lx->i++;
	if (lx->paren > 0) {
		lx->paren--;
		return (0);
	}
	if (lx->term == ')')
		return (1);
	return (syntax(lx, "unmatched \")\""));
}

static int
lex_operator(struct lex *lx, int c)
{
	size_t	first, k;
	int	next = lx->s[lx->i + 1];	/* lx->i < lx->n */

	if (lx->mode == M_DBRACKET) {
		lx->i += (next == c) ? 2 : 1;
		return (0);
	}
	first = lx->p->ncmds;
	if (finish(lx) == -1)
		return (-1);
	/* a pipe: the command's output goes to the next command */
	if (c == '|' && next != '|')
		for (k = first; k < lx->p->ncmds; k++)
			lx->p->cmds[k].pipeto = lx->p->ncmds;
	if (c == ';' && (next == ';' || next == '&')) {
		lx->i += 2;
		if (lx->i < lx->n && lx->s[lx->i] == '&')
			lx->i++;
		lx->mode = lx->casedepth > 0 ? M_CASEPAT : M_CMD;
		return (0);
	}
	if ((c == '&' && next == '&') || (c == '|' && (next == '|' ||
	    next == '&')))
		lx->i += 2;
	else
		lx->i++;
	if (lx->mode == M_SKIP || lx->mode == M_FUNCNAME)
		lx->mode = M_CMD;
	return (0);
}

/* blanks and escaped newlines */
static void
skip_blanks(struct lex *lx)
{
	const char	*s = lx->s;
	size_t		 i = lx->i;

	/* the NUL at s[lx->n] is no blank */
	for (;;) {
		if (is_blank(s[i]))
			i++;
		else if (s[i] == '\\' && i + 1 < lx->n && s[i + 1] == '\n')
			i += 2;
		else
			break;
	}
	lx->i = i;
}

/*
 * A plain word at lx->i that starts a simple command, the first word
 * of most: what lex_word() and add_word() do with it, without a
 * struct word.  Returns 0, having changed nothing, when the word is
 * not plain; 1 when it took it, -1 on error.
 */
static inline int
lex_name(struct lex *lx)
{
	const char	*raw = lx->s + lx->i;
	char		*w;
	size_t		 end, len;
	int		 seen;

	if ((end = plain_end(lx, &seen)) == lx->i)
		return (0);
	len = end - lx->i;
	w = cut_word(lx, end);
	if (maybe_keyword(w, len) && keyword(lx, w, len))
		return (1);
	if (lx->timeopts && w[0] == '-')
		return (1);
	/* without = or [ it is no NAME=value */
	if ((seen & CH_ASSIGN) && is_assignment(raw))
		return (1);
	lx->dyn0 = 0;
	lx->len0 = (seen & CH_SLASH) ? 0 : len;
	return (push_arg(lx, w) == -1 ? -1 : 1);
}

/*
 * The plain arguments of a simple command from lx->i on, the most
 * common words, in a loop of their own that keeps the lexer's state
 * in registers; parse_seq() calls out for everything else and so
 * reloads it for every word.  It stops, for parse_seq() to go on, at
 * the first word or byte it does not take (quotes, an operator, a
 * digit that may start a redirection, a backslash, the end) or when
 * the list of words is full.  Returns whether it took a word.
 */
static inline int
lex_args(struct lex *lx)
{
	const char	*s = lx->s;
	char		*cut = lx->cut, **words = lx->argv;
	size_t		 i = lx->i, n = lx->n, end;
	int		 nw = lx->nwords, cl;

	/* push_arg()'s room for the word and the NULL after it */
	while (nw + 1 < lx->wroom) {
		/* s[n] is a NUL, which is CH_WORD */
		for (end = i; ((cl = CHCLASS(s[end])) & CH_WORD) == 0; end++)
			;
		if (end == i || (end < n && ((cl & CH_META) == 0 ||
		    s[end] == '(')))
			break;
		cut[end] = '\0';
		words[nw++] = cut + i;
		for (i = end; is_blank(s[i]); i++)
			;
		if (CHCLASS(s[i]) & (CH_WORD | CH_TOKEN))
			break;
	}
	if (nw == lx->nwords)
		return (0);
	lx->i = i;
	lx->nwords = nw;
	return (1);
}

/*
 * Most nested parses, $(date), `id`, sh -c 'ls', are one simple command
 * of plain words and blanks, and parse_seq() with all its state is a
 * lot of work for them.  This reads such a body from *pos at depth, up
 * to term (')' for a $(...), '`' for a backquote) or, term being 0, the
 * end at n, and does what lex_start(), lex_name(), lex_args() and
 * finish() would do with it: the same words cut from cut into the same
 * slots, the same sh_emit().
 *
 * Anything else goes to parse_seq(): a word with quotes, $, `, \ or a
 * metacharacter next to it, a comment, a newline, an operator, a first
 * word that may be a reserved word or has a = or [ (NAME=value), an
 * empty body, an error already set, more words than the level's free
 * slots hold (the limit and words_grow() stay parse_seq()'s), a level
 * not made yet.
 * Then it returns 0, having changed nothing that can be seen: it may
 * have put NULs in cut, but only after plain words at the blanks or
 * the terminator that end them, where parse_seq() puts them too or no
 * word of cut ever reaches; and word pointers in free slots.
 *
 * Returns 1 when it parsed the body, *pos then after it, -1 on error.
 */
static int
simple_body(struct shparse *p, const char *s, char *cut, size_t *pos,
    size_t n, int depth, int term)
{
	struct shlevel	 *lv;
	char		**argv;
	size_t		  i = *pos, end, len0 = 0, room;
	int		  nw = 0, cl, seen = 0;

	if (p->error != SH_OK || depth >= p->nlevels ||
	    (lv = p->levels[depth]) == NULL)
		return (0);
	/* push_arg()'s room: the words and the NULL, no words_grow() */
	room = lv->nfree < SH_MAXWORDS + 1 ? lv->nfree : SH_MAXWORDS + 1;
	argv = lv->wfree;
	for (;;) {
		/* s[n] is a NUL, which is CH_WORD and no blank */
		while (is_blank(s[i]))
			i++;
		/* a '#' starting a word starts a comment */
		if ((CHCLASS(s[i]) & CH_WORD) || s[i] == '#')
			break;
		if (nw + 1 >= (int)room)
			return (0);
		for (end = i; ((cl = CHCLASS(s[end])) & CH_WORD) == 0; end++)
			seen |= cl;
		/* a blank or the terminator ends it, as in lex_args() */
		if (!is_blank(s[end]) && !(term != 0 ? end < n &&
		    s[end] == term : end == n))
			return (0);
		cut[end] = '\0';
		if (nw == 0) {
			/* lex_name()'s tests, on the word as cut */
			if (maybe_keyword(cut + i, end - i) ||
			    (seen & CH_ASSIGN))
				return (0);
			len0 = (seen & CH_SLASH) ? 0 : end - i;
		}
		argv[nw++] = cut + i;
		i = end;
	}
	if (nw == 0)
		return (0);
	if (term != 0) {
		if (i >= n || s[i] != term)
			return (0);
		i++;
	} else if (i != n)
		return (0);
	/* finish()'s */
	argv[nw] = NULL;
	lv->wfree += nw + 1;
	lv->nfree -= nw + 1;
	*pos = i;
	if (sh_emit(p, argv, nw, depth, 0, 0, len0, NULL) == -1)
		return (-1);
	return (1);
}

/*
 * What lex_token() found: TOK_NEXT when it handled something, TOK_WORD
 * when c starts a word after all, TOK_END at the end of a $(...).
 */
#define TOK_ERROR	-1
#define TOK_NEXT	0
#define TOK_END		1
#define TOK_WORD	2

/* a comment, newline, parenthesis, redirection or operator at lx->i */
static int
lex_token(struct lex *lx, int c)
{
	int	r;

	/*
	 * The list and pipeline operators, the most common, first; &> is
	 * a redirection.  s[lx->n] is a NUL, so s[lx->i + 1] can be read.
	 */
	if (c == '|' || c == ';' || (c == '&' && lx->s[lx->i + 1] != '>'))
		return (lex_operator(lx, c) == -1 ? TOK_ERROR : TOK_NEXT);
	switch (c) {
	case '#':
		while (lx->i < lx->n && lx->s[lx->i] != '\n')
			lx->i++;
		return (TOK_NEXT);
	case '\n':
		lx->i++;
		if (finish(lx) == -1)
			return (TOK_ERROR);
		if (lx->nhd > 0 && read_heredocs(lx) == -1)
			return (TOK_ERROR);
		if (lx->mode == M_SKIP || lx->mode == M_FUNCNAME)
			lx->mode = M_CMD;
		return (TOK_NEXT);
	case '(':
		return (lex_open(lx) == -1 ? TOK_ERROR : TOK_NEXT);
	case ')':
		if ((r = lex_close(lx)) != 0)
			return (r == 1 ? TOK_END : TOK_ERROR);
		return (TOK_NEXT);
	case '<':
	case '>':
		if (lx->i + 1 < lx->n && lx->s[lx->i + 1] == '(')
			return (lex_procsubst(lx) == -1 ? TOK_ERROR : TOK_NEXT);
		break;
	}
	if (lx->mode == M_DBRACKET && (c == '<' || c == '>')) {
		lx->i++;
		return (TOK_NEXT);
	}
	/* the operators were taken above, but for &> */
	if (is_redirect(lx))
		return (lex_redirect(lx) == -1 ? TOK_ERROR : TOK_NEXT);
	return (TOK_WORD);
}

static int
parse_seq(struct lex *lx)
{
	struct word	w;
	int		c, r;

	for (;;) {
		skip_blanks(lx);
		if (lx->p->error != SH_OK)
			return (-1);
		if (lx->i >= lx->n) {
			if (finish(lx) == -1)
				return (-1);
			if (lx->term == ')')
				return (syntax(lx, "unterminated $(...)"));
			if (lx->paren > 0)
				return (syntax(lx, "unterminated ( subshell"));
			if (lx->nhd > 0 && read_heredocs(lx) == -1)
				return (-1);
			return (0);
		}
		c = lx->s[lx->i];
		/* most characters can only start a word */
		if ((CHCLASS(c) & CH_TOKEN) != 0 &&
		    (r = lex_token(lx, c)) != TOK_WORD) {
			if (r == TOK_ERROR)
				return (-1);
			if (r == TOK_END)
				return (0);
			continue;
		}
		/* most words are plain, in a simple command */
		if (lx->mode == M_CMD) {
			if (lx->nwords > 0)
				r = lex_args(lx);
			else if ((r = lex_name(lx)) == -1)
				return (-1);
			if (r == 1)
				continue;
		}
		if (lex_word(lx, &w) == -1 || add_word(lx, &w) == -1)
			return (-1);
	}
}

int
shparse(struct shparse *p, const char *s, size_t len)
{
	shparse_reset(p);
	if (memchr(s, '\0', len) != NULL) {
		sh_seterr(p, SH_ESYNTAX, "NUL byte in command");
		return (-1);
	}
	return (nested(p, s, len, 0, NEST_COPY));
}

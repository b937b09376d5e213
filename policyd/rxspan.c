/*
 * rxspan.c - the bytes a match of a pattern can consist of.
 *
 * Every byte a match consumes comes from one of the pattern's
 * consuming atoms (a literal, a class, an escape, a dot); the union of
 * their byte sets is therefore a superset of the bytes of any match,
 * whatever the quantifiers, groups and alternatives.  Lookarounds only
 * look, so their contents are left out.  A match that contains a place
 * p then lies inside the longest run of such bytes around p: the
 * engine tries patterns only there (rules_re.c).  rx_readspan() adds
 * what lookaheads consume: no attempt reads past the first byte outside
 * that set, so two attempts that see the same bytes up to there give
 * the same answer.  Anything this walker does not understand counts as
 * "every byte", which is always safe.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

#define SPAN_MAXDEPTH	64

struct span {
	const char	*s;
	size_t		 i;
	size_t		 n;
	uint8_t		*set;
	int		 dotall;
	int		 look;		/* count what lookarounds consume */
	int		 all;		/* gave up: every byte */
};

static void
set_byte(uint8_t *set, int c)
{
	set[(unsigned char)c / 8] |= 1 << ((unsigned char)c % 8);
	if (isupper(c))
		set[tolower(c) / 8] |= 1 << (tolower(c) % 8);
	else if (islower(c))
		set[toupper(c) / 8] |= 1 << (toupper(c) % 8);
}

static int
is_word(int c)
{
	return (isalnum(c) || c == '_' || c >= 0x80);
}

static int
is_space(int c)
{
	return ((c >= 9 && c <= 13) || c == ' ' || c == 0x85 || c == 0xa0);
}

/* \s \d \w and their complements (bytes >= 0x80 count as both) */
static void
set_type(uint8_t *set, int d)
{
	int	c, in;

	for (c = 0; c < 256; c++) {
		switch (tolower(d)) {
		case 's':
			in = is_space(c);
			break;
		case 'd':
			in = isdigit(c) || c >= 0x80;
			break;
		default:
			in = is_word(c);
			break;
		}
		if (isupper(d))
			in = !in || c >= 0x80;
		if (in)
			set_byte(set, c);
	}
}

static void
set_all(uint8_t *set)
{
	memset(set, 0xff, 32);
}

/*
 * An escape at s[i] == '\\': its bytes into set.  Returns the literal
 * byte when it stands for one byte (for ranges), -1 otherwise.
 * Zero-width escapes add nothing.
 */
static int
span_escape(struct span *x, uint8_t *set)
{
	int	d;

	if (x->i + 1 >= x->n) {
		x->all = 1;
		return (-1);
	}
	d = (unsigned char)x->s[x->i + 1];
	x->i += 2;
	if (!isalnum(d)) {
		set_byte(set, d);
		return (d);
	}
	switch (d) {
	case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G':
	case 'K':
		return (-1);
	case 's': case 'S': case 'd': case 'D': case 'w': case 'W':
		set_type(set, d);
		return (-1);
	case 'n':
		set_byte(set, '\n');
		return ('\n');
	case 't':
		set_byte(set, '\t');
		return ('\t');
	case 'r':
		set_byte(set, '\r');
		return ('\r');
	case 'f':
		set_byte(set, '\f');
		return ('\f');
	case 'e':
		set_byte(set, 0x1b);
		return (0x1b);
	case 'a':
		set_byte(set, 0x07);
		return (0x07);
	default:
		/* \x.. \p{..} \Q \c. \N \R \X \h \v \1 \g \k ... */
		x->all = 1;
		return (-1);
	}
}

/* a byte of a class: case-closed unless the class is negated */
static void
class_byte(uint8_t *cls, int c, int raw)
{
	if (raw)
		cls[c / 8] |= 1 << (c % 8);
	else
		set_byte(cls, c);
}

/* one item of a class at s[i]: its byte, or -1 for \s and the like */
static int
class_item(struct span *x, uint8_t *cls, int raw)
{
	int	c = (unsigned char)x->s[x->i];

	if (c != '\\') {
		class_byte(cls, c, raw);
		x->i++;
		return (c);
	}
	if (x->i + 1 < x->n && x->s[x->i + 1] == 'b') {
		x->i += 2;		/* backspace inside a class */
		class_byte(cls, 0x08, raw);
		return (0x08);
	}
	if (x->i + 1 < x->n && !isalnum((unsigned char)x->s[x->i + 1])) {
		c = (unsigned char)x->s[x->i + 1];
		x->i += 2;
		class_byte(cls, c, raw);
		return (c);
	}
	return (span_escape(x, cls));
}

/*
 * [...]: its bytes into x->set.  A negated class takes the complement
 * of its items as written, without case-closing them first: that is a
 * superset of what it matches with or without caseless matching.
 */
static void
span_class(struct span *x)
{
	uint8_t	 cls[32];
	int	 neg = 0, prev = -1, c, hi, k, first = 1;

	memset(cls, 0, sizeof(cls));
	x->i++;				/* [ */
	if (x->i < x->n && x->s[x->i] == '^') {
		neg = 1;
		x->i++;
	}
	while (x->i < x->n && !x->all) {
		c = (unsigned char)x->s[x->i];
		if (c == ']' && !first)
			break;
		first = 0;
		if (c == '[' && x->i + 1 < x->n && (x->s[x->i + 1] == ':' ||
		    x->s[x->i + 1] == '.' || x->s[x->i + 1] == '=')) {
			x->all = 1;	/* [:alpha:] and the like */
			return;
		}
		if (c == '-' && prev != -1 && x->i + 1 < x->n &&
		    x->s[x->i + 1] != ']') {
			x->i++;
			hi = class_item(x, cls, neg);
			if (hi == -1 || hi < prev) {
				x->all = 1;
				return;
			}
			for (k = prev; k <= hi; k++)
				class_byte(cls, k, neg);
			prev = -1;
			continue;
		}
		prev = class_item(x, cls, neg);
	}
	if (x->i >= x->n) {
		x->all = 1;
		return;
	}
	x->i++;				/* ] */
	for (k = 0; k < 32; k++)
		x->set[k] |= neg ? (uint8_t)~cls[k] : cls[k];
}

/* past the ) that closes the group whose ( is at s[i - 1] */
static void
span_skip_group(struct span *x)
{
	int	depth = 1;

	while (x->i < x->n && depth > 0) {
		switch (x->s[x->i]) {
		case '\\':
			x->i += 2;
			continue;
		case '[':
			{
				uint8_t	save[32];

				memcpy(save, x->set, sizeof(save));
				span_class(x);	/* skipped, not counted */
				memcpy(x->set, save, sizeof(save));
			}
			continue;
		case '(':
			depth++;
			break;
		case ')':
			depth--;
			break;
		}
		x->i++;
	}
	if (depth > 0)
		x->all = 1;
}

/*
 * Can the lookahead whose body starts at s[i] consume one byte at most
 * (every branch empty, zero-width or a single unquantified atom, as in
 * (?=$|[\s;&])?  It then only looks at the byte where it stands.
 */
static int
peek_only(const struct span *x)
{
	const char	*s = x->s;
	size_t		 i = x->i;
	int		 atoms = 0;

	for (; i < x->n; i++) {
		switch (s[i]) {
		case ')':
			return (1);
		case '|':
			atoms = 0;
			continue;
		case '^': case '$':
			continue;
		case '(': case '*': case '+': case '?': case '{':
			return (0);
		case '\\':
			if (++i >= x->n || strchr("bBAzZG", s[i]) != NULL)
				continue;
			if (!ispunct((unsigned char)s[i]) &&
			    strchr("dDsSwWhHvVtnrfe", s[i]) == NULL)
				return (0);	/* \x \p \R \X ...: not simple */
			break;
		case '[':
			if (i + 1 < x->n && s[i + 1] == '^')
				i++;
			if (i + 1 < x->n && s[i + 1] == ']')
				i++;
			while (++i < x->n && s[i] != ']')
				if (s[i] == '\\')
					i++;
				else if (s[i] == '[')
					return (0);
			if (i >= x->n)
				return (0);
			break;
		}
		if (++atoms > 1)
			return (0);
	}
	return (0);
}

/*
 * ( at s[i]: lookarounds are skipped (or, for what a match attempt can
 * read, opened), other groups only opened.  A lookbehind reads no
 * farther back than pcre2's longest lookbehind from a place an attempt
 * reached, so it is skipped then too; so is a lookahead that only
 * looks at one byte.
 */
static void
span_group(struct span *x)
{
	const char	*s = x->s;

	x->i++;
	if (x->i >= x->n)
		return;
	if (s[x->i] == '*') {
		x->all = 1;		/* (*VERB) */
		return;
	}
	if (s[x->i] != '?')
		return;
	x->i++;
	if (x->i >= x->n) {
		x->all = 1;
		return;
	}
	switch (s[x->i]) {
	case '=': case '!':
		x->i++;
		if (!x->look || peek_only(x))
			span_skip_group(x);
		return;
	case '<':
		if (x->i + 1 < x->n && (s[x->i + 1] == '=' ||
		    s[x->i + 1] == '!')) {
			x->i += 2;
			span_skip_group(x);
			return;
		}
		/* FALLTHROUGH */
	case 'P':
		if (s[x->i] == 'P' && x->i + 1 < x->n && s[x->i + 1] != '<') {
			x->all = 1;	/* (?P=name) (?P>name) */
			return;
		}
		/* FALLTHROUGH */
	case '\'':
		while (x->i < x->n && s[x->i] != '>' && s[x->i] != '\'')
			x->i++;
		x->i++;
		return;
	case ':': case '>': case '|':
		x->i++;
		return;
	case '#':
		while (x->i < x->n && s[x->i] != ')')
			x->i++;
		x->i++;
		return;
	case '(':
		x->all = 1;		/* conditionals */
		return;
	default:
		/* (?flags) or (?flags: ; recursion and the rest: give up */
		while (x->i < x->n && strchr("imnsxJU^-", s[x->i]) != NULL &&
		    s[x->i] != '\0')
			x->i++;
		if (x->i < x->n && (s[x->i] == ')' || s[x->i] == ':'))
			x->i++;
		else
			x->all = 1;
	}
}

/* {n}, {n,}, {n,m}: a quantifier, skipped; anything else is a literal { */
static int
span_quant(struct span *x)
{
	size_t	j = x->i + 1;

	if (j >= x->n || !isdigit((unsigned char)x->s[j]))
		return (0);
	while (j < x->n && (isdigit((unsigned char)x->s[j]) ||
	    x->s[j] == ','))
		j++;
	if (j >= x->n || x->s[j] != '}')
		return (0);
	x->i = j + 1;
	return (1);
}

/* does an inline option group turn on s (dot matches newline)? */
static int
inline_dotall(const char *p)
{
	const char	*q;

	for (; (p = strstr(p, "(?")) != NULL; p += 2)
		for (q = p + 2; isalpha((unsigned char)*q) || *q == '-' ||
		    *q == '^'; q++)
			if (*q == 's')
				return (1);
	return (0);
}

static int
span_walk(const char *pattern, uint32_t flags, uint8_t *set, int look)
{
	struct span	x;
	int		c, k, nl;

	memset(set, 0, 32);
	memset(&x, 0, sizeof(x));
	x.s = pattern;
	x.n = strlen(pattern);
	x.set = set;
	x.look = look;
	x.dotall = (flags & PCRE2_DOTALL) || inline_dotall(pattern);
	if (flags & PCRE2_EXTENDED)
		x.all = 1;
	while (x.i < x.n && !x.all) {
		c = (unsigned char)x.s[x.i];
		switch (c) {
		case '\\':
			(void)span_escape(&x, set);
			break;
		case '[':
			span_class(&x);
			break;
		case '(':
			span_group(&x);
			break;
		case '.':
			/* every byte but a newline, added to what is there */
			nl = set['\n' / 8] & (1 << ('\n' % 8));
			set_all(set);
			if (!x.dotall && !nl)
				set['\n' / 8] &= ~(1 << ('\n' % 8));
			x.i++;
			break;
		case '{':
			if (!span_quant(&x)) {
				set_byte(set, c);
				x.i++;
			}
			break;
		case ')': case '|': case '^': case '$': case '*': case '+':
		case '?':
			x.i++;
			break;
		default:
			set_byte(set, c);
			x.i++;
		}
	}
	if (x.all)
		set_all(set);
	for (k = 0; k < 32; k++)
		if (set[k] != 0xff)
			return (1);
	return (0);
}

/*
 * The bytes any match of pattern (compiled with flags) can consist of,
 * case-closed.  Returns 1 when some byte is left out, 0 when every
 * byte may occur (set is then all ones).
 */
int
rx_span(const char *pattern, uint32_t flags, uint8_t *set)
{
	return (span_walk(pattern, flags, set, 0));
}

/*
 * The same with the bytes lookarounds consume: an attempt to match
 * from a place reads nothing past the first byte after it outside this
 * set (a byte outside it can be looked at, never stepped over), and
 * nothing before it farther back than the longest lookbehind.
 */
int
rx_readspan(const char *pattern, uint32_t flags, uint8_t *set)
{
	return (span_walk(pattern, flags, set, 1));
}

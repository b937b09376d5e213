/*
 * dlp_num.c - numbers that are personal data: phone numbers, credit
 * cards (Luhn and issuer prefix checked) and US social security
 * numbers.
 *
 * At the start of a digit word the run of digit groups is read, with
 * the separators between groups (a blank, '-', '.', parentheses).
 * Groups joined by '-', '.' or parentheses belong together; a blank
 * may also separate two things, so every prefix of the run that ends
 * at a blank is tried too, longest first.  Shapes that are not phone,
 * card or SSN formats (dates, versions, addresses, plain numbers) match
 * nothing.
 */
#include <sys/types.h>

#include <ctype.h>
#include <string.h>

#include "dlp_int.h"

#define NG_MAX		8
#define GROUP_MAX	19

enum sep { SEP_NONE, SEP_SP, SEP_DASH, SEP_DOT, SEP_PAREN };

struct numrun {
	const char	*p;
	size_t		 so;		/* includes a leading '+' or '(' */
	size_t		 gs[NG_MAX];
	size_t		 ge[NG_MAX];
	enum sep	 sep[NG_MAX];	/* after group i */
	int		 ng;
	int		 plus;
	int		 paren;
	int		 hexctx;	/* next to hex byte pairs */
};

#define GLEN(r, i)	((r)->ge[i] - (r)->gs[i])

static int
digits(const struct numrun *r, int k)
{
	int	i, n = 0;

	for (i = 0; i < k; i++)
		n += GLEN(r, i);
	return (n);
}

/* All separators among the first k groups are one of the two kinds. */
static int
seps_all(const struct numrun *r, int k, enum sep a, enum sep b)
{
	int	i;

	for (i = 0; i < k - 1; i++)
		if (r->sep[i] != a && r->sep[i] != b)
			return (0);
	return (1);
}

static enum sep
read_sep(const struct dlp_scan *s, size_t *posp)
{
	size_t	pos = *posp, q = pos;
	int	sp = 0, dash = 0, dot = 0, par = 0;

	while (q < s->len && q - pos < 3) {
		switch (s->p[q]) {
		case ' ':
			sp++;
			break;
		case '-':
			dash++;
			break;
		case '.':
			dot++;
			break;
		case '(':
		case ')':
			par++;
			break;
		default:
			goto done;
		}
		q++;
	}
 done:
	if (q == pos || q >= s->len || !DLP_IS(s->p[q], DLP_C_DIGIT))
		return (SEP_NONE);
	*posp = q;
	if (par == 1 && sp <= 1 && dash + dot == 0)
		return (SEP_PAREN);
	if (par == 0 && q - pos == 1)
		return (sp ? SEP_SP : dash ? SEP_DASH : SEP_DOT);
	if (par == 0 && sp == 2 && dash == 1 && s->p[pos + 1] == '-')
		return (SEP_DASH);
	return (SEP_NONE);
}

/* Digits right after '-', '.', ',', '/' or ':' and a digit continue a run. */
static int
continuation(const struct dlp_scan *s, size_t i)
{
	if (i < 2 || !DLP_IS(s->p[i - 2], DLP_C_DIGIT))
		return (0);
	return (s->p[i - 1] != '\0' && strchr("-.,/:", s->p[i - 1]) != NULL);
}

/* p[i] follows a "\n", "\t" or "\r" escape of raw JSON text. */
static int
after_escape(const struct dlp_scan *s, size_t i)
{
	return (i >= 2 && s->p[i - 2] == '\\' &&
	    (s->p[i - 1] == 'n' || s->p[i - 1] == 't' || s->p[i - 1] == 'r'));
}

static int
read_run(const struct dlp_scan *s, size_t i, struct numrun *r)
{
	size_t	pos = i;

	r->ng = r->plus = r->paren = 0;
	r->p = s->p;
	r->so = i;
	if (i > 0 && s->p[i - 1] == '+' && s->p[i] != '0' &&
	    (i == 1 || (!DLP_IS(s->p[i - 2], DLP_C_ALNUM) &&
	    s->p[i - 2] != '+') || after_escape(s, i - 1))) {
		r->plus = 1;
		r->so = i - 1;
		if (i >= 2 && s->p[i - 2] == '(')
			r->so = i - 2;		/* (+44) 20 ... */
	} else if (i > 0 && s->p[i - 1] == '(') {
		r->paren = 1;
		r->so = i - 1;
	}
	for (;;) {
		r->gs[r->ng] = pos;
		while (pos < s->len && DLP_IS(s->p[pos], DLP_C_DIGIT))
			pos++;
		r->ge[r->ng] = pos;
		if (pos - r->gs[r->ng] > GROUP_MAX)
			return (-1);
		if (++r->ng == NG_MAX)
			break;
		if ((r->sep[r->ng - 1] = read_sep(s, &pos)) == SEP_NONE)
			break;
	}
	return (0);
}

static int
tail_ok(const struct dlp_scan *s, size_t e)
{
	char	c;

	if (e >= s->len)
		return (1);
	c = s->p[e];
	if (DLP_IS(c, DLP_C_ALNUM) || c == '_')
		return (0);
	if (e + 1 < s->len && DLP_IS(s->p[e + 1], DLP_C_DIGIT) &&
	    c != '\0' && strchr("-.,/:", c) != NULL)
		return (0);
	return (1);
}

static int
ssn(const struct numrun *r, int k)
{
	const char	*a, *g, *n;

	if (k != 3 || r->plus || r->sep[0] != SEP_DASH ||
	    r->sep[1] != SEP_DASH || GLEN(r, 0) != 3 || GLEN(r, 1) != 2 ||
	    GLEN(r, 2) != 4)
		return (0);
	a = r->p + r->gs[0];
	g = r->p + r->gs[1];
	n = r->p + r->gs[2];
	if (memcmp(a, "000", 3) == 0 || memcmp(a, "666", 3) == 0 ||
	    a[0] == '9' || memcmp(g, "00", 2) == 0 || memcmp(n, "0000", 4) == 0)
		return (0);
	return (1);
}

static int
luhn(const struct numrun *r, int k)
{
	int	i, sum = 0, dbl = 0, v;
	size_t	j;

	for (i = k - 1; i >= 0; i--) {
		for (j = r->ge[i]; j > r->gs[i]; j--) {
			v = r->p[j - 1] - '0';
			if (dbl && (v *= 2) > 9)
				v -= 9;
			sum += v;
			dbl = !dbl;
		}
	}
	return (sum % 10 == 0);
}

/* Issuer prefix and length: Visa, Mastercard, Amex, Diners, JCB, ... */
static int
card_issuer(const char *d, int n)
{
	int	two = (d[0] - '0') * 10 + (d[1] - '0');
	int	four = two * 100 + (d[2] - '0') * 10 + (d[3] - '0');

	switch (d[0]) {
	case '2':
		return (four >= 2221 && four <= 2720 && n == 16);
	case '3':
		if (two == 34 || two == 37)
			return (n == 15);
		if (two == 35)
			return (n >= 16);
		if (two == 30 || two == 36 || two == 38 || two == 39)
			return (n >= 14 && n <= 16);
		return (0);
	case '4':
		return (n == 13 || n == 16 || n == 19);
	case '5':
		return (n >= 16);
	case '6':
		return (n >= 16);
	default:
		return (0);
	}
}

static int
card(const struct numrun *r, int k)
{
	char	first[4] = { '0', '0', '0', '0' };
	int	n = digits(r, k), i;
	size_t	j, f = 0;

	if (r->plus || n < 13 || n > 19)
		return (0);
	if (k > 1) {
		if (!seps_all(r, k, SEP_SP, SEP_SP) &&
		    !seps_all(r, k, SEP_DASH, SEP_DASH))
			return (0);
		if (k == 3 && GLEN(r, 0) == 4 && GLEN(r, 1) == 6 &&
		    (GLEN(r, 2) == 5 || GLEN(r, 2) == 4))
			;	/* Amex, Diners 4-6-5, 4-6-4 */
		else {
			for (i = 0; i < k - 1; i++)
				if (GLEN(r, i) != 4)
					return (0);
		}
	}
	for (i = 0; i < k && f < 4; i++)
		for (j = r->gs[i]; j < r->ge[i] && f < 4; j++)
			first[f++] = r->p[j];
	return (card_issuer(first, n) && luhn(r, k));
}

/* US: [1 ](NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX */
static int
phone_us(const struct numrun *r, int b, int k, int paren)
{
	if (k - b != 3 || GLEN(r, b) != 3 || GLEN(r, b + 1) != 3 ||
	    GLEN(r, b + 2) != 4 || r->p[r->gs[b]] < '2')
		return (0);
	if (paren)
		return (r->sep[b] == SEP_PAREN && r->sep[b + 1] != SEP_PAREN);
	if (r->sep[b] == SEP_SP && r->sep[b + 1] == SEP_DASH)
		return (1);		/* 555 123-4567 */
	return (r->sep[b] == r->sep[b + 1] && r->sep[b] != SEP_PAREN);
}

/* International with the 00 prefix: 0049 30 12345678 */
static int
phone_00(const struct numrun *r, int k)
{
	const char	*g = r->p + r->gs[0];
	int		 n = digits(r, k);

	if (k < 2 || GLEN(r, 0) < 3 || GLEN(r, 0) > 5 || g[0] != '0' ||
	    g[1] != '0' || g[2] == '0' || n < 10 || n > 15 || r->paren)
		return (0);
	return (seps_all(r, k, SEP_SP, SEP_PAREN) ||
	    seps_all(r, k, SEP_DASH, SEP_PAREN));
}

/* Trunk prefix 0: 020 7946 0958, 030 12345678, 01 23 45 67 89 */
static int
phone_national(const struct numrun *r, int k)
{
	int	n = digits(r, k), i, twos = 1;

	if (k < 2 || k > 5 || n < 10 || n > 11 || r->p[r->gs[0]] != '0' ||
	    r->p[r->gs[0] + 1] == '0' || GLEN(r, 0) < 2 || GLEN(r, 0) > 5)
		return (0);
	for (i = 0; i < k; i++) {
		if (GLEN(r, i) < 2)
			return (0);
		if (GLEN(r, i) != 2)
			twos = 0;
	}
	if (GLEN(r, k - 1) < 3 && !(twos && k == 5))
		return (0);
	if (r->paren)
		return (r->sep[0] == SEP_PAREN && seps_all(r, k, SEP_PAREN,
		    SEP_SP));
	if (k == 5 && twos && r->hexctx)
		return (0);		/* a hex dump: "de 02 00 00 00 00 05" */
	if (seps_all(r, k, SEP_SP, SEP_SP) || seps_all(r, k, SEP_DASH,
	    SEP_DASH))
		return (1);
	return (k == 5 && twos && seps_all(r, k, SEP_DOT, SEP_DOT));
}

/* A one-digit group after a dot: a version or section number. */
static int
dotted_digit(const struct numrun *r, int k)
{
	int	i;

	for (i = 1; i < k; i++)
		if (r->sep[i - 1] == SEP_DOT && GLEN(r, i) == 1)
			return (1);
	return (0);
}

static int
phone(const struct numrun *r, int k)
{
	int	n = digits(r, k);

	if (r->plus)
		return (n >= 8 && n <= 15 && (k == 1 || GLEN(r, 0) <= 3) &&
		    !dotted_digit(r, k));
	if (phone_national(r, k) || phone_00(r, k))
		return (1);
	if (r->paren)
		return (phone_us(r, 0, k, 1));
	if (phone_us(r, 0, k, 0))
		return (1);
	if (k >= 4 && GLEN(r, 0) == 1 && r->p[r->gs[0]] == '1') {
		if (r->sep[0] == SEP_PAREN)
			return (phone_us(r, 1, k, 1));
		return (phone_us(r, 1, k, 0) && r->sep[0] == r->sep[1]);
	}
	return (0);
}

static int
hex2(const struct dlp_scan *s, size_t i)
{
	return (i + 1 < s->len && isxdigit((unsigned char)s->p[i]) &&
	    isxdigit((unsigned char)s->p[i + 1]));
}

/* "xx " before so or " xx" after eo, xx a hex byte on its own. */
static int
hex_context(const struct dlp_scan *s, size_t so, size_t eo)
{
	if (so >= 3 && s->p[so - 1] == ' ' && hex2(s, so - 3) &&
	    (so == 3 || s->p[so - 4] == ' '))
		return (1);
	return (eo + 3 <= s->len && s->p[eo] == ' ' && hex2(s, eo + 1) &&
	    (eo + 3 == s->len || s->p[eo + 3] == ' '));
}

/* Exactly three digits at i, as a North American area code. */
static int
area_code(const struct dlp_scan *s, size_t i)
{
	return (i + 3 < s->len && DLP_IS(s->p[i + 1], DLP_C_DIGIT) &&
	    DLP_IS(s->p[i + 2], DLP_C_DIGIT) &&
	    !DLP_IS(s->p[i + 3], DLP_C_DIGIT));
}

/*
 * The common cases, dismissed before reading the run: a number no
 * format starts with (one digit other than 1, 6 to 12 digits) and a
 * short number not followed by a separator and another digit.
 */
static int
quick_reject(const struct dlp_scan *s, size_t i)
{
	size_t	e = i, n;
	char	c;

	while (e < s->len && DLP_IS(s->p[e], DLP_C_DIGIT))
		e++;
	n = e - i;
	if (n >= 13)
		return (0);
	if (i > 0 && s->p[i - 1] == '+')
		return (0);
	if ((n == 1 && s->p[i] != '1') || n > 5)
		return (1);
	if (i > 0 && s->p[i - 1] == '(')
		return (n < 2);
	if (e + 1 >= s->len)
		return (1);
	c = s->p[e];
	if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')')
		return (1);
	c = s->p[e + 1];
	if (n == 1 && DLP_IS(c, DLP_C_DIGIT))
		return (!area_code(s, e + 1));	/* 1-800-..., 1 555 ... */
	return (!DLP_IS(c, DLP_C_DIGIT) && c != ' ' && c != '(' && c != '-');
}

void
dlp_num_scan(struct dlp_scan *s, size_t i)
{
	struct numrun	r;
	int		k, spc, ident;
	size_t		e;

	if (quick_reject(s, i) || continuation(s, i) ||
	    read_run(s, i, &r) == -1)
		return;
	/*
	 * After "digits " the run is the tail of a longer one already
	 * tried: only shapes joined by more than blanks count here.
	 */
	spc = i >= 2 && s->p[i - 1] == ' ' && DLP_IS(s->p[i - 2], DLP_C_DIGIT);
	/* "R-03371-37637": digits in an identifier are no phone */
	ident = i >= 2 && s->p[i - 1] == '-' &&
	    DLP_IS(s->p[i - 2], DLP_C_UPPER | DLP_C_LOWER);
	if (r.ng == 1 && !r.plus && GLEN(&r, 0) < 13)
		return;		/* the common case: a plain number */
	for (k = r.ng; k >= 1; k--) {
		if (k < r.ng && r.sep[k - 1] != SEP_SP)
			continue;
		e = r.ge[k - 1];
		if (k == r.ng && !tail_ok(s, e))
			continue;
		if (spc && k > 1 && seps_all(&r, k, SEP_SP, SEP_SP))
			continue;
		if (ssn(&r, k)) {
			dlp_builtin_match(s, r.gs[0], e, DLP_D_SSN);
			return;
		}
		if (card(&r, k)) {
			dlp_builtin_match(s, r.gs[0], e, DLP_D_CREDIT_CARD);
			return;
		}
		r.hexctx = hex_context(s, r.so, e);
		if (!ident && phone(&r, k)) {
			dlp_builtin_match(s, r.so, e, DLP_D_PHONE);
			return;
		}
	}
}

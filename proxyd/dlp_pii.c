/*
 * dlp_pii.c - e-mail addresses (found at their '@') and IBANs (country
 * code and check digits, verified mod 97, length per country).
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "dlp_int.h"

#define LOCAL_MAX	64
#define LABEL_MAX	63
#define DOMAIN_MAX	253
#define TLD_MAX		24

/* Skip a JSON/C escape that p[j] may be the tail of. */
static size_t
skip_escape(const struct dlp_scan *s, size_t j, size_t limit)
{
	size_t	k = j, n = 0;

	while (k > 0 && s->p[k - 1] == '\\') {
		k--;
		n++;
	}
	if (n % 2 == 0)
		return (j);
	if (s->p[j] == 'u')
		j += 5;
	else
		j++;
	return (j > limit ? limit : j);
}

/* "2x" in "logo@2x.png" */
static int
retina(const char *p, size_t n)
{
	size_t	i;

	if (n < 2 || p[n - 1] != 'x')
		return (0);
	for (i = 0; i < n - 1; i++)
		if (!DLP_IS(p[i], DLP_C_DIGIT))
			return (0);
	return (1);
}

/*
 * Top-level "domains" that are file types or systemd unit types, as
 * in "getty@tty1.service" or "icon@large.png"; real TLDs that double
 * as extensions (.sh, .py, .md, .rs) are not listed.
 */
static const char *const not_tld[] = { "automount", "bin", "cfg", "conf",
	"css", "csv", "deb", "device", "dll", "exe", "gif", "gz", "htm",
	"html", "ico", "ini", "jar", "jpeg", "jpg", "js", "json", "jsx",
	"lock", "log", "mjs", "mount", "path", "pdf", "png", "rpm", "scope",
	"scss", "service", "slice", "socket", "svg", "swap", "tar", "target",
	"tgz", "timer", "toml", "ts", "tsx", "txt", "webp", "whl", "xml",
	"xz", "yaml", "yml", "zip" };

static int
tld_cmp(const void *k, const void *e)
{
	return (strcmp(k, *(const char *const *)e));
}

static int
file_tld(const char *p, size_t n)
{
	char	t[TLD_MAX + 1];
	size_t	i;

	for (i = 0; i < n; i++)
		t[i] = p[i] | 0x20;
	t[n] = '\0';
	return (bsearch(t, not_tld, sizeof(not_tld) / sizeof(not_tld[0]),
	    sizeof(not_tld[0]), tld_cmp) != NULL);
}

static size_t
email_domain(const struct dlp_scan *s, size_t k)
{
	size_t	ls, first = 0, nlab = 0, d0 = k, i;

	for (;;) {
		ls = k;
		while (k < s->len && DLP_IS(s->p[k], DLP_C_HOST))
			k++;
		if (k == ls || k - ls > LABEL_MAX || s->p[ls] == '-' ||
		    s->p[k - 1] == '-')
			return (0);
		if (nlab++ == 0)
			first = k - ls;
		if (k + 1 < s->len && s->p[k] == '.' &&
		    DLP_IS(s->p[k + 1], DLP_C_HOST))
			k++;
		else
			break;
	}
	if (nlab < 2 || k - d0 > DOMAIN_MAX || retina(s->p + d0, first))
		return (0);
	if (k - ls < 2 || k - ls > TLD_MAX)
		return (0);
	for (i = ls; i < k; i++)
		if (!DLP_IS(s->p[i], DLP_C_UPPER | DLP_C_LOWER))
			return (0);
	if (file_tld(s->p + ls, k - ls))
		return (0);
	return (k);
}

size_t
dlp_pii_email(struct dlp_scan *s, size_t a)
{
	size_t	j = a, e;

	while (j > 0 && a - j < LOCAL_MAX && DLP_IS(s->p[j - 1], DLP_C_LOCAL))
		j--;
	if (j > 0 && DLP_IS(s->p[j - 1], DLP_C_LOCAL))
		return (0);		/* local part too long */
	j = skip_escape(s, j, a);
	while (j < a && (s->p[j] == '.' || s->p[j] == '-'))
		j++;
	if (j == a || s->p[a - 1] == '.')
		return (0);
	if (a - j == 3 && memcmp(s->p + j, "git", 3) == 0)
		return (0);
	if ((e = email_domain(s, a + 1)) == 0)
		return (0);
	dlp_builtin_match(s, j, e, DLP_D_EMAIL);
	return (e);
}

struct iban_country {
	char	cc[3];
	uint8_t	len;
};

/* Sorted by country code. */
static const struct iban_country iban_countries[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 },
	{ "BA", 20 }, { "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BR", 29 },
	{ "BY", 28 }, { "CH", 21 }, { "CR", 22 }, { "CY", 28 }, { "CZ", 24 },
	{ "DE", 22 }, { "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "EG", 29 },
	{ "ES", 24 }, { "FI", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 },
	{ "GE", 22 }, { "GI", 23 }, { "GL", 18 }, { "GR", 27 }, { "GT", 28 },
	{ "HR", 21 }, { "HU", 28 }, { "IE", 22 }, { "IL", 23 }, { "IQ", 23 },
	{ "IS", 26 }, { "IT", 27 }, { "JO", 30 }, { "KW", 30 }, { "KZ", 20 },
	{ "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 },
	{ "LV", 21 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 },
	{ "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NL", 18 }, { "NO", 15 },
	{ "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 }, { "QA", 29 },
	{ "RO", 24 }, { "RS", 22 }, { "SA", 24 }, { "SC", 31 }, { "SE", 24 },
	{ "SI", 19 }, { "SK", 24 }, { "SM", 27 }, { "ST", 25 }, { "SV", 28 },
	{ "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 }, { "VA", 22 },
	{ "VG", 24 }, { "XK", 20 }
};

static int
iban_cmp(const void *k, const void *e)
{
	const struct iban_country *c = e;

	return (memcmp(k, c->cc, 2));
}

static int
iban_mod97(const char *v, size_t n)
{
	unsigned int	r = 0;
	size_t		i;
	char		c;

	for (i = 0; i < n; i++) {
		c = v[(i + 4) % n];
		if (c >= '0' && c <= '9')
			r = (r * 10 + (c - '0')) % 97;
		else
			r = (r * 100 + (c - 'A' + 10)) % 97;
	}
	return (r == 1);
}

size_t
dlp_pii_iban(struct dlp_scan *s, size_t i)
{
	const struct iban_country	*c;
	char				 v[34];
	size_t				 n = 0, k = i;

	if (i + 15 > s->len || !DLP_IS(s->p[i + 1], DLP_C_UPPER) ||
	    !DLP_IS(s->p[i + 2], DLP_C_DIGIT) ||
	    !DLP_IS(s->p[i + 3], DLP_C_DIGIT))
		return (0);
	c = bsearch(s->p + i, iban_countries, sizeof(iban_countries) /
	    sizeof(iban_countries[0]), sizeof(iban_countries[0]), iban_cmp);
	if (c == NULL)
		return (0);
	while (k < s->len && n < c->len) {
		if (DLP_IS(s->p[k], DLP_C_UPPER | DLP_C_DIGIT))
			v[n++] = s->p[k++];
		else if (s->p[k] == ' ' && n % 4 == 0 && k + 1 < s->len &&
		    DLP_IS(s->p[k + 1], DLP_C_UPPER | DLP_C_DIGIT))
			k++;
		else
			break;
	}
	if (n != c->len || (k < s->len && DLP_IS(s->p[k], DLP_C_ALNUM)) ||
	    !iban_mod97(v, n))
		return (0);
	dlp_builtin_match(s, i, k, DLP_D_IBAN);
	return (k);
}

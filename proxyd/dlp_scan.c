/*
 * dlp_scan.c - the single pass over a buffer that runs the built-in
 * personal-data detectors (e-mail, phone, card, SSN, IBAN; credentials
 * are the detector table's, dlp_rules.c): a byte-class table finds the
 * start of each word and '@'; the word's first byte picks the only
 * matchers that can start there.
 * JSON and C escapes ("\n", "\u0022") are stepped over so that a key
 * right after one still starts a word.
 */
#include <sys/types.h>

#include "dlp_int.h"

#define D_	(DLP_C_DIGIT | DLP_C_B64URL | DLP_C_B64 | DLP_C_LOCAL | \
		    DLP_C_HOST)
#define U_	(DLP_C_UPPER | DLP_C_B64URL | DLP_C_B64 | DLP_C_LOCAL | \
		    DLP_C_HOST)
#define L_	(DLP_C_LOWER | DLP_C_B64URL | DLP_C_B64 | DLP_C_LOCAL | \
		    DLP_C_HOST)

const uint8_t dlp_cls[256] = {
	['0' ... '9'] = D_,
	['A' ... 'Z'] = U_,
	['a' ... 'z'] = L_,
	['-'] = DLP_C_B64URL | DLP_C_LOCAL | DLP_C_HOST,
	['_'] = DLP_C_B64URL | DLP_C_LOCAL,
	['+'] = DLP_C_B64 | DLP_C_LOCAL,
	['/'] = DLP_C_B64,
	['.'] = DLP_C_LOCAL,
	['%'] = DLP_C_LOCAL,
	['@'] = DLP_C_SPECIAL,
	['\\'] = DLP_C_SPECIAL,
	[0x80 ... 0xff] = DLP_C_LOCAL | DLP_C_HOST,	/* UTF-8 addresses */
};

/*
 * Bit per pair of bytes that may start a detector's word: most words
 * are dismissed by one lookup, without a branch per first letter.
 */
static uint64_t	start2[65536 / 64];
static int	start2_ready;

static void
start2_set(unsigned char a, unsigned char b)
{
	unsigned int	k = a | b << 8;

	start2[k / 64] |= 1ULL << (k % 64);
}

void
dlp_scan_init(void)
{
	int	a, b;

	if (start2_ready)
		return;
	for (a = '0'; a <= '9'; a++)
		for (b = 0; b < 256; b++)
			start2_set(a, b);
	for (a = 'A'; a <= 'Z'; a++)		/* IBAN country codes */
		for (b = 'A'; b <= 'Z'; b++)
			start2_set(a, b);
	start2_ready = 1;
}

#define RESYNC_MAX	64

#define NUM_DETS	((1U << DLP_D_PHONE) | (1U << DLP_D_CREDIT_CARD) | \
			    (1U << DLP_D_SSN))

static void
scan_word(struct dlp_scan *s, size_t i)
{
	char	c = s->p[i];

	if (c >= '0' && c <= '9') {
		if (s->d->enabled & NUM_DETS)
			dlp_num_scan(s, i);
	} else if (c >= 'A' && c <= 'Z')
		dlp_pii_iban(s, i);
}

/* Returns where scanning goes on. */
static size_t
scan_special(struct dlp_scan *s, size_t i)
{
	const char	*p = s->p;

	switch (p[i]) {
	case '@':
		dlp_pii_email(s, i);
		break;
	case '\\':
		if (i + 1 >= s->len)
			break;
		if (p[i + 1] == 'u' && i + 6 <= s->len)
			return (i + 6);
		if (DLP_IS(p[i + 1], DLP_C_LOWER) || p[i + 1] == '\\' ||
		    p[i + 1] == '"' || p[i + 1] == '/')
			return (i + 2);
		break;
	}
	return (i + 1);
}

/*
 * Where to begin when the text before start is context (dlp_fd.c):
 * just after the last blank or quote shortly before it, so that words
 * and escapes are cut where a pass from the beginning would cut them.
 * Matches ending before start are dropped, none can straddle it.
 */
static size_t
resync(const char *p, size_t start)
{
	size_t	lo = start > RESYNC_MAX ? start - RESYNC_MAX : 0, j;

	for (j = start; j > lo; j--)
		if (p[j - 1] == ' ' || p[j - 1] == '\n' || p[j - 1] == '\t' ||
		    p[j - 1] == '"')
			return (j);
	return (start);
}

void
dlp_scan_builtin(struct dlp *d, const char *p, size_t len, size_t start)
{
	struct dlp_scan		 s;
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 i = start;
	unsigned int		 w;
	uint8_t			 k;

	if (d->enabled == 0)
		return;
	dlp_scan_init();
	s.d = d;
	s.p = p;
	s.len = len;
	s.start = start;
	i = resync(p, start);
	if (i > 0 && i < len && (dlp_cls[u[i - 1]] & DLP_C_ALNUM))
		while (i < len && (dlp_cls[u[i]] & DLP_C_ALNUM))
			i++;
	while (i < len) {
		k = dlp_cls[u[i]];
		if (k & DLP_C_ALNUM) {
			w = u[i] | (i + 1 < len ? u[i + 1] << 8 : 0);
			if (start2[w / 64] & (1ULL << (w % 64))) {
				s.anchor = i;
				scan_word(&s, i);
			}
			i++;
			while (i < len && (dlp_cls[u[i]] & DLP_C_ALNUM))
				i++;
		} else if (k & DLP_C_SPECIAL) {
			s.anchor = i;
			i = scan_special(&s, i);
		}
		else
			i++;
	}
}

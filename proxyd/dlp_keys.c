/*
 * dlp_keys.c - credentials recognised by their prefix: OpenAI,
 * Anthropic, Stripe, GitHub, Slack, AWS, Google and Telegram tokens,
 * JWTs and PEM private key blocks.  Each matcher is called at the
 * start of a word (or at '-' for PEM) and returns the end of its
 * match, or 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem, asprintf without -D_GNU_SOURCE */
#endif
#include <sys/types.h>

#include <string.h>
#include <strings.h>

#include "dlp_int.h"

#define PEM_MAX_BODY	(64 * 1024)
#define PEM_MIN_BODY	16
#define JWT_MAX_SEG	(16 * 1024)

static int
has(const struct dlp_scan *s, size_t i, const char *pfx, size_t n)
{
	return (i + n <= s->len && memcmp(s->p + i, pfx, n) == 0);
}
#define HAS(s, i, lit)	has((s), (i), (lit), sizeof(lit) - 1)

static int
in_run(char c, enum dlp_run kind)
{
	switch (kind) {
	case DLP_R_B64URL:
		return (DLP_IS(c, DLP_C_B64URL));
	case DLP_R_ALNUM:
		return (DLP_IS(c, DLP_C_ALNUM));
	case DLP_R_B64:
		return (DLP_IS(c, DLP_C_B64));
	case DLP_R_DIGIT:
		return (DLP_IS(c, DLP_C_DIGIT));
	case DLP_R_WORD:
		return (DLP_IS(c, DLP_C_ALNUM) || c == '_');
	case DLP_R_SLACK:
		return (DLP_IS(c, DLP_C_ALNUM) || c == '-');
	default:
		return (0);
	}
}

/*
 * End of the run of kind starting at i.  A run started inside the
 * last one of the same kind ends where it did: remembering it keeps
 * inputs such as "sk-proj-sk-proj-..." linear.
 */
static size_t
run(struct dlp_scan *s, size_t i, enum dlp_run kind)
{
	size_t	e = i;

	if (s->run_lo[kind] <= i && i <= s->run_hi[kind])
		return (s->run_hi[kind]);
	while (e < s->len && in_run(s->p[e], kind))
		e++;
	s->run_lo[kind] = i;
	s->run_hi[kind] = e;
	return (e);
}

static size_t
emit(struct dlp_scan *s, size_t so, size_t eo, enum dlp_det det)
{
	dlp_builtin_match(s, so, eo, det);
	return (eo);
}

/* Random-looking: a digit, or both cases, in the first 64 bytes. */
static int
mixed(const char *p, size_t n)
{
	size_t	i;
	int	k = 0;

	for (i = 0; i < n && i < 64; i++)
		k |= dlp_cls[(unsigned char)p[i]];
	return ((k & DLP_C_DIGIT) ||
	    ((k & DLP_C_UPPER) && (k & DLP_C_LOWER)));
}

static size_t
openai(struct dlp_scan *s, size_t i)
{
	static const char *const proj[] = { "sk-proj-", "sk-svcacct-",
	    "sk-admin-", "sk-None-" };
	size_t	b, e, k;

	if (HAS(s, i, "sk-ant-")) {
		b = i + 7;
		e = run(s, b, DLP_R_B64URL);
		if (e - b >= 20 && mixed(s->p + b, e - b))
			return (emit(s, i, e, DLP_D_ANTHROPIC_KEY));
		return (0);
	}
	for (k = 0; k < sizeof(proj) / sizeof(proj[0]); k++) {
		if (!has(s, i, proj[k], strlen(proj[k])))
			continue;
		b = i + strlen(proj[k]);
		e = run(s, b, DLP_R_B64URL);
		if (e - b >= 20 && mixed(s->p + b, e - b))
			return (emit(s, i, e, DLP_D_OPENAI_KEY));
		return (0);
	}
	b = i + 3;
	e = run(s, b, DLP_R_ALNUM);
	if (e - b < 20 || !mixed(s->p + b, e - b))
		return (0);
	if (e < s->len && DLP_IS(s->p[e], DLP_C_B64URL))
		return (0);
	return (emit(s, i, e, DLP_D_OPENAI_KEY));
}

/* Stripe sk_live_, rk_live_, pk_live_ and their _test_ twins. */
size_t
dlp_key_stripe(struct dlp_scan *s, size_t i)
{
	size_t	e;

	if (i + 8 > s->len || s->p[i + 1] != 'k' || s->p[i + 2] != '_')
		return (0);
	if (s->p[i] != 's' && s->p[i] != 'r' && s->p[i] != 'p')
		return (0);
	if (memcmp(s->p + i + 3, "live_", 5) != 0 &&
	    memcmp(s->p + i + 3, "test_", 5) != 0)
		return (0);
	e = run(s, i + 8, DLP_R_ALNUM);
	if (e - (i + 8) < 10)
		return (0);
	return (emit(s, i, e, DLP_D_STRIPE_KEY));
}

/* Words starting with 's': sk- keys, Stripe, the AWS secret label. */
size_t
dlp_key_s(struct dlp_scan *s, size_t i)
{
	size_t	e;

	if (HAS(s, i, "sk-") && (e = openai(s, i)) != 0)
		return (e);
	if ((e = dlp_key_stripe(s, i)) != 0)
		return (e);
	return (dlp_key_aws_secret(s, i));
}

/* ghp_ gho_ ghu_ ghs_ ghr_ and github_pat_ */
size_t
dlp_key_github(struct dlp_scan *s, size_t i)
{
	size_t	e;

	if (HAS(s, i, "github_pat_")) {
		e = run(s, i + 11, DLP_R_WORD);
		if (e - (i + 11) < 22)
			return (0);
		return (emit(s, i, e, DLP_D_GITHUB_TOKEN));
	}
	if (i + 4 > s->len || s->p[i + 1] != 'h' || s->p[i + 3] != '_' ||
	    strchr("pousr", s->p[i + 2]) == NULL || s->p[i + 2] == '\0')
		return (0);
	e = run(s, i + 4, DLP_R_ALNUM);
	if (e - (i + 4) < 30 || e - (i + 4) > 255 || !mixed(s->p + i + 4, 30))
		return (0);
	return (emit(s, i, e, DLP_D_GITHUB_TOKEN));
}

/* xoxb- xoxa- xoxp- xoxr- xoxs- */
size_t
dlp_key_slack(struct dlp_scan *s, size_t i)
{
	size_t	e, b;

	if (!HAS(s, i, "xox") || i + 5 > s->len ||
	    strchr("baprs", s->p[i + 3]) == NULL || s->p[i + 3] == '\0' ||
	    s->p[i + 4] != '-')
		return (0);
	b = i + 5;
	e = run(s, b, DLP_R_SLACK);
	while (e > b && s->p[e - 1] == '-')
		e--;
	if (e - b < 10 || !mixed(s->p + b, e - b))
		return (0);
	return (emit(s, i, e, DLP_D_SLACK_TOKEN));
}

/* Telegram bot token: 8-10 digits ':' 35 base64url characters. */
size_t
dlp_key_telegram(struct dlp_scan *s, size_t i)
{
	size_t	d, e;

	d = run(s, i, DLP_R_DIGIT);
	if (d - i < 8 || d - i > 10 || d >= s->len || s->p[d] != ':')
		return (0);
	e = run(s, d + 1, DLP_R_B64URL);
	if (e - (d + 1) != 35)
		return (0);
	return (emit(s, i, e, DLP_D_TELEGRAM_TOKEN));
}

/* "bot123456:AA..." as in Bot API URLs: the token without "bot". */
size_t
dlp_key_bot(struct dlp_scan *s, size_t i)
{
	if (!HAS(s, i, "bot") || i + 3 >= s->len ||
	    !DLP_IS(s->p[i + 3], DLP_C_DIGIT))
		return (0);
	return (dlp_key_telegram(s, i + 3));
}

/* AKIA/ASIA access key ids, AIza Google API keys. */
size_t
dlp_key_aws_google(struct dlp_scan *s, size_t i)
{
	size_t	e;

	if (HAS(s, i, "AKIA") || HAS(s, i, "ASIA")) {
		e = i + 4;
		while (e < s->len && (DLP_IS(s->p[e], DLP_C_UPPER) ||
		    DLP_IS(s->p[e], DLP_C_DIGIT)))
			e++;
		if (e - i != 20 || (e < s->len &&
		    DLP_IS(s->p[e], DLP_C_ALNUM)))
			return (0);
		return (emit(s, i, e, DLP_D_AWS_ACCESS_KEY));
	}
	if (HAS(s, i, "AIza")) {
		e = run(s, i + 4, DLP_R_B64URL);
		if (e - i != 39 || !mixed(s->p + i + 4, 35))
			return (0);
		return (emit(s, i, e, DLP_D_GOOGLE_API_KEY));
	}
	return (0);
}

/*
 * An AWS secret access key is 40 characters of base64 with nothing to
 * tell it apart, so only a labelled one is taken: the label, up to 10
 * characters of quotes, '=', ':' or blanks, then the 40 characters.
 */
size_t
dlp_key_aws_secret(struct dlp_scan *s, size_t i)
{
	static const char *const labels[] = { "aws_secret_access_key",
	    "aws-secret-access-key", "awssecretaccesskey", "aws_secret_key",
	    "secret_access_key", "secretaccesskey" };
	size_t	k, n, e, b;
	char	c0, c1, c2;

	if (i + 14 > s->len)
		return (0);
	c0 = s->p[i] | 0x20;
	c1 = s->p[i + 1] | 0x20;
	c2 = s->p[i + 2] | 0x20;
	if (!(c0 == 'a' && c1 == 'w' && c2 == 's') &&
	    !(c0 == 's' && c1 == 'e' && c2 == 'c'))
		return (0);
	for (k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
		n = strlen(labels[k]);
		if (i + n <= s->len && strncasecmp(s->p + i, labels[k], n) == 0)
			break;
	}
	if (k == sizeof(labels) / sizeof(labels[0]))
		return (0);
	b = i + n;
	while (b < s->len && b - (i + n) < 10 &&
	    strchr(" \t\"'=:>\\", s->p[b]) != NULL && s->p[b] != '\0')
		b++;
	e = run(s, b, DLP_R_B64);
	if (e - b != 40 || (e < s->len && s->p[e] == '='))
		return (0);
	return (emit(s, b, e, DLP_D_AWS_SECRET_KEY));
}

/* header.payload.signature, header and payload base64url JSON. */
size_t
dlp_key_jwt(struct dlp_scan *s, size_t i)
{
	size_t	e1, e2, e3;

	if (!HAS(s, i, "eyJ"))
		return (0);
	e1 = run(s, i, DLP_R_B64URL);
	if (e1 - i < 10 || e1 - i > JWT_MAX_SEG || e1 + 3 > s->len ||
	    s->p[e1] != '.' || s->p[e1 + 1] != 'e' || s->p[e1 + 2] != 'y')
		return (0);
	e2 = run(s, e1 + 1, DLP_R_B64URL);
	if (e2 - e1 < 5 || e2 - e1 > JWT_MAX_SEG || e2 >= s->len ||
	    s->p[e2] != '.')
		return (0);
	e3 = run(s, e2 + 1, DLP_R_B64URL);
	if (e3 - e2 > JWT_MAX_SEG)
		return (0);
	return (emit(s, i, e3, DLP_D_JWT));
}

static size_t
pem_next_end(struct dlp_scan *s, size_t i)
{
	const char	*q;

	if (!s->pem_end_ok || s->pem_end < i) {
		q = memmem(s->p + i, s->len - i, "-----END ", 9);
		s->pem_end = q == NULL ? s->len : (size_t)(q - s->p);
		s->pem_end_ok = 1;
	}
	return (s->pem_end);
}

/* Without an END line: the body as far as it looks like one. */
static size_t
pem_body(const struct dlp_scan *s, size_t e)
{
	char	c;

	while (e < s->len) {
		c = s->p[e];
		if (DLP_IS(c, DLP_C_B64) || c == '=' || c == ' ' ||
		    c == '\t' || c == '\r' || c == '\n' || c == ':' ||
		    c == ',')
			e++;
		else if (c == '\\' && e + 1 < s->len &&
		    strchr("nrt", s->p[e + 1]) != NULL && s->p[e + 1] != '\0')
			e += 2;
		else if (c == '-' && !has(s, e, "-----", 5))
			e++;
		else
			break;
	}
	while (e > 0 && (s->p[e - 1] == ' ' || s->p[e - 1] == '\n' ||
	    s->p[e - 1] == '\r' || s->p[e - 1] == '\t'))
		e--;
	return (e);
}

/* -----BEGIN ... PRIVATE KEY----- through -----END ...----- */
size_t
dlp_key_pem(struct dlp_scan *s, size_t i)
{
	const char	*q;
	size_t		 b, l, end, e;

	if (!HAS(s, i, "-----BEGIN "))
		return (0);
	b = i + 11;
	for (l = b; l < s->len && l - b < 64; l++)
		if (!DLP_IS(s->p[l], DLP_C_UPPER | DLP_C_DIGIT) &&
		    s->p[l] != ' ')
			break;
	if (!has(s, l, "-----", 5) ||
	    memmem(s->p + b, l - b, "PRIVATE KEY", 11) == NULL)
		return (0);
	l += 5;
	end = pem_next_end(s, l);
	/* a quote between: the END line is in another JSON string */
	if (end < s->len && end - l <= PEM_MAX_BODY &&
	    memchr(s->p + l, '"', end - l) == NULL) {
		e = end + 9;
		q = e < s->len ? memmem(s->p + e, s->len - e < 80 ?
		    s->len - e : 80, "-----", 5) : NULL;
		if (q != NULL)
			return (emit(s, i, q - s->p + 5, DLP_D_PRIVATE_KEY));
	}
	/* no END line: the body as far as it goes, if there is one */
	if ((e = pem_body(s, l)) < l + PEM_MIN_BODY)
		return (0);
	return (emit(s, i, e, DLP_D_PRIVATE_KEY));
}

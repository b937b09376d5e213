/*
 * dlp_check.c - checksums and structure checks a table detector may
 * ask for (dlp.rules option check= or trust=): Luhn (card numbers),
 * IBAN mod 97, the CRC32 checksums that GitHub's and npm's tokens end
 * with, the structure of a JSON Web Token (header and payload are
 * base64url JSON objects) and a PEM private key header, raw or in
 * base64 (a Kubernetes secret's "tls.key: LS0tLS1CRUdJTi...").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "dlp_int.h"

static int
luhn(const char *v, size_t n)
{
	int	sum = 0, dbl = 0, nd = 0, x;
	size_t	i;

	for (i = n; i > 0; i--) {
		if (v[i - 1] == ' ' || v[i - 1] == '-')
			continue;
		if (v[i - 1] < '0' || v[i - 1] > '9')
			return (0);
		x = v[i - 1] - '0';
		if (dbl && (x *= 2) > 9)
			x -= 9;
		sum += x;
		dbl = !dbl;
		nd++;
	}
	return (nd >= 12 && sum % 10 == 0);
}

static int
iban(const char *v, size_t n)
{
	char		 b[40];
	unsigned int	 r = 0;
	size_t		 i, k = 0;
	char		 c;

	for (i = 0; i < n; i++) {
		if (v[i] == ' ')
			continue;
		if (k == sizeof(b))
			return (0);
		c = v[i];
		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return (0);
		b[k++] = c;
	}
	if (k < 15 || k > 34)
		return (0);
	for (i = 0; i < k; i++) {
		c = b[(i + 4) % k];
		if (c >= '0' && c <= '9')
			r = (r * 10 + (c - '0')) % 97;
		else
			r = (r * 100 + (c - 'A' + 10)) % 97;
	}
	return (r == 1);
}

static uint32_t
crc32(const char *p, size_t n)
{
	uint32_t	c = 0xffffffffU;
	size_t		i;
	int		k;

	for (i = 0; i < n; i++) {
		c ^= (unsigned char)p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & -(c & 1));
	}
	return (c ^ 0xffffffffU);
}

/* CRC32 of the 30 random characters in 6 base62 digits. */
static int
crc_token(const char *v, size_t n, size_t pfx)
{
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char		 sum[6];
	uint32_t	 c;
	int		 i;

	if (n != pfx + 36)
		return (0);
	c = crc32(v + pfx, 30);
	for (i = 5; i >= 0; i--) {
		sum[i] = b62[c % 62];
		c /= 62;
	}
	return (memcmp(sum, v + pfx + 30, 6) == 0);
}

static int
b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '-' || c == '+')
		return (62);
	if (c == '_' || c == '/')
		return (63);
	return (-1);
}

/* The first bytes of base64url p[0, n) decode to a JSON object. */
static int
json_segment(const char *p, size_t n)
{
	unsigned char	 out[48];
	uint32_t	 w = 0;
	size_t		 i, o = 0;
	int		 bits = 0, x;

	for (i = 0; i < n && o < sizeof(out); i++) {
		if (p[i] == '=')
			break;
		if ((x = b64url_val(p[i])) == -1)
			return (0);
		w = w << 6 | x;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (w >> bits) & 0xff;
		}
	}
	for (i = 0; i < o && (out[i] == ' ' || out[i] == '\n' ||
	    out[i] == '\r' || out[i] == '\t'); i++)
		;
	if (i + 1 >= o || out[i] != '{')
		return (0);
	for (i++; i < o && (out[i] == ' ' || out[i] == '\n' ||
	    out[i] == '\r' || out[i] == '\t'); i++)
		;
	return (i < o && (out[i] == '"' || out[i] == '}'));
}

/*
 * "-----BEGIN ... PRIVATE KEY-----": v itself, or what the base64 of
 * its first 128 characters decodes to.
 */
static int
pem(const char *v, size_t n)
{
	unsigned char	 out[96];
	const char	*h, *e;
	uint32_t	 w = 0;
	size_t		 i, o = 0;
	int		 bits = 0, x;

	if (n >= 11 && memcmp(v, "-----BEGIN ", 11) == 0) {
		h = v;
		o = n;
	} else {
		for (i = 0; i < n && o < sizeof(out); i++) {
			if ((x = b64url_val(v[i])) == -1)
				break;
			w = w << 6 | x;
			if ((bits += 6) >= 8) {
				bits -= 8;
				out[o++] = (w >> bits) & 0xff;
			}
		}
		h = (const char *)out;
	}
	if (o < 11 + 16 || memcmp(h, "-----BEGIN ", 11) != 0)
		return (0);
	if ((e = memmem(h + 11, o - 11, "-----", 5)) == NULL)
		return (0);
	return (memmem(h + 11, e - (h + 11), "PRIVATE KEY", 11) != NULL);
}

static int
jwt(const char *v, size_t n)
{
	const char	*d1, *d2;

	if ((d1 = memchr(v, '.', n)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', n - (d1 + 1 - v))) == NULL)
		return (0);
	return (json_segment(v, d1 - v) &&
	    json_segment(d1 + 1, d2 - (d1 + 1)));
}

int
dlp_check(int which, const char *v, size_t n)
{
	switch (which) {
	case DLP_CK_LUHN:
		return (luhn(v, n));
	case DLP_CK_IBAN:
		return (iban(v, n));
	case DLP_CK_GITHUB:
		return (n > 4 && v[3] == '_' && crc_token(v, n, 4));
	case DLP_CK_NPM:
		return (n > 4 && memcmp(v, "npm_", 4) == 0 &&
		    crc_token(v, n, 4));
	case DLP_CK_JWT:
		return (jwt(v, n));
	case DLP_CK_PEM:
		return (pem(v, n));
	default:
		return (0);
	}
}

/*
 * b64.c - base64 (RFC 4648) for binary file contents in JSON.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandboxd.h"

static const char b64tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
sbx_b64_encode(const void *buf, size_t len, size_t *outlen)
{
	const unsigned char	*p = buf;
	char			*out;
	size_t			 i, o = 0;
	uint32_t		 v;

	if (len > (SIZE_MAX / 4) * 3 - 3)
		return (NULL);
	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return (NULL);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64tab[v >> 18 & 63];
		out[o++] = b64tab[v >> 12 & 63];
		out[o++] = b64tab[v >> 6 & 63];
		out[o++] = b64tab[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = b64tab[v >> 18 & 63];
		out[o++] = b64tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64tab[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	*outlen = o;
	return (out);
}

static int
b64_val(unsigned char c)
{
	const char	*s;

	if (c == '\0' || (s = strchr(b64tab, c)) == NULL)
		return (-1);
	return ((int)(s - b64tab));
}

/* NULL on malformed input; whitespace is skipped */
unsigned char *
sbx_b64_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char	*out;
	size_t		 i, o = 0, pad = 0;
	uint32_t	 v = 0;
	int		 n = 0, c;

	if ((out = malloc(len / 4 * 3 + 3)) == NULL)
		return (NULL);
	for (i = 0; i < len; i++) {
		if (in[i] == ' ' || in[i] == '\n' || in[i] == '\r' ||
		    in[i] == '\t')
			continue;
		if (in[i] == '=') {
			pad++;
			c = 0;
		} else if (pad > 0 || (c = b64_val((unsigned char)in[i])) == -1)
			goto bad;
		v = v << 6 | (uint32_t)c;
		if (++n == 4) {
			out[o++] = v >> 16 & 0xff;
			if (pad < 2)
				out[o++] = v >> 8 & 0xff;
			if (pad < 1)
				out[o++] = v & 0xff;
			n = 0;
			v = 0;
		}
	}
	if (n != 0 || pad > 2)
		goto bad;
	*outlen = o;
	return (out);
 bad:
	free(out);
	return (NULL);
}

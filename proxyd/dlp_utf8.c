/*
 * dlp_utf8.c - strict UTF-8 checks (no overlong forms, surrogates or
 * code points past U+10FFFF), shared by the JSON redaction and
 * html2text: jansson only takes valid UTF-8, and its own check goes a
 * byte at a time.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "dlp.h"

size_t
dlp_utf8_seqlen(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		l, i;

	if (n == 0)
		return (0);
	if (s[0] < 0x80)
		return (1);
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return (0);
	l = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n < l)
		return (0);
	cp = s[0] & (0x7f >> l);
	for (i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((l == 3 && cp < 0x800) || (l == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (l);
}

int
dlp_utf8_valid(const char *p, size_t n)
{
	const unsigned char	*s = (const unsigned char *)p;
	uint64_t		 w;
	size_t			 i = 0, l;

	while (i < n) {
		if (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		if ((l = dlp_utf8_seqlen(s + i, n - i)) == 0)
			return (0);
		i += l;
	}
	return (1);
}

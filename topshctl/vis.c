/*
 * vis.c - what topshctl prints of container output and file names goes
 * to the operator's terminal: escape sequences and other control
 * characters must not reach it as such (a command's output could
 * otherwise retitle the window, move the cursor, rewrite earlier lines
 * or, on some terminals, answer back).  Printed visibly instead, in the
 * style of cat -v: ESC as ^[, DEL as ^?, a C1 control (U+0080 to U+009F,
 * which some terminals take as 8-bit CSI and OSC) as \u009b, a byte that
 * is not UTF-8 as \xff.  Newlines and tabs pass.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "topshctl.h"

/* length of the valid UTF-8 sequence at s (at most n bytes), 0 none */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		len, i;
	unsigned int	cp;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (len);
}

void
vis_write(FILE *fp, const void *buf, size_t n)
{
	const unsigned char	*s = buf;
	size_t			 i, len;

	for (i = 0; i < n; i += len) {
		len = utf8_len(s + i, n - i);
		if (len == 0) {
			fprintf(fp, "\\x%02x", s[i]);
			len = 1;
		} else if (len == 1) {
			if (s[i] == '\n' || s[i] == '\t' ||
			    (s[i] >= 0x20 && s[i] < 0x7f))
				putc(s[i], fp);
			else if (s[i] == 0x7f)
				fputs("^?", fp);
			else
				fprintf(fp, "^%c", s[i] + 0x40);
		} else if (len == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
			fprintf(fp, "\\u%04x", s[i + 1]);	/* C1 */
		else
			fwrite(s + i, 1, len, fp);
	}
}

void
vis_puts(FILE *fp, const char *s)
{
	if (s != NULL)
		vis_write(fp, s, strlen(s));
}

/*
 * toolout.c - tool output cut to fit the model's context: the head and
 * the tail are kept (errors tend to be at the end), with a line in the
 * middle stating how much was cut.  Cuts fall on UTF-8 boundaries, and
 * on line boundaries when one is near.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

static size_t
utf8_back(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return (i);
}

static size_t
utf8_fwd(const char *s, size_t i, size_t n)
{
	while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
		i++;
	return (i);
}

/*
 * A copy of s (len bytes) of at most about max bytes.  max below 64 is
 * raised to 64 so that the note always fits.
 */
char *
toolout_truncate(const char *s, size_t len, size_t max)
{
	struct buf	 b;
	const char	*nl;
	char		 note[160];
	size_t		 head, tail, cut, slack, lines = 0;

	if (max < 64)
		max = 64;
	buf_init(&b);
	if (len <= max) {
		buf_add(&b, s, len);
		return (buf_finish(&b));
	}
	/* two thirds head, one third tail, minus room for the note */
	head = (max - 64) * 2 / 3;
	tail = max - 64 - head;
	head = utf8_back(s, head);
	slack = head / 4;
	/* prefer to end the head at a newline */
	for (cut = head; cut > head - slack && cut > 0; cut--)
		if (s[cut - 1] == '\n') {
			head = cut;
			break;
		}
	tail = utf8_fwd(s, len - tail, len);
	if ((nl = memchr(s + tail, '\n', (len - tail) / 4)) != NULL)
		tail = nl + 1 - s;
	for (cut = head; cut < tail; cut++)
		if (s[cut] == '\n')
			lines++;
	snprintf(note, sizeof(note), "\n[... %zu bytes (%zu lines) cut from "
	    "the middle of %zu bytes ...]\n", tail - head, lines, len);
	buf_add(&b, s, head);
	buf_puts(&b, note);
	buf_add(&b, s + tail, len - tail);
	return (buf_finish(&b));
}

/*
 * frame.c - building and checking the frames of frame.h.  Everything
 * here reads bytes a container's user may have had a hand in: lengths
 * are bounded before use and nothing is trusted past the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"

uint32_t
rf_get32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

void
rf_put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* a plausible header: magic, known type, no flags, len within max */
static int
rf_header_ok(const unsigned char *p, size_t max)
{
	if ((p[0] << 8 | p[1]) != RF_MAGIC || p[2] == 0 ||
	    p[2] > RF_TYPEMAX || p[3] != 0)
		return (0);
	return (rf_get32(p + 8) <= max);
}

long
rf_parse(const unsigned char *buf, size_t len, size_t max, struct rframe *f)
{
	size_t	plen;

	if (len < RF_HDR)
		return (0);
	if (!rf_header_ok(buf, max))
		return (-1);
	plen = rf_get32(buf + 8);
	if (len < RF_HDR + plen + RF_TRAILER)
		return (0);
	if (rf_get32(buf + RF_HDR + plen) != RF_END)
		return (-1);
	f->type = buf[2];
	f->id = rf_get32(buf + 4);
	f->pay = buf + RF_HDR;
	f->len = plen;
	return ((long)(RF_HDR + plen + RF_TRAILER));
}

size_t
rf_build(unsigned char *out, size_t outlen, int type, uint32_t id,
    const void *pay, size_t len)
{
	if (len > outlen || outlen - len < RF_HDR + RF_TRAILER)
		return (0);
	out[0] = RF_MAGIC >> 8;
	out[1] = RF_MAGIC & 0xff;
	out[2] = type;
	out[3] = 0;
	rf_put32(out + 4, id);
	rf_put32(out + 8, (uint32_t)len);
	if (len > 0)
		memmove(out + RF_HDR, pay, len);
	rf_put32(out + RF_HDR + len, RF_END);
	return (RF_HDR + len + RF_TRAILER);
}

size_t
rf_hunt(const unsigned char *buf, size_t len, int type, size_t plen)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (buf[i] != (RF_MAGIC >> 8))
			continue;
		if (len - i < RF_HDR)
			return (i);	/* maybe: wait for the rest */
		if (buf[i + 1] == (RF_MAGIC & 0xff) && buf[i + 2] == type &&
		    buf[i + 3] == 0 && rf_get32(buf + i + 8) == plen)
			return (i);
	}
	return (len);
}

int
rf_strings(const unsigned char *p, size_t len, const char **v, int max)
{
	const unsigned char	*nul;
	int			 n = 0;

	while (len > 0) {
		if (n == max || (nul = memchr(p, '\0', len)) == NULL)
			return (-1);
		v[n++] = (const char *)p;
		len -= nul - p + 1;
		p = nul + 1;
	}
	return (n);
}

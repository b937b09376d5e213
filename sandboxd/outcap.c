/*
 * outcap.c - capped output capture: keep the first cap/2 and the last
 * cap - cap/2 bytes of a stream of any length and count what fell out of
 * the middle.  Also the UTF-8 clean-up that JSON needs.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandboxd.h"

int
sbx_outcap_init(struct outcap *oc, size_t cap)
{
	memset(oc, 0, sizeof(*oc));
	if (cap < 2)
		cap = 2;
	oc->hcap = cap / 2;
	oc->tcap = cap - oc->hcap;
	if ((oc->head = malloc(oc->hcap)) == NULL)
		return (-1);
	if ((oc->tail = malloc(oc->tcap)) == NULL) {
		free(oc->head);
		oc->head = NULL;
		return (-1);
	}
	return (0);
}

void
sbx_outcap_free(struct outcap *oc)
{
	free(oc->head);
	free(oc->tail);
	oc->head = oc->tail = NULL;
}

void
sbx_outcap_add(struct outcap *oc, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 n;

	oc->total += len;
	if (oc->hlen < oc->hcap) {
		n = oc->hcap - oc->hlen;
		if (n > len)
			n = len;
		memcpy(oc->head + oc->hlen, p, n);
		oc->hlen += n;
		p += n;
		len -= n;
	}
	if (len >= oc->tcap) {
		/* only the last tcap bytes of this chunk can stay */
		memcpy(oc->tail, p + len - oc->tcap, oc->tcap);
		oc->tpos = 0;
		oc->tlen = oc->tcap;
		return;
	}
	while (len > 0) {
		n = oc->tcap - oc->tpos;
		if (n > len)
			n = len;
		memcpy(oc->tail + oc->tpos, p, n);
		oc->tpos = (oc->tpos + n) % oc->tcap;
		oc->tlen += n;
		if (oc->tlen > oc->tcap)
			oc->tlen = oc->tcap;
		p += n;
		len -= n;
	}
}

/* bytes cut from the middle */
uint64_t
sbx_outcap_cut(const struct outcap *oc)
{
	return (oc->total - oc->hlen - oc->tlen);
}

/*
 * The kept bytes in order, with "\n[... N bytes cut ...]\n" where the
 * middle was dropped.  Returns a malloc'd buffer of *lenp bytes.
 */
char *
sbx_outcap_result(const struct outcap *oc, size_t *lenp)
{
	char		 note[64];
	char		*out;
	size_t		 len, notelen = 0, start;
	uint64_t	 cut;

	cut = sbx_outcap_cut(oc);
	if (cut > 0)
		notelen = (size_t)snprintf(note, sizeof(note),
		    "\n[... %llu bytes cut ...]\n", (unsigned long long)cut);
	len = oc->hlen + notelen + oc->tlen;
	if ((out = malloc(len + 1)) == NULL)
		return (NULL);
	memcpy(out, oc->head, oc->hlen);
	memcpy(out + oc->hlen, note, notelen);
	/* the oldest tail byte sits at tpos once the ring is full */
	start = oc->tlen == oc->tcap ? oc->tpos : 0;
	memcpy(out + oc->hlen + notelen, oc->tail + start, oc->tlen - start);
	memcpy(out + oc->hlen + notelen + oc->tlen - start, oc->tail, start);
	out[len] = '\0';
	*lenp = len;
	return (out);
}

/* length of the valid UTF-8 sequence at p (1-4), 0 if invalid */
static size_t
utf8_seq(const unsigned char *p, size_t len)
{
	size_t		n, i;
	uint32_t	c;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return (0);
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	return (n);
}

int
sbx_utf8_valid(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return (0);
		i += n;
	}
	return (1);
}

/* a JSON string of buf with every invalid byte replaced by U+FFFD */
json_t *
sbx_utf8_json(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	unsigned char		*out;
	size_t			 i = 0, o = 0, n;
	json_t			*j;

	if (len > (SIZE_MAX - 1) / 3)
		return (NULL);
	if ((out = malloc(len * 3 + 1)) == NULL)
		return (NULL);
	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			out[o++] = 0xef;
			out[o++] = 0xbf;
			out[o++] = 0xbd;
			i++;
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	j = json_stringn((char *)out, o);
	free(out);
	return (j);
}

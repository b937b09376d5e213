/*
 * demux.c - the Docker Engine API multiplexed stream (Tty=false): every
 * frame is an 8-byte header {stream, 0, 0, 0, size (big-endian u32)}
 * followed by size bytes of stream 1 (stdout) or 2 (stderr).  Reads may
 * split a header or a payload anywhere; the state survives between
 * calls.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sandboxd.h"

void
sbx_demux_init(struct demux *d)
{
	memset(d, 0, sizeof(*d));
}

int
sbx_demux_feed(struct demux *d, const void *buf, size_t len,
    void (*cb)(int, const void *, size_t, void *), void *arg)
{
	const unsigned char	*p = buf;
	size_t			 n;

	if (d->error)
		return (-1);
	while (len > 0) {
		if (d->remain == 0) {
			n = sizeof(d->hdr) - d->hlen;
			if (n > len)
				n = len;
			memcpy(d->hdr + d->hlen, p, n);
			d->hlen += n;
			p += n;
			len -= n;
			if (d->hlen < sizeof(d->hdr))
				break;
			d->hlen = 0;
			if (d->hdr[0] > 2 || d->hdr[1] != 0 ||
			    d->hdr[2] != 0 || d->hdr[3] != 0) {
				d->error = 1;
				return (-1);
			}
			d->stream = d->hdr[0];
			d->remain = (uint32_t)d->hdr[4] << 24 |
			    (uint32_t)d->hdr[5] << 16 |
			    (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];
			continue;
		}
		n = d->remain < len ? d->remain : len;
		/* stream 0 (stdin echo) is never requested: dropped */
		if (d->stream != 0)
			cb(d->stream, p, n, arg);
		d->remain -= n;
		p += n;
		len -= n;
	}
	return (0);
}

/* a frame is pending: the stream ended in the middle of one */
int
sbx_demux_partial(const struct demux *d)
{
	return (d->hlen != 0 || d->remain != 0);
}

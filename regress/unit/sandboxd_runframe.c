/*
 * sandboxd_runframe.c - the frames between sandboxd and topsh-runner
 * (runner/frame.c): round trips across random read boundaries, every
 * malformed header and end marker refused, a frame left half-written by
 * an earlier peer ended by the sync zeros, the HELLO found again after
 * garbage, strings bounded; random bytes never read past the buffer.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../runner/frame.h"

static unsigned char	wire[1 << 20];

/* parse wire[0..len) in pieces as runner.c does; frames seen, -1 bad */
static int
stream(const unsigned char *w, size_t len, size_t max, int *bytes)
{
	static unsigned char	buf[RF_HDR + RF_MAXIN + RF_TRAILER];
	struct rframe		f;
	size_t			blen = 0, off = 0, n;
	long			r;
	int			frames = 0;

	*bytes = 0;
	while (off < len || blen > 0) {
		n = 1 + random() % 5000;
		if (n > len - off)
			n = len - off;
		if (n > sizeof(buf) - blen)
			n = sizeof(buf) - blen;
		memcpy(buf + blen, w + off, n);
		blen += n;
		off += n;
		while ((r = rf_parse(buf, blen, max, &f)) > 0) {
			frames++;
			*bytes += (int)f.len;
			memmove(buf, buf + r, blen - r);
			blen -= r;
		}
		if (r == -1)
			return (-1);
		if (n == 0 && r == 0)
			break;
	}
	return (blen == 0 ? frames : -1);
}

static void
test_roundtrip(void)
{
	unsigned char	pay[RF_MAXOUT];
	size_t		len = 0, n, i;
	int		k, total = 0, bytes;

	srandom(7);
	for (k = 0; k < 200; k++) {
		n = random() % (k % 10 == 0 ? RF_MAXOUT + 1 : 300);
		for (i = 0; i < n; i++)
			pay[i] = random();
		len += rf_build(wire + len, sizeof(wire) - len,
		    1 + random() % RF_TYPEMAX, k, pay, n);
		total += (int)n;
	}
	ok(len > 0, "frames built (%zu bytes)", len);
	for (k = 0; k < 20; k++)
		if (stream(wire, len, RF_MAXOUT, &bytes) != 200 ||
		    bytes != total)
			break;
	ok(k == 20, "200 frames parsed back across random splits");
	ok(rf_build(wire, RF_HDR + 3, RF_OUT, 1, pay, 4) == 0,
	    "a frame that does not fit is not built");
}

static void
test_malformed(void)
{
	unsigned char	f[64], bad[64];
	struct rframe	rf;
	size_t		n;
	int		i;

	n = rf_build(f, sizeof(f), RF_EXIT, 3, "\0\0\0\7", 4);
	ok(rf_parse(f, n, RF_MAXOUT, &rf) == (long)n && rf.type == RF_EXIT &&
	    rf.id == 3 && rf.len == 4 && rf_get32(rf.pay) == 7,
	    "an EXIT frame parsed");
	for (i = 0; i < (int)n; i++)
		if (rf_parse(f, i, RF_MAXOUT, &rf) != 0)
			break;
	ok(i == (int)n, "every truncation waits for more");
	memcpy(bad, f, n);
	bad[0] ^= 1;
	ok(rf_parse(bad, n, RF_MAXOUT, &rf) == -1, "bad magic refused");
	memcpy(bad, f, n);
	bad[2] = 0;
	ok(rf_parse(bad, n, RF_MAXOUT, &rf) == -1, "type 0 refused");
	bad[2] = RF_TYPEMAX + 1;
	ok(rf_parse(bad, n, RF_MAXOUT, &rf) == -1, "unknown type refused");
	memcpy(bad, f, n);
	bad[3] = 1;
	ok(rf_parse(bad, n, RF_MAXOUT, &rf) == -1, "flags refused");
	memcpy(bad, f, n);
	rf_put32(bad + 8, RF_MAXOUT + 1);
	ok(rf_parse(bad, RF_HDR, RF_MAXOUT, &rf) == -1,
	    "a length over the bound refused from the header alone");
	rf_put32(bad + 8, 0xffffffffu);
	ok(rf_parse(bad, RF_HDR, RF_MAXOUT, &rf) == -1, "2^32-1 refused");
	memcpy(bad, f, n);
	bad[n - 1] ^= 0x40;
	ok(rf_parse(bad, n, RF_MAXOUT, &rf) == -1, "bad end marker refused");
}

/* an earlier peer died mid-frame: the sync zeros end it, HELLO follows */
static void
test_sync(void)
{
	static unsigned char	w[RF_SYNC * 3];
	unsigned char		hello[RF_HELLO_IN];
	struct rframe		f;
	size_t			len, n, off;
	long			r;

	len = rf_build(w, sizeof(w), RF_RUN, 9, "xxxxxxxxxxxxxxxxxxxxxxxx",
	    24);
	len -= 10;			/* half-written */
	memset(w + len, 0, RF_SYNC);
	len += RF_SYNC;
	memset(hello, 'n', sizeof(hello));
	n = rf_build(w + len, sizeof(w) - len, RF_HELLO, 0, hello,
	    sizeof(hello));
	len += n;
	r = rf_parse(w, len, RF_MAXIN, &f);
	ok(r == -1, "the half frame ends in zeros: refused, never run");
	off = 1 + rf_hunt(w + 1, len - 1, RF_HELLO, RF_HELLO_IN);
	ok(off == len - n, "the HELLO is found past the zeros");
	r = rf_parse(w + off, len - off, RF_MAXIN, &f);
	ok(r == (long)n && f.type == RF_HELLO, "and parsed");
	ok(rf_hunt((const unsigned char *)"abc\x74", 4, RF_HELLO, 12) == 3,
	    "a magic byte at the end waits for the rest");
	ok(rf_hunt((const unsigned char *)"abcd", 4, RF_HELLO, 12) == 4,
	    "no magic: everything skipped");
}

static void
test_strings(void)
{
	const char	*v[4];

	ok(rf_strings((const unsigned char *)"a\0bc\0", 5, v, 4) == 2 &&
	    strcmp(v[1], "bc") == 0, "two strings");
	ok(rf_strings((const unsigned char *)"a\0bc", 4, v, 4) == -1,
	    "an unterminated string refused");
	ok(rf_strings((const unsigned char *)"a\0b\0c\0d\0e\0", 10, v,
	    4) == -1, "more strings than allowed refused");
	ok(rf_strings((const unsigned char *)"", 0, v, 4) == 0, "none");
}

/* random bytes: parse and hunt stay within the buffer (ASan) */
static void
test_random(void)
{
	unsigned char	*p;
	struct rframe	 f;
	size_t		 n, i;
	long		 r;
	int		 k, bad = 0;

	for (k = 0; k < 20000; k++) {
		n = random() % 64;
		if ((p = malloc(n + 1)) == NULL)
			abort();
		for (i = 0; i < n; i++)
			p[i] = k % 3 == 0 && i < 2 ? (i == 0 ? 0x74 : 0x52) :
			    random();
		r = rf_parse(p, n, RF_MAXOUT, &f);
		if (r > (long)n || (r > 0 && f.pay + f.len > p + n))
			bad++;
		if (rf_hunt(p, n, RF_HELLO, RF_HELLO_OUT) > n)
			bad++;
		free(p);
	}
	ok(bad == 0, "20000 random inputs stay within their buffer");
}

int
main(void)
{
	test_roundtrip();
	test_malformed();
	test_sync();
	test_strings();
	test_random();
	return (done_testing());
}

/*
 * sandboxd_stream.c - the Engine API stream demultiplexer across random
 * read boundaries, head-and-tail output capture, UTF-8 clean-up, base64.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../sandboxd/sandboxd.h"

struct sink {
	unsigned char	out[2][200000];
	size_t		len[2];
};

static void
sink_cb(int stream, const void *buf, size_t len, void *arg)
{
	struct sink	*s = arg;

	if (stream < 1 || stream > 2 || s->len[stream - 1] + len >
	    sizeof(s->out[0]))
		abort();
	memcpy(s->out[stream - 1] + s->len[stream - 1], buf, len);
	s->len[stream - 1] += len;
}

static size_t
put_frame(unsigned char *p, int stream, const unsigned char *data,
    size_t len)
{
	p[0] = stream;
	p[1] = p[2] = p[3] = 0;
	p[4] = len >> 24;
	p[5] = len >> 16;
	p[6] = len >> 8;
	p[7] = len;
	memcpy(p + 8, data, len);
	return (len + 8);
}

static void
test_demux(void)
{
	static unsigned char	 wire[400000], want[2][200000];
	static struct sink	 s;
	size_t			 wlen = 0, wantlen[2] = { 0, 0 }, off, n, fl;
	unsigned char		 chunk[5000];
	struct demux		 d;
	int			 i, round, st, bad = 0;

	srandom(42);
	for (i = 0; i < 300; i++) {
		st = 1 + random() % 2;
		fl = random() % 1200;	/* includes empty frames */
		for (n = 0; n < fl; n++)
			chunk[n] = random();
		memcpy(want[st - 1] + wantlen[st - 1], chunk, fl);
		wantlen[st - 1] += fl;
		wlen += put_frame(wire + wlen, st, chunk, fl);
	}
	for (round = 0; round < 200; round++) {
		memset(&s, 0, sizeof(s));
		sbx_demux_init(&d);
		for (off = 0; off < wlen; off += n) {
			/* tiny splits often: 1..9 bytes cut headers apart */
			n = random() % 3 == 0 ? 1 + random() % 9 :
			    1 + random() % 3000;
			if (n > wlen - off)
				n = wlen - off;
			if (sbx_demux_feed(&d, wire + off, n, sink_cb, &s) == -1)
				bad++;
		}
		if (s.len[0] != wantlen[0] || s.len[1] != wantlen[1] ||
		    memcmp(s.out[0], want[0], wantlen[0]) != 0 ||
		    memcmp(s.out[1], want[1], wantlen[1]) != 0 ||
		    sbx_demux_partial(&d))
			bad++;
	}
	is_int(bad, 0, "200 random splits of 300 frames demultiplex exactly");

	memset(&s, 0, sizeof(s));
	sbx_demux_init(&d);
	ok(sbx_demux_feed(&d, "\x01\x00\x00\x00\x00\x00\x00\x05hel", 11, sink_cb,
	    &s) == 0 && sbx_demux_partial(&d), "a frame cut short is pending");
	ok(s.len[0] == 3 && memcmp(s.out[0], "hel", 3) == 0,
	    "partial payload delivered at once");
	sbx_demux_init(&d);
	ok(sbx_demux_feed(&d, "\x07\x00\x00\x00\x00\x00\x00\x01x", 9, sink_cb,
	    &s) == -1, "a bad stream byte is an error");
	ok(sbx_demux_feed(&d, "x", 1, sink_cb, &s) == -1,
	    "and stays an error");
}

static void
test_outcap(void)
{
	struct outcap	 oc;
	char		*r, big[10000];
	size_t		 len, i;

	ok(sbx_outcap_init(&oc, 100) == 0, "outcap init");
	sbx_outcap_add(&oc, "hello", 5);
	r = sbx_outcap_result(&oc, &len);
	ok(len == 5 && memcmp(r, "hello", 5) == 0, "under the cap: intact");
	is_int(sbx_outcap_cut(&oc), 0, "nothing cut");
	free(r);
	sbx_outcap_free(&oc);

	for (i = 0; i < sizeof(big); i++)
		big[i] = 'a' + i % 26;
	ok(sbx_outcap_init(&oc, 100) == 0, "outcap init 100");
	/* feed in odd pieces so the ring wraps */
	for (i = 0; i < sizeof(big); i += 7)
		sbx_outcap_add(&oc, big + i, sizeof(big) - i < 7 ?
		    sizeof(big) - i : 7);
	is_int(sbx_outcap_cut(&oc), sizeof(big) - 100, "cut count");
	r = sbx_outcap_result(&oc, &len);
	ok(memcmp(r, big, 50) == 0, "head kept");
	ok(memcmp(r + len - 50, big + sizeof(big) - 50, 50) == 0,
	    "tail kept in order");
	ok(strstr(r, "[... 9900 bytes cut ...]") != NULL, "cut noted");
	free(r);
	sbx_outcap_free(&oc);

	ok(sbx_outcap_init(&oc, 10) == 0, "outcap init 10");
	sbx_outcap_add(&oc, big, 1000);
	r = sbx_outcap_result(&oc, &len);
	ok(memcmp(r, big, 5) == 0 && memcmp(r + len - 5, big + 995, 5) == 0,
	    "one big chunk: head and tail");
	free(r);
	sbx_outcap_free(&oc);
}

static void
test_utf8_b64(void)
{
	json_t		*j;
	char		*e;
	unsigned char	*d, bin[256];
	size_t		 len, dlen, i;

	ok(sbx_utf8_valid("h\xc3\xa9llo", 6), "valid UTF-8");
	ok(!sbx_utf8_valid("h\xc3", 2), "cut sequence invalid");
	ok(!sbx_utf8_valid("\xed\xa0\x80", 3), "surrogate invalid");
	j = sbx_utf8_json("a\xffz", 3);
	is_str(json_string_value(j), "a\xef\xbf\xbdz", "bad byte -> U+FFFD");
	json_decref(j);
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = i;
	for (i = 0; i < 5; i++) {
		e = sbx_b64_encode(bin, sizeof(bin) - i, &len);
		d = sbx_b64_decode(e, len, &dlen);
		ok(d != NULL && dlen == sizeof(bin) - i &&
		    memcmp(d, bin, dlen) == 0, "base64 round trip %zu",
		    sizeof(bin) - i);
		free(e);
		free(d);
	}
	e = sbx_b64_encode("foob", 4, &len);
	is_str(e, "Zm9vYg==", "base64 padding");
	free(e);
	ok(sbx_b64_decode("Zm9v!", 5, &dlen) == NULL, "bad base64 refused");
	ok(sbx_b64_decode("Zm9", 3, &dlen) == NULL, "short base64 refused");
}

int
main(void)
{
	test_demux();
	test_outcap();
	test_utf8_b64();
	return (done_testing());
}

/*
 * fuzz_sandboxd.c - sandboxd's parsers of untrusted bytes: the Engine
 * API stream demultiplexer (fed in pieces cut where the input says),
 * the head-and-tail capture and UTF-8 clean-up of command output,
 * base64 from the gateway, glob patterns and workspace paths from the
 * model, and the command runner's frames (runner/frame.c), which a
 * container's user may have a hand in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandboxd.h"
#include "../runner/frame.h"

static void
sink(int stream, const void *buf, size_t len, void *arg)
{
	struct outcap	*oc = arg;

	if (stream < 1 || stream > 2)
		abort();
	sbx_outcap_add(&oc[stream - 1], buf, len);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcap	 oc[2];
	struct demux	 d;
	struct fserr	 e;
	struct rframe	 rf;
	const char	*sv[RF_MAXSTRS];
	long		 lr;
	char		*s, *r, rel[256];
	unsigned char	*b;
	size_t		 off, n, len, blen;
	json_t		*j;
	int		 i;

	if (size < 2)
		return (0);
	/* demux in pieces of data[0] % 17 + 1 bytes */
	sbx_outcap_init(&oc[0], 64 + data[1]);
	sbx_outcap_init(&oc[1], 64);
	sbx_demux_init(&d);
	for (off = 2; off < size; off += n) {
		n = data[0] % 17 + 1;
		if (n > size - off)
			n = size - off;
		if (sbx_demux_feed(&d, data + off, n, sink, oc) == -1)
			break;
	}
	for (i = 0; i < 2; i++) {
		if ((r = sbx_outcap_result(&oc[i], &len)) != NULL) {
			if ((j = sbx_utf8_json(r, len)) == NULL)
				abort();
			json_decref(j);
			free(r);
		}
		sbx_outcap_free(&oc[i]);
	}
	/* runner frames: parse what parses, hunt past what does not */
	for (off = 0; off < size; ) {
		if ((lr = rf_parse(data + off, size - off, RF_MAXOUT, &rf)) == 0)
			break;
		if (lr > 0) {
			if (rf.pay + rf.len > data + size)
				abort();
			if (rf.type == RF_RUN || rf.type == RF_KILL)
				(void)rf_strings(rf.pay, rf.len, sv, RF_MAXSTRS);
			off += lr;
			continue;
		}
		off++;
		off += rf_hunt(data + off, size - off, RF_HELLO, RF_HELLO_OUT);
	}
	/* strings: base64, glob (pattern|subject), workspace paths */
	if ((s = strndup((const char *)data + 2, size - 2)) == NULL)
		return (0);
	if ((b = sbx_b64_decode(s, strlen(s), &blen)) != NULL) {
		if ((r = sbx_b64_encode(b, blen, &len)) == NULL)
			abort();
		free(r);
		free(b);
	}
	if ((r = strchr(s, '|')) != NULL) {
		*r++ = '\0';
		if (strlen(s) < 64 && strlen(r) < 256)
			(void)sbx_glob_match(s, r);
	}
	if (sbx_ws_relpath(s, rel, sizeof(rel), &e) == 0 &&
	    (rel[0] == '/' || rel[0] == '\0'))
		abort();
	free(s);
	return (0);
}

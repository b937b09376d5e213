/*
 * common_imsg.c - imsg framing: coalesced and split frames, partial
 * writes, fd passing, oversized, truncated and lying frames.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "regress.h"

static int
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		return (-1);
	return (0);
}

static void
raw_frame(unsigned char *buf, uint32_t type, uint32_t len, uint32_t id)
{
	struct imsg_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = len;
	h.peerid = id;
	h.pid = 42;
	memcpy(buf, &h, sizeof(h));
}

static void
test_coalesced(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 m;
	int		 sv[2], i, got = 0, order = 1;
	char		 payload[32];

	pair(sv);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	for (i = 0; i < 5; i++) {
		snprintf(payload, sizeof(payload), "frame %d", i);
		imsg_compose(&a, 100 + i, i, 0, -1, payload, strlen(payload));
	}
	ok(imsgbuf_write(&a) == 0 && a.wqlen == 0, "five frames written");
	ok(imsgbuf_read(&b) == 1, "one read gets them all");
	while (imsg_get(&b, &m) == 1) {
		snprintf(payload, sizeof(payload), "frame %d", got);
		if (imsg_get_type(&m) != (uint32_t)(100 + got) ||
		    imsg_get_id(&m) != (uint32_t)got ||
		    imsg_get_len(&m) != strlen(payload) ||
		    memcmp(m.data, payload, strlen(payload)) != 0)
			order = 0;
		got++;
		imsg_free(&m);
	}
	is_int(got, 5, "coalesced frames come out one by one");
	ok(order, "in order, with type, id and payload intact");
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_split(void)
{
	unsigned char	 buf[3 * 64];
	struct imsgbuf	 b;
	struct imsg	 m;
	int		 sv[2], got = 0, early = 0, rv;
	size_t		 i, off = 0;

	pair(sv);
	imsgbuf_init(&b, sv[1]);
	for (i = 0; i < 3; i++) {
		raw_frame(buf + off, 7, 64, (uint32_t)i);
		memset(buf + off + sizeof(struct imsg_hdr), 'a' + i,
		    64 - sizeof(struct imsg_hdr));
		off += 64;
	}
	/* one byte at a time: no frame before its last byte */
	for (i = 0; i < off; i++) {
		(void)write(sv[0], buf + i, 1);
		imsgbuf_read(&b);
		while ((rv = imsg_get(&b, &m)) == 1) {
			if (i + 1 != (size_t)(got + 1) * 64)
				early = 1;
			if (m.data[0] != 'a' + got)
				early = 1;
			got++;
			imsg_free(&m);
		}
	}
	is_int(got, 3, "frames split byte by byte are all delivered");
	ok(!early, "each only once complete, with its own payload");
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_partial_write(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 m;
	unsigned char	*big;
	size_t		 len = 3 * 1024 * 1024, i;
	int		 sv[2], rounds = 0, got = 0, same = 0, bufsz = 4096;

	pair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	imsgbuf_set_maxsize(&a, 8 * 1024 * 1024);
	imsgbuf_set_maxsize(&b, 8 * 1024 * 1024);
	big = malloc(len);
	for (i = 0; i < len; i++)
		big[i] = (unsigned char)(i * 7);
	ok(imsg_compose(&a, 1, 1, 0, -1, big, len) == 0,
	    "a 3 MiB frame fits an 8 MiB channel");
	while (got == 0 && rounds < 100000) {
		if (imsgbuf_write(&a) == -1)
			break;
		imsgbuf_read(&b);
		if (imsg_get(&b, &m) == 1) {
			got = 1;
			same = m.datalen == len && memcmp(m.data, big, len) == 0;
			imsg_free(&m);
		}
		rounds++;
	}
	ok(got && rounds > 1, "delivered over many partial writes (%d)",
	    rounds);
	ok(same, "payload intact");
	free(big);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fd(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 m;
	int		 sv[2], p[2], fd;
	char		 c = 0;

	pair(sv);
	pipe(p);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	imsg_compose(&a, 9, 0, 0, p[0], "fd", 2);
	imsg_compose(&a, 10, 0, 0, -1, "nofd", 4);
	imsgbuf_write(&a);
	imsgbuf_read(&b);
	ok(imsg_get(&b, &m) == 1 && m.fd != -1, "the fd travelled");
	fd = imsg_get_fd(&m);
	imsg_free(&m);
	(void)write(p[1], "z", 1);
	ok(fd != -1 && read(fd, &c, 1) == 1 && c == 'z',
	    "the received fd reads what was written to the pipe");
	close(fd);
	/* data after an fd comes with the next read */
	if (imsg_get(&b, &m) != 1) {
		imsgbuf_read(&b);
		(void)imsg_get(&b, &m);
	}
	ok(imsg_get_type(&m) == 10 && m.fd == -1, "the next frame has no fd");
	imsg_free(&m);
	ok(fcntl(p[0], F_GETFD) == -1, "the sender's copy was closed");
	close(p[1]);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static void
test_bad(void)
{
	unsigned char	 buf[64];
	struct imsgbuf	 a, b;
	struct imsg	 m;
	int		 sv[2], rv;
	char		 big[IMSG_MAXSIZE_DEFAULT];

	/* shorter than a header */
	raw_frame(buf, 1, 8, 0);
	is_int(imsg_decode_buffer(buf, 16, IMSG_MAXSIZE_DEFAULT, NULL, NULL),
	    -1, "a frame shorter than its header is refused");
	/* longer than the channel allows */
	raw_frame(buf, 1, IMSG_MAXSIZE_DEFAULT + 1, 0);
	is_int(imsg_decode_buffer(buf, 16, IMSG_MAXSIZE_DEFAULT, NULL, NULL),
	    -1, "a frame over the channel maximum is refused");
	/* claims an fd that never came */
	raw_frame(buf, 1, 16 | IMSG_FD_MARK, 0);
	is_int(imsg_decode_buffer(buf, 16, IMSG_MAXSIZE_DEFAULT, NULL, NULL),
	    -1, "a frame claiming a missing fd is refused");
	/* truncated: not an error, just not complete */
	raw_frame(buf, 1, 40, 0);
	is_int(imsg_decode_buffer(buf, 30, IMSG_MAXSIZE_DEFAULT, NULL, NULL),
	    0, "a truncated frame is held back, not delivered");
	/* the read side refuses an oversized header at once */
	pair(sv);
	imsgbuf_init(&b, sv[1]);
	raw_frame(buf, 1, 1U << 30, 0);
	(void)write(sv[0], buf, 16);
	imsgbuf_read(&b);
	rv = imsgbuf_read(&b);
	ok(rv == -1 || imsg_get(&b, &m) == -1, "the reader stops at a lying "
	    "header (errno EBADMSG)");
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	/* composing more than the channel carries */
	imsgbuf_init(&a, -1);
	errno = 0;
	ok(imsg_compose(&a, 1, 0, 0, -1, big, sizeof(big)) == -1 &&
	    errno == ERANGE, "composing an oversized frame fails with ERANGE");
	ok(imsgbuf_set_maxsize(&a, 8) == -1, "a maximum below the header "
	    "size is refused");
	imsgbuf_clear(&a);
}

static void
test_payloads(void)
{
	struct imsg	 m;
	uint32_t	 v = 0;
	json_t		*o;
	char		 s1[] = "{\"a\":1}", s2[] = "[1,2]", s3[] = "{\"a\":";
	char		 s4[] = "{\"a\":1,\"a\":2}";

	memset(&m, 0, sizeof(m));
	m.fd = -1;
	m.data = (unsigned char *)"abcd";
	m.datalen = 4;
	ok(imsg_get_data(&m, &v, sizeof(v)) == 0, "exact size accepted");
	m.datalen = 3;
	ok(imsg_get_data(&m, &v, sizeof(v)) == -1 && errno == EBADMSG,
	    "one byte short is refused");
	m.datalen = 5;
	ok(imsg_get_data(&m, &v, sizeof(v)) == -1, "one byte long is refused");
	m.data = (unsigned char *)s1;
	m.datalen = strlen(s1);
	o = imsg_get_json(&m);
	ok(o != NULL && json_integer_value(json_object_get(o, "a")) == 1,
	    "a JSON object payload parses");
	json_decref(o);
	m.data = (unsigned char *)s2;
	m.datalen = strlen(s2);
	ok(imsg_get_json(&m) == NULL, "a JSON array is not an object");
	m.data = (unsigned char *)s3;
	m.datalen = strlen(s3);
	ok(imsg_get_json(&m) == NULL, "truncated JSON is refused");
	m.data = (unsigned char *)s4;
	m.datalen = strlen(s4);
	ok(imsg_get_json(&m) == NULL, "duplicate keys are refused");
	m.data = NULL;
	m.datalen = 0;
	ok(imsg_get_json(&m) == NULL, "an empty payload is not JSON");
}

int
main(void)
{
	test_coalesced();
	test_split();
	test_partial_write();
	test_fd();
	test_bad();
	test_payloads();
	return (done_testing());
}

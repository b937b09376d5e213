/*
 * peerprobe.c - talk to a topsh daemon's socket like a peer would, or
 * like an attacker would, and say how the daemon reacted.
 *
 * usage: peerprobe SOCKET hello|garbage|oversize|unknown|fdflood|split
 *        [PROC]
 * Prints "accepted" when the daemon answered HELLO, then "closed" when
 * it hung up on us (or "open" if it did not within two seconds).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "proc.h"
#include "topsh.h"

static int
wait_reply(struct imsgbuf *ib, struct imsg *imsg)
{
	struct pollfd	 pfd;
	int		 rv;

	for (;;) {
		if ((rv = imsg_get(ib, imsg)) != 0)
			return (rv);
		pfd.fd = ib->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 2000) <= 0)
			return (-2);	/* still open, nothing said */
		if ((rv = imsgbuf_read(ib)) <= 0)
			return (-1);	/* closed */
	}
}

static void
say_state(struct imsgbuf *ib)
{
	struct imsg	 imsg;
	int		 rv;

	while ((rv = wait_reply(ib, &imsg)) == 1)
		imsg_free(&imsg);
	printf("%s\n", rv == -2 ? "open" : "closed");
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct imsgbuf		 ib;
	struct imsg		 imsg;
	struct topsh_hello	 h;
	struct imsg_hdr		 hdr;
	const char		*mode;
	unsigned char		 junk[64];
	int			 s, i;

	if (argc < 3)
		errx(2, "usage: peerprobe socket mode [proc]");
	mode = argv[2];
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, argv[1], sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(2, "socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "connect %s", argv[1]);
	imsgbuf_init(&ib, s);

	if (strcmp(mode, "garbage") == 0) {
		for (i = 0; i < (int)sizeof(junk); i++)
			junk[i] = (unsigned char)(i * 37 + 5);
		memset(junk, 0, 8);	/* type 0, len 0: shorter than a header */
		(void)write(s, junk, sizeof(junk));
		say_state(&ib);
		return (0);
	}
	if (strcmp(mode, "oversize") == 0) {
		memset(&hdr, 0, sizeof(hdr));
		hdr.type = IMSG_HELLO;
		hdr.len = 1U << 30;
		(void)write(s, &hdr, sizeof(hdr));
		say_state(&ib);
		return (0);
	}
	memset(&h, 0, sizeof(h));
	h.proc = argc > 3 ? (uint32_t)proc_byname(argv[3]) : PROC_GATEWAYD;
	h.version = TOPSH_PROTO_VERSION;
	imsg_compose(&ib, IMSG_HELLO, 0, 0, -1, &h, sizeof(h));
	if (imsgbuf_flush(&ib) == -1) {
		printf("closed\n");	/* hung up before we could speak */
		return (0);
	}
	if (wait_reply(&ib, &imsg) != 1) {
		printf("closed\n");
		return (0);
	}
	imsg_free(&imsg);
	printf("accepted\n");
	fflush(stdout);
	if (strcmp(mode, "unknown") == 0) {
		imsg_compose(&ib, 9999, 1, 0, -1, "x", 1);
		imsgbuf_flush(&ib);
	} else if (strcmp(mode, "split") == 0) {
		/* half a frame, then hang up: the daemon must shrug */
		memset(&hdr, 0, sizeof(hdr));
		hdr.type = IMSG_CTL_STATUS;
		hdr.len = sizeof(hdr) + 100;
		(void)write(s, &hdr, sizeof(hdr));
		(void)write(s, junk, 10);
		close(s);
		printf("closed\n");
		return (0);
	} else if (strcmp(mode, "hello") == 0) {
		say_state(&ib);
		return (0);
	}
	say_state(&ib);
	return (0);
}

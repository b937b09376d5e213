/*
 * peersend.c - speak to a topsh daemon's socket as a given peer and
 * send it JSON requests: how the trust tests play proxyd vouching to
 * policyd, or a compromised gatewayd trying to.
 *
 * usage: peersend SOCKET PROC TYPE JSON [TYPE JSON ...]
 * PROC is a daemon name (gatewayd, proxyd, sandboxd, ...); TYPE a
 * message number.  Requests get ids 1, 2, ...; each reply is printed as
 * "ID TYPE JSON".  Prints "closed" when the daemon hangs up, exits 0
 * once every request has an answer, 1 when the connection was closed
 * first, 3 after 10 s without an answer.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "proc.h"
#include "topsh.h"

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct imsgbuf		 ib;
	struct imsg		 imsg;
	struct topsh_hello	 h;
	struct pollfd		 pfd;
	json_t			*o;
	const char		*errstr;
	char			*s;
	int			 fd, i, want, got = 0, rv;
	uint32_t		 type;

	if (argc < 3 || (argc - 3) % 2 != 0)
		errx(2, "usage: peersend socket proc [type json ...]");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, argv[1], sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(2, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "connect %s", argv[1]);
	imsgbuf_init(&ib, fd);
	memset(&h, 0, sizeof(h));
	if ((h.proc = (uint32_t)proc_byname(argv[2])) == PROC_NONE)
		errx(2, "unknown proc %s", argv[2]);
	h.version = TOPSH_PROTO_VERSION;
	imsg_compose(&ib, IMSG_HELLO, 0, 0, -1, &h, sizeof(h));
	want = (argc - 3) / 2 + 1;	/* the HELLO reply too */
	for (i = 3; i + 1 < argc; i += 2) {
		type = (uint32_t)strtonum(argv[i], 1, 65535, &errstr);
		if (errstr != NULL)
			errx(2, "type %s: %s", argv[i], errstr);
		if ((o = json_loads(argv[i + 1], 0, NULL)) == NULL)
			errx(2, "not JSON: %s", argv[i + 1]);
		s = json_dumps(o, JSON_COMPACT);
		imsg_compose(&ib, type, (i - 1) / 2, 0, -1, s, strlen(s));
		free(s);
		json_decref(o);
	}
	if (imsgbuf_flush(&ib) == -1) {
		printf("closed\n");
		return (1);
	}
	while (got < want) {
		while ((rv = imsg_get(&ib, &imsg)) == 1) {
			if (imsg_get_type(&imsg) != IMSG_HELLO) {
				o = imsg_get_json(&imsg);
				s = o != NULL ? json_dumps(o, JSON_COMPACT) :
				    NULL;
				printf("%u %u %s\n", imsg_get_id(&imsg),
				    imsg_get_type(&imsg), s != NULL ? s : "-");
				free(s);
				json_decref(o);
			}
			got++;
			imsg_free(&imsg);
		}
		if (got >= want)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10000) <= 0)
			return (3);
		if (imsgbuf_read(&ib) <= 0) {
			printf("closed\n");
			return (1);
		}
	}
	return (0);
}

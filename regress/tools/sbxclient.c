/*
 * sbxclient.c - speak to sandboxd like gatewayd (RUNDIR/sandboxd.sock)
 * or topshctl (RUNDIR/sandboxd.ctl) for the sandbox tests.
 *
 * usage: sbxclient SOCKET TYPE JSON [TYPE JSON ...]
 * TYPE is exec, read, write, edit, delete, list, glob, grep, stat, open,
 * ports, ctl-list, ctl-kill, ctl-exec, trash-list, trash-restore, remove-user or a
 * number.  All requests are sent at once (request ids 1, 2, ...); every
 * reply is printed as it arrives, one line each: "ID TYPE JSON".  A
 * passed fd is read and shown as {"fd_bytes": N, "fd_head": "..."}.
 * Exits when every request has been answered (control requests end with
 * IMSG_CTL_END or IMSG_CTL_FAIL), 1 on a lost connection, 3 on timeout
 * (60 s).
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

static const struct {
	const char	*name;
	uint32_t	 type;
} types[] = {
	{ "exec", IMSG_SANDBOX_EXEC },
	{ "read", IMSG_SANDBOX_FILE_READ },
	{ "write", IMSG_SANDBOX_FILE_WRITE },
	{ "edit", IMSG_SANDBOX_FILE_EDIT },
	{ "delete", IMSG_SANDBOX_FILE_DELETE },
	{ "list", IMSG_SANDBOX_FILE_LIST },
	{ "glob", IMSG_SANDBOX_FILE_GLOB },
	{ "grep", IMSG_SANDBOX_FILE_GREP },
	{ "stat", IMSG_SANDBOX_FILE_STAT },
	{ "open", IMSG_SANDBOX_FILE_OPEN },
	{ "ports", IMSG_SANDBOX_PORTS },
	{ "ctl-list", IMSG_CTL_SANDBOX_LIST },
	{ "ctl-kill", IMSG_CTL_SANDBOX_KILL },
	{ "ctl-exec", IMSG_CTL_SANDBOX_EXEC },
	{ "trash-list", IMSG_CTL_TRASH_LIST },
	{ "trash-restore", IMSG_CTL_TRASH_RESTORE },
	{ "trash-purge", IMSG_CTL_TRASH_PURGE },
	{ "remove-user", IMSG_CTL_SANDBOX_REMOVE_USER },
};

static const char *
type_name(uint32_t t)
{
	static char	buf[16];

	switch (t) {
	case IMSG_ERROR:
		return ("error");
	case IMSG_SANDBOX_EXEC_RESULT:
		return ("exec-result");
	case IMSG_SANDBOX_FILE_RESULT:
		return ("file-result");
	case IMSG_SANDBOX_PORTS_RESULT:
		return ("ports-result");
	case IMSG_CTL_DATA:
		return ("ctl-data");
	case IMSG_CTL_END:
		return ("ctl-end");
	case IMSG_CTL_FAIL:
		return ("ctl-fail");
	case IMSG_CTL_OK:
		return ("ctl-ok");
	}
	snprintf(buf, sizeof(buf), "%u", t);
	return (buf);
}

static uint32_t
type_of(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, s) == 0)
			return (types[i].type);
	return ((uint32_t)strtoul(s, NULL, 10));
}

static void
show_fd(int fd)
{
	char	buf[65536], head[65];
	ssize_t	n;
	size_t	total = 0;
	json_t	*o;

	head[0] = '\0';
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (total == 0) {
			memcpy(head, buf, n < 64 ? (size_t)n : 64);
			head[n < 64 ? n : 64] = '\0';
		}
		total += (size_t)n;
	}
	close(fd);
	o = json_pack("{s:I, s:s}", "fd_bytes", (json_int_t)total,
	    "fd_head", head);
	if (o != NULL) {
		char	*s = json_dumps(o, JSON_COMPACT);

		printf("  fd %s\n", s != NULL ? s : "{}");
		free(s);
		json_decref(o);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct imsgbuf		 ib;
	struct imsg		 imsg;
	struct topsh_hello	 h;
	struct pollfd		 pfd;
	json_t			*o;
	char			*s;
	int			 sock, i, nreq, left, ctl, fd, rv;
	size_t			 len;

	if (argc < 4 || (argc - 2) % 2 != 0)
		errx(2, "usage: sbxclient socket type json [type json ...]");
	len = strlen(argv[1]);
	ctl = len > 4 && strcmp(argv[1] + len - 4, ".ctl") == 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, argv[1], sizeof(sun.sun_path));
	if ((sock = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(2, "socket");
	if (connect(sock, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "connect %s", argv[1]);
	imsgbuf_init(&ib, sock);
	imsgbuf_set_maxsize(&ib, 16 * 1024 * 1024);
	if (!ctl) {
		memset(&h, 0, sizeof(h));
		h.proc = PROC_GATEWAYD;
		h.version = TOPSH_PROTO_VERSION;
		imsg_compose(&ib, IMSG_HELLO, 0, 0, -1, &h, sizeof(h));
	}
	nreq = (argc - 2) / 2;
	for (i = 0; i < nreq; i++) {
		if ((o = json_loads(argv[2 + 2 * i + 1], 0, NULL)) == NULL)
			errx(2, "bad JSON: %s", argv[2 + 2 * i + 1]);
		imsg_compose_json(&ib, type_of(argv[2 + 2 * i]), i + 1, -1, o);
		json_decref(o);
	}
	if (imsgbuf_flush(&ib) == -1)
		err(1, "write");
	left = nreq;
	while (left > 0) {
		while ((rv = imsg_get(&ib, &imsg)) == 1) {
			if (imsg_get_type(&imsg) == IMSG_HELLO) {
				imsg_free(&imsg);
				continue;
			}
			o = imsg_get_json(&imsg);
			s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
			printf("%u %s %s\n", imsg_get_id(&imsg),
			    type_name(imsg_get_type(&imsg)), s != NULL ? s :
			    "{}");
			free(s);
			json_decref(o);
			if ((fd = imsg_get_fd(&imsg)) != -1)
				show_fd(fd);
			fflush(stdout);
			if (!ctl || imsg_get_type(&imsg) == IMSG_CTL_END ||
			    imsg_get_type(&imsg) == IMSG_CTL_FAIL)
				left--;
			imsg_free(&imsg);
		}
		if (rv == -1)
			errx(1, "malformed reply");
		if (left == 0)
			break;
		pfd.fd = sock;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 60000) <= 0)
			errx(3, "timeout");
		if (imsgbuf_read(&ib) <= 0)
			errx(1, "connection closed");
	}
	imsgbuf_clear(&ib);
	close(sock);
	return (0);
}

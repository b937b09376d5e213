/*
 * attach.c - a hijacked connection to a container's stdin and stdout:
 *
 *   POST /containers/ID/attach?stream=1&stdin=1&stdout=1&stderr=1
 *   Connection: Upgrade, Upgrade: tcp	-> HTTP 101, then raw bytes
 *
 * both ways on the same unix socket connection to the engine: what we
 * write goes to the container's stdin, and its stdout and stderr come
 * back in the Engine's multiplexed frames (Tty false; demux.c).  libcurl
 * does not hand such a connection over, so this is a small client of
 * its own on a libevent bufferevent.  Stream 1 goes to the caller;
 * stream 2 (nothing should write there) is counted and dropped.
 * Callbacks never free the attach themselves: the caller closes it
 * later, from its own event (runner.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "sandboxd.h"

#define ATTACH_API	"/v1.41"	/* as docker.c */
#define ATTACH_HEAD_MAX	8192	/* bytes of the HTTP response head */

struct attach {
	struct bufferevent	*bev;
	const struct attach_cbs	*cbs;
	void			*arg;
	struct demux		 dm;
	int			 upgraded;
	int			 failed;
	size_t			 errbytes;	/* seen on stream 2 */
};

static void
attach_end(struct attach *a, int eof, const char *why)
{
	if (a->failed)
		return;
	a->failed = 1;
	bufferevent_disable(a->bev, EV_READ | EV_WRITE);
	a->cbs->down(eof, why, a->arg);
}

static void
attach_fail(struct attach *a, const char *why)
{
	attach_end(a, 0, why);
}

static void
attach_stream(int stream, const void *buf, size_t len, void *arg)
{
	struct attach	*a = arg;

	if (a->failed)
		return;
	if (stream == 1)
		a->cbs->data(buf, len, a->arg);
	else
		a->errbytes += len;
}

/* the response head: 101 (or 200, an engine that upgrades anyway) */
static int
attach_head(struct attach *a, struct evbuffer *in)
{
	struct evbuffer_ptr	 p;
	char			 line[64];
	size_t			 n;
	int			 status;

	p = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (p.pos == -1) {
		if (evbuffer_get_length(in) > ATTACH_HEAD_MAX)
			attach_fail(a, "the engine's answer is too long");
		return (0);
	}
	n = evbuffer_copyout(in, line, sizeof(line) - 1);
	line[n] = '\0';
	if (sscanf(line, "HTTP/1.%*d %d", &status) != 1 ||
	    (status != 101 && status != 200)) {
		line[strcspn(line, "\r\n")] = '\0';
		log_warnx("attach: the engine answered \"%s\"", line);
		attach_fail(a, "the engine refused to attach");
		return (0);
	}
	evbuffer_drain(in, p.pos + 4);
	a->upgraded = 1;
	a->cbs->up(a->arg);
	return (!a->failed);
}

static void
attach_read(struct bufferevent *bev, void *arg)
{
	struct attach	*a = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	unsigned char	 buf[16384];
	size_t		 n;

	if (!a->upgraded && !attach_head(a, in))
		return;
	while (!a->failed && (n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		if (sbx_demux_feed(&a->dm, buf, n, attach_stream, a) == -1)
			attach_fail(a, "bad stream from the engine");
}

static void
attach_event(struct bufferevent *bev, short what, void *arg)
{
	struct attach	*a = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF)
		attach_end(a, a->upgraded, "the stream ended");
	else
		attach_fail(a, "the connection to the engine failed");
}

/* attach to container id through the engine's socket */
struct attach *
sbx_attach_open(const char *sock, const char *id,
    const struct attach_cbs *cbs, void *arg)
{
	struct attach		*a;
	struct sockaddr_un	 sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path) || (a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	a->cbs = cbs;
	a->arg = arg;
	sbx_demux_init(&a->dm);
	if ((a->bev = bufferevent_socket_new(topsh_base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(a);
		return (NULL);
	}
	bufferevent_setcb(a->bev, attach_read, NULL, attach_event, a);
	if (bufferevent_socket_connect(a->bev, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1 || evbuffer_add_printf(
	    bufferevent_get_output(a->bev), "POST %s/containers/%s/attach?"
	    "stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
	    "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
	    "Content-Length: 0\r\n\r\n", ATTACH_API, id) == -1 ||
	    bufferevent_enable(a->bev, EV_READ | EV_WRITE) == -1) {
		bufferevent_free(a->bev);
		free(a);
		return (NULL);
	}
	return (a);
}

/* to the container's stdin; -1 if the connection failed */
int
sbx_attach_write(struct attach *a, const void *buf, size_t len)
{
	if (a->failed || !a->upgraded)
		return (-1);
	return (bufferevent_write(a->bev, buf, len));
}

size_t
sbx_attach_errbytes(const struct attach *a)
{
	return (a->errbytes);
}

void
sbx_attach_close(struct attach *a)
{
	if (a == NULL)
		return;
	bufferevent_free(a->bev);
	free(a);
}

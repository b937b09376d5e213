/*
 * sandboxd_docker.c - sandboxd's Engine API client on a real event loop
 * against a small fake engine on a unix socket: the /_ping + /info
 * health check (/info's answer handed to the up hook), error messages from the engine, a multiplexed exec
 * stream dribbled out a few bytes at a time (demultiplexed exactly), a
 * request that times out on a slow engine (not unavailable: the engine
 * is not taken for down), and an engine that goes away (unavailable)
 * and comes back (up again).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "regress.h"
#include "../../sandboxd/sandboxd.h"

static char		 sockpath[108];
static struct event_base *base;
static int		 ups, up_info, got404, stream_done_ok, unavail;
static char		 errmsg[256];
static struct demux	 dm;
static char		 out[2][4096];
static size_t		 outlen[2];

static const char want_out[] = "hello from stdout, split into tiny reads\n";
static const char want_err[] = "and stderr interleaved\n";

static void
srv_write(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(1);
}

static void
srv_frame(int fd, int stream, const char *s)
{
	unsigned char	hdr[8] = { 0 };
	size_t		len = strlen(s), i;
	char		all[512];

	hdr[0] = stream;
	hdr[7] = len & 0xff;
	hdr[6] = len >> 8;
	memcpy(all, hdr, 8);
	memcpy(all + 8, s, len);
	/* three bytes at a time: headers and payloads split everywhere */
	for (i = 0; i < len + 8; i += 3) {
		srv_write(fd, all + i, len + 8 - i < 3 ? len + 8 - i : 3);
		usleep(500);
	}
}

static void
serve_one(int c)
{
	char	req[4096], *p;
	ssize_t	n;
	size_t	len = 0;
	const char *r;

	/* headers, then any body announced by Content-Length */
	while (len < sizeof(req) - 1 && (n = read(c, req + len,
	    sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if ((p = strstr(req, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(req, "Content-Length:");
			size_t want = (size_t)(p + 4 - req) +
			    (cl != NULL ? strtoul(cl + 15, NULL, 10) : 0);
			if (len >= want)
				break;
		}
	}
	if (strncmp(req, "GET /v1.41/containers/slow/json ", 32) == 0) {
		/* an engine too busy to answer in time */
		sleep(2);
		close(c);
		return;
	}
	if (strncmp(req, "GET /v1.41/_ping ", 17) == 0)
		r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		    "Connection: close\r\n\r\nOK";
	else if (strncmp(req, "GET /v1.41/info ", 16) == 0)
		r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: 61\r\nConnection: close\r\n\r\n"
		    "{\"ServerVersion\":\"fake\",\"Runtimes\":{\"runc\":"
		    "{\"path\":\"runc\"}}}\n";
	else if (strncmp(req, "POST /v1.41/exec/e1/start ", 26) == 0) {
		r = "HTTP/1.1 200 OK\r\nContent-Type: "
		    "application/vnd.docker.raw-stream\r\n\r\n";
		srv_write(c, r, strlen(r));
		srv_frame(c, 1, "hello from stdout, ");
		srv_frame(c, 2, want_err);
		srv_frame(c, 1, "split into tiny reads\n");
		close(c);
		return;
	} else
		r = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json"
		    "\r\nContent-Length: 38\r\nConnection: close\r\n\r\n"
		    "{\"message\":\"No such container: nope\"}\n";
	srv_write(c, r, strlen(r));
	close(c);
}

static pid_t
fake_engine(void)
{
	struct sockaddr_un	sun;
	pid_t			pid;
	int			s, c;

	unlink(sockpath);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s, 16) == -1)
		abort();
	if ((pid = fork()) == 0) {
		for (;;) {
			if ((c = accept(s, NULL, NULL)) == -1)
				_exit(errno == EINTR ? 0 : 1);
			serve_one(c);
		}
	}
	close(s);
	return (pid);
}

static void
stop_engine(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(sockpath);
}

static void
up_cb(json_t *info)
{
	ups++;
	if (json_is_object(json_object_get(json_object_get(info, "Runtimes"),
	    "runc")))
		up_info++;
	event_base_loopbreak(base);
}

static void
notfound_cb(const struct dresp *r, void *arg)
{
	got404 = r->status == 404;
	strlcpy(errmsg, r->err != NULL ? r->err : "", sizeof(errmsg));
	event_base_loopbreak(base);
}

static void
demux_cb(int stream, const void *buf, size_t len, void *arg)
{
	if (outlen[stream - 1] + len < sizeof(out[0])) {
		memcpy(out[stream - 1] + outlen[stream - 1], buf, len);
		outlen[stream - 1] += len;
	}
}

static int
data_cb(const void *buf, size_t len, void *arg)
{
	return (sbx_demux_feed(&dm, buf, len, demux_cb, NULL));
}

static void
stream_cb(const struct dresp *r, void *arg)
{
	stream_done_ok = r->status == 200 && r->err == NULL;
	event_base_loopbreak(base);
}

static int	slow_done, slow_unavail;

static void
slow_cb(const struct dresp *r, void *arg)
{
	slow_done = 1;
	slow_unavail = r->unavailable;
	event_base_loopbreak(base);
}

static void
gone_cb(const struct dresp *r, void *arg)
{
	unavail = r->unavailable;
	event_base_loopbreak(base);
}

static void
run_loop(int secs)
{
	struct timeval	tv = { secs, 0 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

int
main(void)
{
	char	tmpl[] = "/tmp/sbx-docker.XXXXXX";
	pid_t	pid;

	if (mkdtemp(tmpl) == NULL)
		abort();
	snprintf(sockpath, sizeof(sockpath), "%s/docker.sock", tmpl);
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	pid = fake_engine();

	ok(docker_init(base, sockpath, up_cb) == 0, "client set up");
	run_loop(10);
	is_int(ups, 1, "/_ping and /info: the engine is up");
	is_int(up_info, 1, "the up hook has /info's answer (the runtimes)");
	ok(docker_is_up() && strcmp(docker_version(), "fake") == 0,
	    "engine version noted");

	ok(docker_call("GET", "/containers/nope/json", NULL, 5000,
	    notfound_cb, NULL) != NULL, "request started");
	run_loop(10);
	ok(got404, "404 passed on");
	ok(strstr(errmsg, "No such container: nope") != NULL,
	    "with the engine's message: %s", errmsg);

	/* a slow engine is not a dead one */
	ok(docker_call("GET", "/containers/slow/json", NULL, 500, slow_cb,
	    NULL) != NULL, "request to a slow engine started");
	run_loop(10);
	ok(slow_done && !slow_unavail, "a request that times out is not "
	    "reported unavailable");
	ok(docker_is_up(), "and the engine is not marked down");

	sbx_demux_init(&dm);
	ok(docker_stream("/exec/e1/start", NULL, 0, data_cb, NULL, stream_cb,
	    NULL) != NULL, "exec stream started");
	run_loop(10);
	ok(stream_done_ok, "stream ended cleanly");
	ok(outlen[0] == strlen(want_out) && memcmp(out[0], want_out,
	    outlen[0]) == 0, "stdout demultiplexed across 3-byte reads");
	ok(outlen[1] == strlen(want_err) && memcmp(out[1], want_err,
	    outlen[1]) == 0, "stderr too");
	ok(!sbx_demux_partial(&dm), "no frame left half-read");

	stop_engine(pid);
	ok(docker_call("GET", "/containers/nope/json", NULL, 5000, gone_cb,
	    NULL) != NULL, "request to a dead engine started");
	run_loop(10);
	ok(unavail, "a dead engine is reported unavailable");
	ok(!docker_is_up(), "and marked down");
	ok(strlen(docker_lasterr()) > 0, "with a reason: %s",
	    docker_lasterr());

	pid = fake_engine();
	run_loop(15);	/* backoff: 1 s, then 2 s */
	is_int(ups, 2, "the engine is found again by the retry");
	ok(docker_is_up(), "and marked up");

	docker_shutdown();
	stop_engine(pid);
	event_base_free(base);
	rmdir(tmpl);
	return (done_testing());
}

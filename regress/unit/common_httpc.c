/*
 * common_httpc.c - common/httpc.c against a small HTTP server forked by
 * the test, on 127.0.0.1 and on a unix socket.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "httpc.h"
#include "regress.h"

static int	 release_pipe[2];
static pid_t	 server_pid;
static char	 sockpath[128];
static int	 port;

/* ---- the server: one forked child per connection ---- */

static void
writeall(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return;
		}
		p += n;
		len -= n;
	}
}

static void
respond(int fd, int status, const char *extra, const char *body,
    size_t len)
{
	char	 hdr[512];
	int	 n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
	    status, len, extra ? extra : "");
	writeall(fd, hdr, n);
	writeall(fd, body, len);
}

static void
serve(int fd)
{
	char	 req[65536], *end, *p, method[16], path[256], ct[128], xt[128];
	char	 out[70000];
	size_t	 have = 0, clen = 0, hlen;
	ssize_t	 n;
	char	 c;
	int	 i;

	for (;;) {
		n = read(fd, req + have, sizeof(req) - 1 - have);
		if (n <= 0)
			return;
		have += n;
		req[have] = '\0';
		if ((end = strstr(req, "\r\n\r\n")) != NULL)
			break;
	}
	hlen = end + 4 - req;
	if ((p = strcasestr(req, "\r\ncontent-length:")) != NULL && p < end)
		clen = strtoul(p + 17, NULL, 10);
	while (have < hlen + clen && have < sizeof(req) - 1) {
		if ((n = read(fd, req + have, sizeof(req) - 1 - have)) <= 0)
			break;
		have += n;
	}
	req[have] = '\0';
	ct[0] = xt[0] = '\0';
	if ((p = strcasestr(req, "\r\ncontent-type:")) != NULL && p < end)
		sscanf(p + 15, " %127[^\r]", ct);
	if ((p = strcasestr(req, "\r\nx-test:")) != NULL && p < end)
		sscanf(p + 9, " %127[^\r]", xt);
	if (sscanf(req, "%15s %255s", method, path) != 2)
		return;

	if (strcmp(path, "/hello") == 0)
		respond(fd, 200, "Content-Type: text/plain\r\n",
		    "hello world", 11);
	else if (strcmp(path, "/echo") == 0) {
		n = snprintf(out, sizeof(out), "%s|%s|%s|%.*s", method, ct,
		    xt, (int)(have - hlen), req + hlen);
		respond(fd, 200, NULL, out, n);
	} else if (strcmp(path, "/big") == 0) {
		memset(out, 'a', 100000 > sizeof(out) ? sizeof(out) : 100000);
		respond(fd, 200, NULL, out, 65536);
	} else if (strcmp(path, "/429") == 0)
		respond(fd, 429, "Retry-After: 7\r\n", "slow down", 9);
	else if (strcmp(path, "/404") == 0)
		respond(fd, 404, "Content-Type: application/json\r\n",
		    "{\"message\":\"no such container\"}", 31);
	else if (strcmp(path, "/wait") == 0) {
		if (read(release_pipe[0], &c, 1) == 1)
			respond(fd, 200, NULL, "waited", 6);
	} else if (strcmp(path, "/release") == 0) {
		writeall(release_pipe[1], "x", 1);
		respond(fd, 200, NULL, "released", 8);
	} else if (strcmp(path, "/stream") == 0) {
		writeall(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n", 66);
		for (i = 0; i < 5; i++) {
			n = snprintf(out, sizeof(out), "6\r\nline%d\n\r\n", i);
			writeall(fd, out, n);
			usleep(10000);
		}
		writeall(fd, "0\r\n\r\n", 5);
	} else
		respond(fd, 404, NULL, "nope", 4);
}

static void
server_loop(int tcp, int unx)
{
	fd_set	 rfds;
	int	 fd, max;

	signal(SIGCHLD, SIG_IGN);
	max = tcp > unx ? tcp : unx;
	for (;;) {
		FD_ZERO(&rfds);
		FD_SET(tcp, &rfds);
		FD_SET(unx, &rfds);
		if (select(max + 1, &rfds, NULL, NULL, NULL) == -1)
			continue;
		fd = accept(FD_ISSET(tcp, &rfds) ? tcp : unx, NULL, NULL);
		if (fd == -1)
			continue;
		if (fork() == 0) {
			alarm(10);	/* never outlive the test */
			serve(fd);
			shutdown(fd, SHUT_WR);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}

static void
start_server(void)
{
	struct sockaddr_in	 sin;
	struct sockaddr_un	 sun;
	socklen_t		 slen = sizeof(sin);
	int			 tcp, unx, one = 1;

	if (pipe(release_pipe) == -1)
		exit(2);
	tcp = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(tcp, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(tcp, 16) == -1 ||
	    getsockname(tcp, (struct sockaddr *)&sin, &slen) == -1)
		exit(2);
	port = ntohs(sin.sin_port);

	snprintf(sockpath, sizeof(sockpath), "/tmp/httpc-test.%d.sock",
	    (int)getpid());
	unlink(sockpath);
	unx = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	if (bind(unx, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(unx, 16) == -1)
		exit(2);

	if ((server_pid = fork()) == 0) {
		alarm(120);
		server_loop(tcp, unx);
	}
	close(tcp);
	close(unx);
}

/* ---- the client side ---- */

struct result {
	int		 done;
	long		 status;
	CURLcode	 err;
	char		 errmsg[256];
	char		*body;
	size_t		 bodylen;
	int		 bodynull;
	char		 ctype[64];
	long		 retry_after;
	int		 truncated;
	int		 order;
	char		 streamed[256];
	int		 nchunks;
	int		 abort_after;
};

static struct event_base	*base;
static int			 pending, finished;

static void
done_cb(struct httpc_req *req, const struct httpc_res *res, void *arg)
{
	struct result	*r = arg;

	r->done++;
	r->order = ++finished;
	r->status = res->status;
	r->err = res->err;
	if (res->errmsg != NULL)
		strlcpy(r->errmsg, res->errmsg, sizeof(r->errmsg));
	r->bodynull = res->body == NULL;
	if (res->body != NULL) {
		r->body = malloc(res->bodylen + 1);
		memcpy(r->body, res->body, res->bodylen + 1);
	}
	r->bodylen = res->bodylen;
	if (res->content_type != NULL)
		strlcpy(r->ctype, res->content_type, sizeof(r->ctype));
	r->retry_after = res->retry_after;
	r->truncated = res->truncated;
	if (--pending == 0)
		event_base_loopbreak(base);
}

static int
data_cb(const void *data, size_t len, void *arg)
{
	struct result	*r = arg;

	r->nchunks++;
	strncat(r->streamed, data, len < sizeof(r->streamed) -
	    strlen(r->streamed) - 1 ? len : sizeof(r->streamed) -
	    strlen(r->streamed) - 1);
	if (r->abort_after > 0 && r->nchunks >= r->abort_after)
		return (-1);
	return (0);
}

static struct httpc_req *
mkreq(struct httpc *h, const char *method, const char *path)
{
	char	 url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	return (httpc_req_new(h, method, url));
}

static void
run(void)
{
	if (pending > 0)
		event_base_dispatch(base);
}

static void
go(struct httpc_req *req, struct result *r)
{
	pending++;
	if (httpc_req_start(req, done_cb, r) == -1) {
		pending--;
		printf("# start failed\n");
	}
}

static void
reset(struct result *r, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(r[i].body);
		memset(&r[i], 0, sizeof(r[i]));
	}
}

int
main(void)
{
	struct httpc		*h;
	struct httpc_req	*req;
	struct result		 r[4];
	char			 url[256];
	int			 status;

	memset(r, 0, sizeof(r));
	start_server();
	base = event_base_new();
	h = httpc_new(base);
	ok(h != NULL, "httpc_new");

	/* plain GET */
	go(mkreq(h, "GET", "/hello"), &r[0]);
	ok(httpc_active(h) == 1, "one active request");
	run();
	is_int(r[0].done, 1, "GET: done callback called once");
	is_int(r[0].status, 200, "GET: status 200");
	is_int(r[0].err, CURLE_OK, "GET: no transfer error");
	is_str(r[0].body, "hello world", "GET: body");
	is_str(r[0].ctype, "text/plain", "GET: content type");
	is_int(r[0].retry_after, -1, "GET: no Retry-After");
	is_int(httpc_active(h), 0, "no active request after completion");
	reset(r, 4);

	/* POST with a body and a header, DELETE */
	req = mkreq(h, "POST", "/echo");
	ok(httpc_req_header(req, "X-Test: yes") == 0, "add header");
	ok(httpc_req_body(req, "{\"a\":1}", 7, "application/json") == 0,
	    "set body");
	go(req, &r[0]);
	go(mkreq(h, "DELETE", "/echo"), &r[1]);
	run();
	is_str(r[0].body, "POST|application/json|yes|{\"a\":1}",
	    "POST: method, content type, header and body arrive");
	is_str(r[1].body, "DELETE|||", "DELETE: custom method, empty body");
	reset(r, 4);

	/* 429 with Retry-After, 404 body */
	go(mkreq(h, "GET", "/429"), &r[0]);
	go(mkreq(h, "GET", "/404"), &r[1]);
	run();
	is_int(r[0].status, 429, "429 status");
	is_int(r[0].retry_after, 7, "Retry-After parsed");
	is_str(r[0].body, "slow down", "429 body");
	is_int(r[1].status, 404, "404 status");
	is_int(r[1].err, CURLE_OK, "an HTTP error is not a transfer error");
	reset(r, 4);

	/* maxbytes */
	req = mkreq(h, "GET", "/big");
	httpc_req_maxbytes(req, 1000);
	go(req, &r[0]);
	go(mkreq(h, "GET", "/big"), &r[1]);
	run();
	is_int(r[0].truncated, 1, "capped body is marked truncated");
	is_int(r[0].bodylen, 1000, "capped body holds exactly maxbytes");
	is_int(r[0].err, CURLE_OK, "truncation is not a transfer error");
	is_int(r[1].truncated, 0, "default cap not reached");
	is_int(r[1].bodylen, 65536, "uncapped body complete");
	reset(r, 4);

	/*
	 * concurrency: /wait only answers once /release was served, so
	 * both complete only if the second request went out while the
	 * first was still waiting (a serialising client would time out)
	 */
	req = mkreq(h, "GET", "/wait");
	httpc_req_timeout(req, 8000);
	go(req, &r[0]);
	go(mkreq(h, "GET", "/release"), &r[1]);
	run();
	is_str(r[1].body, "released", "second request served meanwhile");
	is_str(r[0].body, "waited",
	    "a request blocked on the server does not block another");
	reset(r, 4);

	/* streaming */
	req = mkreq(h, "GET", "/stream");
	httpc_req_stream(req, data_cb, &r[0]);
	go(req, &r[0]);
	req = mkreq(h, "GET", "/404");
	httpc_req_stream(req, data_cb, &r[1]);
	go(req, &r[1]);
	run();
	is_str(r[0].streamed, "line0\nline1\nline2\nline3\nline4\n",
	    "streamed body goes to the data callback");
	ok(r[0].bodynull, "streamed result has a NULL body");
	is_int(r[1].nchunks, 0, "error response is not streamed");
	is_str(r[1].body, "{\"message\":\"no such container\"}",
	    "error body of a streamed request is collected");
	reset(r, 4);

	/* a capped stream */
	req = mkreq(h, "GET", "/stream");
	httpc_req_stream(req, data_cb, &r[0]);
	httpc_req_maxbytes(req, 10);
	go(req, &r[0]);
	run();
	is_int(r[0].truncated, 1, "capped stream marked truncated");
	ok(strlen(r[0].streamed) <= 10, "no more than the cap streamed");
	reset(r, 4);

	/* streaming abort */
	req = mkreq(h, "GET", "/stream");
	r[0].abort_after = 1;
	httpc_req_stream(req, data_cb, &r[0]);
	go(req, &r[0]);
	run();
	is_int(r[0].done, 1, "aborted stream: done called");
	ok(r[0].err != CURLE_OK, "aborted stream reports an error");
	is_str(r[0].errmsg, "transfer aborted by the receiver",
	    "aborted stream error message");
	reset(r, 4);

	/* unix socket */
	req = httpc_req_new(h, "GET", "http://localhost/hello");
	httpc_req_unix_socket(req, sockpath);
	go(req, &r[0]);
	run();
	is_int(r[0].status, 200, "unix socket: status");
	is_str(r[0].body, "hello world", "unix socket: body");
	reset(r, 4);

	/* resolve pinning: a name that does not exist, pinned */
	snprintf(url, sizeof(url), "http://pinned.invalid:%d/hello", port);
	req = httpc_req_new(h, "GET", url);
	snprintf(url, sizeof(url), "pinned.invalid:%d:127.0.0.1", port);
	ok(httpc_req_resolve(req, url) == 0, "add resolve entry");
	go(req, &r[0]);
	run();
	is_str(r[0].body, "hello world", "pinned name reaches the address");
	reset(r, 4);

	/* timeout */
	req = mkreq(h, "GET", "/wait");
	httpc_req_timeout(req, 300);
	go(req, &r[0]);
	run();
	is_int(r[0].err, CURLE_OPERATION_TIMEDOUT, "timeout reported");
	ok(r[0].errmsg[0] != '\0', "timeout has a message");
	/* let the server's blocked child go */
	go(mkreq(h, "GET", "/release"), &r[1]);
	run();
	reset(r, 4);

	/* connection refused */
	req = httpc_req_new(h, "GET", "http://127.0.0.1:1/");
	go(req, &r[0]);
	run();
	is_int(r[0].err, CURLE_COULDNT_CONNECT, "refused connection");
	is_int(r[0].status, 0, "no status without a response");
	reset(r, 4);

	/* cancel: no callback */
	req = mkreq(h, "GET", "/wait");
	ok(httpc_req_start(req, done_cb, &r[0]) == 0, "start to cancel");
	httpc_req_cancel(req);
	is_int(httpc_active(h), 0, "cancelled request not active");
	go(mkreq(h, "GET", "/hello"), &r[1]);
	run();
	is_int(r[0].done, 0, "cancelled request never calls back");
	is_int(r[1].done, 1, "next request still works");
	reset(r, 4);

	/* protocols other than http(s) are refused */
	req = httpc_req_new(h, "GET", "file:///etc/passwd");
	if (req != NULL)
		go(req, &r[0]);
	run();
	ok(req == NULL || r[0].err == CURLE_UNSUPPORTED_PROTOCOL,
	    "file:// refused");
	reset(r, 4);

	/* free with pending requests cancels them */
	req = mkreq(h, "GET", "/wait");
	ok(httpc_req_start(req, done_cb, &r[0]) == 0, "start before free");
	httpc_free(h);
	is_int(r[0].done, 0, "httpc_free cancels without callbacks");

	kill(server_pid, SIGKILL);
	waitpid(server_pid, &status, 0);
	unlink(sockpath);
	event_base_free(base);
	return (done_testing());
}

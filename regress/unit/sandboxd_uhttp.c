/*
 * sandboxd_uhttp.c - sandboxd's HTTP/1.1 client (sandboxd/uhttp.c) on
 * a real event loop against a scripted fake engine on a unix socket:
 * the request as sent, Content-Length, chunked (extensions, trailers,
 * split anywhere) and to-the-end bodies, a response dribbled a byte at
 * a time, an engine that closes before or in the middle of its answer,
 * a slow engine (time limit), oversized headers and bodies, malformed
 * answers, 1xx and 204, a stream aborted or cancelled half-way, a
 * refused connection told only from the loop, many requests at once,
 * and the %-encoder.
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
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "regress.h"
#include "../../sandboxd/uhttp.h"

static char		 sockpath[108];
static struct event_base *base;

struct result {
	int		 done;
	int		 status;
	enum uhttp_err	 err;
	char		 errmsg[200];
	char		*body;
	size_t		 bodylen;
	int		 bodynull;
	char		 streamed[70000];
	size_t		 slen;
	int		 ncalls;	/* data callback calls */
	int		 stopafter;	/* data callback: -1 after this many */
	struct uhttp_req *cancel;	/* data callback: cancel this */
};

static void
put(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(1);
}

static void
puts_(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* a byte at a time, with a pause: every split a reader can meet */
static void
dribble(int fd, const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		put(fd, s + i, 1);
		usleep(300);
	}
}

static void
serve_one(int c)
{
	char	 req[8192], resp[9000], *p, *big;
	ssize_t	 n;
	size_t	 len = 0, want, i;

	while (len < sizeof(req) - 1 && (n = read(c, req + len,
	    sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if ((p = strstr(req, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(req, "Content-Length:");
			want = (size_t)(p + 4 - req) +
			    (cl != NULL ? strtoul(cl + 15, NULL, 10) : 0);
			if (len >= want)
				break;
		}
	}
	if (strncmp(req, "POST /echo ", 11) == 0) {
		/* the whole request back, as the body */
		snprintf(resp, sizeof(resp), "HTTP/1.1 201 Created\r\n"
		    "Content-Length: %zu\r\n\r\n", len);
		puts_(c, resp);
		put(c, req, len);
	} else if (strncmp(req, "GET /cl-dribble ", 16) == 0)
		dribble(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json"
		    "\r\nContent-Length: 16\r\n\r\n{\"Id\":\"abc123\"}\n");
	else if (strncmp(req, "GET /chunked ", 13) == 0)
		dribble(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		    "\r\n5\r\nhello\r\n1;ext=1\r\n \r\nA\r\nchunked wo\r\n"
		    "3\r\nrld\r\n0\r\nX-Trailer: yes\r\n\r\n");
	else if (strncmp(req, "GET /chunked-big ", 17) == 0) {
		/* 64 chunks of 1000 bytes, streamed */
		puts_(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		    "\r\n");
		for (i = 0; i < 64; i++) {
			memset(resp, 'a' + i % 26, 1000);
			snprintf(resp + 1000, 100, "\r\n");
			puts_(c, "3e8\r\n");
			put(c, resp, 1002);
		}
		puts_(c, "0\r\n\r\n");
	} else if (strncmp(req, "POST /raw ", 10) == 0) {
		/* an exec stream: no length, ends with the connection */
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Type: "
		    "application/vnd.docker.raw-stream\r\n\r\n");
		dribble(c, "first part, ");
		usleep(20000);
		dribble(c, "second part");
	} else if (strncmp(req, "GET /cut-body ", 14) == 0)
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
		    "only ten b");
	else if (strncmp(req, "GET /cut-chunk ", 15) == 0)
		puts_(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "10\r\nshort");
	else if (strncmp(req, "GET /cut-headers ", 17) == 0)
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Le");
	else if (strncmp(req, "GET /nothing ", 13) == 0)
		;
	else if (strncmp(req, "GET /slow ", 10) == 0) {
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
		sleep(3);
	} else if (strncmp(req, "GET /bigheaders ", 16) == 0) {
		puts_(c, "HTTP/1.1 200 OK\r\n");
		if ((big = malloc(80000)) == NULL)
			_exit(1);
		memset(big, 'x', 80000);
		puts_(c, "X-Big: ");
		put(c, big, 80000);
		puts_(c, "\r\nContent-Length: 2\r\n\r\nok");
		free(big);
	} else if (strncmp(req, "GET /manyheaders ", 17) == 0) {
		/* each line short, the block over the limit */
		puts_(c, "HTTP/1.1 200 OK\r\n");
		for (i = 0; i < 3000; i++)
			puts_(c, "X-Header-Line: 0123456789\r\n");
		puts_(c, "Content-Length: 2\r\n\r\nok");
	} else if (strncmp(req, "GET /bigbody ", 13) == 0) {
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
		memset(resp, 'b', 5000);
		put(c, resp, 5000);
	} else if (strncmp(req, "GET /notHTTP ", 13) == 0)
		puts_(c, "SSH-2.0-OpenSSH\r\n\r\n");
	else if (strncmp(req, "GET /badchunk ", 14) == 0)
		puts_(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "zz\r\nhello\r\n0\r\n\r\n");
	else if (strncmp(req, "GET /twolengths ", 16) == 0)
		puts_(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		    "Content-Length: 3\r\n\r\nabc");
	else if (strncmp(req, "GET /continue ", 14) == 0)
		dribble(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
		    "Content-Length: 4\r\n\r\ndone");
	else if (strncmp(req, "DELETE /nocontent ", 18) == 0)
		puts_(c, "HTTP/1.1 204 No Content\r\n\r\n");
	else if (strncmp(req, "POST /stream404 ", 16) == 0)
		puts_(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 28\r\n\r\n"
		    "{\"message\":\"No such exec\"}\r\n");
	else
		puts_(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
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
	    listen(s, 128) == -1)
		abort();
	if ((pid = fork()) == 0) {
		signal(SIGCHLD, SIG_IGN);	/* no zombies */
		for (;;) {
			if ((c = accept(s, NULL, NULL)) == -1)
				_exit(errno == EINTR ? 0 : 1);
			/* one process a connection: a slow one holds no other */
			if (fork() == 0) {
				close(s);
				serve_one(c);
				_exit(0);
			}
			close(c);
		}
	}
	close(s);
	return (pid);
}

static int	npending;

static void
done_cb(struct uhttp_req *req, const struct uhttp_res *res, void *arg)
{
	struct result	*r = arg;

	r->done++;
	r->status = res->status;
	r->err = res->err;
	strlcpy(r->errmsg, res->errmsg != NULL ? res->errmsg : "",
	    sizeof(r->errmsg));
	r->bodynull = res->body == NULL;
	if (res->body != NULL) {
		r->body = malloc(res->bodylen + 1);
		memcpy(r->body, res->body, res->bodylen + 1);
		r->bodylen = res->bodylen;
	}
	if (--npending == 0)
		event_base_loopbreak(base);
}

static int
data_cb(const void *buf, size_t len, void *arg)
{
	struct result	*r = arg;

	r->ncalls++;
	if (r->slen + len <= sizeof(r->streamed)) {
		memcpy(r->streamed + r->slen, buf, len);
		r->slen += len;
	}
	if (r->cancel != NULL) {
		uhttp_cancel(r->cancel);
		npending--;
		event_base_loopbreak(base);
		return (0);
	}
	if (r->stopafter > 0 && r->ncalls >= r->stopafter)
		return (-1);
	return (0);
}

static void
run(struct result *r, const char *method, const char *path,
    struct uhttp_opts *o)
{
	struct uhttp_opts	 def;
	struct timeval		 tv = { 15, 0 };
	struct uhttp_req	*q;

	if (o == NULL) {
		memset(&def, 0, sizeof(def));
		def.timeout_ms = 5000;
		def.maxbytes = 1 << 20;
		o = &def;
	}
	free(r->body);
	memset(r, 0, sizeof(*r));
	npending = 1;
	q = uhttp_start(base, sockpath, method, path, o, done_cb, r);
	if (q == NULL) {
		r->err = -1;
		return;
	}
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

int
main(void)
{
	char			 tmpl[] = "/tmp/sbx-uhttp.XXXXXX", esc[64];
	struct result		 r, many[40];
	struct uhttp_opts	 o;
	struct uhttp_req	*q;
	struct timeval		 tv = { 15, 0 };
	const char		*js = "{\"Cmd\":[\"sh\"]}";
	double			 t0;
	pid_t			 pid;
	int			 i, good;

	if (mkdtemp(tmpl) == NULL)
		abort();
	snprintf(sockpath, sizeof(sockpath), "%s/docker.sock", tmpl);
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	memset(&r, 0, sizeof(r));

	/* nothing listens yet: refused, and told from the loop only */
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 5000;
	o.maxbytes = 1024;
	npending = 1;
	q = uhttp_start(base, sockpath, "GET", "/x", &o, done_cb, &r);
	ok(q != NULL && r.done == 0, "a failed connect is not told before "
	    "uhttp_start returns");
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ok(r.done == 1 && r.err == UHTTP_ECONNECT && r.status == 0,
	    "then told once as ECONNECT: %s", r.errmsg);

	ok(uhttp_start(base, sockpath, "GET", "/a b", &o, done_cb, &r) ==
	    NULL, "a path with a space is refused");
	ok(uhttp_start(base, sockpath, "GET", "/a\r\nX-Evil: 1", &o,
	    done_cb, &r) == NULL, "a path with CR LF is refused");
	ok(uhttp_start(base, sockpath, "G T", "/a", &o, done_cb, &r) ==
	    NULL, "a bad method is refused");

	pid = fake_engine();

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 5000;
	o.maxbytes = 1 << 20;
	o.body = js;
	o.bodylen = strlen(js);
	o.content_type = "application/json";
	run(&r, "POST", "/echo", &o);
	ok(r.done == 1 && r.err == UHTTP_OK && r.status == 201,
	    "POST answered 201");
	ok(r.body != NULL && strncmp(r.body, "POST /echo HTTP/1.1\r\n", 21) ==
	    0, "request line as sent");
	ok(r.body != NULL && strstr(r.body, "\r\nHost: docker\r\n") != NULL &&
	    strstr(r.body, "\r\nConnection: close\r\n") != NULL &&
	    strstr(r.body, "\r\nContent-Type: application/json\r\n") != NULL,
	    "Host, Connection: close and Content-Type sent");
	ok(r.body != NULL && strstr(r.body, "\r\nContent-Length: 14\r\n") !=
	    NULL && r.bodylen > 14 && strcmp(r.body + r.bodylen - 14, js) ==
	    0, "Content-Length and the body sent");

	run(&r, "GET", "/cl-dribble", NULL);
	ok(r.err == UHTTP_OK && r.status == 200 && r.bodylen == 16 &&
	    strcmp(r.body, "{\"Id\":\"abc123\"}\n") == 0,
	    "Content-Length body read a byte at a time");

	run(&r, "GET", "/chunked", NULL);
	ok(r.err == UHTTP_OK && r.status == 200 && r.body != NULL &&
	    strcmp(r.body, "hello chunked world") == 0,
	    "chunked body (extension, trailer, split anywhere): \"%s\"",
	    r.body != NULL ? r.body : "");

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 5000;
	o.data = data_cb;
	o.data_arg = &r;
	run(&r, "GET", "/chunked-big", &o);
	good = r.slen == 64000;
	for (i = 0; good && i < 64000; i++)
		good = r.streamed[i] == 'a' + (i / 1000) % 26;
	ok(r.err == UHTTP_OK && r.status == 200 && good && r.bodynull,
	    "a chunked body streamed whole and in order (%zu bytes, %d "
	    "calls)", r.slen, r.ncalls);

	memset(&o, 0, sizeof(o));
	o.data = data_cb;
	o.data_arg = &r;
	o.body = "{}";
	o.bodylen = 2;
	run(&r, "POST", "/raw", &o);
	ok(r.err == UHTTP_OK && r.status == 200 && r.slen == 23 &&
	    memcmp(r.streamed, "first part, second part", 23) == 0,
	    "a body to the end of the connection streamed (no time limit)");

	run(&r, "GET", "/cut-body", NULL);
	ok(r.err == UHTTP_EPARTIAL && r.status == 200,
	    "closed in the middle of a Content-Length body: EPARTIAL (%s)",
	    r.errmsg);
	run(&r, "GET", "/cut-chunk", NULL);
	ok(r.err == UHTTP_EPARTIAL && r.status == 200,
	    "closed in the middle of a chunk: EPARTIAL");
	run(&r, "GET", "/cut-headers", NULL);
	ok(r.err == UHTTP_EPARTIAL && r.status == 200,
	    "closed in the middle of the headers: EPARTIAL");
	run(&r, "GET", "/nothing", NULL);
	ok(r.err == UHTTP_ENOTHING && r.status == 0,
	    "closed without a byte: ENOTHING (%s)", r.errmsg);

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 300;
	o.maxbytes = 1024;
	t0 = now();
	run(&r, "GET", "/slow", &o);
	t0 = now() - t0;
	ok(r.err == UHTTP_ETIMEOUT && r.done == 1,
	    "a slow engine: ETIMEOUT (%s)", r.errmsg);
	ok(t0 >= 0.29 && t0 < 2.0, "after the limit, not the engine's "
	    "3 s (%.2f s)", t0);

	run(&r, "GET", "/bigheaders", NULL);
	ok(r.err == UHTTP_ETOOBIG, "an 80 KB header line: ETOOBIG (%s)",
	    r.errmsg);
	run(&r, "GET", "/manyheaders", NULL);
	ok(r.err == UHTTP_ETOOBIG, "an 80 KB header block of short lines: "
	    "ETOOBIG");
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 5000;
	o.maxbytes = 4096;
	run(&r, "GET", "/bigbody", &o);
	ok(r.err == UHTTP_ETOOBIG && r.status == 200,
	    "a body over the cap: ETOOBIG (%s)", r.errmsg);

	run(&r, "GET", "/notHTTP", NULL);
	ok(r.err == UHTTP_EPROTO && r.status == 0, "not HTTP: EPROTO (%s)",
	    r.errmsg);
	run(&r, "GET", "/badchunk", NULL);
	ok(r.err == UHTTP_EPROTO, "a malformed chunk size: EPROTO");
	run(&r, "GET", "/twolengths", NULL);
	ok(r.err == UHTTP_EPROTO, "two different Content-Lengths: EPROTO");

	run(&r, "GET", "/continue", NULL);
	ok(r.err == UHTTP_OK && r.status == 200 && r.body != NULL &&
	    strcmp(r.body, "done") == 0, "a 100 Continue is skipped");
	run(&r, "DELETE", "/nocontent", NULL);
	ok(r.err == UHTTP_OK && r.status == 204 && r.bodylen == 0,
	    "204 without a body");

	memset(&o, 0, sizeof(o));
	o.data = data_cb;
	o.data_arg = &r;
	run(&r, "POST", "/stream404", &o);
	ok(r.err == UHTTP_OK && r.status == 404 && r.ncalls == 0 &&
	    r.body != NULL && strstr(r.body, "No such exec") != NULL,
	    "a streamed request's 404: the body collected, not streamed");

	memset(&o, 0, sizeof(o));
	o.data = data_cb;
	o.data_arg = &r;
	free(r.body);
	memset(&r, 0, sizeof(r));
	r.stopafter = 1;
	npending = 1;
	q = uhttp_start(base, sockpath, "GET", "/chunked-big", &o, done_cb,
	    &r);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ok(r.done == 1 && r.err == UHTTP_EABORTED && r.ncalls == 1,
	    "the data callback stops a stream: EABORTED, no more data");

	memset(&r, 0, sizeof(r));
	npending = 1;
	q = uhttp_start(base, sockpath, "POST", "/raw", &o, done_cb, &r);
	r.cancel = q;
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ok(r.done == 0 && r.ncalls == 1, "cancelled from its own data "
	    "callback: no done callback");

	/* many at once, each on its own connection */
	npending = 0;
	memset(many, 0, sizeof(many));
	for (i = 0; i < 40; i++) {
		memset(&o, 0, sizeof(o));
		o.timeout_ms = 10000;
		o.maxbytes = 1 << 20;
		if (uhttp_start(base, sockpath, "GET", i % 2 ? "/chunked" :
		    "/cl-dribble", &o, done_cb, &many[i]) != NULL)
			npending++;
	}
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	for (good = 0, i = 0; i < 40; i++) {
		if (many[i].done == 1 && many[i].err == UHTTP_OK &&
		    many[i].body != NULL && strcmp(many[i].body, i % 2 ?
		    "hello chunked world" : "{\"Id\":\"abc123\"}\n") == 0)
			good++;
		free(many[i].body);
	}
	is_int(good, 40, "40 requests at once all answered right");

	/* cancelled before the engine answers: nothing comes back */
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 200;
	free(r.body);
	memset(&r, 0, sizeof(r));
	q = uhttp_start(base, sockpath, "GET", "/slow", &o, done_cb, &r);
	uhttp_cancel(q);
	tv.tv_sec = 1;
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ok(r.done == 0, "a cancelled request's time limit does not fire");

	ok(uhttp_escape("{\"label\":[\"topsh.root=/a b\"]}", esc,
	    sizeof(esc)) == 0 && strcmp(esc, "%7B%22label%22%3A%5B%22topsh."
	    "root%3D%2Fa%20b%22%5D%7D") == 0, "%%-encoded: %s", esc);
	ok(uhttp_escape("abcdefgh", esc, 8) == -1, "too long for the buffer");
	ok(uhttp_escape("abcdefg", esc, 8) == 0 && strcmp(esc, "abcdefg") ==
	    0, "just fits");

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(sockpath);
	rmdir(tmpl);
	free(r.body);
	event_base_free(base);
	return (done_testing());
}

/*
 * proxyd_egress.c - the egress proxy child: plain requests and CONNECT
 * to an allowed destination pass, internal and metadata destinations
 * (in any spelling) are refused with 403, every decision comes from
 * policyd (asked by the child itself, as PROC_EGRESS) and is logged.
 */
#include "regress.h"
#include "proxyd_harness.h"

static int	eg_port;

static int
egress_hello(void)
{
	int	 i;

	for (i = 0; i < H_MAXPOL; i++)
		if (h.polfd[i] != -1 && h.pol_hello[i] == PROC_EGRESS)
			return (1);
	return (0);
}

static int
eg_connect(void)
{
	struct sockaddr_in	 sin;
	int			 s;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(eg_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(s);
		return (-1);
	}
	fcntl(s, F_SETFL, O_NONBLOCK);
	return (s);
}

static int
eg_listening(void)
{
	int	 s;

	if ((s = eg_connect()) == -1)
		return (0);
	close(s);
	return (1);
}

/* read until EOF, or until stop appears; serve policyd meanwhile */
static char *
eg_read(int s, const char *stop)
{
	static char	 buf[65536];
	size_t		 len = 0;
	ssize_t		 n;
	int		 i;

	buf[0] = '\0';
	for (i = 0; i < 300; i++) {
		n = read(s, buf + len, sizeof(buf) - 1 - len);
		if (n == 0)
			break;
		if (n > 0) {
			len += n;
			buf[len] = '\0';
			if (stop != NULL && strstr(buf, stop) != NULL)
				break;
			continue;
		}
		h_pump(50, NULL);
	}
	return (buf);
}

static char *
eg_request(const char *req)
{
	char	*r;
	int	 s;

	if ((s = eg_connect()) == -1)
		return ("");
	if (write(s, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(s);
		return ("");
	}
	r = eg_read(s, NULL);
	close(s);
	return (r);
}

static int
status_is(const char *resp, int code)
{
	char	 want[32];

	snprintf(want, sizeof(want), "HTTP/1.1 %d ", code);
	return (strncmp(resp, want, strlen(want)) == 0);
}

static int
child_reaped(void)
{
	char	*log = h_log("proxyd.log");
	int	 rv = strstr(log, "egress proxy died of signal 9") != NULL;

	free(log);
	return (rv);
}

static pid_t
last_pid(const char *what)
{
	char	*log = h_log("proxyd.log"), *p, *last = NULL;
	pid_t	 pid = 0;

	for (p = log; (p = strstr(p, what)) != NULL; p++)
		last = p;
	if (last != NULL)
		pid = atoi(last + strlen(what));
	free(log);
	return (pid);
}

static int
worker_restarting(void)
{
	char	*log = h_log("proxyd.log");
	int	 rv = strstr(log, "egress worker died of signal 9; restarting "
	    "in 1 s") != NULL;

	free(log);
	return (rv);
}

static int
plain_ok(void)
{
	char	 req[256];

	snprintf(req, sizeof(req), "GET http://127.0.0.2:%d/hello HTTP/1.1"
	    "\r\nHost: 127.0.0.2:%d\r\n\r\n", h.p2, h.p2);
	return (status_is(eg_request(req), 200));
}

int
main(void)
{
	char		 conf[256], req[512], *resp, *log, *p, own[64];
	json_t		*j, *e, *r;
	size_t		 i;
	int		 s, hits;
	pid_t		 child, worker;

	eg_port = h_free_port();
	snprintf(conf, sizeof(conf), "\tegress yes\n\tegress-listen "
	    "127.0.0.1\n\tegress-port %d\n", eg_port);
	h_setup(conf);
	h_policyd_listen();
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd.log");
	ok(h_connect_gw() == 0, "proxyd is up");
	ok(h_wait(20, egress_hello), "the egress child connected to policyd "
	    "as egress");
	ok(h_wait(20, eg_listening), "the egress proxy listens");

	snprintf(req, sizeof(req), "GET http://127.0.0.2:%d/hello?x=1 "
	    "HTTP/1.1\r\nHost: 127.0.0.2:%d\r\nProxy-Connection: keep-alive"
	    "\r\n\r\n", h.p2, h.p2);
	resp = eg_request(req);
	ok(status_is(resp, 200), "plain request to an allowed destination");
	ok(strstr(resp, "origin ok GET /hello?x=1") != NULL,
	    "request line rewritten to origin form");

	snprintf(req, sizeof(req), "CONNECT 127.0.0.2:%d HTTP/1.1\r\n"
	    "Host: 127.0.0.2:%d\r\n\r\n", h.p2, h.p2);
	s = eg_connect();
	ok(s != -1 && write(s, req, strlen(req)) == (ssize_t)strlen(req),
	    "CONNECT sent");
	resp = eg_read(s, "\r\n\r\n");
	ok(status_is(resp, 200), "CONNECT to an allowed destination");
	snprintf(req, sizeof(req), "GET /page HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n");
	ok(write(s, req, strlen(req)) == (ssize_t)strlen(req),
	    "request through the tunnel");
	resp = eg_read(s, NULL);
	ok(strstr(resp, "Public Title") != NULL, "answer through the tunnel");
	close(s);

	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/secret HTTP/1.1"
	    "\r\nHost: x\r\n\r\n", h.p1);
	resp = eg_request(req);
	ok(status_is(resp, 403), "plain request to loopback refused");
	ok(strstr(resp, "test-deny") != NULL, "the reason is given");

	snprintf(req, sizeof(req), "GET http://2130706433:%d/secret HTTP/1.1"
	    "\r\nHost: x\r\n\r\n", h.p1);
	resp = eg_request(req);
	ok(status_is(resp, 403), "decimal loopback refused");

	snprintf(req, sizeof(req), "GET http://localhost:%d/secret HTTP/1.1"
	    "\r\nHost: x\r\n\r\n", h.p1);
	resp = eg_request(req);
	ok(status_is(resp, 403), "localhost refused");

	snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n",
	    h.p1);
	resp = eg_request(req);
	ok(status_is(resp, 403), "CONNECT to loopback refused");

	resp = eg_request("CONNECT [::ffff:169.254.169.254]:80 HTTP/1.1\r\n"
	    "\r\n");
	ok(status_is(resp, 403), "CONNECT to mapped metadata refused");
	ok(strstr(h.asked, "169.254.169.254|169.254.169.254|80;") != NULL,
	    "policyd asked about the normalised metadata address and port");

	/* issue 14 item 10: the host's own interface address */
	ok(h_own_addr(own, sizeof(own)) == 0, "this machine has a "
	    "non-loopback address (%s)", own);
	snprintf(req, sizeof(req), "GET http://%s:%d/secret HTTP/1.1"
	    "\r\nHost: x\r\n\r\n", own, h.p1);
	resp = eg_request(req);
	ok(status_is(resp, 403) && strstr(resp, "own address") != NULL,
	    "plain request to the host's own address refused as such");
	snprintf(req, sizeof(req), "CONNECT [::ffff:%s]:%d HTTP/1.1\r\n"
	    "\r\n", own, h.p1);
	resp = eg_request(req);
	ok(status_is(resp, 403) && strstr(resp, "own address") != NULL,
	    "CONNECT to it as a mapped IPv6 address refused");

	resp = eg_request("NONSENSE\r\n\r\n");
	ok(status_is(resp, 400), "garbage is a 400");
	resp = eg_request("GET https://127.0.0.2/ HTTP/1.1\r\n\r\n");
	ok(status_is(resp, 400), "absolute https:// without CONNECT is a "
	    "400");

	/* issue 14: five bytes with a NUL killed the egress proxy */
	s = eg_connect();
	ok(s != -1 && write(s, "\0\r\n\r\n", 5) == 5, "a head with a NUL "
	    "sent");
	resp = eg_read(s, NULL);
	close(s);
	ok(status_is(resp, 400), "a head with a NUL byte is a 400");
	resp = eg_request("\r\n\r\n");
	ok(status_is(resp, 400), "an empty request line is a 400");
	resp = eg_request("GET\r\n\r\n");
	ok(status_is(resp, 400), "a lone method is a 400");
	ok(plain_ok(), "the egress proxy still serves after bad heads");

	/* a worker that dies anyway is replaced, the port stays bound */
	worker = last_pid("egress worker started (pid ");
	ok(worker > 0 && kill(worker, SIGKILL) == 0, "egress worker killed");
	ok(h_wait(10, worker_restarting), "the supervisor says it restarts "
	    "the worker");
	ok(h_wait(20, plain_ok), "a new worker serves again");
	ok(last_pid("egress worker started (pid ") != worker,
	    "it is a new process");

	j = h_journal();
	hits = 0;
	json_array_foreach(j, i, e)
		if (strcmp(json_string_value(json_object_get(e, "url")),
		    "/secret") == 0)
			hits++;
	ok(j != NULL, "journal fetched");
	is_int(hits, 0, "no refused destination was reached");
	json_decref(j);

	/* the child dies: proxyd says so and goes on (wait4 under seccomp) */
	log = h_log("proxyd.log");
	child = (p = strstr(log, "egress proxy started (pid ")) != NULL ?
	    atoi(p + 26) : 0;
	free(log);
	ok(child > 0 && kill(child, SIGKILL) == 0, "egress child killed");
	ok(h_wait(10, child_reaped), "proxyd noticed the egress child died");
	r = h_call(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:{}}", "method",
	    "getMe", "params"));
	ok(h_reply_ok(r), "proxyd goes on without its egress child");
	json_decref(r);

	h_stop_proxyd();
	log = h_log("proxyd.log");
	ok(strstr(log, "egress: allow CONNECT 127.0.0.2:") != NULL,
	    "allow decisions logged");
	ok(strstr(log, "egress: deny HTTP 127.0.0.1:") != NULL,
	    "deny decisions logged");
	ok(strstr(log, "egress proxy listening") != NULL,
	    "the child said where it listens");
	ok(!h_has_secret(log), "no secret in the log");
	free(log);
	ok(!eg_listening(), "no egress proxy without its child");
	return (done_testing());
}

/*
 * proxyd_harness.h - run a real proxyd against regress/proxy/mock.js and
 * talk to it as gatewayd would; stand in for policyd too.
 *
 * Started as root, the test first becomes nobody, so that proxyd, the
 * mock servers and the test all run as one unprivileged uid (daemons
 * keep the invoking uid when not started as root, and every peer
 * check then expects that uid).
 *
 * The stand-in policyd allows only the address 127.0.0.2 (the "public"
 * mock server) and denies everything else with rule "test-deny"; every
 * question it gets is kept in h.asked for the tests to look at.
 */
#ifndef PROXYD_HARNESS_H
#define PROXYD_HARNESS_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "imsg.h"
#include "proc.h"
#include "topsh.h"

#define H_UNUSED	__attribute__((__unused__))

#define CANARY_TG	"123456:CANARYtelegramTOKEN-abcdefghijklmnopqrs"
#define CANARY_LLM	"sk-canary-llm-key-0123456789abcdefABCDEF"
#define CANARY_ZAI	"zai-canary-search-key-0123456789"
#define CANARY_GID	"canary-client-id.apps.googleusercontent.com"
#define CANARY_GSEC	"gdrive-canary-client-secret-77"

#define H_MAXPOL	8

static struct {
	char		 dir[256];
	char		 conf[512];
	char		 bin[512];
	char		 src[512];
	int		 p1, p2;
	pid_t		 mock_pid;
	int		 mock_in;
	pid_t		 proxyd_pid;
	struct imsgbuf	 gw;
	int		 gwfd;
	uint32_t	 reqid;
	int		 pol_listen;
	struct imsgbuf	 pol[H_MAXPOL];
	int		 polfd[H_MAXPOL];
	int		 pol_hello[H_MAXPOL];
	int		 pol_deny_all;
	char		 asked[8192];
	int		 nasked;
	int		 vouches;	/* IMSG_POLICY_VOUCH frames seen */
	const char	*api_host;	/* host name in the Drive API URL */
} h = { .gwfd = -1, .pol_listen = -1, .api_host = "127.0.0.1" };

H_UNUSED static void
h_die(const char *fmt, ...)
{
	va_list	 ap;

	printf("not ok - harness: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

H_UNUSED static void
h_write_file(const char *name, const char *content, mode_t mode)
{
	char	 path[600];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", h.dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1)
		h_die("%s: %s", path, strerror(errno));
	if (write(fd, content, strlen(content)) != (ssize_t)strlen(content))
		h_die("write %s", path);
	fchmod(fd, mode);
	close(fd);
}

H_UNUSED static char *
h_read_file(const char *path)
{
	char	*buf;
	size_t	 len = 0, cap = 65536;
	ssize_t	 n;
	int	 fd;

	/* a read loop: /proc files have no size */
	if ((buf = calloc(1, cap + 1)) == NULL)
		h_die("out of memory");
	if ((fd = open(path, O_RDONLY)) == -1)
		return (buf);
	for (;;) {
		if (len == cap) {
			if ((buf = realloc(buf, cap * 2 + 1)) == NULL)
				h_die("out of memory");
			cap *= 2;
		}
		if ((n = read(fd, buf + len, cap - len)) <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return (buf);
}

static void
h_cleanup(void)
{
	char	 cmd[600];
	int	 st;

	if (h.proxyd_pid > 0) {
		kill(h.proxyd_pid, SIGTERM);
		waitpid(h.proxyd_pid, &st, 0);
		h.proxyd_pid = 0;
	}
	if (h.mock_pid > 0) {
		close(h.mock_in);
		kill(h.mock_pid, SIGTERM);
		waitpid(h.mock_pid, &st, 0);
		h.mock_pid = 0;
	}
	if (h.dir[0] != '\0' && getenv("TOPSH_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h.dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", h.dir);
	}
}

static void
h_become_nobody(void)
{
	if (geteuid() != 0)
		return;
	if (setgroups(0, NULL) == -1 || setresgid(65534, 65534, 65534) ==
	    -1 || setresuid(65534, 65534, 65534) == -1)
		h_die("cannot become nobody: %s", strerror(errno));
}

static void
h_start_mock(void)
{
	int	 in[2], out[2];
	char	 line[256], path[600];
	ssize_t	 n;
	size_t	 len = 0;
	json_t	*o;
	json_error_t jerr;

	snprintf(path, sizeof(path), "%s/regress/proxy/mock.js", h.src);
	if (pipe(in) == -1 || pipe(out) == -1)
		h_die("pipe");
	if ((h.mock_pid = fork()) == 0) {
		char	 e1[128], e2[128];

		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		snprintf(e1, sizeof(e1), "MOCK_LLM_KEY=%s", CANARY_LLM);
		snprintf(e2, sizeof(e2), "MOCK_ZAI_KEY=%s", CANARY_ZAI);
		putenv(e1);
		putenv(e2);
		execlp("node", "node", path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	h.mock_in = in[1];
	while (len < sizeof(line) - 1) {
		if ((n = read(out[0], line + len, 1)) <= 0)
			h_die("mock server did not start");
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	close(out[0]);
	if ((o = json_loads(line, 0, &jerr)) == NULL)
		h_die("mock server said %s", line);
	h.p1 = json_integer_value(json_object_get(o, "p1"));
	h.p2 = json_integer_value(json_object_get(o, "p2"));
	json_decref(o);
}

/* a free TCP port on 127.0.0.1 (for the egress proxy) */
H_UNUSED static int
h_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s, port;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		h_die("free port");
	port = ntohs(sin.sin_port);
	close(s);
	return (port);
}

/*
 * One of this machine's own non-loopback IPv4 addresses (as proxyd's
 * ownaddr.c learns them) into buf; 0, or -1 when it has none.
 */
H_UNUSED static int
h_own_addr(char *buf, size_t len)
{
	struct ifaddrs	*ifa, *i;
	int		 rv = -1;

	if (getifaddrs(&ifa) == -1)
		return (-1);
	for (i = ifa; i != NULL && rv == -1; i = i->ifa_next)
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family ==
		    AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
		    inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)
		    i->ifa_addr)->sin_addr, buf, len) != NULL)
			rv = 0;
	freeifaddrs(ifa);
	return (rv);
}

/* the test's temp dir, secrets, mock servers and topsh.conf */
H_UNUSED static void
h_setup(const char *extra_conf)
{
	const char	*b, *s;
	char		 buf[4096];

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if ((b = getenv("TOPSH_BUILD")) == NULL)
		b = "build-san";
	if ((s = getenv("TOPSH_SRC")) == NULL)
		s = ".";
	if (realpath(s, h.src) == NULL)
		h_die("TOPSH_SRC %s", s);
	if (b[0] == '/')
		snprintf(h.bin, sizeof(h.bin), "%s/bin/proxyd", b);
	else
		if ((size_t)snprintf(h.bin, sizeof(h.bin), "%s/%s/bin/proxyd",
		    h.src, b) >= sizeof(h.bin))
			h_die("path too long");
	if (access(h.bin, X_OK) == -1)
		h_die("no %s", h.bin);
	h_become_nobody();
	strlcpy(h.dir, "/tmp/proxyd-test.XXXXXX", sizeof(h.dir));
	if (mkdtemp(h.dir) == NULL)
		h_die("mkdtemp");
	atexit(h_cleanup);
	snprintf(buf, sizeof(buf), "%s/run", h.dir);
	mkdir(buf, 0755);
	snprintf(buf, sizeof(buf), "%s/state", h.dir);
	mkdir(buf, 0755);
	snprintf(buf, sizeof(buf), "%s/secrets", h.dir);
	mkdir(buf, 0700);
	h_start_mock();

	h_write_file("secrets/telegram_token", CANARY_TG "\n", 0600);
	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d/v1/\n", h.p1);
	h_write_file("secrets/llm_base_url", buf, 0600);
	h_write_file("secrets/llm_api_key", CANARY_LLM, 0600);
	h_write_file("secrets/zai_api_key", CANARY_ZAI, 0600);
	h_write_file("secrets/gdrive_client_id", CANARY_GID, 0600);
	h_write_file("secrets/gdrive_client_secret", CANARY_GSEC, 0600);

	snprintf(buf, sizeof(buf),
	    "runtime-dir \"%s/run\"\n"
	    "state-dir \"%s/state\"\n"
	    "proxy {\n"
	    "\tsecrets-dir \"%s/secrets\"\n"
	    "\ttelegram-url \"http://127.0.0.1:%d\"\n"
	    "\tsearch-url \"http://127.0.0.1:%d/search\"\n"
	    "\tgdrive-auth-url \"http://127.0.0.1:%d/oauth/auth\"\n"
	    "\tgdrive-token-url \"http://127.0.0.1:%d/oauth/token\"\n"
	    "\tgdrive-api-url \"http://%s:%d/drive/v3\"\n"
	    "\ttelegram-chat-interval 0\n"
	    "\tllm-retries 2\n"
	    "\tfetch-timeout 20s\n"
	    "\tmax-redirects 3\n"
	    "%s"
	    "}\n",
	    h.dir, h.dir, h.dir, h.p1, h.p1, h.p1, h.p1, h.api_host, h.p1,
	    extra_conf != NULL ? extra_conf : "");
	h_write_file("topsh.conf", buf, 0644);
	snprintf(h.conf, sizeof(h.conf), "%s/topsh.conf", h.dir);
}

/* the stand-in policyd: listen on RUNDIR/policyd.sock */
H_UNUSED static void
h_policyd_listen(void)
{
	struct sockaddr_un	 sun;
	int			 i;

	for (i = 0; i < H_MAXPOL; i++)
		h.polfd[i] = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/run/policyd.sock", h.dir) >= sizeof(sun.sun_path))
		h_die("path too long");
	unlink(sun.sun_path);
	if ((h.pol_listen = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(h.pol_listen, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(h.pol_listen, 8) == -1)
		h_die("policyd socket: %s", strerror(errno));
}

H_UNUSED static pid_t
h_run_proxyd(const char *extra_arg, const char *logname)
{
	char	 log[600];
	pid_t	 pid;
	int	 fd;

	snprintf(log, sizeof(log), "%s/%s", h.dir, logname);
	if ((pid = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) ==
		    -1)
			_exit(126);
		dup2(fd, 2);
		dup2(fd, 1);
		if (extra_arg != NULL)
			execl(h.bin, "proxyd", "-d", "-vv", "-f", h.conf,
			    extra_arg, (char *)NULL);
		else
			execl(h.bin, "proxyd", "-d", "-vv", "-f", h.conf,
			    (char *)NULL);
		_exit(127);
	}
	return (pid);
}

static void
h_send_hello(struct imsgbuf *ib, enum proc_id self)
{
	struct topsh_hello	 hello;

	memset(&hello, 0, sizeof(hello));
	hello.proc = self;
	hello.version = TOPSH_PROTO_VERSION;
	imsg_compose(ib, IMSG_HELLO, 0, 0, -1, &hello, sizeof(hello));
	imsgbuf_flush(ib);
}

/* the decision of the stand-in policyd */
static void
h_policy_answer(int i, struct imsg *imsg)
{
	json_t		*q, *a;
	const char	*addr, *host;
	char		 line[512];
	int		 allow;

	q = imsg_get_json(imsg);
	if (imsg_get_type(imsg) == IMSG_POLICY_VOUCH) {
		/* proxyd's vouchers (who wrote): taken, not counted */
		h.vouches++;
		a = json_pack("{s:s}", "decision", "allow");
		imsg_compose_json(&h.pol[i], IMSG_POLICY_RESULT,
		    imsg_get_id(imsg), -1, a);
		imsgbuf_flush(&h.pol[i]);
		json_decref(a);
		json_decref(q);
		return;
	}
	addr = json_string_value(json_object_get(q, "addr"));
	host = json_string_value(json_object_get(q, "host"));
	allow = !h.pol_deny_all && addr != NULL &&
	    strcmp(addr, "127.0.0.2") == 0;
	snprintf(line, sizeof(line), "%s|%s|%lld;", host ? host : "-",
	    addr ? addr : "-",
	    (long long)json_integer_value(json_object_get(q, "port")));
	strlcat(h.asked, line, sizeof(h.asked));
	h.nasked++;
	a = json_pack("{s:s, s:s?, s:s?, s:i}", "decision",
	    allow ? "allow" : "deny", "rule", allow ? NULL : "test-deny",
	    "message", allow ? NULL : "not on the test allow-list",
	    "timeout", 0);
	imsg_compose_json(&h.pol[i], IMSG_POLICY_RESULT, imsg_get_id(imsg), -1,
	    a);
	imsgbuf_flush(&h.pol[i]);
	json_decref(a);
	json_decref(q);
}

static void
h_policy_read(int i)
{
	struct imsg	 imsg;
	int		 rv;

	if (imsgbuf_read(&h.pol[i]) <= 0) {
		imsgbuf_clear(&h.pol[i]);
		close(h.polfd[i]);
		h.polfd[i] = -1;
		return;
	}
	while ((rv = imsg_get(&h.pol[i], &imsg)) == 1) {
		if (imsg_get_type(&imsg) == IMSG_HELLO) {
			struct topsh_hello	 hello;

			imsg_get_data(&imsg, &hello, sizeof(hello));
			h.pol_hello[i] = hello.proc;
			h_send_hello(&h.pol[i], PROC_POLICYD);
		} else if (imsg_get_type(&imsg) == IMSG_POLICY_CHECK_NET)
			h_policy_answer(i, &imsg);
		imsg_free(&imsg);
	}
}

/* serve policyd questions for up to ms milliseconds, or until *done */
static void
h_pump(int ms, int *done)
{
	struct pollfd	 pfd[H_MAXPOL + 1];
	int		 idx[H_MAXPOL + 1], n, i, fd;
	struct timespec	 t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (done != NULL && *done)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return;
		n = 0;
		if (h.pol_listen != -1) {
			pfd[n].fd = h.pol_listen;
			pfd[n].events = POLLIN;
			idx[n++] = -1;
		}
		for (i = 0; i < H_MAXPOL; i++)
			if (h.polfd[i] != -1) {
				pfd[n].fd = h.polfd[i];
				pfd[n].events = POLLIN;
				idx[n++] = i;
			}
		if (h.gwfd != -1 && done != NULL) {
			pfd[n].fd = h.gwfd;
			pfd[n].events = POLLIN;
			idx[n++] = -2;
		}
		if (poll(pfd, n, 50) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (idx[i] == -2) {
				*done = 2;	/* gatewayd side readable */
				continue;
			}
			if (idx[i] == -1) {
				if ((fd = accept(h.pol_listen, NULL, NULL)) ==
				    -1)
					continue;
				for (n = 0; n < H_MAXPOL; n++)
					if (h.polfd[n] == -1)
						break;
				if (n == H_MAXPOL) {
					close(fd);
					break;
				}
				h.polfd[n] = fd;
				imsgbuf_init(&h.pol[n], fd);
				break;
			}
			h_policy_read(idx[i]);
		}
	}
}

/* wait (serving policyd) until cond() holds or secs pass */
H_UNUSED static int
h_wait(int secs, int (*cond)(void))
{
	int	 i;

	for (i = 0; i < secs * 10; i++) {
		if (cond())
			return (1);
		h_pump(100, NULL);
	}
	return (cond());
}

/* connect as gatewayd; 0 ok */
H_UNUSED static int
h_connect_gw(void)
{
	struct sockaddr_un	 sun;
	struct imsg		 imsg;
	int			 i, rv, got = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/run/proxyd.sock", h.dir) >= sizeof(sun.sun_path))
		h_die("path too long");
	for (i = 0; i < 300; i++) {
		h.gwfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(h.gwfd, (struct sockaddr *)&sun, sizeof(sun)) ==
		    0)
			break;
		close(h.gwfd);
		h.gwfd = -1;
		h_pump(100, NULL);
	}
	if (h.gwfd == -1)
		return (-1);
	imsgbuf_init(&h.gw, h.gwfd);
	imsgbuf_set_maxsize(&h.gw, PROXY_IMSG_MAXSIZE);
	h_send_hello(&h.gw, PROC_GATEWAYD);
	while (!got) {
		int	 d = 0;

		h_pump(10000, &d);
		if (d != 2 || imsgbuf_read(&h.gw) <= 0)
			return (-1);
		while ((rv = imsg_get(&h.gw, &imsg)) == 1) {
			got = imsg_get_type(&imsg) == IMSG_HELLO;
			imsg_free(&imsg);
		}
	}
	return (0);
}

/*
 * Users 1-20 write to the bot: the mock's getUpdates at offset H_VOUCH
 * returns a message from each, and proxyd vouches for them (the Drive,
 * search and fetch tests act for those users).
 */
#define H_VOUCH		424242
H_UNUSED static json_t	*h_call_fd(uint32_t, json_t *, int);
H_UNUSED static int
h_users_wrote(void)
{
	json_t	*r;
	int	 ok;

	r = h_call_fd(IMSG_PROXY_TG_UPDATES, json_pack("{s:i, s:i}",
	    "offset", H_VOUCH, "timeout", 0), -1);
	ok = r != NULL && json_is_true(json_object_get(r, "ok")) &&
	    json_array_size(json_object_get(r, "result")) == 20;
	json_decref(r);
	return (ok ? 0 : -1);
}

/* one request as gatewayd; the reply object or NULL */
H_UNUSED static json_t *
h_call_fd(uint32_t type, json_t *req, int fd)
{
	struct imsg	 imsg;
	uint32_t	 id = ++h.reqid;
	json_t		*reply = NULL;
	time_t		 deadline = time(NULL) + 60;
	int		 rv;

	if (imsg_compose_json(&h.gw, type, id, fd, req) == -1 ||
	    imsgbuf_flush(&h.gw) == -1) {
		json_decref(req);
		return (NULL);
	}
	json_decref(req);
	while (reply == NULL && time(NULL) < deadline) {
		int	 d = 0;

		h_pump(1000, &d);
		if (d != 2)
			continue;
		if (imsgbuf_read(&h.gw) <= 0)
			return (NULL);
		while ((rv = imsg_get(&h.gw, &imsg)) == 1) {
			if (imsg_get_type(&imsg) == IMSG_PROXY_REPLY &&
			    imsg_get_id(&imsg) == id)
				reply = imsg_get_json(&imsg);
			imsg_free(&imsg);
		}
	}
	if (reply != NULL) {
		char	*s = json_dumps(reply, JSON_COMPACT);

		/* every reply is checked for canaries */
		if (s != NULL && (strstr(s, CANARY_TG) || strstr(s, CANARY_LLM) ||
		    strstr(s, CANARY_ZAI) || strstr(s, CANARY_GSEC) ||
		    strstr(s, "CANARYtelegram")))
			printf("# SECRET IN REPLY: %s\n", s);
		free(s);
	}
	return (reply);
}

/* send without waiting; the request id */
H_UNUSED static uint32_t
h_send(uint32_t type, json_t *req)
{
	uint32_t	 id = ++h.reqid;

	imsg_compose_json(&h.gw, type, id, -1, req);
	imsgbuf_flush(&h.gw);
	json_decref(req);
	return (id);
}

/* collect n replies; ids[] gets the request ids in arrival order */
H_UNUSED static int
h_collect(int n, uint32_t *ids)
{
	struct imsg	 imsg;
	time_t		 deadline = time(NULL) + 60;
	int		 got = 0;

	while (got < n && time(NULL) < deadline) {
		int	 d = 0;

		h_pump(1000, &d);
		if (d != 2)
			continue;
		if (imsgbuf_read(&h.gw) <= 0)
			break;
		while (got < n && imsg_get(&h.gw, &imsg) == 1) {
			if (imsg_get_type(&imsg) == IMSG_PROXY_REPLY)
				ids[got++] = imsg_get_id(&imsg);
			imsg_free(&imsg);
		}
	}
	return (got);
}

H_UNUSED static json_t *
h_call(uint32_t type, json_t *req)
{
	return (h_call_fd(type, req, -1));
}

H_UNUSED static int
h_reply_ok(json_t *r)
{
	return (r != NULL && json_is_true(json_object_get(r, "ok")));
}

H_UNUSED static const char *
h_reply_error(json_t *r)
{
	const char	*e;

	e = json_string_value(json_object_get(r, "error"));
	return (e != NULL ? e : "");
}

H_UNUSED static int
h_has_secret(const char *s)
{
	return (strstr(s, CANARY_TG) != NULL ||
	    strstr(s, "CANARYtelegramTOKEN") != NULL ||
	    strstr(s, CANARY_LLM) != NULL || strstr(s, CANARY_ZAI) != NULL ||
	    strstr(s, CANARY_GSEC) != NULL);
}

/* GET http://127.0.0.1:p1/__journal: every request the mocks saw */
H_UNUSED static json_t *
h_journal(void)
{
	struct sockaddr_in	 sin;
	char			 req[128], *buf = NULL, *body;
	size_t			 len = 0, cap = 0;
	ssize_t			 n;
	json_t			*j;
	json_error_t		 jerr;
	int			 s;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(h.p1);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return (NULL);
	snprintf(req, sizeof(req), "GET /__journal HTTP/1.0\r\n\r\n");
	if (write(s, req, strlen(req)) == -1)
		return (NULL);
	for (;;) {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
		}
		if ((n = read(s, buf + len, cap - len - 1)) <= 0)
			break;
		len += n;
	}
	close(s);
	if (buf == NULL)
		return (NULL);
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	j = body != NULL ? json_loads(body + 4, 0, &jerr) : NULL;
	free(buf);
	return (j);
}

/* proxyd's log so far */
H_UNUSED static char *
h_log(const char *name)
{
	char	 path[600];

	snprintf(path, sizeof(path), "%s/%s", h.dir, name);
	return (h_read_file(path));
}

H_UNUSED static void
h_stop_proxyd(void)
{
	int	 st, i;

	if (h.proxyd_pid <= 0)
		return;
	kill(h.proxyd_pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(h.proxyd_pid, &st, WNOHANG) == h.proxyd_pid)
			break;
		h_pump(100, NULL);
	}
	if (i == 100) {
		kill(h.proxyd_pid, SIGKILL);
		waitpid(h.proxyd_pid, &st, 0);
	}
	h.proxyd_pid = 0;
	if (h.gwfd != -1) {
		imsgbuf_clear(&h.gw);
		close(h.gwfd);
		h.gwfd = -1;
	}
}

#endif

/*
 * egress.c - the egress proxy for sandboxes: an HTTP proxy (plain
 * requests and CONNECT) on egress-listen:egress-port.
 *
 * It is a separate process: proxyd forks and re-executes itself with
 * -E from its init hook, before any secret is read, so the child never
 * holds a secret, not even in freed memory.  The child binds its port,
 * becomes egress-user, confines itself (no file system at all, TCP
 * connect only, seccomp with inet) and runs its own event loop with its
 * own connection to policyd, where it says HELLO as PROC_EGRESS.  A
 * pipe from proxyd is its lifeline: when proxyd goes, so does the child.
 * The child is a supervisor: after confining itself it forks the worker
 * that runs the event loop, and when a worker dies it starts another
 * with backoff (proxyd itself can no longer exec once confined, and
 * must not fork a copy of its secrets).  The listening socket stays
 * bound in the supervisor throughout.
 *
 * For every request the destination host is normalised (netaddr.c),
 * resolved, and policyd is asked about every address with the port
 * (IMSG_POLICY_CHECK_NET); one deny, no policyd, or a timeout refuses
 * with 403.  The connection goes to the checked address (never to a
 * second resolution).  Every decision is logged as an audit line.
 * Plain requests are forwarded once with "Connection: close".
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <jansson.h>

#include "config.h"
#include "confine.h"
#include "daemon.h"
#include "imsg.h"
#include "log.h"
#include "privdrop.h"
#include "proc.h"
#include "topsh.h"
#include "proxyd.h"

#define EG_HEAD_MAX		(16 * 1024)
#define EG_ADDRS		8
#define EG_CONNS_MAX		512
#define EG_HEAD_TIMEOUT		30
#define EG_IDLE_TIMEOUT		600
#define EG_POLICY_TIMEOUT	10
#define EG_HIGH_WATER		(1024 * 1024)
#define EG_LIFELINE_ENV		"TOPSH_EGRESS_FD"
#define EG_BACKOFF_MIN		1
#define EG_BACKOFF_MAX		30
#define EG_BACKOFF_RESET	60

enum eg_state { EG_HEAD, EG_CHECK, EG_CONNECTING, EG_RELAY, EG_CLOSING };

struct eg_conn {
	TAILQ_ENTRY(eg_conn)	 entry;
	unsigned long		 id;
	enum eg_state		 state;
	struct bufferevent	*cli;
	struct bufferevent	*srv;
	char			 peer[64];
	int			 is_connect;
	char			 host[256];
	int			 kind;
	int			 port;
	char			*head;		/* rewritten plain request */
	size_t			 headlen;
	struct resolve		*res;
	char			*addrs[EG_ADDRS];
	size_t			 naddrs;
	size_t			 nchecks;
	int			 denied;
	char			 why[256];
};
TAILQ_HEAD(eg_conns, eg_conn);

struct eg_query {
	TAILQ_ENTRY(eg_query)	 entry;
	uint32_t		 id;
	struct eg_conn		*c;
	struct event		*timer;
	int			 unavailable;
};
TAILQ_HEAD(eg_queries, eg_query);

static struct {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct topsh_conf	*conf;
	struct eg_conns		 conns;
	int			 nconns;
	unsigned long		 seq;
	/* policyd */
	char			 sockpath[512];
	struct imsgbuf		 ibuf;
	int			 pfd;
	int			 ready;
	struct event		*pev;
	struct event		*retry;
	int			 backoff;
	struct eg_queries	 queries;
	uint32_t		 qseq;
} eg;

static void	eg_close(struct eg_conn *);
static void	eg_decide(struct eg_conn *);
static void	pol_connect(evutil_socket_t, short, void *);
static void	pol_cb(evutil_socket_t, short, void *);

/* ---- the connection to policyd ---- */

static void
pol_schedule(void)
{
	struct timeval	 tv;

	eg.backoff = eg.backoff == 0 ? 250 : eg.backoff * 2;
	if (eg.backoff > 30000)
		eg.backoff = 30000;
	tv.tv_sec = eg.backoff / 1000;
	tv.tv_usec = (eg.backoff % 1000) * 1000;
	evtimer_add(eg.retry, &tv);
}

static void
query_answer(struct eg_query *q, int allowed, const char *why)
{
	struct eg_conn	*c = q->c;

	TAILQ_REMOVE(&eg.queries, q, entry);
	event_free(q->timer);
	free(q);
	if (c == NULL)
		return;
	if (!allowed && !c->denied) {
		c->denied = 1;
		strlcpy(c->why, why, sizeof(c->why));
	}
	if (--c->nchecks == 0)
		eg_decide(c);
}

static void
pol_lost(const char *why)
{
	struct eg_query	*q;

	if (eg.pev != NULL) {
		event_free(eg.pev);
		eg.pev = NULL;
	}
	if (eg.pfd != -1) {
		imsgbuf_clear(&eg.ibuf);
		close(eg.pfd);
		eg.pfd = -1;
	}
	if (eg.ready)
		log_warnx("lost policyd: %s", why);
	eg.ready = 0;
	while ((q = TAILQ_FIRST(&eg.queries)) != NULL)
		query_answer(q, 0, "policy service went away");
	pol_schedule();
}

static void
pol_event_update(void)
{
	short	 ev = EV_READ | EV_PERSIST;

	if (eg.pev == NULL)
		return;
	if (imsgbuf_queuelen(&eg.ibuf) > 0)
		ev |= EV_WRITE;
	event_del(eg.pev);
	event_assign(eg.pev, eg.base, eg.pfd, ev, pol_cb, NULL);
	event_add(eg.pev, NULL);
}

static void
pol_dispatch(struct imsg *imsg)
{
	struct topsh_hello	 h;
	struct eg_query		*q;
	json_t			*o;
	const char		*d, *rule, *msg;
	char			 why[256];

	switch (imsg_get_type(imsg)) {
	case IMSG_HELLO:
		if (imsg_get_data(imsg, &h, sizeof(h)) == -1 ||
		    h.proc != PROC_POLICYD) {
			pol_lost("bad HELLO reply");
			return;
		}
		eg.ready = 1;
		eg.backoff = 0;
		log_info("connected to policyd");
		return;
	case IMSG_POLICY_RESULT:
	case IMSG_ERROR:
		TAILQ_FOREACH(q, &eg.queries, entry)
			if (q->id == imsg_get_id(imsg))
				break;
		if (q == NULL)
			return;
		o = imsg_get_json(imsg);
		d = imsg_get_type(imsg) == IMSG_ERROR ? "deny" :
		    json_str_or(o, "decision", "deny");
		rule = json_str_or(o, "rule", NULL);
		msg = json_str_or(o, "message", json_str_or(o, "error", NULL));
		snprintf(why, sizeof(why), "%s%s%s%s%s", d,
		    rule ? " by rule " : "", rule ? rule : "",
		    msg ? ": " : "", msg ? msg : "");
		query_answer(q, strcmp(d, "allow") == 0, why);
		json_decref(o);
		return;
	}
	log_warnx("policyd: unexpected message type %u", imsg_get_type(imsg));
}

static void
pol_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct imsg	 imsg;
	int		 rv;

	if (ev & EV_WRITE && imsgbuf_write(&eg.ibuf) == -1) {
		pol_lost("write error");
		return;
	}
	if (ev & EV_READ) {
		if ((rv = imsgbuf_read(&eg.ibuf)) <= 0) {
			pol_lost(rv == 0 ? "connection closed" : "read error");
			return;
		}
		while ((rv = imsg_get(&eg.ibuf, &imsg)) == 1) {
			pol_dispatch(&imsg);
			imsg_free(&imsg);
			if (eg.pfd == -1)
				return;
		}
		if (rv == -1) {
			pol_lost("malformed frame");
			return;
		}
	}
	pol_event_update();
}

static void
pol_connect(evutil_socket_t fd, short ev, void *arg)
{
	struct sockaddr_un	 sun;
	struct topsh_hello	 h;
	int			 s;

	if (eg.pfd != -1)
		return;
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		pol_schedule();
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, eg.sockpath, sizeof(sun.sun_path));
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (eg.backoff == 0)
			log_warnx("policyd is not reachable at %s (%s), "
			    "retrying; until then every destination is denied",
			    eg.sockpath, strerror(errno));
		close(s);
		pol_schedule();
		return;
	}
	eg.pfd = s;
	imsgbuf_init(&eg.ibuf, s);
	memset(&h, 0, sizeof(h));
	h.proc = PROC_EGRESS;
	h.version = TOPSH_PROTO_VERSION;
	imsg_compose(&eg.ibuf, IMSG_HELLO, 0, 0, -1, &h, sizeof(h));
	eg.pev = event_new(eg.base, s, EV_READ | EV_WRITE | EV_PERSIST,
	    pol_cb, NULL);
	if (eg.pev == NULL) {
		pol_lost("out of memory");
		return;
	}
	event_add(eg.pev, NULL);
}

static void
query_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct eg_query	*q = arg;

	query_answer(q, 0, q->unavailable ? "policy service unavailable" :
	    "policy check timed out");
}

static void
ask_policy(struct eg_conn *c)
{
	struct timeval	 tv = { EG_POLICY_TIMEOUT, 0 };
	struct eg_query	*q;
	json_t		*o;
	size_t		 i;
	int		 sent;

	c->state = EG_CHECK;
	c->denied = 0;
	/* the machine we run on, by an interface address (ownaddr.c) */
	for (i = 0; i < c->naddrs; i++)
		if (ownaddr_is(c->addrs[i])) {
			c->denied = 1;
			strlcpy(c->why, "the host's own address",
			    sizeof(c->why));
			c->nchecks = 0;
			eg_decide(c);
			return;
		}
	c->nchecks = c->naddrs;
	for (i = 0; i < c->naddrs; i++) {
		if ((q = calloc(1, sizeof(*q))) == NULL ||
		    (q->timer = evtimer_new(eg.base, query_timeout, q)) ==
		    NULL) {
			free(q);
			c->denied = 1;
			strlcpy(c->why, "out of memory", sizeof(c->why));
			if (--c->nchecks == 0) {
				eg_decide(c);
				return;
			}
			continue;
		}
		q->id = ++eg.qseq;
		q->c = c;
		TAILQ_INSERT_TAIL(&eg.queries, q, entry);
		sent = 0;
		if (eg.ready) {
			o = json_pack("{s:i, s:s, s:s, s:i}", "user", 0,
			    "host", c->host, "addr", c->addrs[i],
			    "port", c->port);
			if (o != NULL && imsg_compose_json(&eg.ibuf,
			    IMSG_POLICY_CHECK_NET, q->id, -1, o) == 0)
				sent = 1;
			json_decref(o);
		}
		if (!sent) {
			/* answered from the loop, like any other */
			tv.tv_sec = 0;
			q->unavailable = 1;
		}
		evtimer_add(q->timer, &tv);
		tv.tv_sec = EG_POLICY_TIMEOUT;
	}
	pol_event_update();
}

/* ---- proxy connections ---- */

static void
forget_queries(struct eg_conn *c)
{
	struct eg_query	*q;

	TAILQ_FOREACH(q, &eg.queries, entry)
		if (q->c == c)
			q->c = NULL;
}

static void
eg_free(struct eg_conn *c)
{
	size_t	 i;

	forget_queries(c);
	if (c->res != NULL)
		resolve_cancel(c->res);
	if (c->cli != NULL)
		bufferevent_free(c->cli);
	if (c->srv != NULL)
		bufferevent_free(c->srv);
	for (i = 0; i < c->naddrs; i++)
		free(c->addrs[i]);
	free(c->head);
	TAILQ_REMOVE(&eg.conns, c, entry);
	eg.nconns--;
	free(c);
}

static void
closing_write_cb(struct bufferevent *bev, void *arg)
{
	struct eg_conn	*c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		eg_free(c);
}

/* close once what is queued for the client has been written */
static void
eg_close(struct eg_conn *c)
{
	if (c->state == EG_CLOSING)
		return;
	c->state = EG_CLOSING;
	if (c->srv != NULL) {
		bufferevent_free(c->srv);
		c->srv = NULL;
	}
	if (c->cli == NULL ||
	    evbuffer_get_length(bufferevent_get_output(c->cli)) == 0) {
		eg_free(c);
		return;
	}
	bufferevent_disable(c->cli, EV_READ);
	bufferevent_setcb(c->cli, NULL, closing_write_cb, NULL, c);
	bufferevent_setwatermark(c->cli, EV_WRITE, 0, 0);
}

static void
eg_error(struct eg_conn *c, int code, const char *reason, const char *msg)
{
	if (c->cli != NULL)
		evbuffer_add_printf(bufferevent_get_output(c->cli),
		    "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
		    "Connection: close\r\n\r\ntopsh egress: %s\n", code,
		    reason, msg);
	eg_close(c);
}

static void
audit(struct eg_conn *c, const char *decision, const char *addr)
{
	log_info("egress: %s %s %s:%d%s%s from %s%s%s", decision,
	    c->is_connect ? "CONNECT" : "HTTP", c->host, c->port,
	    addr ? " addr " : "", addr ? addr : "", c->peer,
	    c->denied ? ": " : "", c->denied ? c->why : "");
}

/* relay: what one side reads goes to the other */
static void
relay_read(struct bufferevent *bev, void *arg)
{
	struct eg_conn		*c = arg;
	struct bufferevent	*other = bev == c->cli ? c->srv : c->cli;

	if (other == NULL)
		return;
	evbuffer_add_buffer(bufferevent_get_output(other),
	    bufferevent_get_input(bev));
	if (evbuffer_get_length(bufferevent_get_output(other)) >
	    EG_HIGH_WATER)
		bufferevent_disable(bev, EV_READ);
}

static void
relay_write(struct bufferevent *bev, void *arg)
{
	struct eg_conn		*c = arg;
	struct bufferevent	*other = bev == c->cli ? c->srv : c->cli;

	/* drained below the low watermark: read the other side again */
	if (other != NULL)
		bufferevent_enable(other, EV_READ);
}

static void
relay_event(struct bufferevent *bev, short what, void *arg)
{
	struct eg_conn	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		if (bev == c->srv && c->cli != NULL)
			/* pass on what is left of the answer */
			evbuffer_add_buffer(bufferevent_get_output(c->cli),
			    bufferevent_get_input(c->srv));
		eg_close(c);
	}
}

static void
srv_event(struct bufferevent *bev, short what, void *arg)
{
	struct eg_conn	*c = arg;
	struct timeval	 idle = { EG_IDLE_TIMEOUT, 0 };

	if (c->state != EG_CONNECTING) {
		relay_event(bev, what, arg);
		return;
	}
	if (!(what & BEV_EVENT_CONNECTED)) {
		log_info("egress: %s:%d unreachable", c->host, c->port);
		eg_error(c, 502, "Bad Gateway", "destination unreachable");
		return;
	}
	c->state = EG_RELAY;
	if (c->is_connect)
		evbuffer_add_printf(bufferevent_get_output(c->cli),
		    "HTTP/1.1 200 Connection established\r\n\r\n");
	else
		bufferevent_write(c->srv, c->head, c->headlen);
	bufferevent_setcb(c->cli, relay_read, relay_write, relay_event, c);
	bufferevent_setcb(c->srv, relay_read, relay_write, relay_event, c);
	bufferevent_setwatermark(c->cli, EV_WRITE, EG_HIGH_WATER / 2, 0);
	bufferevent_setwatermark(c->srv, EV_WRITE, EG_HIGH_WATER / 2, 0);
	bufferevent_set_timeouts(c->cli, &idle, NULL);
	bufferevent_set_timeouts(c->srv, &idle, NULL);
	bufferevent_enable(c->cli, EV_READ | EV_WRITE);
	bufferevent_enable(c->srv, EV_READ | EV_WRITE);
	/* the body already read with the head */
	relay_read(c->cli, c);
}

static int
mk_sockaddr(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return (0);
	}
	return (-1);
}

static void
eg_decide(struct eg_conn *c)
{
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { 30, 0 };
	socklen_t		 sslen;

	if (c->state == EG_CLOSING)
		return;
	if (c->denied) {
		audit(c, "deny", c->naddrs > 0 ? c->addrs[0] : NULL);
		eg_error(c, 403, "Forbidden", c->why);
		return;
	}
	audit(c, "allow", c->addrs[0]);
	if (mk_sockaddr(c->addrs[0], c->port, &ss, &sslen) == -1 ||
	    (c->srv = bufferevent_socket_new(eg.base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		eg_error(c, 500, "Internal Error", "cannot connect");
		return;
	}
	c->state = EG_CONNECTING;
	bufferevent_setcb(c->srv, NULL, NULL, srv_event, c);
	bufferevent_set_timeouts(c->srv, NULL, &tv);
	if (bufferevent_socket_connect(c->srv, (struct sockaddr *)&ss,
	    sslen) == -1)
		eg_error(c, 502, "Bad Gateway", "cannot connect");
}

static void
resolved(int ok, char **addrs, size_t n, const char *err, void *arg)
{
	struct eg_conn	*c = arg;
	size_t		 i;

	c->res = NULL;
	if (!ok) {
		eg_error(c, 502, "Bad Gateway", "cannot resolve the host");
		return;
	}
	for (i = 0; i < n && c->naddrs < EG_ADDRS; i++)
		if ((c->addrs[c->naddrs] = strdup(addrs[i])) != NULL)
			c->naddrs++;
	if (c->naddrs == 0) {
		eg_error(c, 500, "Internal Error", "out of memory");
		return;
	}
	ask_policy(c);
}

static void
eg_head(struct eg_conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->cli);
	struct evbuffer_ptr p;
	struct eg_head	 h;
	const char	*why;
	char		*head, *host;
	size_t		 len;
	int		 port, n, code;

	p = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (p.pos == -1) {
		if (evbuffer_get_length(in) > EG_HEAD_MAX)
			eg_error(c, 431, "Request Header Fields Too Large",
			    "request head too large");
		return;
	}
	len = p.pos + 4;
	if (len > EG_HEAD_MAX || (head = malloc(len + 1)) == NULL) {
		eg_error(c, 431, "Request Header Fields Too Large",
		    "request head too large");
		return;
	}
	evbuffer_remove(in, head, len);
	code = egress_head_parse(head, len, &h, &why);
	free(head);
	if (code != 0) {
		eg_error(c, code, code == 400 ? "Bad Request" :
		    "Internal Error", why);
		return;
	}
	c->is_connect = h.is_connect;
	port = h.port;
	host = h.host;
	h.host = NULL;
	c->head = h.head;
	c->headlen = h.headlen;
	h.head = NULL;
	c->port = port;
	n = netaddr_host(host, &c->kind, c->host, sizeof(c->host));
	free(host);
	if (n == -1) {
		eg_error(c, 400, "Bad Request", "invalid host");
		return;
	}
	/* no more reading until the destination is decided */
	bufferevent_disable(c->cli, EV_READ);
	bufferevent_set_timeouts(c->cli, NULL, NULL);
	c->state = EG_CHECK;
	if (c->kind != NETADDR_NAME) {
		if ((c->addrs[0] = strdup(c->host)) == NULL) {
			eg_error(c, 500, "Internal Error", "out of memory");
			return;
		}
		c->naddrs = 1;
		ask_policy(c);
		return;
	}
	if ((c->res = resolve_start(eg.dns, c->host, resolved, c)) == NULL)
		eg_error(c, 502, "Bad Gateway", "cannot resolve the host");
}

static void
cli_read(struct bufferevent *bev, void *arg)
{
	struct eg_conn	*c = arg;

	if (c->state == EG_HEAD)
		eg_head(c);
}

static void
cli_event(struct bufferevent *bev, short what, void *arg)
{
	struct eg_conn	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		c->cli = NULL;
		bufferevent_free(bev);
		eg_close(c);
	}
}

static void
accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct eg_conn		*c;
	struct timeval		 tv = { EG_HEAD_TIMEOUT, 0 };
	int			 fd;

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	if (eg.nconns >= EG_CONNS_MAX || (c = calloc(1, sizeof(*c))) ==
	    NULL) {
		log_warnx("egress: too many connections");
		close(fd);
		return;
	}
	c->id = ++eg.seq;
	if (netaddr_canon((struct sockaddr *)&ss, c->peer, sizeof(c->peer)) ==
	    -1)
		strlcpy(c->peer, "?", sizeof(c->peer));
	if ((c->cli = bufferevent_socket_new(eg.base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&eg.conns, c, entry);
	eg.nconns++;
	bufferevent_setcb(c->cli, cli_read, NULL, cli_event, c);
	bufferevent_set_timeouts(c->cli, &tv, NULL);
	bufferevent_enable(c->cli, EV_READ | EV_WRITE);
}

static int
listen_on(const char *addr, int port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 s, one = 1;

	if (mk_sockaddr(addr, port, &ss, &len) == -1) {
		log_warnx("egress-listen %s: not an address", addr);
		return (-1);
	}
	if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, len) == -1 ||
	    listen(s, 128) == -1) {
		log_warn("egress: listen on %s port %d", addr, port);
		close(s);
		return (-1);
	}
	return (s);
}

static void
lifeline_cb(evutil_socket_t fd, short ev, void *arg)
{
	char	 c;

	if (read(fd, &c, 1) <= 0) {
		log_info("proxyd is gone, egress proxy exiting");
		event_base_loopexit(eg.base, NULL);
	}
}

static void
term_cb(evutil_socket_t sig, short ev, void *arg)
{
	log_info("egress proxy exiting on signal %d", (int)sig);
	event_base_loopexit(eg.base, NULL);
}

/* the worker: one event loop serving the listening socket */
static int
egress_worker(int lfd, int life)
{
	struct event	*ev_listen, *ev_life = NULL, *ev_term, *ev_int;

	log_procinit("egress");
	/* the supervisor is our parent now: die with it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (confine_seccomp(CONFINE_INET, NULL) == -1)
		fatalx("cannot confine the egress worker");
	if (event_reinit(eg.base) == -1)
		fatalx("event_reinit");
	ev_listen = event_new(eg.base, lfd, EV_READ | EV_PERSIST, accept_cb,
	    NULL);
	eg.retry = evtimer_new(eg.base, pol_connect, NULL);
	ev_term = evsignal_new(eg.base, SIGTERM, term_cb, NULL);
	ev_int = evsignal_new(eg.base, SIGINT, term_cb, NULL);
	if (life != -1)
		ev_life = event_new(eg.base, life, EV_READ | EV_PERSIST,
		    lifeline_cb, NULL);
	if (ev_listen == NULL || eg.retry == NULL || ev_term == NULL ||
	    ev_int == NULL || (life != -1 && ev_life == NULL))
		fatalx("event_new");
	event_add(ev_listen, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	if (ev_life != NULL)
		event_add(ev_life, NULL);
	pol_connect(-1, 0, NULL);
	log_info("egress proxy listening on %s port %lld",
	    eg.conf->proxy.egress_listen, eg.conf->proxy.egress_port);
	event_base_dispatch(eg.base);
	return (0);
}

/* wait up to secs for proxyd to go; 1 when it went */
static int
lifeline_gone(int life, int secs)
{
	struct pollfd	 pfd;
	char		 c;
	int		 n;

	if (life == -1) {
		if (secs > 0)
			sleep(secs);
		return (getppid() == 1);
	}
	pfd.fd = life;
	pfd.events = POLLIN;
	while ((n = poll(&pfd, 1, secs * 1000)) == -1 && errno == EINTR)
		;
	if (n <= 0)
		return (0);
	return (read(life, &c, 1) <= 0);
}

/*
 * The supervisor: holds the listening socket, runs one worker at a
 * time and starts another when it dies (input that crashes a worker
 * costs that worker's connections, not the sandboxes' way out), waiting
 * EG_BACKOFF_MIN seconds after a death, twice as long after each quick
 * one, at most EG_BACKOFF_MAX.  It reads no input of its own.
 */
static int
egress_supervise(int lfd, int life)
{
	time_t	 started;
	pid_t	 pid;
	int	 status, delay = EG_BACKOFF_MIN;

	for (;;) {
		started = time(NULL);
		switch (pid = fork()) {
		case -1:
			log_warn("egress: fork");
			break;
		case 0:
			_exit(egress_worker(lfd, life));
		default:
			log_info("egress worker started (pid %d)", (int)pid);
			while (waitpid(pid, &status, 0) == -1)
				if (errno != EINTR)
					fatal("egress: waitpid");
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				/* proxyd went or we were told to stop */
				return (0);
			if (time(NULL) - started >= EG_BACKOFF_RESET)
				delay = EG_BACKOFF_MIN;
			if (WIFSIGNALED(status))
				log_warnx("egress worker died of signal %d; "
				    "restarting in %d s", WTERMSIG(status),
				    delay);
			else
				log_warnx("egress worker exited with status "
				    "%d; restarting in %d s",
				    WEXITSTATUS(status), delay);
			break;
		}
		if (lifeline_gone(life, delay)) {
			log_info("proxyd is gone, egress proxy exiting");
			return (0);
		}
		if ((delay *= 2) > EG_BACKOFF_MAX)
			delay = EG_BACKOFF_MAX;
	}
}

/* proxyd -E: the child's whole life */
int
egress_main(struct topsh_conf *conf)
{
	struct proxyd_env e;
	const char	*lf, *errstr;
	char		 err[256];
	uid_t		 uid;
	gid_t		 gid;
	int		 lfd, life = -1;
	pid_t		 ppid = getppid();

	log_procinit("egress");
	log_init(topsh_debug, LOG_DAEMON);
	log_setverbose(topsh_verbose + 1);
	signal(SIGPIPE, SIG_IGN);
	memset(&eg, 0, sizeof(eg));
	TAILQ_INIT(&eg.conns);
	TAILQ_INIT(&eg.queries);
	eg.conf = conf;
	eg.pfd = -1;
	if ((lf = getenv(EG_LIFELINE_ENV)) != NULL) {
		life = strtonum(lf, 3, 1024, &errstr);
		if (errstr != NULL)
			life = -1;
		unsetenv(EG_LIFELINE_ENV);
	}
	if ((size_t)snprintf(eg.sockpath, sizeof(eg.sockpath),
	    "%s/policyd.sock", conf->runtime_dir) >= sizeof(eg.sockpath))
		fatalx("runtime directory name too long");
	if ((eg.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	memset(&e, 0, sizeof(e));
	e.base = eg.base;
	env = &e;
	if ((lfd = listen_on(conf->proxy.egress_listen,
	    (int)conf->proxy.egress_port)) == -1)
		return (1);
	/* /etc/resolv.conf is read now: there is no file system after */
	if ((eg.dns = evdns_base_new(eg.base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (eg.dns = evdns_base_new(eg.base, 0)) == NULL)
		fatalx("resolver");
	if (geteuid() == 0) {
		if (privdrop_lookup(conf->proxy.egress_user, &uid, &gid, err,
		    sizeof(err)) == -1)
			fatalx("egress-user: %s", err);
		privdrop(uid, gid, (gid_t)-1);
	}
	/* credentials changed: ask again to die with proxyd */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != ppid)
		fatalx("proxyd went away during start-up");
	if (confine_landlock(NULL, 0, 1) == -1 ||
	    confine_seccomp(CONFINE_INET | CONFINE_FORK, NULL) == -1)
		fatalx("cannot confine the egress proxy");
	log_procinit("egress-supervisor");
	return (egress_supervise(lfd, life));
}

/* in proxyd's init hook, still privileged and before the secrets */
pid_t
egress_spawn(struct topsh_conf *conf, char **argv)
{
	char	**nargv, num[16];
	int	 fds[2];
	pid_t	 pid;
	size_t	 n, i;

	for (n = 0; argv[n] != NULL; n++)
		;
	if ((nargv = calloc(n + 2, sizeof(*nargv))) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		nargv[i] = argv[i];
	nargv[n] = "-E";
	nargv[n + 1] = NULL;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		log_warn("egress: pipe");
		free(nargv);
		return (-1);
	}
	switch (pid = fork()) {
	case -1:
		log_warn("egress: fork");
		free(nargv);
		close(fds[0]);
		close(fds[1]);
		return (-1);
	case 0:
		close(fds[1]);
		/* the read end survives exec as the lifeline */
		if (fcntl(fds[0], F_SETFD, 0) == -1)
			_exit(1);
		snprintf(num, sizeof(num), "%d", fds[0]);
		setenv(EG_LIFELINE_ENV, num, 1);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execv("/proc/self/exe", nargv);
		_exit(127);
	}
	free(nargv);
	close(fds[0]);
	/* fds[1] stays open (close-on-exec) for proxyd's lifetime */
	log_info("egress proxy started (pid %d)", (int)pid);
	return (pid);
}

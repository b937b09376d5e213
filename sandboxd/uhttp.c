/*
 * uhttp.c - a small HTTP/1.1 client over a unix socket on the libevent
 * loop, for the Docker Engine API (docker.c).  sandboxd speaks plain
 * HTTP to one local socket only, and this keeps libcurl and the thirty
 * libraries it brings (TLS, Kerberos, LDAP...) out of its address space.
 *
 * A request is one connection ("Connection: close"): cheap on a unix
 * socket, and a restarted engine is never talked to through a stale
 * kept-alive one.  The answer's body is framed by Content-Length, by
 * the chunked transfer coding, or by the end of the connection (an exec
 * stream).  A 2xx body of a request with a data callback goes to it as
 * it arrives; any other body is collected, capped.  The done callback
 * runs exactly once, never before uhttp_start() has returned, unless
 * uhttp_cancel() came first; it may start or cancel other requests.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "uhttp.h"

#define UHTTP_LINE_MAX	4096	/* a chunk-size or trailer line */
#define UHTTP_RETRY_MS	10	/* connect again after EAGAIN */

enum ustate {
	ST_CONNECT,
	ST_STATUS,	/* the status line */
	ST_HEADERS,
	ST_BODY,	/* Content-Length bytes, or to the end */
	ST_CHUNKSIZE,
	ST_CHUNKDATA,
	ST_CHUNKEND,	/* the CRLF after a chunk's data */
	ST_TRAILER,
	ST_DONE
};

struct uhttp_req {
	struct event_base	*base;
	struct sockaddr_un	 sun;
	struct bufferevent	*bev;
	struct event		*tmo;		/* the time limit */
	struct event		*kick;		/* connect retry, late failure */
	struct evbuffer		*req;		/* the request as sent */
	enum ustate		 state;
	int			 status;
	int			 interim;	/* a 1xx answer's headers */
	int			 chunked;
	int			 toeof;		/* body ends with the connection */
	long long		 clen;		/* -1: no Content-Length */
	uint64_t		 left;		/* of the body or chunk */
	size_t			 hdrbytes;
	int			 got;		/* a byte of answer came */
	size_t			 cap;		/* of a collected body */
	char			*buf;
	size_t			 len, bufsz;
	int			 head;		/* HEAD: no body */
	long			 timeout_ms;
	int			 connect_ms;	/* spent retrying */
	uhttp_data_cb		 data_cb;
	void			*data_arg;
	uhttp_done_cb		 done_cb;
	void			*done_arg;
	int			 incb;		/* inside a callback */
	int			 cancelled;	/* ... which cancelled it */
	enum uhttp_err		 lateerr;	/* for kick */
	char			 errmsg[160];
};

static void	req_free(struct uhttp_req *);
static void	req_finish(struct uhttp_req *, enum uhttp_err, const char *);
static void	req_connect(struct uhttp_req *);
static int	streamed(const struct uhttp_req *);

static void
req_free(struct uhttp_req *r)
{
	if (r->bev != NULL)
		bufferevent_free(r->bev);
	if (r->tmo != NULL)
		event_free(r->tmo);
	if (r->kick != NULL)
		event_free(r->kick);
	if (r->req != NULL)
		evbuffer_free(r->req);
	free(r->buf);
	free(r);
}

static void
req_finish(struct uhttp_req *r, enum uhttp_err err, const char *msg)
{
	struct uhttp_res	res;

	if (r->state == ST_DONE)
		return;
	r->state = ST_DONE;
	if (r->bev != NULL) {
		bufferevent_free(r->bev);	/* closes the connection */
		r->bev = NULL;
	}
	evtimer_del(r->tmo);
	evtimer_del(r->kick);
	memset(&res, 0, sizeof(res));
	res.status = r->status;
	res.err = err;
	if (err != UHTTP_OK) {
		if (msg != r->errmsg)
			strlcpy(r->errmsg, msg, sizeof(r->errmsg));
		res.errmsg = r->errmsg;
	}
	if (streamed(r) && r->len == 0) {
		res.body = NULL;
		res.bodylen = 0;
	} else {
		res.body = r->buf != NULL ? r->buf : "";
		res.bodylen = r->len;
	}
	r->incb = 1;
	r->done_cb(r, &res, r->done_arg);
	req_free(r);
}

/* a failure found before the loop ran: told from the loop */
static void
kick_cb(int fd, short ev, void *arg)
{
	struct uhttp_req	*r = arg;

	if (r->state == ST_CONNECT && r->lateerr == UHTTP_OK)
		req_connect(r);
	else
		req_finish(r, r->lateerr, r->errmsg);
}

static void
req_late(struct uhttp_req *r, enum uhttp_err err, const char *fmt, ...)
    __attribute__((__format__ (printf, 3, 4)));

static void
req_late(struct uhttp_req *r, enum uhttp_err err, const char *fmt, ...)
{
	struct timeval	tv = { 0, 0 };
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	r->lateerr = err;
	evtimer_add(r->kick, &tv);
}

static void
tmo_cb(int fd, short ev, void *arg)
{
	struct uhttp_req	*r = arg;

	snprintf(r->errmsg, sizeof(r->errmsg), "no complete answer from "
	    "the engine within %ld ms", r->timeout_ms);
	req_finish(r, UHTTP_ETIMEOUT, r->errmsg);
}

static int
buf_add(struct uhttp_req *r, const void *p, size_t n)
{
	size_t	 nsz;
	char	*nb;

	if (r->len + n + 1 > r->bufsz) {
		nsz = r->bufsz != 0 ? r->bufsz : 1024;
		while (nsz < r->len + n + 1)
			nsz *= 2;
		if ((nb = realloc(r->buf, nsz)) == NULL)
			return (-1);
		r->buf = nb;
		r->bufsz = nsz;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return (0);
}

/* a body for the data callback (a 101 is a raw stream as well) */
static int
streamed(const struct uhttp_req *r)
{
	return (r->data_cb != NULL && ((r->status >= 200 && r->status < 300) ||
	    r->status == 101));
}

/* body bytes: to the data callback or into the buffer; -1 finished */
static int
req_body(struct uhttp_req *r, const void *p, size_t n)
{
	int	rv;

	if (n == 0)
		return (0);
	if (streamed(r)) {
		r->incb = 1;
		rv = r->data_cb(p, n, r->data_arg);
		r->incb = 0;
		if (r->cancelled) {
			req_free(r);
			return (-1);
		}
		if (rv == -1) {
			req_finish(r, UHTTP_EABORTED,
			    "transfer aborted by the receiver");
			return (-1);
		}
		return (0);
	}
	if (r->len + n > r->cap) {
		snprintf(r->errmsg, sizeof(r->errmsg), "the engine's answer "
		    "is over %zu bytes", r->cap);
		req_finish(r, UHTTP_ETOOBIG, r->errmsg);
		return (-1);
	}
	if (buf_add(r, p, n) == -1) {
		req_finish(r, UHTTP_ENOMEM, "out of memory");
		return (-1);
	}
	return (0);
}

static void
toobig(struct uhttp_req *r)
{
	if (r->state == ST_STATUS || r->state == ST_HEADERS)
		snprintf(r->errmsg, sizeof(r->errmsg), "the engine's answer "
		    "has headers over %d bytes", UHTTP_HEADERS_MAX);
	else
		snprintf(r->errmsg, sizeof(r->errmsg), "the engine's answer "
		    "has a line over %d bytes", UHTTP_LINE_MAX);
	req_finish(r, UHTTP_ETOOBIG, r->errmsg);
}

static int
bad(struct uhttp_req *r, const char *what)
{
	snprintf(r->errmsg, sizeof(r->errmsg), "bad answer from the "
	    "engine: %s", what);
	req_finish(r, UHTTP_EPROTO, r->errmsg);
	return (-1);
}

/* "HTTP/1.x NNN reason" */
static int
parse_status(struct uhttp_req *r, const char *l)
{
	if (strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') ||
	    l[8] != ' ' || l[9] < '1' || l[9] > '5' || l[10] < '0' ||
	    l[10] > '9' || l[11] < '0' || l[11] > '9' ||
	    (l[12] != ' ' && l[12] != '\0'))
		return (bad(r, "no HTTP/1.x status line"));
	r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	r->interim = r->status >= 100 && r->status < 200 && r->status != 101;
	r->chunked = 0;
	r->clen = -1;
	r->state = ST_HEADERS;
	return (0);
}

static int
parse_header(struct uhttp_req *r, char *l)
{
	char		*v, *e;
	const char	*errstr;
	long long	 n;

	if ((v = strchr(l, ':')) == NULL || v == l)
		return (bad(r, "a header line without a name"));
	*v++ = '\0';
	v += strspn(v, " \t");
	for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); )
		*--e = '\0';
	if (strcasecmp(l, "Content-Length") == 0) {
		n = strtonum(v, 0, LLONG_MAX, &errstr);
		if (errstr != NULL)
			return (bad(r, "Content-Length is not a number"));
		if (r->clen != -1 && r->clen != n)
			return (bad(r, "two different Content-Lengths"));
		r->clen = n;
	} else if (strcasecmp(l, "Transfer-Encoding") == 0) {
		/* chunked must be the last coding; nothing else is asked */
		e = v + strlen(v);
		if (e - v >= 7 && strcasecmp(e - 7, "chunked") == 0)
			r->chunked = 1;
		else
			return (bad(r, "a transfer coding other than chunked"));
	}
	return (0);
}

/* the header block is complete: how is the body framed? */
static int
headers_done(struct uhttp_req *r)
{
	if (r->interim) {		/* 100 Continue and the like */
		r->state = ST_STATUS;
		return (0);
	}
	if (r->head || r->status == 204 || r->status == 304) {
		req_finish(r, UHTTP_OK, NULL);
		return (-1);
	}
	if (r->chunked) {
		r->state = ST_CHUNKSIZE;
		return (0);
	}
	if (r->clen == 0) {
		req_finish(r, UHTTP_OK, NULL);
		return (-1);
	}
	r->state = ST_BODY;
	if (r->clen > 0)
		r->left = (uint64_t)r->clen;
	else
		r->toeof = 1;
	return (0);
}

/* pass up to r->left bytes of in on; -1 finished */
static int
take_body(struct uhttp_req *r, struct evbuffer *in)
{
	char	tmp[16384];
	size_t	want;
	int	n;

	while (evbuffer_get_length(in) > 0 && (r->toeof || r->left > 0)) {
		want = sizeof(tmp);
		if (!r->toeof && r->left < want)
			want = (size_t)r->left;
		if ((n = evbuffer_remove(in, tmp, want)) <= 0)
			break;
		if (!r->toeof)
			r->left -= (size_t)n;
		if (req_body(r, tmp, (size_t)n) == -1)
			return (-1);
	}
	return (0);
}

/*
 * One line of the header block or of the chunked framing.  NULL: wait
 * for more, or *gone when the request was finished (a line too long).
 */
static char *
take_line(struct uhttp_req *r, struct evbuffer *in, int *gone)
{
	char	*l;
	size_t	 n, max;

	*gone = 0;
	max = UHTTP_LINE_MAX;
	if (r->state == ST_STATUS || r->state == ST_HEADERS)
		max = UHTTP_HEADERS_MAX - r->hdrbytes;
	if ((l = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) == NULL) {
		if (evbuffer_get_length(in) > max) {
			*gone = 1;
			toobig(r);
		}
		return (NULL);
	}
	if (n + 2 > max) {
		free(l);
		*gone = 1;
		toobig(r);
		return (NULL);
	}
	if (r->state == ST_STATUS || r->state == ST_HEADERS)
		r->hdrbytes += n + 2;
	return (l);
}

/* read what has come; -1: the request is finished (r is gone) */
static int
req_parse(struct uhttp_req *r)
{
	struct evbuffer		*in = bufferevent_get_input(r->bev);
	char			*l, *end;
	unsigned long long	 sz;
	int			 gone, rv;

	for (;;) {
		switch (r->state) {
		case ST_BODY:
			if (take_body(r, in) == -1)
				return (-1);
			if (!r->toeof && r->left == 0) {
				req_finish(r, UHTTP_OK, NULL);
				return (-1);
			}
			return (0);	/* more to come */
		case ST_CHUNKDATA:
			if (take_body(r, in) == -1)
				return (-1);
			if (r->left > 0)
				return (0);
			r->state = ST_CHUNKEND;
			continue;
		default:
			break;
		}
		if ((l = take_line(r, in, &gone)) == NULL)
			return (gone ? -1 : 0);
		rv = 0;
		switch (r->state) {
		case ST_STATUS:
			rv = parse_status(r, l);
			break;
		case ST_HEADERS:
			if (*l == '\0')
				rv = headers_done(r);
			else
				rv = parse_header(r, l);
			break;
		case ST_CHUNKSIZE:
			errno = 0;
			sz = strtoull(l, &end, 16);
			if (end == l || errno != 0 || (*end != '\0' &&
			    *end != ';' && *end != ' ' && *end != '\t') ||
			    !isxdigit((unsigned char)*l)) {
				rv = bad(r, "a malformed chunk size");
				break;
			}
			r->left = sz;
			r->state = sz == 0 ? ST_TRAILER : ST_CHUNKDATA;
			break;
		case ST_CHUNKEND:
			if (*l != '\0')
				rv = bad(r, "a chunk longer than its size");
			else
				r->state = ST_CHUNKSIZE;
			break;
		case ST_TRAILER:
			if (*l == '\0') {
				req_finish(r, UHTTP_OK, NULL);
				rv = -1;
			}
			break;
		default:
			break;
		}
		free(l);
		if (rv == -1)
			return (-1);
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct uhttp_req	*r = arg;

	r->got = 1;
	req_parse(r);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct uhttp_req	*r = arg;
	int			 e = EVUTIL_SOCKET_ERROR();

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	/* what came before the end may complete the answer */
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
		r->got = 1;
		if (req_parse(r) == -1)
			return;
	}
	if ((what & BEV_EVENT_EOF) && r->state == ST_BODY && r->toeof) {
		req_finish(r, UHTTP_OK, NULL);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		snprintf(r->errmsg, sizeof(r->errmsg), "%s the engine's "
		    "socket: %s", (what & BEV_EVENT_WRITING) ? "writing to" :
		    "reading from", strerror(e));
		req_finish(r, (what & BEV_EVENT_WRITING) ? UHTTP_ESEND :
		    UHTTP_ERECV, r->errmsg);
	} else if (!r->got)
		req_finish(r, UHTTP_ENOTHING, "the engine closed the "
		    "connection without an answer");
	else
		req_finish(r, UHTTP_EPARTIAL, "the engine closed the "
		    "connection in the middle of its answer");
}

static void
req_connect(struct uhttp_req *r)
{
	struct timeval	tv = { 0, UHTTP_RETRY_MS * 1000 };
	int		fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		req_late(r, UHTTP_ECONNECT, "socket: %s", strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&r->sun, sizeof(r->sun)) == -1 &&
	    errno != EINPROGRESS) {
		if (errno == EAGAIN && r->connect_ms < UHTTP_CONNECT_MS) {
			/* the listen backlog is full: in a moment */
			close(fd);
			r->connect_ms += UHTTP_RETRY_MS;
			evtimer_add(r->kick, &tv);
			return;
		}
		req_late(r, UHTTP_ECONNECT, "cannot connect to %s: %s",
		    r->sun.sun_path, strerror(errno));
		close(fd);
		return;
	}
	if ((r->bev = bufferevent_socket_new(r->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		req_late(r, UHTTP_ENOMEM, "out of memory");
		return;
	}
	bufferevent_setcb(r->bev, read_cb, NULL, event_cb, r);
	if (bufferevent_write_buffer(r->bev, r->req) == -1 ||
	    bufferevent_enable(r->bev, EV_READ | EV_WRITE) == -1) {
		req_late(r, UHTTP_ENOMEM, "out of memory");
		return;
	}
	r->state = ST_STATUS;
}

struct uhttp_req *
uhttp_start(struct event_base *base, const char *sock, const char *method,
    const char *path, const struct uhttp_opts *o, uhttp_done_cb cb,
    void *arg)
{
	struct uhttp_req	*r;
	struct timeval		 tv;
	const char		*p;
	int			 rv;

	/* nothing that could end the request line or add a header */
	for (p = path; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return (NULL);
	if (*path != '/' || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
	    strlen(method) || *method == '\0')
		return (NULL);
	if (o->content_type != NULL && strpbrk(o->content_type, "\r\n") !=
	    NULL)
		return (NULL);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->base = base;
	r->sun.sun_family = AF_UNIX;
	if (strlcpy(r->sun.sun_path, sock, sizeof(r->sun.sun_path)) >=
	    sizeof(r->sun.sun_path))
		goto fail;
	r->state = ST_CONNECT;
	r->clen = -1;
	r->head = strcmp(method, "HEAD") == 0;
	r->timeout_ms = o->timeout_ms;
	r->data_cb = o->data;
	r->data_arg = o->data_arg;
	r->cap = o->data != NULL ? UHTTP_ERRBODY_MAX : o->maxbytes;
	r->done_cb = cb;
	r->done_arg = arg;
	if ((r->tmo = evtimer_new(base, tmo_cb, r)) == NULL ||
	    (r->kick = evtimer_new(base, kick_cb, r)) == NULL ||
	    (r->req = evbuffer_new()) == NULL)
		goto fail;
	rv = evbuffer_add_printf(r->req, "%s %s HTTP/1.1\r\nHost: docker\r\n"
	    "User-Agent: topsh/%s\r\nConnection: close\r\n", method, path,
	    TOPSH_VERSION);
	if (rv != -1 && o->body != NULL)
		rv = evbuffer_add_printf(r->req, "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n", o->content_type != NULL ?
		    o->content_type : "application/octet-stream", o->bodylen);
	if (rv != -1)
		rv = evbuffer_add(r->req, "\r\n", 2);
	if (rv != -1 && o->body != NULL && o->bodylen > 0)
		rv = evbuffer_add(r->req, o->body, o->bodylen);
	if (rv == -1)
		goto fail;
	if (r->timeout_ms > 0) {
		tv.tv_sec = r->timeout_ms / 1000;
		tv.tv_usec = (r->timeout_ms % 1000) * 1000;
		evtimer_add(r->tmo, &tv);
	}
	req_connect(r);
	return (r);
 fail:
	req_free(r);
	return (NULL);
}

void
uhttp_cancel(struct uhttp_req *r)
{
	if (r == NULL)
		return;
	if (r->incb) {
		/* from its own callback: freed when that returns */
		r->cancelled = 1;
		return;
	}
	req_free(r);
}

int
uhttp_escape(const char *s, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			if (n + 1 >= outsz)
				return (-1);
			out[n++] = *p;
		} else {
			if (n + 3 >= outsz)
				return (-1);
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 0xf];
		}
	}
	if (outsz == 0)
		return (-1);
	out[n] = '\0';
	return (0);
}

/*
 * httpc.c - asynchronous HTTP client: libcurl's multi interface driven
 * by the libevent loop.
 *
 * libcurl tells us which sockets to watch (socket_cb) and when to wake
 * it up (timer_cb); libevent calls back into curl_multi_socket_action()
 * and every finished transfer is handed to its done callback from
 * check_done().  Callbacks never run inside libcurl, so a done callback
 * may start or cancel other requests.  A request must not be cancelled
 * from its own data callback (return -1 there instead), and httpc_free()
 * must not be called from any callback.
 *
 * Bodies are collected in memory up to maxbytes (default 64 MiB; then
 * the transfer stops and the result says truncated, err CURLE_OK) or
 * streamed to a data callback (no limit unless httpc_req_maxbytes()
 * set one).  A streamed request whose response status is 300 or more
 * gets its (capped) body collected instead, so error messages such as
 * Docker's {"message": ...} reach the done callback.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "httpc.h"

#define HTTPC_ERRBODY_MAX	(64 * 1024)
#define HTTPC_DEFAULT_MAX	(64 * 1024 * 1024)

struct httpc_req {
	TAILQ_ENTRY(httpc_req)	 entry;
	struct httpc		*h;
	CURL			*easy;
	struct curl_slist	*headers;
	struct curl_slist	*resolve;
	char			*reqbody;
	size_t			 reqbodylen;
	char			*buf;
	size_t			 len;
	size_t			 cap;
	size_t			 maxbytes;
	int			 maxbytes_set;
	size_t			 received;
	int			 truncated;
	int			 aborted;
	long			 retry_after;
	httpc_data_cb		 data_cb;
	void			*data_arg;
	httpc_done_cb		 done_cb;
	void			*done_arg;
	int			 started;
	char			 errbuf[CURL_ERROR_SIZE];
};
TAILQ_HEAD(httpc_reqs, httpc_req);

struct httpc {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	struct httpc_reqs	 reqs;
	int			 nactive;
};

struct httpc_sock {
	struct httpc		*h;
	curl_socket_t		 fd;
	struct event		*ev;
};

static int	 socket_cb(CURL *, curl_socket_t, int, void *, void *);
static int	 timer_cb(CURLM *, long, void *);
static void	 event_cb(evutil_socket_t, short, void *);
static void	 timeout_cb(evutil_socket_t, short, void *);
static void	 check_done(struct httpc *);
static void	 req_finish(struct httpc_req *, CURLcode);
static void	 req_destroy(struct httpc_req *);
static size_t	 write_cb(char *, size_t, size_t, void *);
static size_t	 header_cb(char *, size_t, size_t, void *);
static int	 buf_append(struct httpc_req *, const void *, size_t);
static long	 parse_retry_after(const char *, size_t);

static int	 curl_inited;

struct httpc *
httpc_new(struct event_base *base)
{
	struct httpc	*h;

	if (!curl_inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return (NULL);
		curl_inited = 1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (NULL);
	h->base = base;
	TAILQ_INIT(&h->reqs);
	if ((h->multi = curl_multi_init()) == NULL)
		goto fail;
	if ((h->timer = evtimer_new(base, timeout_cb, h)) == NULL)
		goto fail;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return (h);
 fail:
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	free(h);
	return (NULL);
}

void
httpc_free(struct httpc *h)
{
	struct httpc_req	*r;

	if (h == NULL)
		return;
	while ((r = TAILQ_FIRST(&h->reqs)) != NULL)
		httpc_req_cancel(r);
	curl_multi_cleanup(h->multi);
	event_free(h->timer);
	free(h);
}

int
httpc_active(struct httpc *h)
{
	return (h->nactive);
}

struct httpc_req *
httpc_req_new(struct httpc *h, const char *method, const char *url)
{
	struct httpc_req	*r;
	CURL			*e;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	if ((r->easy = e = curl_easy_init()) == NULL) {
		free(r);
		return (NULL);
	}
	r->h = h;
	r->maxbytes = HTTPC_DEFAULT_MAX;
	r->retry_after = -1;
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK)
		goto fail;
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "topsh/0.1");
	if (method == NULL || strcmp(method, "GET") == 0)
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "POST") == 0) {
		/* an empty POST unless httpc_req_body() adds a body */
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)0);
	} else if (curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method) !=
	    CURLE_OK)
		goto fail;	/* DELETE, PUT...: a body only if one is set */
	/* no "Expect: 100-continue" round trip */
	if (httpc_req_header(r, "Expect:") == -1)
		goto fail;
	return (r);
 fail:
	req_destroy(r);
	return (NULL);
}

void
httpc_req_unix_socket(struct httpc_req *r, const char *path)
{
	curl_easy_setopt(r->easy, CURLOPT_UNIX_SOCKET_PATH, path);
}

int
httpc_req_header(struct httpc_req *r, const char *line)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(r->headers, line)) == NULL)
		return (-1);
	r->headers = l;
	return (0);
}

int
httpc_req_body(struct httpc_req *r, const void *data, size_t len,
    const char *content_type)
{
	char	 hdr[256];
	char	*copy;
	int	 n;

	if (content_type != NULL) {
		n = snprintf(hdr, sizeof(hdr), "Content-Type: %s",
		    content_type);
		if (n < 0 || (size_t)n >= sizeof(hdr))
			return (-1);
		if (httpc_req_header(r, hdr) == -1)
			return (-1);
	}
	if ((copy = malloc(len + 1)) == NULL)
		return (-1);
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	if (r->reqbody != NULL)
		freezero(r->reqbody, r->reqbodylen);
	r->reqbody = copy;
	r->reqbodylen = len;
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, copy);
	return (0);
}

void
httpc_req_timeout(struct httpc_req *r, long ms)
{
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, ms);
}

void
httpc_req_connect_timeout(struct httpc_req *r, long ms)
{
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
}

void
httpc_req_maxbytes(struct httpc_req *r, size_t max)
{
	r->maxbytes = max;
	r->maxbytes_set = 1;
}

void
httpc_req_stream(struct httpc_req *r, httpc_data_cb cb, void *arg)
{
	r->data_cb = cb;
	r->data_arg = arg;
}

int
httpc_req_resolve(struct httpc_req *r, const char *entry)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(r->resolve, entry)) == NULL)
		return (-1);
	r->resolve = l;
	return (0);
}

CURL *
httpc_req_easy(struct httpc_req *r)
{
	return (r->easy);
}

int
httpc_req_start(struct httpc_req *r, httpc_done_cb cb, void *arg)
{
	struct httpc	*h = r->h;

	r->done_cb = cb;
	r->done_arg = arg;
	if (r->headers != NULL)
		curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	if (r->resolve != NULL)
		curl_easy_setopt(r->easy, CURLOPT_RESOLVE, r->resolve);
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
		req_destroy(r);
		return (-1);
	}
	r->started = 1;
	TAILQ_INSERT_TAIL(&h->reqs, r, entry);
	h->nactive++;
	return (0);
}

void
httpc_req_cancel(struct httpc_req *r)
{
	if (r == NULL)
		return;
	if (r->started) {
		curl_multi_remove_handle(r->h->multi, r->easy);
		TAILQ_REMOVE(&r->h->reqs, r, entry);
		r->h->nactive--;
		r->started = 0;
	}
	req_destroy(r);
}

void
httpc_req_free(struct httpc_req *r)
{
	if (r == NULL)
		return;
	if (r->started) {
		httpc_req_cancel(r);
		return;
	}
	req_destroy(r);
}

static void
req_destroy(struct httpc_req *r)
{
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->resolve);
	/* request bodies may hold redacted model traffic: wipe them */
	if (r->reqbody != NULL)
		freezero(r->reqbody, r->reqbodylen + 1);
	if (r->buf != NULL)
		freezero(r->buf, r->cap);
	free(r);
}

static int
buf_append(struct httpc_req *r, const void *data, size_t len)
{
	size_t	 ncap;
	char	*nbuf;

	if (r->len + len + 1 > r->cap) {
		ncap = r->cap ? r->cap : 4096;
		while (ncap < r->len + len + 1)
			ncap *= 2;
		if ((nbuf = realloc(r->buf, ncap)) == NULL)
			return (-1);
		r->buf = nbuf;
		r->cap = ncap;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = '\0';
	return (0);
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct httpc_req	*r = arg;
	size_t			 len = size * nmemb, room, max;
	long			 status = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (r->data_cb != NULL && status < 300) {
		/* a stream is unlimited unless a cap was asked for */
		if (r->maxbytes_set && r->received + len > r->maxbytes) {
			r->truncated = 1;
			return (0);
		}
		r->received += len;
		if (r->data_cb(ptr, len, r->data_arg) == -1) {
			r->aborted = 1;
			return (0);
		}
		return (len);
	}
	max = r->data_cb != NULL ? HTTPC_ERRBODY_MAX : r->maxbytes;
	room = max > r->len ? max - r->len : 0;
	if (len > room) {
		if (room > 0 && buf_append(r, ptr, room) == -1)
			return (0);
		r->truncated = 1;
		return (0);
	}
	if (buf_append(r, ptr, len) == -1)
		return (0);
	return (len);
}

static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct httpc_req	*r = arg;
	size_t			 len = size * nmemb;
	static const char	 ra[] = "retry-after:";

	if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		r->retry_after = -1;	/* a new response begins */
	else if (len > sizeof(ra) - 1 &&
	    strncasecmp(ptr, ra, sizeof(ra) - 1) == 0)
		r->retry_after = parse_retry_after(ptr + sizeof(ra) - 1,
		    len - (sizeof(ra) - 1));
	return (len);
}

/* Retry-After: delta-seconds or an HTTP-date */
static long
parse_retry_after(const char *p, size_t len)
{
	char		 tmp[64];
	const char	*errstr;
	struct tm	 tm;
	long long	 v;
	time_t		 t, now;
	size_t		 i;

	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return (-1);
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	for (i = 0; i < len && isdigit((unsigned char)tmp[i]); i++)
		;
	if (i == len) {
		v = strtonum(tmp, 0, 86400 * 7, &errstr);
		return (errstr == NULL ? (long)v : -1);
	}
	memset(&tm, 0, sizeof(tm));
	if (strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm) == NULL)
		return (-1);
	t = timegm(&tm);
	now = time(NULL);
	return (t > now ? (long)(t - now) : 0);
}

static int
socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct httpc		*h = userp;
	struct httpc_sock	*sk = socketp;
	short			 ev = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL) {
			event_free(sk->ev);
			free(sk);
		}
		curl_multi_assign(h->multi, s, NULL);
		return (0);
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if (sk == NULL) {
		if ((sk = calloc(1, sizeof(*sk))) == NULL)
			return (-1);
		sk->h = h;
		sk->fd = s;
		curl_multi_assign(h->multi, s, sk);
	} else
		event_free(sk->ev);
	if ((sk->ev = event_new(h->base, s, ev, event_cb, sk)) == NULL) {
		curl_multi_assign(h->multi, s, NULL);
		free(sk);
		return (-1);
	}
	event_add(sk->ev, NULL);
	return (0);
}

static int
timer_cb(CURLM *m, long ms, void *userp)
{
	struct httpc	*h = userp;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(h->timer);
		return (0);
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return (0);
}

static void
event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpc_sock	*sk = arg;
	struct httpc		*h = sk->h;
	int			 flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	/* sk may be freed by socket_cb inside this call */
	curl_multi_socket_action(h->multi, fd, flags, &running);
	check_done(h);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpc	*h = arg;
	int		 running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static void
check_done(struct httpc *h)
{
	CURLMsg			*msg;
	struct httpc_req	*r;
	int			 left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &r);
		if (r == NULL)
			continue;
		req_finish(r, msg->data.result);
	}
}

static void
req_finish(struct httpc_req *r, CURLcode err)
{
	struct httpc		*h = r->h;
	struct httpc_res	 res;
	char			*ct = NULL;
	double			 secs = 0;

	curl_multi_remove_handle(h->multi, r->easy);
	TAILQ_REMOVE(&h->reqs, r, entry);
	h->nactive--;
	r->started = 0;

	memset(&res, 0, sizeof(res));
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
	curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &secs);
	if (err == CURLE_WRITE_ERROR && r->truncated)
		err = CURLE_OK;		/* cut at the cap: the caller decides */
	res.err = err;
	if (err == CURLE_OK)
		res.errmsg = NULL;
	else if (r->aborted)
		res.errmsg = "transfer aborted by the receiver";
	else if (r->errbuf[0] != '\0')
		res.errmsg = r->errbuf;
	else
		res.errmsg = curl_easy_strerror(err);
	if (r->buf == NULL && buf_append(r, "", 0) == -1 && err == CURLE_OK) {
		res.err = CURLE_OUT_OF_MEMORY;
		res.errmsg = curl_easy_strerror(CURLE_OUT_OF_MEMORY);
	}
	if (r->data_cb != NULL && r->len == 0 && res.status < 300) {
		res.body = NULL;
		res.bodylen = 0;
	} else {
		res.body = r->buf;
		res.bodylen = r->len;
	}
	res.content_type = ct;
	res.retry_after = r->retry_after;
	res.truncated = r->truncated;
	res.seconds = secs;
	if (r->done_cb != NULL)
		r->done_cb(r, &res, r->done_arg);
	req_destroy(r);
}

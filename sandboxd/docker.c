/*
 * docker.c - the Docker Engine API over its unix socket, asynchronously
 * through uhttp.c (HTTP/1.1 on the libevent loop).
 *
 * At start, and whenever a call fails to reach the engine, /_ping and
 * /info are tried with exponential backoff (1 s doubling to 60 s);
 * the first success after a failure logs the engine version and calls
 * the "up" hook with /info's answer (the runtimes, then adoption of
 * existing containers).  While the engine is unreachable calls still
 * go out and fail fast, so callers get a clear "docker-unavailable"
 * error and nothing waits forever.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "log.h"
#include "sandboxd.h"
#include "uhttp.h"

#define DOCKER_API		"/v1.41"
#define DOCKER_MIN_API		"1.41"
#define DOCKER_BACKOFF_MAX	60

struct dcall {
	TAILQ_ENTRY(dcall)	 entry;
	struct uhttp_req	*req;
	docker_cb		 cb;
	void			*arg;
};
TAILQ_HEAD(dcalls, dcall);

static struct {
	struct event_base	*base;
	char			 sock[PATH_MAX];
	int			 up;
	int			 checking;
	int			 backoff;
	struct event		*retry;
	void			(*up_cb)(json_t *);
	char			 version[64];
	char			 lasterr[256];
	struct dcalls		 calls;
} dk;

static void	docker_check(void);

static void
retry_cb(int fd, short ev, void *arg)
{
	docker_check();
}

static void
docker_schedule(void)
{
	struct timeval	tv;

	if (dk.checking || evtimer_pending(dk.retry, NULL))
		return;
	dk.backoff = dk.backoff == 0 ? 1 : dk.backoff * 2;
	if (dk.backoff > DOCKER_BACKOFF_MAX)
		dk.backoff = DOCKER_BACKOFF_MAX;
	tv.tv_sec = dk.backoff;
	tv.tv_usec = 0;
	evtimer_add(dk.retry, &tv);
}

static void
docker_down(const char *why)
{
	if (dk.up || dk.lasterr[0] == '\0')
		log_warnx("docker: %s unreachable (%s); retrying with backoff",
		    dk.sock, why);
	dk.up = 0;
	strlcpy(dk.lasterr, why, sizeof(dk.lasterr));
	docker_schedule();
}

/*
 * /info: the engine's version and runtimes, in one answer (/version
 * would cost the engine a run of runc and docker-init more, at start
 * when the daemons share the CPUs).  The API version is the one every
 * path names (DOCKER_API): an older engine answers 400 to /_ping.
 */
static void
info_done(const struct dresp *r, void *arg)
{
	json_t		*v;

	dk.checking = 0;
	if (r->unavailable || r->status != 200 || !json_is_object(r->json)) {
		docker_down(r->err != NULL ? r->err : "bad /info reply");
		return;
	}
	v = json_object_get(r->json, "ServerVersion");
	strlcpy(dk.version, json_is_string(v) ? json_string_value(v) : "?",
	    sizeof(dk.version));
	log_info("docker: engine %s, API %s, on %s", dk.version,
	    DOCKER_MIN_API, dk.sock);
	dk.up = 1;
	dk.backoff = 0;
	dk.lasterr[0] = '\0';
	if (dk.up_cb != NULL)
		dk.up_cb(r->json);
}

static void
ping_done(const struct dresp *r, void *arg)
{
	if (r->unavailable || r->status != 200) {
		dk.checking = 0;
		docker_down(r->err != NULL ? r->err : "bad /_ping reply");
		return;
	}
	if (docker_call("GET", "/info", NULL, 10000, info_done,
	    NULL) == NULL) {
		dk.checking = 0;
		docker_down("cannot start a request");
	}
}

static void
docker_check(void)
{
	if (dk.checking)
		return;
	dk.checking = 1;
	if (docker_call("GET", "/_ping", NULL, 5000, ping_done, NULL) ==
	    NULL) {
		dk.checking = 0;
		docker_down("cannot start a request");
	}
}

int
docker_init(struct event_base *base, const char *sock,
    void (*up_cb)(json_t *))
{
	memset(&dk, 0, sizeof(dk));
	dk.base = base;
	dk.up_cb = up_cb;
	TAILQ_INIT(&dk.calls);
	if (strlcpy(dk.sock, sock, sizeof(dk.sock)) >= sizeof(dk.sock))
		return (-1);
	if ((dk.retry = evtimer_new(base, retry_cb, NULL)) == NULL)
		return (-1);
	docker_check();
	return (0);
}

void
docker_shutdown(void)
{
	struct dcall	*c;

	while ((c = TAILQ_FIRST(&dk.calls)) != NULL) {
		TAILQ_REMOVE(&dk.calls, c, entry);
		uhttp_cancel(c->req);
		free(c);
	}
	if (dk.retry != NULL)
		event_free(dk.retry);
	dk.retry = NULL;
}

int
docker_is_up(void)
{
	return (dk.up);
}

const char *
docker_version(void)
{
	return (dk.up ? dk.version : NULL);
}

const char *
docker_lasterr(void)
{
	return (dk.lasterr[0] != '\0' ? dk.lasterr : "not checked yet");
}

static void
call_done(struct uhttp_req *req, const struct uhttp_res *res, void *arg)
{
	struct dcall	*c = arg;
	struct dresp	 r;
	json_t		*msg;
	char		 errbuf[256];

	TAILQ_REMOVE(&dk.calls, c, entry);
	memset(&r, 0, sizeof(r));
	r.status = res->status;
	if (res->err != UHTTP_OK || res->status == 0) {
		/*
		 * A request that timed out met a slow engine, not a dead
		 * one: under load a container start can outlast its time,
		 * and taking the engine for down then refused every user's
		 * call for up to a minute of backoff.
		 */
		r.unavailable = res->err == UHTTP_ECONNECT ||
		    res->err == UHTTP_ENOTHING || res->err == UHTTP_ERECV ||
		    res->err == UHTTP_ESEND || (res->status == 0 &&
		    res->err != UHTTP_ETIMEOUT);
		snprintf(errbuf, sizeof(errbuf), "%s",
		    res->errmsg != NULL ? res->errmsg : "transfer failed");
		r.err = errbuf;
	} else if (res->body != NULL && res->bodylen > 0) {
		r.json = json_loadb(res->body, res->bodylen, 0, NULL);
		if (res->status >= 300) {
			msg = json_object_get(r.json, "message");
			snprintf(errbuf, sizeof(errbuf), "HTTP %d: %s",
			    res->status, json_is_string(msg) ?
			    json_string_value(msg) : "(no message)");
			r.err = errbuf;
		}
	} else if (res->status >= 300) {
		snprintf(errbuf, sizeof(errbuf), "HTTP %d", res->status);
		r.err = errbuf;
	}
	if (r.unavailable && dk.up)
		docker_down(r.err);
	else if (r.unavailable)
		docker_schedule();
	c->cb(&r, c->arg);
	json_decref(r.json);
	free(c);
}

static struct uhttp_req *
docker_req(const char *method, const char *path, json_t *body,
    long timeout_ms, docker_cb cb, void *arg, uhttp_data_cb data,
    void *data_arg)
{
	struct uhttp_opts	 o;
	struct dcall		*c;
	char			 url[2048], *js = NULL;
	int			 n;

	n = snprintf(url, sizeof(url), "%s%s", DOCKER_API, path);
	if (n < 0 || (size_t)n >= sizeof(url))
		return (NULL);
	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms;
	o.maxbytes = 16 * 1024 * 1024;
	o.data = data;
	o.data_arg = data_arg;
	if (body != NULL || strcmp(method, "POST") == 0) {
		js = body != NULL ? json_dumps(body, JSON_COMPACT) :
		    strdup("{}");
		if (js == NULL)
			return (NULL);
		o.body = js;
		o.bodylen = strlen(js);
		o.content_type = "application/json";
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		free(js);
		return (NULL);
	}
	c->cb = cb;
	c->arg = arg;
	/* a fresh connection per call (uhttp.c): never a stale one */
	c->req = uhttp_start(dk.base, dk.sock, method, url, &o, call_done, c);
	free(js);
	if (c->req == NULL) {
		free(c);
		return (NULL);
	}
	TAILQ_INSERT_TAIL(&dk.calls, c, entry);
	return (c->req);
}

struct uhttp_req *
docker_call(const char *method, const char *path, json_t *body,
    long timeout_ms, docker_cb cb, void *arg)
{
	return (docker_req(method, path, body, timeout_ms, cb, arg, NULL,
	    NULL));
}

/* a streamed POST; timeout_ms 0: as long as it takes */
struct uhttp_req *
docker_stream(const char *path, json_t *body, long timeout_ms,
    uhttp_data_cb data, void *data_arg, docker_cb cb, void *arg)
{
	return (docker_req("POST", path, body, timeout_ms, cb, arg, data,
	    data_arg));
}

void
docker_cancel(struct uhttp_req *req)
{
	struct dcall	*c;

	if (req == NULL)
		return;
	TAILQ_FOREACH(c, &dk.calls, entry)
		if (c->req == req)
			break;
	uhttp_cancel(req);
	if (c != NULL) {
		TAILQ_REMOVE(&dk.calls, c, entry);
		free(c);
	}
}

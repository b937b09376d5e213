/*
 * resolve.c - asynchronous name resolution with libevent's evdns
 * (/etc/hosts and /etc/resolv.conf are read once at start).  Results
 * are delivered from the event loop, never from inside resolve_start(),
 * as canonical address texts (v4-mapped IPv6 as IPv4), without
 * duplicates.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "proxyd.h"

#define RESOLVE_MAX	16

struct resolve {
	struct evdns_getaddrinfo_request *req;
	struct event		*ev;
	int			 dns_pending;
	int			 cancelled;
	int			 ok;
	char			 err[128];
	char			*addrs[RESOLVE_MAX];
	size_t			 naddrs;
	resolve_cb		 cb;
	void			*arg;
};

static void
resolve_free(struct resolve *r)
{
	size_t	 i;

	for (i = 0; i < r->naddrs; i++)
		free(r->addrs[i]);
	if (r->ev != NULL)
		event_free(r->ev);
	free(r);
}

static void
deliver(evutil_socket_t fd, short ev, void *arg)
{
	struct resolve	*r = arg;

	r->cb(r->ok, r->addrs, r->naddrs, r->ok ? NULL : r->err, r->arg);
	resolve_free(r);
}

static void
gai_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolve		*r = arg;
	struct evutil_addrinfo	*ai;
	char			 buf[64];
	size_t			 i;

	r->dns_pending = 0;
	if (r->cancelled) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		resolve_free(r);
		return;
	}
	if (result != 0) {
		strlcpy(r->err, evutil_gai_strerror(result), sizeof(r->err));
	} else {
		for (ai = res; ai != NULL && r->naddrs < RESOLVE_MAX;
		    ai = ai->ai_next) {
			if (netaddr_canon(ai->ai_addr, buf, sizeof(buf)) == -1)
				continue;
			for (i = 0; i < r->naddrs; i++)
				if (strcmp(r->addrs[i], buf) == 0)
					break;
			if (i < r->naddrs)
				continue;
			if ((r->addrs[r->naddrs] = strdup(buf)) != NULL)
				r->naddrs++;
		}
		if (r->naddrs > 0)
			r->ok = 1;
		else
			strlcpy(r->err, "no address", sizeof(r->err));
	}
	if (res != NULL)
		evutil_freeaddrinfo(res);
	event_active(r->ev, EV_TIMEOUT, 0);
}

struct resolve *
resolve_start(struct evdns_base *dns, const char *host, resolve_cb cb,
    void *arg)
{
	struct evutil_addrinfo	 hints;
	struct resolve		*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->cb = cb;
	r->arg = arg;
	if ((r->ev = event_new(env->base, -1, 0, deliver, r)) == NULL) {
		free(r);
		return (NULL);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	r->dns_pending = 1;
	r->req = evdns_getaddrinfo(dns, host, NULL, &hints, gai_cb, r);
	if (r->req == NULL)
		r->dns_pending = 0;	/* answered already (or failed) */
	return (r);
}

void
resolve_cancel(struct resolve *r)
{
	if (r == NULL)
		return;
	if (r->dns_pending) {
		r->cancelled = 1;
		evdns_getaddrinfo_cancel(r->req);	/* gai_cb frees */
		return;
	}
	resolve_free(r);
}

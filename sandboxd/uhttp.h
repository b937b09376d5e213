/*
 * uhttp.h - a small HTTP/1.1 client over a unix socket on the libevent
 * loop (uhttp.c), for the Docker Engine API.
 */
#ifndef SANDBOXD_UHTTP_H
#define SANDBOXD_UHTTP_H

#include <stddef.h>

struct event_base;
struct uhttp_req;

enum uhttp_err {
	UHTTP_OK = 0,
	UHTTP_ECONNECT,		/* the socket could not be connected */
	UHTTP_ETIMEOUT,		/* no complete answer within the limit */
	UHTTP_ESEND,		/* writing the request failed */
	UHTTP_ERECV,		/* reading the answer failed */
	UHTTP_ENOTHING,		/* closed without a byte of answer */
	UHTTP_EPARTIAL,		/* closed in the middle of the answer */
	UHTTP_EPROTO,		/* not HTTP/1.x, or malformed */
	UHTTP_ETOOBIG,		/* headers or body over their limit */
	UHTTP_EABORTED,		/* the data callback asked to stop */
	UHTTP_ENOMEM
};

struct uhttp_res {
	int		 status;	/* HTTP status, 0 if none came */
	enum uhttp_err	 err;
	const char	*errmsg;	/* NULL when err is UHTTP_OK */
	const char	*body;		/* NUL-terminated; NULL when streamed */
	size_t		 bodylen;
};

/* called exactly once per started request, unless cancelled first */
typedef void	(*uhttp_done_cb)(struct uhttp_req *,
		    const struct uhttp_res *, void *);
/* a streamed 2xx body as it arrives: 0 to go on, -1 to stop */
typedef int	(*uhttp_data_cb)(const void *, size_t, void *);

struct uhttp_opts {
	long		 timeout_ms;	/* the whole request; 0: none */
	size_t		 maxbytes;	/* a collected body's cap */
	const char	*body;		/* NULL: none */
	size_t		 bodylen;
	const char	*content_type;	/* of body */
	uhttp_data_cb	 data;		/* NULL: collect the body */
	void		*data_arg;
};

#define UHTTP_HEADERS_MAX	(64 * 1024)	/* the answer's header block */
#define UHTTP_ERRBODY_MAX	(64 * 1024)	/* a streamed request's non-2xx */
#define UHTTP_CONNECT_MS	5000	/* a full listen backlog, retried */

struct uhttp_req *uhttp_start(struct event_base *, const char *,
		    const char *, const char *, const struct uhttp_opts *,
		    uhttp_done_cb, void *);
void		 uhttp_cancel(struct uhttp_req *);
/* %-encode s for a URL's query; -1 if it does not fit */
int		 uhttp_escape(const char *, char *, size_t);

#endif

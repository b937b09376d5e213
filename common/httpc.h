/*
 * httpc.h - asynchronous HTTP client: libcurl's multi interface driven by
 * the libevent loop (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION).
 * Many requests run at once and none blocks another.  Used by proxyd for
 * everything that leaves the host and by sandboxd for the Docker Engine
 * API over its unix socket.
 */
#ifndef TOPSH_HTTPC_H
#define TOPSH_HTTPC_H

#include <stddef.h>

#include <curl/curl.h>
#include <event2/event.h>

struct httpc;
struct httpc_req;

struct httpc_res {
	long		 status;	/* HTTP status, 0 if none */
	CURLcode	 err;		/* CURLE_OK or the transfer error */
	const char	*errmsg;	/* readable text for err */
	const char	*body;		/* NUL-terminated, NULL when streamed */
	size_t		 bodylen;
	const char	*content_type;	/* may be NULL */
	long		 retry_after;	/* seconds from Retry-After, or -1 */
	int		 truncated;	/* body hit the maxbytes cap */
	double		 seconds;	/* total transfer time */
};

/* called exactly once per started request, unless cancelled first */
typedef void	(*httpc_done_cb)(struct httpc_req *, const struct httpc_res *,
		    void *);
/* streamed body: return 0 to go on, -1 to abort the transfer */
typedef int	(*httpc_data_cb)(const void *, size_t, void *);

struct httpc	*httpc_new(struct event_base *);
void		 httpc_free(struct httpc *);	/* cancels everything */
int		 httpc_active(struct httpc *);

struct httpc_req *httpc_req_new(struct httpc *, const char *, const char *);
void		 httpc_req_unix_socket(struct httpc_req *, const char *);
int		 httpc_req_header(struct httpc_req *, const char *);
int		 httpc_req_body(struct httpc_req *, const void *, size_t,
		    const char *);
void		 httpc_req_timeout(struct httpc_req *, long);	/* ms */
void		 httpc_req_connect_timeout(struct httpc_req *, long);
void		 httpc_req_maxbytes(struct httpc_req *, size_t);
void		 httpc_req_stream(struct httpc_req *, httpc_data_cb, void *);
/* "host:port:address" pins the name to a checked address */
int		 httpc_req_resolve(struct httpc_req *, const char *);
/* the easy handle, for options not covered above */
CURL		*httpc_req_easy(struct httpc_req *);
/* 0 started; -1 failed (the request is freed, no callback) */
int		 httpc_req_start(struct httpc_req *, httpc_done_cb, void *);
/* abort a started request: no callback will follow; frees it */
void		 httpc_req_cancel(struct httpc_req *);
/* a request not started yet */
void		 httpc_req_free(struct httpc_req *);

#endif

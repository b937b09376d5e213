/*
 * rpc.c - requests to proxyd and sandboxd with a callback per reply.
 *
 * Every request gets an id (the header's peerid) and waits in a tree
 * until its reply arrives.  A request made while the peer is down
 * waits for it to come back (bounded by RPC_WAIT); when a peer goes
 * away with requests in flight, the ones marked RPC_RETRY (idempotent:
 * polling, model calls, reads) are sent again once it is back and the
 * others fail with code "unavailable", so a restarted daemon loses
 * nothing that can safely be repeated and repeats nothing that cannot.
 * Callbacks always run from the event loop, never inside rpc_call().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

#define RPC_WAIT	120	/* seconds a request waits for its peer */
#define RPC_FLIGHT	900	/* seconds a sent request waits for a reply */

struct rpc {
	RB_ENTRY(rpc)		 entry;
	TAILQ_ENTRY(rpc)	 wait;
	uint32_t		 id;
	int			 peer;
	uint32_t		 type;
	json_t			*req;
	int			 fd;
	int			 flags;
	int			 sent;
	int			 waiting;
	struct event		*timer;
	rpc_cb			 cb;
	void			*arg;
};
RB_HEAD(rpctree, rpc);
TAILQ_HEAD(rpcwait, rpc);

static int
rpc_cmp(struct rpc *a, struct rpc *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}
RB_PROTOTYPE_INTERNAL(rpctree, rpc, entry, rpc_cmp,
    __attribute__((__unused__)) static)
RB_GENERATE_INTERNAL(rpctree, rpc, entry, rpc_cmp,
    __attribute__((__unused__)) static)

static struct rpctree	 rpcs = RB_INITIALIZER(&rpcs);
static struct rpcwait	 waitq = TAILQ_HEAD_INITIALIZER(waitq);
static uint32_t		 rpc_nextid = 1;

static void	rpc_finish(struct rpc *, struct rpc_reply *);

static void
rpc_free(struct rpc *r)
{
	RB_REMOVE(rpctree, &rpcs, r);
	if (r->waiting)
		TAILQ_REMOVE(&waitq, r, wait);
	if (r->timer != NULL)
		event_free(r->timer);
	json_decref(r->req);
	if (r->fd != -1)
		close(r->fd);
	free(r);
}

static void
rpc_fail(struct rpc *, const char *, const char *, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
rpc_fail(struct rpc *r, const char *code, const char *fmt, ...)
{
	struct rpc_reply	 rep;
	va_list			 ap;
	char			 msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&rep, 0, sizeof(rep));
	rep.fd = -1;
	rep.error = msg;
	rep.code = code;
	rpc_finish(r, &rep);
}

static void
rpc_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct rpc	*r = arg;

	if (r->sent)
		rpc_fail(r, "timeout", "%s did not answer in time",
		    proc_name(r->peer));
	else
		rpc_fail(r, "unavailable", "%s is not available",
		    proc_name(r->peer));
}

static void
rpc_arm(struct rpc *r, int seconds)
{
	struct timeval	 tv = { seconds, 0 };

	evtimer_add(r->timer, &tv);
}

static int
rpc_send(struct rpc *r)
{
	int	 fd = -1;

	if (r->fd != -1) {
		/* keep our copy while a retry may need it */
		if ((r->flags & RPC_RETRY) && (fd = dup(r->fd)) == -1)
			return (-1);
		if (!(r->flags & RPC_RETRY)) {
			fd = r->fd;
			r->fd = -1;
		}
	}
	if (proc_compose_json(r->peer, r->type, r->id, fd, r->req) == -1)
		return (-1);
	r->sent = 1;
	rpc_arm(r, RPC_FLIGHT);
	return (0);
}

static void
rpc_defer(evutil_socket_t fd, short ev, void *arg)
{
	struct rpc	*r = arg;

	evtimer_assign(r->timer, gw_base(), rpc_timeout, r);
	if (proc_peer(r->peer) != NULL && rpc_send(r) == 0)
		return;
	/* peer down when asked: wait for it */
	r->waiting = 1;
	TAILQ_INSERT_TAIL(&waitq, r, wait);
	rpc_arm(r, RPC_WAIT);
}

/*
 * Send type with req (a reference is taken) and fd (ownership passes)
 * to peer; cb(reply, arg) runs exactly once.  The request id, or 0 if
 * memory ran out (cb will not run).
 */
uint32_t
rpc_call(int peer, uint32_t type, json_t *req, int fd, int flags,
    rpc_cb cb, void *arg)
{
	struct rpc	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		if (fd != -1)
			close(fd);
		return (0);
	}
	r->id = rpc_nextid++;
	if (rpc_nextid == 0)
		rpc_nextid = 1;
	r->peer = peer;
	r->type = type;
	r->req = json_incref(req);
	r->fd = fd;
	r->flags = flags;
	r->cb = cb;
	r->arg = arg;
	if ((r->timer = evtimer_new(gw_base(), rpc_timeout, r)) == NULL) {
		json_decref(r->req);
		if (fd != -1)
			close(fd);
		free(r);
		return (0);
	}
	RB_INSERT(rpctree, &rpcs, r);
	if (proc_peer(peer) != NULL && rpc_send(r) == 0)
		return (r->id);
	/* not connected: queue from the loop */
	evtimer_assign(r->timer, gw_base(), rpc_defer, r);
	{
		struct timeval tv = { 0, 0 };

		evtimer_add(r->timer, &tv);
	}
	return (r->id);
}

/* forget a request: its callback will not run */
void
rpc_cancel(uint32_t id)
{
	struct rpc	 key, *r;

	key.id = id;
	if ((r = RB_FIND(rpctree, &rpcs, &key)) != NULL)
		rpc_free(r);
}

static void
rpc_finish(struct rpc *r, struct rpc_reply *rep)
{
	rpc_cb		 cb = r->cb;
	void		*arg = r->arg;

	rpc_free(r);
	if (cb != NULL)
		cb(rep, arg);
}

/* a peer is (back) up: send what waits for it */
void
rpc_peer_up(int peer)
{
	struct rpc	*r, *tmp;

	TAILQ_FOREACH_SAFE(r, &waitq, wait, tmp) {
		if (r->peer != peer)
			continue;
		TAILQ_REMOVE(&waitq, r, wait);
		r->waiting = 0;
		evtimer_del(r->timer);
		evtimer_assign(r->timer, gw_base(), rpc_timeout, r);
		if (rpc_send(r) == -1)
			rpc_fail(r, "unavailable", "cannot send to %s",
			    proc_name(peer));
	}
}

/* a peer went away: retry what may be repeated, fail the rest */
void
rpc_peer_down(int peer)
{
	struct rpc	*r, *tmp;

	RB_FOREACH_SAFE(r, rpctree, &rpcs, tmp) {
		if (r->peer != peer || !r->sent)
			continue;
		if (r->flags & RPC_RETRY) {
			r->sent = 0;
			r->waiting = 1;
			TAILQ_INSERT_TAIL(&waitq, r, wait);
			evtimer_del(r->timer);
			rpc_arm(r, RPC_WAIT);
			continue;
		}
		rpc_fail(r, "unavailable", "%s went away before answering",
		    proc_name(peer));
	}
}

/* a reply from proxyd or sandboxd: 0, or -1 for a malformed one */
int
rpc_dispatch(struct peer *p, struct imsg *imsg)
{
	struct rpc_reply	 rep;
	struct rpc		 key, *r;
	json_t			*obj;
	uint32_t		 type = imsg_get_type(imsg);

	key.id = imsg_get_id(imsg);
	if ((obj = imsg_get_json(imsg)) == NULL) {
		log_warnx("%s: malformed reply type %u", proc_name(p->id),
		    type);
		return (-1);
	}
	if ((r = RB_FIND(rpctree, &rpcs, &key)) == NULL ||
	    r->peer != (int)p->id) {
		log_debug("%s: reply %u to unknown request %u",
		    proc_name(p->id), type, key.id);
		json_decref(obj);
		return (0);
	}
	memset(&rep, 0, sizeof(rep));
	rep.type = type;
	rep.obj = obj;
	rep.fd = imsg_get_fd(imsg);
	if (p->id == PROC_PROXYD) {
		rep.ok = json_is_true(json_object_get(obj, "ok"));
		rep.error = json_string_value(json_object_get(obj, "error"));
		rep.status = json_integer_value(json_object_get(obj,
		    "status"));
		rep.retry_after = json_integer_value(json_object_get(obj,
		    "retry_after"));
		rep.result = json_object_get(obj, "result");
	} else if (type == IMSG_ERROR) {
		rep.error = json_string_value(json_object_get(obj, "error"));
		rep.code = json_string_value(json_object_get(obj, "code"));
	} else {
		rep.ok = 1;
		rep.result = obj;
	}
	if (!rep.ok && rep.error == NULL)
		rep.error = "unknown error";
	if (!rep.ok && rep.code == NULL)
		rep.code = "error";
	rpc_finish(r, &rep);
	if (rep.fd != -1 && !rep.fd_taken)
		close(rep.fd);
	json_decref(obj);
	return (0);
}

size_t
rpc_pending(void)
{
	struct rpc	*r;
	size_t		 n = 0;

	RB_FOREACH(r, rpctree, &rpcs)
		n++;
	return (n);
}

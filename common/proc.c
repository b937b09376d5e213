/*
 * proc.c - the channels between topsh processes: listening and control
 * sockets, SO_PEERCRED checks, the HELLO handshake, reconnection with
 * backoff, and the libevent glue for imsg (EV_READ always, EV_WRITE
 * only while something is queued).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "topsh.h"

/*
 * The daemons start together and a peer listens within tens of
 * milliseconds of its start (before its own set-up: connect() then
 * succeeds and the HELLO waits in the socket): for the first second a
 * connect is tried every 5 ms (a failed connect to a unix socket costs
 * microseconds), so a peer is reached at most 5 ms after it listens,
 * not up to a doubling step later (5, 10, 20, 40, 80 ms: up to 40 ms
 * of the time to the first getUpdates); then doubling up to 10 s.
 */
#define BACKOFF_MIN_MS	5
#define BACKOFF_FAST_MS	1000
#define BACKOFF_MAX_MS	10000
#define CTL_MAXSIZE	(4 * 1024 * 1024)

const char *const proc_names[PROC_MAX] = {
	"none", "gatewayd", "proxyd", "policyd", "sandboxd", "egress",
	"control"
};

struct outconn {
	const struct proc_connect	*pc;
	struct event			*retry;
	int				 backoff_ms;
	int				 fast_ms;	/* spent retrying fast */
	int				 failures;
	int				 was_up;
	struct peer			*peer;
};

static struct {
	struct event_base	*base;
	const struct proc_conf	*conf;
	char			 rundir[PATH_MAX];
	uid_t			 uids[PROC_MAX];
	int			 fd[2];		/* service, control */
	struct event		*ev[2];
	struct event		*ev_pause;
	struct peerlist		 peers;
	uint32_t		 serial;
	time_t			 started;
	struct outconn		 out[PROC_MAX];
	int			 running;
} proc = { .fd = { -1, -1 } };

static void	 peer_event_add(struct peer *);
static void	 peer_cb(evutil_socket_t, short, void *);
static void	 peer_free(struct peer *);
static void	 connect_schedule(enum proc_id);
extern int	 control_dispatch(struct peer *, struct imsg *);

const char *
proc_name(enum proc_id id)
{
	if (id < 0 || id >= PROC_MAX)
		return ("unknown");
	return (proc_names[id]);
}

enum proc_id
proc_byname(const char *name)
{
	int	 i;

	for (i = 1; i < PROC_MAX; i++)
		if (strcmp(proc_names[i], name) == 0)
			return (i);
	return (PROC_NONE);
}

const char *
proc_rundir(void)
{
	return (proc.rundir);
}

time_t
proc_started(void)
{
	return (proc.started);
}

static time_t
monotime(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

void
proc_init(struct event_base *base, const struct proc_conf *conf,
    const char *rundir, const uid_t *uids)
{
	proc.base = base;
	proc.conf = conf;
	if (strlcpy(proc.rundir, rundir, sizeof(proc.rundir)) >=
	    sizeof(proc.rundir))
		fatalx("runtime directory name too long");
	memcpy(proc.uids, uids, sizeof(proc.uids));
	TAILQ_INIT(&proc.peers);
	proc.started = monotime();
}

static int
sock_path(char *buf, size_t len, enum proc_id id, const char *suffix)
{
	struct sockaddr_un	 sun;

	if ((size_t)snprintf(buf, len, "%s/%s.%s", proc.rundir, proc_name(id),
	    suffix) >= len || strlen(buf) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/* refuse to steal the socket of a running instance */
static int
sock_in_use(const char *path)
{
	struct sockaddr_un	 sun;
	int			 s, rv;

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	rv = connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(s);
	return (rv);
}

static int
listen_one(const char *path, mode_t mode)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 s;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s exists and is not a socket", path);
			return (-1);
		}
		if (sock_in_use(path)) {
			log_warnx("%s is in use: already running?", path);
			return (-1);
		}
		(void)unlink(path);
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("socket");
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	old = umask(0777 & ~mode);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("bind %s", path);
		close(s);
		return (-1);
	}
	umask(old);
	if (chmod(path, mode) == -1 || listen(s, 128) == -1) {
		log_warn("%s", path);
		close(s);
		unlink(path);
		return (-1);
	}
	return (s);
}

int
proc_listen(void)
{
	char	 path[PATH_MAX];
	int	 have_accepts = proc.conf->accepts != NULL &&
		    proc.conf->accepts[0].id != PROC_NONE;

	if (have_accepts) {
		/* SO_PEERCRED decides who may talk; the mode lets them try */
		if (sock_path(path, sizeof(path), proc.conf->self, "sock") ==
		    -1 || (proc.fd[0] = listen_one(path, 0666)) == -1)
			return (-1);
	}
	if (sock_path(path, sizeof(path), proc.conf->self, "ctl") == -1 ||
	    (proc.fd[1] = listen_one(path, 0600)) == -1)
		return (-1);
	return (0);
}

static struct peer *
peer_new(int fd, enum proc_id id, int outgoing, int control)
{
	struct peer	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	if ((p->ev = event_new(proc.base, fd, EV_READ, peer_cb, p)) == NULL) {
		free(p);
		return (NULL);
	}
	imsgbuf_init(&p->ibuf, fd);
	p->serial = ++proc.serial;
	if (p->serial == 0)
		p->serial = ++proc.serial;
	p->id = id;
	p->outgoing = outgoing;
	p->control = control;
	p->since = monotime();
	TAILQ_INSERT_TAIL(&proc.peers, p, entry);
	return (p);
}

static void
peer_event_add(struct peer *p)
{
	short	 events = EV_READ;

	if (p->closing)
		return;
	if (p->ibuf.wqlen > 0)
		events |= EV_WRITE;
	event_del(p->ev);
	event_assign(p->ev, proc.base, p->ibuf.fd, events, peer_cb, p);
	event_add(p->ev, NULL);
	p->events = events;
}

static void
peer_free(struct peer *p)
{
	int	 identified = p->id != PROC_NONE && !p->control;

	TAILQ_REMOVE(&proc.peers, p, entry);
	event_free(p->ev);
	close(p->ibuf.fd);
	imsgbuf_clear(&p->ibuf);
	if (p->outgoing && proc.out[p->id].peer == p) {
		proc.out[p->id].peer = NULL;
		if (!p->hello_pending && proc.running)
			log_warnx("lost connection to %s, reconnecting",
			    proc_name(p->id));
	}
	if (identified && proc.conf->peer_down != NULL)
		proc.conf->peer_down(p);
	if (p->outgoing && proc.running)
		connect_schedule(p->id);
	free(p);
}

void
peer_close(struct peer *p, const char *why)
{
	if (p->closing)
		return;
	if (why != NULL) {
		if (p->control)
			log_debug("control client pid %d: %s", (int)p->pid,
			    why);
		else
			log_info("%s (pid %d): %s, closing connection",
			    p->id != PROC_NONE ? proc_name(p->id) : "peer",
			    (int)(p->remote_pid ? p->remote_pid : p->pid),
			    why);
	}
	p->closing = 1;
	event_del(p->ev);
	if (!p->busy)
		peer_free(p);
}

static int
hello_send(struct peer *p)
{
	struct topsh_hello	 h;

	memset(&h, 0, sizeof(h));
	h.proc = proc.conf->self;
	h.version = TOPSH_PROTO_VERSION;
	return (peer_compose(p, IMSG_HELLO, 0, -1, &h, sizeof(h)));
}

static const struct proc_accept *
accept_entry(enum proc_id id)
{
	const struct proc_accept	*a;

	for (a = proc.conf->accepts; a != NULL && a->id != PROC_NONE; a++)
		if (a->id == id)
			return (a);
	return (NULL);
}

/* the first frame of an accepted peer: who are you? */
static int
hello_accepted(struct peer *p, struct imsg *imsg)
{
	const struct proc_accept	*a;
	struct topsh_hello		 h;

	if (imsg_get_type(imsg) != IMSG_HELLO ||
	    imsg_get_data(imsg, &h, sizeof(h)) == -1) {
		peer_close(p, "no valid HELLO");
		return (-1);
	}
	if (h.version != TOPSH_PROTO_VERSION) {
		peer_close(p, "protocol version mismatch");
		return (-1);
	}
	if (h.proc >= PROC_MAX || (a = accept_entry(h.proc)) == NULL) {
		log_warnx("refusing %s (uid %u pid %d): not a peer of %s",
		    proc_name(h.proc < PROC_MAX ? h.proc : PROC_NONE),
		    (unsigned)p->uid, (int)p->pid, proc_name(proc.conf->self));
		peer_close(p, NULL);
		return (-1);
	}
	if (p->uid != proc.uids[h.proc]) {
		log_warnx("refusing connection claiming to be %s from uid %u "
		    "pid %d: %s runs as uid %u", proc_name(h.proc),
		    (unsigned)p->uid, (int)p->pid, proc_name(h.proc),
		    (unsigned)proc.uids[h.proc]);
		peer_close(p, NULL);
		return (-1);
	}
	p->id = h.proc;
	p->remote_pid = imsg_get_pid(imsg);
	p->dispatch = a->dispatch;
	if (a->maxsize)
		imsgbuf_set_maxsize(&p->ibuf, a->maxsize);
	log_info("%s connected (pid %d)", proc_name(p->id),
	    (int)p->remote_pid);
	if (hello_send(p) == -1)
		return (-1);
	if (proc.conf->peer_up != NULL)
		proc.conf->peer_up(p);
	return (0);
}

/* the acceptor's answer to our HELLO */
static int
hello_outgoing(struct peer *p, struct imsg *imsg)
{
	struct topsh_hello	 h;
	struct outconn		*oc = &proc.out[p->id];

	if (imsg_get_type(imsg) != IMSG_HELLO ||
	    imsg_get_data(imsg, &h, sizeof(h)) == -1 ||
	    h.proc != (uint32_t)p->id) {
		peer_close(p, "bad HELLO reply");
		return (-1);
	}
	p->remote_pid = imsg_get_pid(imsg);
	if (oc->was_up)
		log_info("reconnected to %s (pid %d)", proc_name(p->id),
		    (int)p->remote_pid);
	else
		log_info("connected to %s (pid %d)", proc_name(p->id),
		    (int)p->remote_pid);
	oc->backoff_ms = 0;
	oc->fast_ms = 0;
	oc->failures = 0;
	oc->was_up = 1;
	p->hello_pending = 0;
	if (proc.conf->peer_up != NULL)
		proc.conf->peer_up(p);
	return (0);
}

/* 0: the peer lives on; -1: it was closed and freed */
static int
peer_read(struct peer *p)
{
	struct imsg	 imsg;
	int		 rv;

	switch (imsgbuf_read(&p->ibuf)) {
	case -1:
		if (errno == EBADMSG)
			peer_close(p, "malformed frame");
		else {
			log_warn("%s: read", proc_name(p->id));
			peer_close(p, "read error");
		}
		return (-1);
	case 0:
		peer_close(p, "connection closed");
		return (-1);
	}
	p->busy = 1;
	while (!p->closing) {
		if ((rv = imsg_get(&p->ibuf, &imsg)) == 0)
			break;
		if (rv == -1) {
			log_warnx("%s: malformed or oversized frame from "
			    "uid %u pid %d", proc_name(p->id),
			    (unsigned)p->uid, (int)p->pid);
			peer_close(p, "malformed frame");
			break;
		}
		if (p->control)
			rv = control_dispatch(p, &imsg);
		else if (!p->outgoing && p->id == PROC_NONE)
			rv = hello_accepted(p, &imsg);
		else if (p->outgoing && p->hello_pending)
			rv = hello_outgoing(p, &imsg);
		else if (imsg_get_type(&imsg) == IMSG_HELLO)
			rv = -1;
		else
			rv = p->dispatch(p, &imsg);
		if (rv == -1 && !p->closing) {
			log_warnx("%s: bad or unexpected message type %u "
			    "(%zu bytes)", proc_name(p->id),
			    imsg_get_type(&imsg), imsg_get_len(&imsg));
			peer_close(p, "protocol error");
		}
		imsg_free(&imsg);
	}
	p->busy = 0;
	if (p->closing) {
		peer_free(p);
		return (-1);
	}
	return (0);
}

static void
peer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer	*p = arg;

	if (ev & EV_WRITE) {
		if (imsgbuf_write(&p->ibuf) == -1) {
			peer_close(p, errno == EPIPE ? "peer went away" :
			    "write error");
			return;
		}
	}
	if ((ev & EV_READ) && peer_read(p) == -1)
		return;		/* p is gone */
	peer_event_add(p);
}

static void
accept_resume(evutil_socket_t fd, short ev, void *arg)
{
	int	 i;

	for (i = 0; i < 2; i++)
		if (proc.ev[i] != NULL)
			event_add(proc.ev[i], NULL);
}

static int
uid_allowed(uid_t uid)
{
	const struct proc_accept	*a;

	for (a = proc.conf->accepts; a != NULL && a->id != PROC_NONE; a++)
		if (proc.uids[a->id] == uid)
			return (1);
	return (0);
}

static void
accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	struct peer	*p;
	int		 fd, control = arg != NULL, i;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* back off instead of spinning */
			log_warn("accept");
			for (i = 0; i < 2; i++)
				if (proc.ev[i] != NULL)
					event_del(proc.ev[i]);
			evtimer_add(proc.ev_pause, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(fd);
		return;
	}
	if (control ? (cred.uid != 0 && cred.uid != geteuid()) :
	    !uid_allowed(cred.uid)) {
		log_warnx("refusing %s connection from uid %u pid %d",
		    control ? "control" : "peer", (unsigned)cred.uid,
		    (int)cred.pid);
		close(fd);
		return;
	}
	if ((p = peer_new(fd, control ? PROC_CONTROL : PROC_NONE, 0,
	    control)) == NULL) {
		log_warn("peer");
		close(fd);
		return;
	}
	p->uid = cred.uid;
	p->pid = cred.pid;
	if (control)
		imsgbuf_set_maxsize(&p->ibuf, CTL_MAXSIZE);
	log_debug("%s connection from uid %u pid %d",
	    control ? "control" : "peer", (unsigned)cred.uid, (int)cred.pid);
	peer_event_add(p);
}

static void
connect_cb(evutil_socket_t fd, short ev, void *arg)
{
	enum proc_id		 id = (enum proc_id)(intptr_t)arg;
	struct outconn		*oc = &proc.out[id];
	struct sockaddr_un	 sun;
	struct peer		*p;
	char			 path[PATH_MAX];
	int			 s;

	if (oc->peer != NULL || !proc.running)
		return;
	if (sock_path(path, sizeof(path), id, "sock") == -1)
		fatal("%s socket", proc_name(id));
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("socket");
		connect_schedule(id);
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (oc->failures++ == 0)
			log_warnx("%s is not reachable at %s (%s), retrying "
			    "with backoff", proc_name(id), path,
			    strerror(errno));
		else
			log_debug("%s still not reachable: %s", proc_name(id),
			    strerror(errno));
		close(s);
		connect_schedule(id);
		return;
	}
	if ((p = peer_new(s, id, 1, 0)) == NULL) {
		close(s);
		connect_schedule(id);
		return;
	}
	p->dispatch = oc->pc->dispatch;
	p->hello_pending = 1;	/* waiting for the HELLO reply */
	if (oc->pc->maxsize)
		imsgbuf_set_maxsize(&p->ibuf, oc->pc->maxsize);
	oc->peer = p;
	if (hello_send(p) == -1) {
		peer_close(p, "cannot send HELLO");
		return;
	}
}

static void
connect_schedule(enum proc_id id)
{
	struct outconn	*oc = &proc.out[id];
	struct timeval	 tv;

	if (oc->pc == NULL)
		return;
	if (oc->backoff_ms == 0 || oc->fast_ms < BACKOFF_FAST_MS) {
		oc->backoff_ms = BACKOFF_MIN_MS;
		oc->fast_ms += BACKOFF_MIN_MS;
	} else if ((oc->backoff_ms *= 2) > BACKOFF_MAX_MS)
		oc->backoff_ms = BACKOFF_MAX_MS;
	tv.tv_sec = oc->backoff_ms / 1000;
	tv.tv_usec = (oc->backoff_ms % 1000) * 1000;
	evtimer_add(oc->retry, &tv);
}

void
proc_start(void)
{
	const struct proc_connect	*pc;
	struct timeval			 now = { 0, 0 };
	int				 i;

	proc.running = 1;
	if ((proc.ev_pause = evtimer_new(proc.base, accept_resume, NULL)) ==
	    NULL)
		fatal("evtimer_new");
	for (i = 0; i < 2; i++) {
		if (proc.fd[i] == -1)
			continue;
		proc.ev[i] = event_new(proc.base, proc.fd[i],
		    EV_READ | EV_PERSIST, accept_cb, i == 1 ? &proc : NULL);
		if (proc.ev[i] == NULL || event_add(proc.ev[i], NULL) == -1)
			fatal("event_add");
	}
	for (pc = proc.conf->connects; pc != NULL && pc->id != PROC_NONE;
	    pc++) {
		struct outconn *oc = &proc.out[pc->id];

		oc->pc = pc;
		oc->retry = evtimer_new(proc.base, connect_cb,
		    (void *)(intptr_t)pc->id);
		if (oc->retry == NULL)
			fatal("evtimer_new");
		evtimer_add(oc->retry, &now);
	}
}

void
proc_shutdown(void)
{
	struct peer	*p;
	char		 path[PATH_MAX];
	int		 i;

	proc.running = 0;
	while ((p = TAILQ_FIRST(&proc.peers)) != NULL) {
		imsgbuf_flush(&p->ibuf);
		p->busy = 0;
		p->closing = 1;
		peer_free(p);
	}
	for (i = 0; i < 2; i++) {
		if (proc.fd[i] == -1)
			continue;
		close(proc.fd[i]);
		proc.fd[i] = -1;
		if (sock_path(path, sizeof(path), proc.conf->self,
		    i == 0 ? "sock" : "ctl") == 0)
			(void)unlink(path);	/* may fail unprivileged */
	}
}

struct peer *
proc_peer(enum proc_id id)
{
	struct peer	*p;

	if (id <= PROC_NONE || id >= PROC_MAX)
		return (NULL);
	if (proc.out[id].peer != NULL && !proc.out[id].peer->hello_pending &&
	    !proc.out[id].peer->closing)
		return (proc.out[id].peer);
	/* several connections from one peer: the newest one answers */
	TAILQ_FOREACH_REVERSE(p, &proc.peers, peerlist, entry)
		if (p->id == id && !p->outgoing && !p->control && !p->closing)
			return (p);
	return (NULL);
}

struct peer *
proc_peer_by_serial(uint32_t serial)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &proc.peers, entry)
		if (p->serial == serial && !p->closing)
			return (p);
	return (NULL);
}

int
peer_compose(struct peer *p, uint32_t type, uint32_t id, int fd,
    const void *data, size_t len)
{
	if (p->closing) {
		if (fd != -1)
			close(fd);
		errno = ENOTCONN;
		return (-1);
	}
	if (p->ibuf.wqbytes + len > PROC_WQ_MAX) {
		if (fd != -1)
			close(fd);
		peer_close(p, "write queue full");
		errno = ENOBUFS;
		return (-1);
	}
	if (imsg_compose(&p->ibuf, type, id, 0, fd, data, len) == -1) {
		if (fd != -1)
			close(fd);
		log_warn("%s: cannot send message type %u (%zu bytes)",
		    proc_name(p->id), type, len);
		return (-1);
	}
	peer_event_add(p);
	return (0);
}

int
peer_compose_json(struct peer *p, uint32_t type, uint32_t id, int fd,
    json_t *obj)
{
	char	*s;
	int	 rv;

	if ((s = json_dumps(obj, JSON_COMPACT)) == NULL) {
		if (fd != -1)
			close(fd);
		errno = ENOMEM;
		return (-1);
	}
	rv = peer_compose(p, type, id, fd, s, strlen(s));
	free(s);
	return (rv);
}

int
proc_compose(enum proc_id target, uint32_t type, uint32_t id, int fd,
    const void *data, size_t len)
{
	struct peer	*p;

	if ((p = proc_peer(target)) == NULL) {
		if (fd != -1)
			close(fd);
		errno = ENOTCONN;
		return (-1);
	}
	return (peer_compose(p, type, id, fd, data, len));
}

int
proc_compose_json(enum proc_id target, uint32_t type, uint32_t id, int fd,
    json_t *obj)
{
	struct peer	*p;

	if ((p = proc_peer(target)) == NULL) {
		if (fd != -1)
			close(fd);
		errno = ENOTCONN;
		return (-1);
	}
	return (peer_compose_json(p, type, id, fd, obj));
}

json_t *
proc_peers_json(void)
{
	const struct proc_connect	*pc;
	struct peer			*p;
	json_t				*a, *o;
	time_t				 now = monotime();

	if ((a = json_array()) == NULL)
		return (NULL);
	TAILQ_FOREACH(p, &proc.peers, entry) {
		if (p->control || p->closing || p->id == PROC_NONE ||
		    p->hello_pending)
			continue;
		o = json_pack("{s:s, s:s, s:i, s:I}",
		    "name", proc_name(p->id),
		    "direction", p->outgoing ? "out" : "in",
		    "pid", (int)p->remote_pid,
		    "seconds", (json_int_t)(now - p->since));
		if (o != NULL)
			json_array_append_new(a, o);
	}
	for (pc = proc.conf->connects; pc != NULL && pc->id != PROC_NONE;
	    pc++) {
		if (proc_peer(pc->id) != NULL)
			continue;
		o = json_pack("{s:s, s:s, s:s}", "name", proc_name(pc->id),
		    "direction", "out", "state", "down");
		if (o != NULL)
			json_array_append_new(a, o);
	}
	return (a);
}



const struct proc_conf *
control_proc_conf(void)
{
	return (proc.conf);
}

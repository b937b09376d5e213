/*
 * proc.h - the four topsh processes and the unix-socket channels between
 * them (the privsep peer table of relayd/vmd, over sockets rather than
 * socketpairs because each daemon is its own systemd unit).
 *
 * Each daemon listens on RUNDIR/<name>.sock for the peers that may talk
 * to it and on RUNDIR/<name>.ctl for topshctl.  An accepted connection is
 * checked with SO_PEERCRED: its uid must be the uid of a daemon allowed
 * to talk to us (control: root, or our own uid when not started as root);
 * its first frame must be IMSG_HELLO naming that daemon.  Outgoing
 * connections are retried with exponential backoff and the daemon is
 * told when a peer comes up or goes away.
 */
#ifndef TOPSH_PROC_H
#define TOPSH_PROC_H

#include <sys/types.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "imsg.h"

enum proc_id {
	PROC_NONE = 0,
	PROC_GATEWAYD,
	PROC_PROXYD,
	PROC_POLICYD,
	PROC_SANDBOXD,
	PROC_EGRESS,		/* proxyd's egress child */
	PROC_CONTROL,		/* topshctl */
	PROC_MAX
};

struct peer;
/* return 0 to go on, -1 to close the connection (unknown or bad frame) */
typedef int (*peer_dispatch_cb)(struct peer *, struct imsg *);

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	uint32_t		 serial;	/* unique, never reused */
	struct imsgbuf		 ibuf;
	struct event		*ev;
	short			 events;
	enum proc_id		 id;		/* PROC_NONE until HELLO */
	int			 outgoing;
	int			 control;
	uid_t			 uid;
	pid_t			 pid;
	pid_t			 remote_pid;	/* from HELLO */
	time_t			 since;
	peer_dispatch_cb	 dispatch;
	void			*arg;
	int			 busy;		/* inside its dispatch */
	int			 closing;	/* close when not busy */
	int			 hello_pending;	/* outgoing, no reply yet */
};
TAILQ_HEAD(peerlist, peer);

struct proc_accept {
	enum proc_id		 id;
	peer_dispatch_cb	 dispatch;
	size_t			 maxsize;	/* 0: default */
};

struct proc_connect {
	enum proc_id		 id;
	peer_dispatch_cb	 dispatch;
	size_t			 maxsize;
};

struct topsh_conf;

struct proc_conf {
	enum proc_id		 self;
	const struct proc_accept *accepts;	/* terminated by PROC_NONE */
	const struct proc_connect *connects;	/* terminated by PROC_NONE */
	/* daemon-specific control requests; -1 closes the client */
	peer_dispatch_cb	 control;
	/* re-read configuration: 0 ok, -1 with a message in errbuf */
	int			(*reload)(char *, size_t);
	/* add daemon-specific fields to the status object */
	void			(*status)(json_t *);
	void			(*peer_up)(struct peer *);
	void			(*peer_down)(struct peer *);
};

extern const char *const proc_names[PROC_MAX];

const char	*proc_name(enum proc_id);
enum proc_id	 proc_byname(const char *);

/* set up; uids[] hold the uid of each daemon's user (from topsh.conf) */
void		 proc_init(struct event_base *, const struct proc_conf *,
		    const char *, const uid_t *);
/* create the service and control sockets (before dropping privileges) */
int		 proc_listen(void);
/* start accepting and connecting */
void		 proc_start(void);
void		 proc_shutdown(void);
const char	*proc_rundir(void);
time_t		 proc_started(void);

struct peer	*proc_peer(enum proc_id);
struct peer	*proc_peer_by_serial(uint32_t);
int		 proc_compose(enum proc_id, uint32_t, uint32_t, int,
		    const void *, size_t);
int		 proc_compose_json(enum proc_id, uint32_t, uint32_t, int,
		    json_t *);
int		 peer_compose(struct peer *, uint32_t, uint32_t, int,
		    const void *, size_t);
int		 peer_compose_json(struct peer *, uint32_t, uint32_t, int,
		    json_t *);
void		 peer_close(struct peer *, const char *);
#define PROC_WQ_MAX	(256 * 1024 * 1024)	/* bytes queued to one peer */

/* the table given to proc_init (for control.c) */
const struct proc_conf *control_proc_conf(void);
/* json array of connected peers for status */
json_t		*proc_peers_json(void);

#endif

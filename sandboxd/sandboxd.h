/*
 * sandboxd.h - sandboxd(8) internals shared by its files.
 *
 *   sandboxd.c	main, peer table, hooks, status, policyd's replies
 *   requests.c	gatewayd's requests and the replies
 *   control.c	topshctl's requests
 *   docker.c	Docker Engine API client (uhttp over docker.sock)
 *   uhttp.c	HTTP/1.1 over a unix socket on the event loop
 *   box.c	one container per user: create, adopt, reap, kill
 *   exec.c	running a command: policy, exec API, time limit, cap
 *   kill.c	killing a command's process tree at its time limit
 *   policy.c	asking policyd (fail closed), approval tokens
 *   ws.c	workspace paths: openat2 resolution, error codes
 *   fileops.c	read, write, edit, delete, stat, open
 *   search.c	list and glob: bounded walks
 *   grep.c	search_text: limits, per-file policy, time budget
 *   pool.c	worker threads for file work, fair between users
 *   filejob.c	a file request from policyd's answer to the reply
 *   net.c	a network of its own for each user's container
 *   jobs.c	processes left behind: listing, ending (ps, /clear)
 *   trash.c	soft delete, trash list and restore
 *   ports.c	the published-port pool
 *   priv.c	workspaces, quota images and the privileged mount helper
 *   runner.c	the resident command runner of each container
 *   attach.c	a hijacked attach connection to a container's stdio
 *   demux.c	the Engine API stdout/stderr stream format
 *   outcap.c	head-and-tail output capture, UTF-8 clean-up
 *   b64.c	base64
 *   uids.c	each user's own host uid, the container's passwd
 *   warm.c	the warm pool: started containers for brand-new users
 */
#ifndef SANDBOXD_H
#define SANDBOXD_H

#include <sys/types.h>
#include <sys/tree.h>
#include <sys/queue.h>

#include <limits.h>
#include <stdint.h>

#include <jansson.h>

/* sandboxd.c: the running state */
struct sbx {
	uid_t		 cuid;		/* the user inside containers */
	gid_t		 cgid;
	char		 prefix[32];	/* container names: PREFIX-USER */
	char		 root[PATH_MAX];	/* workspace-root */
	int		 quota;		/* workspaces are size-limited images */
	int		 peruser;	/* each user has an own uid (uids.c) */
	uid_t		 userns_offset;	/* host uid = container uid + this */
	int		 can_chown;	/* root, or CAP_CHOWN kept */
	struct portpool	*ports;
	char		 hosts[PATH_MAX];	/* network none: /etc/hosts */
};
extern struct sbx	 sbx;

/* demux.c */
struct demux {
	unsigned char	 hdr[8];
	size_t		 hlen;
	uint32_t	 remain;
	int		 stream;
	int		 error;
};
void	 sbx_demux_init(struct demux *);
int	 sbx_demux_feed(struct demux *, const void *, size_t,
	    void (*)(int, const void *, size_t, void *), void *);
int	 sbx_demux_partial(const struct demux *);

/* outcap.c */
struct outcap {
	unsigned char	*head;
	unsigned char	*tail;
	size_t		 hcap, hlen;
	size_t		 tcap, tlen, tpos;
	uint64_t	 total;
};
int	 sbx_outcap_init(struct outcap *, size_t);
void	 sbx_outcap_free(struct outcap *);
void	 sbx_outcap_add(struct outcap *, const void *, size_t);
uint64_t sbx_outcap_cut(const struct outcap *);
char	*sbx_outcap_result(const struct outcap *, size_t *);
int	 sbx_utf8_valid(const void *, size_t);
json_t	*sbx_utf8_json(const void *, size_t);

/* b64.c */
char	*sbx_b64_encode(const void *, size_t, size_t *);
unsigned char *sbx_b64_decode(const char *, size_t, size_t *);

/* ports.c */
struct portent {
	RB_ENTRY(portent) entry;
	int64_t		 user;
	int		 slot;
};
RB_HEAD(porttree, portent);
int	 portent_cmp(struct portent *, struct portent *);
RB_PROTOTYPE(porttree, portent, entry, portent_cmp)
struct portpool {
	struct porttree	 tree;
	unsigned char	*used;
	int		 lo, per, nslots;
	char		 path[PATH_MAX];
};
int	 sbx_ports_init(struct portpool *, int, int, int, const char *);
void	 sbx_ports_free(struct portpool *);
int	 sbx_ports_get(struct portpool *, int64_t, int, int *);
void	 sbx_ports_put(struct portpool *, int64_t);

/* uids.c */
int	 sbx_uids_init(uid_t, uid_t, const uid_t *, size_t, const char *);
int	 sbx_uid_get(int64_t, uid_t *);
int	 sbx_passwd_write(const char *, int64_t, uid_t, const char *, char *,
	    size_t, char *, size_t);
int	 sbx_hosts_write(const char *, char *, size_t);
void	 sbx_gitconfig_default(const char *, uid_t, const char *, int64_t);
int	 sbx_uid_known(int64_t);
int	 sbx_uid_reserve(uid_t *);
int	 sbx_uid_bind(int64_t, uid_t);
int	 sbx_passwd_adopt(const char *, int64_t, int64_t, uid_t,
	    const char *);
void	 sbx_passwd_unlink(const char *, int64_t);

/* fileops.c */
#define WS_DIR		"ws"		/* bind-mounted at /workspace */
#define WS_TRASH	"trash"		/* never visible in the container */
#define WS_MOUNTPATH	"/workspace"
#define FILE_READ_MAX	(256 * 1024)
#define FILE_LIST_MAX	1000
#define FILE_GREP_MAX	100
#define FILE_WALK_DEPTH	32
#define FILE_WALK_MAX	100000		/* entries one walk may visit */
#define FILE_GREP_BYTES	(64 * 1024 * 1024)	/* bytes one grep reads */
#define FILE_GREP_FILE	(16 * 1024 * 1024)	/* larger files: skipped */

struct ws {
	int64_t		 user;
	int		 rootfd;	/* O_PATH of .../USER/ws */
	int		 trashfd;	/* O_PATH of .../USER/trash */
	uid_t		 uid;		/* owner of new entries when chown */
	gid_t		 gid;
	int		 chown;		/* we may chown (root or CAP_CHOWN) */
	long long	 maxsize;	/* max-file-size */
};

struct fserr {
	const char	*code;		/* imsg_sandbox.h error codes */
	char		 msg[256];
};

enum fileop {
	FOP_READ, FOP_WRITE, FOP_EDIT, FOP_DELETE, FOP_LIST, FOP_GLOB,
	FOP_GREP, FOP_STAT, FOP_OPEN
};

int	 sbx_ws_open_dirs(struct ws *, const char *, int64_t);
void	 sbx_ws_close(struct ws *);
int	 sbx_ws_relpath(const char *, char *, size_t, struct fserr *);
/* 0 and *res (and *fdp for FOP_OPEN), or -1 with err */
int	 fileop_run(struct ws *, enum fileop, json_t *, json_t **, int *,
	    struct fserr *);
const char *fileop_policy_op(enum fileop);
const char *sbx_type_name(mode_t);
int	 sbx_read_all(int, size_t, unsigned char **, size_t *);
int	 sbx_req_path(json_t *, const char *, const char *, char *, size_t,
	    struct fserr *);
long long sbx_req_int(json_t *, const char *, long long, long long);
int	 sbx_op_list(struct ws *, json_t *, json_t **, struct fserr *);
int	 sbx_op_glob(struct ws *, json_t *, json_t **, struct fserr *);
typedef int (*sbx_walk_cb)(const char *, int, const char *, struct stat *,
	    void *);
int	 sbx_walk(int, const char *, int, int, sbx_walk_cb, void *);
int	 sbx_req_dir(struct ws *, json_t *, char *, size_t, int *,
	    struct fserr *);
int	 sbx_glob_match(const char *, const char *);
void	 sbx_fserr_set(struct fserr *, const char *, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));
int	 sbx_fserr_errno(struct fserr *, int, const char *);
int	 sbx_ws_parent(struct ws *, const char *, int, char *, size_t,
	    struct fserr *);
int	 sbx_ws_openat(struct ws *, int, const char *, int, mode_t,
	    struct fserr *);
void	 sbx_ws_chown(struct ws *, int, const char *);

/* grep.c */
#define GREP_MATCH_LIMIT	1000000	/* pcre2 match() calls per line */
#define GREP_DEPTH_LIMIT	10000	/* backtracking depth */
#define GREP_HEAP_LIMIT		(16 * 1024)	/* KiB of backtracking heap */
#define GREP_SECONDS		10	/* time budget of one search */
struct grep;
int	 sbx_grep_start(struct ws *, json_t *, struct grep **, struct fserr *);
size_t	 sbx_grep_count(const struct grep *);
const char *sbx_grep_path(const struct grep *, size_t);
void	 sbx_grep_decide(struct grep *, size_t, const json_t *);
int	 sbx_grep_finish(struct ws *, struct grep *, json_t **,
	    struct fserr *);
void	 sbx_grep_free(struct grep *);

/* pool.c */
struct event_base;
int	 sbx_pool_init(struct event_base *);
void	 sbx_pool_shutdown(void);
int	 sbx_pool_run(int64_t, void (*)(void *), void (*)(void *), void *);

/* trash.c */
int	 sbx_trash_put(struct ws *, int, const char *, const char *, char *,
	    size_t, struct fserr *);
json_t	*sbx_trash_list(struct ws *, struct fserr *);
int	 sbx_trash_restore(struct ws *, const char *, json_t **, struct fserr *);
int	 sbx_trash_purge(struct ws *, const char *, int *, struct fserr *);

/* requests.c: a request waiting for policyd, docker or a container */
struct peer;
struct imsg;
struct reqctx {
	TAILQ_ENTRY(reqctx) entry;	/* box->fileq */
	uint32_t	 serial;	/* peer, looked up again to reply */
	uint32_t	 reqid;
	int		 ctl;		/* from topshctl */
	uint32_t	 type;		/* the request's imsg type */
	enum fileop	 op;
	int64_t		 user;
	char		*approved;
	json_t		*req;
};
struct reqctx *sbx_reqctx_new(struct peer *, struct imsg *, json_t *,
	    int64_t);
void	 sbx_reqctx_free(struct reqctx *);
void	 sbx_reply(struct reqctx *, uint32_t, int, json_t *);
void	 sbx_reply_error(struct reqctx *, const char *, const char *);
json_t	*sbx_error_json(int64_t, const char *, const char *);
void	 sbx_reply_error_obj(struct reqctx *, json_t *);
void	 sbx_reply_ctl_end(struct reqctx *);
int	 sbx_get_user(json_t *, int64_t *);
int64_t	 sbx_get_chat(json_t *);
const char *sbx_get_str(json_t *, const char *);
void	 sbx_do_exec(struct reqctx *);
int	 sbx_dispatch_gateway(struct peer *, struct imsg *);

/* filejob.c */
void	 sbx_file_request(struct reqctx *, enum fileop);

/* control.c */
int	 sbx_dispatch_control(struct peer *, struct imsg *);
void	 sbx_jobs_stop(struct reqctx *);

/* docker.c */
struct uhttp_req;
struct event_base;
struct dresp {
	long		 status;	/* HTTP status, 0 none */
	json_t		*json;		/* parsed body or NULL */
	const char	*err;		/* NULL on 2xx */
	int		 unavailable;	/* the engine could not be reached */
};
typedef void	(*docker_cb)(const struct dresp *, void *);
int	 docker_init(struct event_base *, const char *, void (*)(json_t *));
void	 docker_shutdown(void);
int	 docker_is_up(void);
const char *docker_version(void);
const char *docker_lasterr(void);
struct uhttp_req *docker_call(const char *, const char *, json_t *, long,
	    docker_cb, void *);
struct uhttp_req *docker_stream(const char *, json_t *, long,
	    int (*)(const void *, size_t, void *), void *, docker_cb, void *);
void	 docker_cancel(struct uhttp_req *);

/* image.c: is the configured image there?  (log, STATUS=) */
void	 image_probe(const char *);

/* runtime.c */
void	 runtime_resolve(json_t *);
const char *runtime_name(void);
const char *runtime_error(void);
int	 runtime_gvisor(void);
long long runtime_host_pids(long long);
void	 runtime_status(json_t *);

/* policy.c */
struct polres {
	const char	*decision;	/* allow deny approve soft-delete */
	const char	*rule;
	const char	*category;
	const char	*message;
	long long	 timeout;
	const char	*ticket;	/* approve: the approval ticket */
	json_t		*scripts;	/* files run, texts not carried */
	int		 preliminary;	/* scripts.c asks again */
};
/* res NULL: policyd unreachable (fail closed) */
typedef void	(*policy_cb)(const struct polres *, void *);
int	 sbx_policy_check(uint32_t, json_t *, policy_cb, void *);
int	 sbx_policy_result(uint32_t, json_t *);
void	 sbx_policy_down(void);
json_t	*sbx_policy_refusal(const struct polres *, const char *);

/* scripts.c */
int	 sbx_policy_check_cmd(int64_t, json_t *, policy_cb, void *);

/* box.c */
enum box_state { BOX_NONE, BOX_STARTING, BOX_RUNNING, BOX_REMOVING };
struct boxwait;
struct box {
	RB_ENTRY(box)	 entry;
	int64_t		 user;
	char		 id[72];	/* container id, "" none */
	enum box_state	 state;
	time_t		 last_used;
	int		 nexec;		/* commands in flight */
	int		 port_first;	/* -1 none */
	int		 ws_ready;
	int		 killers;	/* process killers running */
	int		 restarting;	/* kill.c restarts the container */
	time_t		 gv_checked;	/* host tasks last read (monotonic s) */
	int		 gv_asking;	/* and being read now (gVisor) */
	uid_t		 uid;		/* the user's own, 0 until known */
	char		 name[128];	/* Telegram name: the gecos field */
	int		 creating;	/* holds a creation place */
	TAILQ_ENTRY(box) centry;	/* waiting for a creation place */
	int		 cwaiting;
	TAILQ_HEAD(, boxwait) waiters;
	TAILQ_HEAD(, execreq) execs;	/* commands running */
	TAILQ_HEAD(, execreq) held;	/* waiting for the killers */
	TAILQ_HEAD(, reqctx) fileq;	/* file requests waiting their turn */
	int		 filebusy;	/* one of them is being done */
	int		 runner_ok;	/* the container has the runner */
	int		 runner_fails;	/* its runner failed so often */
	struct runner	*runner;	/* attached, or being attached */
	TAILQ_ENTRY(box) lentry;	/* waiting for a place (max-containers) */
	int		 inqueue;
	time_t		 held_until;	/* a place kept for them until */
	int64_t		 slot;		/* its warm pool slot, 0 none */
	int		 pool_born;	/* the container came from the pool */
	int		 slot_dead;	/* a pool slot never to be handed out */
};
RB_HEAD(boxtree, box);
int	 box_cmp(struct box *, struct box *);
RB_PROTOTYPE(boxtree, box, entry, box_cmp)
extern struct boxtree	 boxes;
/* ready: box running (err NULL), or err code and message */
typedef void	(*box_cb)(struct box *, const char *, const char *, void *);
int	 box_init(void);
void	 box_shutdown(void);
struct box *box_get(int64_t, int);
void	 box_ensure(int64_t, box_cb, void *);
void	 box_adopt(void);
void	 box_create_queued(void);
void	 box_lost(struct box *, int);
void	 box_kill(int64_t, box_cb, void *);
int	 box_ws(int64_t, int, struct ws *, struct fserr *);
const char *box_name(int64_t, char *, size_t);
void	 box_reap(void);
uid_t	 box_uid(struct box *);
const char *box_user_spec(struct box *, char *, size_t);
void	 box_set_name(int64_t, const char *);
size_t	 box_active(void);
void	 box_max_init(void);
long long box_max(void);
void	 box_max_note(void);
int	 box_line_init(struct event_base *);
void	 box_line_next(void);
size_t	 box_line_length(void);
size_t	 box_line_place(int64_t);
void	 box_remove_user(int64_t, int, box_cb, void *);
int	 box_create_room(void);
void	 box_start_slot(struct box *, box_cb, void *);

/* warm.c */
void	 warm_init(void);
void	 warm_shutdown(void);
void	 warm_refill(void);
void	 warm_adopted(void);
int	 warm_take(struct box *);
void	 warm_gone(struct box *);
void	 warm_drop_all(const char *);
size_t	 warm_count(void);
void	 warm_status(json_t *);

/* exec.c */
#define EXEC_MAX_COMMAND	12288	/* fits policyd's 16 KiB frames */
struct execreq;
typedef void	(*exec_cb)(json_t *, const char *, json_t *, void *);
void	 sbx_exec_start(int64_t, int64_t, const char *, long long,
	    const char *, exec_cb, void *);

void	 sbx_exec_resume(struct box *);
void	 sbx_exec_restarted(struct box *);
json_t	*sbx_exec_tags(struct box *);
int	 sbx_exec_tag_running(struct box *, const char *);

/* jobs.c */
void	 sbx_jobs_list(struct box *, void (*)(json_t *, const char *, void *),
	    void *);
int	 sbx_jobs_end(struct box *, void (*)(void *), void *);

/* attach.c */
struct attach;
struct attach_cbs {
	void	(*up)(void *);
	void	(*data)(const void *, size_t, void *);
	void	(*down)(int, const char *, void *);	/* eof, why */
};
struct attach *sbx_attach_open(const char *, const char *,
	    const struct attach_cbs *, void *);
int	 sbx_attach_write(struct attach *, const void *, size_t);
size_t	 sbx_attach_errbytes(const struct attach *);
void	 sbx_attach_close(struct attach *);

/* runner.c */
struct runner;
struct runcmd;
struct runner_ops {
	void	(*out)(int, const void *, size_t, void *);
	void	(*exit)(int, const char *, void *);	/* the last call */
	void	(*killed)(int, void *);
};
void	 sbx_runner_init(void);
const char *sbx_runner_path(void);
void	 sbx_runner_attach(struct box *);
void	 sbx_runner_close(struct box *);
void	 sbx_runner_move(struct box *, struct box *);
int	 sbx_runner_ready(struct box *);
int	 sbx_runner_attaching(struct box *);
struct runcmd *sbx_runner_run(struct box *, const char *, const char *,
	    long long, const struct runner_ops *, void *);
uint32_t sbx_runner_id(const struct runcmd *);
int	 sbx_runner_kill(struct runcmd *, json_t *);
void	 sbx_runner_forget(struct runcmd *);
void	 sbx_runner_count_exec(void);
void	 sbx_runner_status(json_t *);

/* kill.c */
/* what the commands a restart ended are told */
#define SBX_RESTARTED_MSG	"the command was ended: its container was " \
	"restarted to stop another command over its time limit"
struct killer;
struct killer *sbx_kill_start(struct box *, json_t *, void (*)(void *),
	    void *);
struct killer *sbx_kill_check(struct box *, void (*)(void *), void *);
void	 sbx_kill_idle(struct box *);
void	 sbx_kill_forget(struct killer *);

/* net.c */
#define SBX_NET_PER_USER	"per-user"
int	 sbx_net_per_user(void);
int	 sbx_net_pool(const char *, uint32_t *, uint32_t *);
const char *sbx_net_name(int64_t, char *, size_t);
const char *sbx_net_bridge(int64_t, char *, size_t);
void	 sbx_net_ensure(struct box *, void (*)(struct box *, const char *,
	    void *), void *);
int	 sbx_net_seal(struct box *, struct fserr *);
int	 sbx_net_noforward(int64_t, struct fserr *);
void	 sbx_net_remove(int64_t);

/* priv.c */
int	 sbx_priv_start(const char *, long long, uid_t, gid_t, uid_t, uid_t);
int	 sbx_priv_active(void);
int	 sbx_priv_call(int, int64_t, struct fserr *);
int	 sbx_priv_call_as(int, int64_t, uid_t, long long, struct fserr *);
int	 sbx_ws_prepare(const char *, long long, int64_t, uid_t, gid_t,
	    struct fserr *);
int	 sbx_ws_release(const char *, int64_t, struct fserr *);
int	 sbx_ws_remove(const char *, int64_t, struct fserr *);
int	 sbx_priv_call_slot(int, int64_t, int64_t, uid_t, long long,
	    struct fserr *);
int	 sbx_pool_ws_prepare(const char *, long long, int64_t, uid_t, gid_t,
	    struct fserr *);
int	 sbx_pool_ws_take(const char *, int64_t, int64_t, struct fserr *);
int	 sbx_pool_ws_drop(const char *, int64_t, struct fserr *);
#define PRIV_PREPARE	1
#define PRIV_RELEASE	2
#define PRIV_REMOVE	3
#define PRIV_NOFORWARD	4
#define PRIV_POOL_PREPARE 5
#define PRIV_POOL_TAKE	6
#define PRIV_POOL_DROP	7

#endif

/*
 * gateway.h - gatewayd(8): the Telegram bot and the ReAct agent.
 *
 * Files, one concern each:
 *   gatewayd.c	main: hooks, confinement, configuration, status
 *   gw.c		the shared state (struct gw)
 *   render.c	Markdown -> Telegram HTML, plain-text fallback
 *   split.c	4096-unit pieces without breaking tags
 *   state.c	atomic, bounded files in the state directory
 *   commit.c	their group commit by a writer thread, off the loop
 *   store.c	history, log, MEMORY.md, SESSION.json, offset, users
 *   inbox.c	accepted messages kept until answered; known users
 *   limits.c	rate limiter and per-user job queue
 *   toolout.c	tool-output truncation
 *   context.c	context trimming, tool-call argument repair
 *   tools.c	tool JSON schemas
 *   rpc.c		requests to proxyd and sandboxd, replies, restarts
 *   tg.c		Telegram calls through proxyd, update polling
 *   bot.c	updates: who is answered, commands, limits
 *   agent.c	the ReAct loop
 *   exec.c	tool dispatch to sandboxd, proxyd or local handlers
 *   upload.c	files into a workspace (uploads, Drive downloads)
 *   approve.c	approvals and ask_user buttons
 *   sched.c	scheduled tasks that survive restarts
 *   extras.c	emoji reactions and group thoughts
 *   access.c	who is served: access modes, pairing codes, admins
 *   budget.c	daily budgets of model tokens and tool calls
 *   admin.c	admin commands in Telegram and topshctl users
 */
#ifndef TOPSH_GATEWAY_H
#define TOPSH_GATEWAY_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define TG_MAXLEN		4096

/* render.c */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 oom;
};
void	 buf_init(struct buf *);
void	 buf_add(struct buf *, const char *, size_t);
void	 buf_puts(struct buf *, const char *);
char	*buf_finish(struct buf *);
void	 html_escape(struct buf *, const char *, size_t, int);
int	 render_url_safe(const char *, size_t);
char	*render_html(const char *);
char	*render_plain(const char *);

/* split.c */
size_t	 utf16_units(const char *, size_t);
char	**split_message(const char *, size_t, int);
void	 split_free(char **);

/* state.c */
int	 state_mkdirs(const char *, const char *);
int	 state_file_write(const char *, const char *, size_t);
int	 state_fsync_dir(const char *);
int	 state_read(const char *, size_t, char **, size_t *);
int	 state_append(const char *, const char *, size_t, size_t);
size_t	 state_keep_tail(const char *, size_t, size_t);
json_t	*state_read_json(const char *, size_t);
int	 state_write_json(const char *, json_t *);
int	 state_write_json_in(int, const char *, json_t *);

/* commit.c */
#define STATE_INBOX	0	/* the inbox and the offset */
#define STATE_BULK	1	/* everything else */
#define STATE_LANES	2
int	 state_write(const char *, const char *, size_t);
int	 state_write_in(int, const char *, const char *, size_t);
int	 state_sync(int, void (*)(void *), void *);
int	 state_flush(void);
size_t	 state_pending(void);
int	 commit_find(const char *, size_t, char **, size_t *);

/* store.c: paths under the gateway's state directory */
struct store {
	char	 dir[512];
	size_t	 history_max;
	size_t	 session_max;
	size_t	 memory_max;
	size_t	 log_max;
};
int	 store_init(struct store *, const char *);
int	 store_history_add(struct store *, int64_t, const char *,
	    const char *);
char	*store_history_tail(struct store *, int64_t, size_t);
int	 store_log(struct store *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
json_t	*store_session_load(struct store *, int64_t, int64_t);
int	 store_session_save(struct store *, int64_t, int64_t, json_t *);
int	 store_session_clear(struct store *, int64_t, int64_t);
char	*store_memory_load(struct store *, int64_t, int64_t);
int	 store_memory_add(struct store *, int64_t, int64_t, const char *);
int	 store_memory_clear(struct store *, int64_t, int64_t);
int64_t	 store_offset_load(struct store *);
int	 store_offset_save(struct store *, int64_t);
json_t	*store_users_load(struct store *);
int	 store_users_save(struct store *, json_t *);
json_t	*store_sched_load(struct store *);
int	 store_sched_save(struct store *, json_t *);
int	 store_path(struct store *, char *, size_t, const char *, ...)
	    __attribute__((__format__(printf, 4, 5)));

/* limits.c */
struct ratelimit {
	double	 tokens;
	double	 last;
};
int	 ratelimit_take(struct ratelimit *, double, long long, double);

struct job;
TAILQ_HEAD(jobq, job);
struct job {
	TAILQ_ENTRY(job)	 entry;
	int64_t			 user;
	void			*arg;
};

struct jobuser {
	RB_ENTRY(jobuser)	 entry;
	int64_t			 user;
	int			 running;
	size_t			 nqueued;
	struct jobq		 queue;
	struct ratelimit	 rl;
	time_t			 warned;
};
RB_HEAD(jobusers, jobuser);

struct jobs {
	struct jobusers		 users;
	size_t			 running;	/* users with a job */
	size_t			 max_queued;
};

enum job_verdict {
	JOB_RUN,		/* start it now */
	JOB_QUEUED,		/* waits for the user's running job */
	JOB_QUEUE_FULL,		/* the user's queue is full */
	JOB_ERROR,
};
void		 jobs_init(struct jobs *, size_t);
enum job_verdict jobs_submit(struct jobs *, int64_t, void *);
/* the user's job finished: the next one to run for that user, or NULL */
void		*jobs_done(struct jobs *, int64_t);
struct jobuser	*jobs_user(struct jobs *, int64_t, int);
size_t		 jobs_queued(struct jobs *, int64_t);
void		 jobs_clear(struct jobs *, void (*)(void *));

/* slots for what costs CPU or money, taken in turn */
struct slotwait {
	TAILQ_ENTRY(slotwait)	 entry;
	void			(*cb)(void *);
	void			*arg;
	int			 waiting;
};
struct slots {
	size_t				 used;
	size_t				 max;
	size_t				 nwait;
	TAILQ_HEAD(, slotwait)		 wait;
};
void	 slots_init(struct slots *, size_t);
int	 slots_take(struct slots *, struct slotwait *, void (*)(void *),
	    void *);
size_t	 slots_ahead(struct slots *, struct slotwait *);
void	 slots_put(struct slots *);
void	 slots_cancel(struct slots *, struct slotwait *);
void	 slots_resize(struct slots *, size_t);

/* toolout.c */
char	*toolout_truncate(const char *, size_t, size_t);

/* context.c */
json_t	*context_trim(json_t *, size_t, size_t);
json_t	*toolargs_repair(const char *, char *, size_t);

/* tools.c */
#define TOOLS_GDRIVE	0x01
#define TOOLS_DM	0x02
#define TOOLS_SEARCH	0x04
/* ask proxyd which optional services have secrets (at its start) */
void	 tools_services(void);
/* the TOOLS_* to offer: configuration and proxyd's services */
int	 tools_features(void);
json_t	*tools_schema(int);
int	 tools_known(const char *);

/* ---- the running daemon ------------------------------------------ */

struct event_base;
struct peer;
struct imsg;
struct conf_gateway;

/* rpc.c */
#define RPC_RETRY	0x01	/* idempotent: resend after a peer restart */
struct rpc_reply {
	uint32_t	 type;
	json_t		*obj;		/* the whole reply */
	json_t		*result;	/* proxyd: result; sandboxd: obj */
	int		 ok;
	const char	*error;
	const char	*code;		/* sandboxd error code, or ours */
	long long	 status;
	long long	 retry_after;
	int		 fd;		/* -1 none */
	int		 fd_taken;	/* set by a callback that keeps fd */
};
typedef void	(*rpc_cb)(struct rpc_reply *, void *);
uint32_t rpc_call(int, uint32_t, json_t *, int, int, rpc_cb, void *);
void	 rpc_cancel(uint32_t);
/* usermsg.c: short texts for chat users; the detail goes to the log */
const char *usermsg_model(const struct rpc_reply *);
const char *usermsg_service(const struct rpc_reply *);
void	 rpc_peer_up(int);
void	 rpc_peer_down(int);
int	 rpc_dispatch(struct peer *, struct imsg *);
size_t	 rpc_pending(void);

/* an incoming message (or a scheduled command) to answer */
struct chatmsg {
	int64_t		 update_id;	/* 0: not from Telegram */
	int64_t		 user;
	int64_t		 chat;
	int64_t		 msgid;
	int		 group;		/* not a private chat */
	char		*username;	/* may be NULL */
	char		*name;
	char		*text;
	char		*file_id;	/* a document or photo sent */
	char		*file_name;
	long long	 file_size;
	int64_t		 inbox_id;	/* key in the inbox */
};
void		 chatmsg_free(struct chatmsg *);
json_t		*chatmsg_json(const struct chatmsg *);
struct chatmsg	*chatmsg_from_json(json_t *);

/* gatewayd.c: the state shared by the files below */
struct gw {
	struct conf_gateway	*conf;
	struct store		 store;
	struct jobs		 jobs;
	struct slots		 llm;		/* model calls in flight */
	json_t			*users;		/* users.json */
	json_t			*inbox;		/* accepted, not finished */
	int64_t			 inbox_next;
	int64_t			 offset;
	char			*botname;	/* without @ */
	int64_t			 botid;
	char			*prompt;	/* system prompt template */
	char			 statedir[512];
	int			 polling;
	int			 started;
	unsigned long long	 handled;
	unsigned long long	 answered;
};
extern struct gw	 gw;
struct event_base	*gw_base(void);
int	 gw_load_prompt(const char *, char **);
void	 gw_inbox_add(struct chatmsg *);
void	 gw_inbox_done(struct chatmsg *);
void	 gw_inbox_replay(void);
void	 gw_inbox_status(struct chatmsg *, int64_t);
void	 gw_users_note(int64_t, const char *, const char *, int64_t);
json_t	*gw_user_find(const char *);

/* tg.c */
typedef void	(*tg_cb)(int, int64_t, const char *, void *);
void	 tg_call(const char *, json_t *, tg_cb, void *);
void	 tg_send(int64_t, const char *, int64_t, json_t *, tg_cb, void *);
void	 tg_edit(int64_t, int64_t, const char *);
void	 tg_call_optional(const char *, json_t *, tg_cb, void *);
void	 tg_status_send(int64_t, const char *, tg_cb, void *);
void	 tg_status_edit(int64_t, int64_t, const char *);
void	 tg_delete(int64_t, int64_t);
void	 tg_react(int64_t, int64_t, const char *);
void	 tg_action(int64_t, const char *);
void	 tg_answer_callback(const char *, const char *);
void	 tg_poll_start(void);
void	 tg_getme(void);
const char *tg_health(void);

/* bot.c */
void	 bot_update(json_t *);
void	 bot_submit(struct chatmsg *, int);
int	 bot_addressed(const char *, const char *, int64_t, int64_t);
int	 bot_command(const char *, const char *, char *, size_t);

/* agent.c */
struct agent;
void	 agent_start(struct chatmsg *);
size_t	 agent_running(void);
void	 agent_cancel_user(int64_t, int64_t);

/* upload.c */
typedef void	(*fetch_cb)(int, const char *, void *);
void	 agent_upload(struct chatmsg *, void (*)(const char *, void *),
	    void *);
void	 fetch_to_workspace(struct chatmsg *, uint32_t, json_t *,
	    const char *, fetch_cb, void *);
char	*b64_encode(const unsigned char *, size_t);
void	 safe_filename(const char *, char *, size_t);

/* exec.c */
typedef void	(*tool_done_cb)(char *, int, void *);
void	 tool_exec(struct chatmsg *, const char *, json_t *, tool_done_cb,
	    void *, void (*)(void *, const char *));

/* approve.c */
typedef void	(*ask_cb)(int, void *);
/* who may press the buttons of a question */
#define ASK_REQUESTER	0x01
#define ASK_ADMIN	0x02
uint32_t approve_ask(struct chatmsg *, const char *, const char **, size_t,
	    long long, const char *, ask_cb, void *);
uint32_t approve_ask_by(struct chatmsg *, const char *, const char **,
	    size_t, long long, const char *, int, ask_cb, void *);
int	 approve_by(const struct chatmsg *);
const char *approve_who(const struct chatmsg *, int, char *, size_t);
int64_t	 approve_presser(uint32_t);
void	 approve_cancel(uint32_t);
int	 approve_callback(json_t *);
json_t	*approve_pending(int64_t);

/* sched.c */
void	 sched_init(void);
char	*sched_tool(struct chatmsg *, json_t *);
json_t	*sched_list(int64_t);

/* access.c */
enum access_verdict {
	ACCESS_OK,		/* serve the message */
	ACCESS_IGNORE,		/* say nothing */
	ACCESS_ANSWERED,	/* a pairing code or a refusal was sent */
};
void		 access_init(void);
enum access_verdict access_check(struct chatmsg *);
int		 access_is_admin(int64_t);
int		 access_is_blocked(int64_t);
int		 access_user_allowed(int64_t);
int		 access_chat_allowed(int64_t);
int		 access_set(const char *, const char *, const char *, int64_t *,
		    char *, size_t);
json_t		*access_list(void);
size_t		 access_count(const char *);
int		 access_conf_check(const struct conf_gateway *, char *, size_t);

/* budget.c */
#define BUDGET_TOKENS	0
#define BUDGET_TOOLS	1
void		 budget_init(void);
long long	 budget_limit(int64_t, int);
long long	 budget_used(int64_t, int);
int		 budget_check(int64_t, int, char *, size_t);
void		 budget_add(int64_t, int, long long);
long long	 budget_usage_tokens(json_t *);
json_t		*budget_today(void);

/* admin.c */
int		 admin_command(struct chatmsg *, const char *);
int		 admin_control(struct peer *, struct imsg *);

/* extras.c */
void	 extras_message(struct chatmsg *, int);
void	 extras_init(void);

#endif

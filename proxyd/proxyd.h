/*
 * proxyd.h - the parts of proxyd(8) shared between its files.
 *
 * proxyd.c      main, peer table, hooks, dispatch of gatewayd requests
 * secrets.c     reading the secrets directory once at start
 * request.c     one gatewayd request: reply, scrubbing, bookkeeping
 * policy.c      asking policyd about network destinations
 * vouch.c       vouching to policyd for who wrote and who pressed
 * netaddr.c     URL host normalisation (numeric IPv4 forms, mapped v6)
 * ownaddr.c     the host's own addresses (netlink), never a destination
 * resolve.c     asynchronous name resolution (evdns)
 * telegram.c    the Telegram Bot API with per-chat pacing and 429s
 * llm.c         the model's /chat/completions with retries
 * search.c      Z.AI web search
 * fetch.c       fetch_page: SSRF-safe fetching, redirects by hand
 * gdrive.c      Google Drive OAuth and files
 * gdrive_state.c the OAuth state nonces of Drive linking
 * redact.c      proxyd -R: stdin to stdout through DLP
 * scrub.c       the parts of secret URLs in error texts and log lines
 * tokenize.c    dlp tokenize: placeholder maps per chat, restoring
 * egress.c      the egress proxy child (proxyd -E, own user, no secret)
 * egress_head.c the egress proxy's request-head parser (fuzzed)
 */
#ifndef PROXYD_H
#define PROXYD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

struct dlp;
struct httpc;
struct topsh_conf;

#define SECRET_MAX		(64 * 1024)

struct secrets {
	char		*telegram_token;
	char		*llm_base_url;
	char		*llm_api_key;
	char		*zai_api_key;
	char		*gdrive_client_id;	/* optional */
	char		*gdrive_client_secret;	/* optional */
	char		 dir[1024];		/* where they were read */
};

struct proxyd_stats {
	unsigned long long	 requests;
	unsigned long long	 failed;
	unsigned long long	 redactions;
	unsigned long long	 restored;	/* placeholders put back */
	unsigned long long	 tg_429;
	unsigned long long	 llm_retries;
	unsigned long long	 fetch_denied;
};

struct proxyd_env {
	struct event_base	*base;
	struct httpc		*httpc;
	struct dlp		*dlp;		/* everything leaving */
	struct dlp		*scrub;		/* secrets only, for replies */
	struct secrets		 sec;
	struct evdns_base	*dns;
	struct proxyd_stats	 stats;
	char			 statedir[1024];	/* proxyd's own */
	pid_t			 egress_pid;
	int			 egress_up;
	int			 dlp_ready;	/* see dlpstart.c */
};
extern struct proxyd_env *env;

/* one request from gatewayd */
struct preq;
typedef void	(*preq_cancel_cb)(struct preq *);

struct preq {
	TAILQ_ENTRY(preq)	 entry;
	TAILQ_ENTRY(preq)	 wentry;	/* waiting for DLP */
	uint32_t		 serial;	/* of the gatewayd peer */
	uint32_t		 reqid;
	uint32_t		 type;
	json_t			*msg;
	int			 fd;		/* passed fd or -1 */
	long long		 user;
	void			*ctx;		/* the handler's state */
	preq_cancel_cb		 cancel;	/* frees ctx */
};

/* request.c */
struct preq	*preq_new(uint32_t, uint32_t, uint32_t, json_t *, int);
void		 preq_reply(struct preq *, int, long, long, const char *,
		    json_t *);
/* all of a streamed body into fd; 0, or -1 with errno in *failed */
int		 preq_write_fd(int, const void *, size_t, long long *, int *);
void		 preq_fail(struct preq *, long, long, const char *, ...)
		    __attribute__((__format__(printf, 4, 5)));
void		 preq_ok(struct preq *, json_t *);
void		 preq_cancel_all(void);
int		 preq_count(void);
const char	*preq_name(uint32_t);
/* DLP on a copy of a JSON value leaving proxyd, keys in skip untouched */
int		 proxyd_redact_json(json_t *, const char *const *);
char		*proxyd_scrub(const char *);

/* secrets.c */
int		 secrets_load(const char *, struct secrets *, char *,
		    size_t);
int		 secrets_register(const struct secrets *, struct dlp *);
void		 secrets_clear(struct secrets *);
const char	*secrets_dir(const struct topsh_conf *);
void		 secrets_services(struct preq *);

/* probe.c: topshctl check's getMe and GET /models */
struct peer;
int		 probe_start(struct peer *, uint32_t);

/* scrub.c */
void		 scrub_init(const struct secrets *);
void		 scrub_clear(void);
char		*scrub_text(const char *);

/* netaddr.c */
#define NETADDR_NAME	0
#define NETADDR_V4	4
#define NETADDR_V6	6
/* normalise a URL host: 0 ok (kind and canonical text), -1 invalid */
int		 netaddr_host(const char *, int *, char *, size_t);
/* canonical text of an address, v4-mapped v6 shown as v4 */
int		 netaddr_canon(const struct sockaddr *, char *, size_t);

/* ownaddr.c */
int		 ownaddr_is(const char *);

/* resolve.c */
typedef void	(*resolve_cb)(int, char **, size_t, const char *, void *);
struct resolve;
struct resolve	*resolve_start(struct evdns_base *, const char *,
		    resolve_cb, void *);
void		 resolve_cancel(struct resolve *);

/* policy.c: ask policyd about one network destination */
typedef void	(*policy_cb)(int, const char *, void *);
struct policy_q;
struct policy_q	*policy_check_net(long long, const char *, const char *,
		    int, policy_cb, void *);
struct policy_q	*policy_ask(uint32_t, json_t *, int, policy_cb, void *);
void		 policy_cancel(struct policy_q *);
int		 policy_result(uint32_t, json_t *);
void		 policy_down(void);

/* vouch.c: who wrote and who pressed, as Telegram's updates say */
void		 vouch_updates(struct preq *, json_t *);
void		 vouch_replay(void);
int		 vouch_user(long long);
int		 vouch_private(long long);
int		 vouch_check(struct preq *);

/* telegram.c */
void		 telegram_call(struct preq *);
void		 telegram_updates(struct preq *);
void		 telegram_download(struct preq *);

/* llm.c */
void		 llm_chat(struct preq *);

/* search.c */
void		 search_web(struct preq *);

/* fetch.c */
void		 fetch_page(struct preq *);

/* gdrive.c */
void		 gdrive_request(struct preq *);

/* gdrive_state.c */
#define GDSTATE_TTL	600	/* seconds a consent URL may be used */
#define GDSTATE_OK	0
#define GDSTATE_UNKNOWN	(-1)
#define GDSTATE_OTHER	(-2)
int		 gdstate_new(long long, char *, size_t);
int		 gdstate_take(long long, const char *);

/* proxyd.c */
void		 proxyd_route(struct preq *);

/* redact.c: the DLP set-up of topsh.conf; prepare: build it now */
int		 proxyd_dlp_setup(struct topsh_conf *, struct dlp *, int,
		    char *, size_t);

/* dlpstart.c: the DLP databases built while proxyd starts serving */
int		 dlpstart_begin(struct topsh_conf *);
int		 dlpstart_wait(struct preq *);
void		 dlpstart_replaced(void);

/* tokenize.c: dlp tokenize, one placeholder map per chat */
#define TOKEN_CHATS	4096		/* maps kept at most */
#define TOKEN_VALUES	1024		/* values per map at most */
struct dlp_tokens;
struct dlp_tokens *tokenize_chat(long long);
struct dlp_tokens *tokenize_find(long long);
int		 tokenize_restore(struct dlp_tokens *, json_t *);
void		 tokenize_clear(void);
size_t		 tokenize_chats(void);

/* redact.c */
int		 redact_stdio(struct topsh_conf *);

/* egress.c */
int		 egress_main(struct topsh_conf *);
pid_t		 egress_spawn(struct topsh_conf *, char **);

/* egress_head.c */
struct eg_head {
	int		 is_connect;
	char		*host;		/* as written, not yet normalised */
	int		 port;
	char		*head;		/* plain: rewritten request head */
	size_t		 headlen;
};
int		 egress_head_parse(const char *, size_t, struct eg_head *,
		    const char **);
void		 egress_head_free(struct eg_head *);

/* json helpers (request.c) */
long long	 json_int_or(json_t *, const char *, long long);
const char	*json_str_or(json_t *, const char *, const char *);

#endif

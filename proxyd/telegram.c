/*
 * telegram.c - the Telegram Bot API on behalf of gatewayd.
 *
 * Any method is called as POST {telegram-url}/bot<token>/<method> with a
 * JSON body, or a multipart body when gatewayd passed a file to upload.
 * Every text leaving passes DLP (identifier fields such as file_id are
 * left alone).  Calls that post into a chat go one at a time, in the
 * order gatewayd made them, and are paced per chat by a token bucket
 * (telegram-chat-burst calls at once, then one per
 * telegram-chat-interval; groups no faster than one per
 * TG_GROUP_INTERVAL); a 429 answer pushes that chat's (or, for
 * calls without a chat, every call's) next slot out by retry_after and
 * the call is retried, up to TG_429_RETRIES times when retry_after is at
 * most TG_429_WAIT_MAX seconds; otherwise gatewayd gets ok false with
 * retry_after.  A 502, 503 or 504 (a gateway in front of the Bot API
 * failed; the call did not get through) is retried TG_GW_RETRIES times.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "dlp.h"
#include "httpc.h"
#include "log.h"
#include "topsh.h"
#include "proxyd.h"

#define TG_TIMEOUT		60	/* seconds, ordinary calls */
#define TG_POLL_DEFAULT		30
#define TG_POLL_MAX		120
#define TG_429_RETRIES		2
#define TG_429_WAIT_MAX		30
#define TG_GW_RETRIES		2	/* 502/503/504 from a gateway */
#define TG_UPLOAD_MAX		(50LL * 1024 * 1024)
#define TG_DOWNLOAD_MAX		(2000LL * 1024 * 1024)
#define TG_MAXCHATS		4096
#define TG_GROUP_INTERVAL	3.0	/* 20 messages a minute in a group */

struct tg_ctx;
struct tg_chat {
	RB_ENTRY(tg_chat)	 entry;
	char			 id[64];
	double			 next;	/* monotonic time of the last slot */
	double			 blocked;	/* until then, after a 429 */
	double			 tokens;	/* the bucket, at time next */
	int			 filled;	/* tokens set */
	struct tg_ctx		*owner;	/* the paced call under way */
	TAILQ_HEAD(, tg_ctx)	 waiting;	/* paced calls behind it */
};
RB_HEAD(tg_chats, tg_chat);

static int	chat_cmp(struct tg_chat *, struct tg_chat *);
RB_PROTOTYPE(tg_chats, tg_chat, entry, chat_cmp)
RB_GENERATE(tg_chats, tg_chat, entry, chat_cmp)

static struct tg_chats	 chats = RB_INITIALIZER(&chats);
static size_t		 nchats;
static double		 global_next;	/* after a 429 without a chat */
#define TG_GLOBAL_PER_SEC	30	/* messages a second in all */
/* optional calls (status messages) only while fewer than this go a second */
#define TG_OPTIONAL_PER_SEC	20
static double		 slots[TG_GLOBAL_PER_SEC * 8];	/* reserved sends */
static size_t		 nslots;

enum tg_stage { TG_CALL, TG_GETFILE, TG_FETCH };

struct tg_ctx {
	struct preq		*r;
	enum tg_stage		 stage;
	struct httpc_req	*http;
	struct event		*timer;
	char			 method[65];
	char			 chat[64];
	int			 paced;
	int			 optional;	/* a status message: may be skipped */
	struct tg_chat		*inchat;	/* waiting in or owning it */
	TAILQ_ENTRY(tg_ctx)	 wentry;
	int			 attempts;
	json_t			*params;
	curl_mime		*mime;
	char			*file;
	size_t			 filelen;
	long			 timeout;
	/* download */
	long long		 max;
	long long		 written;
	char			*file_path;
	long long		 file_size;
	int			 write_failed;
};

/* identifiers that DLP must not touch */
static const char *const tg_skip[] = {
	"chat_id", "message_id", "from_chat_id", "file_id", "document",
	"photo", "callback_query_id", "inline_message_id", "reaction",
	"reply_to_message_id", "message_thread_id", "offset",
	"allowed_updates", "parse_mode", NULL
};

static void	tg_send(evutil_socket_t, short, void *);
static void	tg_schedule(struct tg_ctx *);
static int	fetch_data(const void *, size_t, void *);
static void	tg_done(struct httpc_req *, const struct httpc_res *, void *);

static int
chat_cmp(struct tg_chat *a, struct tg_chat *b)
{
	return (strcmp(a->id, b->id));
}

static double
now_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static struct tg_chat *
chat_get(const char *id)
{
	struct tg_chat	 key, *c, *n;
	double		 now = now_mono();

	strlcpy(key.id, id, sizeof(key.id));
	if ((c = RB_FIND(tg_chats, &chats, &key)) != NULL)
		return (c);
	if (nchats >= TG_MAXCHATS) {
		/* forget chats whose slot has long passed */
		for (c = RB_MIN(tg_chats, &chats); c != NULL; c = n) {
			n = RB_NEXT(tg_chats, &chats, c);
			if (c->next < now - 60 && c->blocked < now - 60 &&
			    c->owner == NULL && TAILQ_EMPTY(&c->waiting)) {
				RB_REMOVE(tg_chats, &chats, c);
				free(c);
				nchats--;
			}
		}
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	strlcpy(c->id, id, sizeof(c->id));
	TAILQ_INIT(&c->waiting);
	RB_INSERT(tg_chats, &chats, c);
	nchats++;
	return (c);
}

static int
method_paced(const char *m)
{
	if (strcmp(m, "sendChatAction") == 0)
		return (0);
	return (strncmp(m, "send", 4) == 0 || strncmp(m, "edit", 4) == 0 ||
	    strcmp(m, "copyMessage") == 0 ||
	    strcmp(m, "forwardMessage") == 0);
}

/* the first time from at with fewer than 30 sends in the second before */
static double
global_slot(double now, double at)
{
	size_t	 i, j, n;

	for (i = j = 0; i < nslots; i++)
		if (slots[i] >= now - 1)
			slots[j++] = slots[i];
	nslots = j;
	for (;;) {
		for (i = n = 0; i < nslots; i++)
			if (slots[i] > at - 1 && slots[i] <= at)
				n++;
		if (n < TG_GLOBAL_PER_SEC)
			break;
		at += 1.0 / TG_GLOBAL_PER_SEC;
	}
	if (nslots < sizeof(slots) / sizeof(slots[0]))
		slots[nslots++] = at;
	return (at);
}

/* seconds per token in c's chat: at least TG_GROUP_INTERVAL in a group */
static double
chat_interval(const struct tg_ctx *c)
{
	double	 interval = topsh_conf->proxy.telegram_interval;

	if (interval > 0 && c->chat[0] == '-' && interval < TG_GROUP_INTERVAL)
		interval = TG_GROUP_INTERVAL;
	return (interval);
}

/*
 * An optional call (a status message or its edit) is skipped rather
 * than queued when Telegram's limits are busy: when TG_OPTIONAL_PER_SEC
 * sends went or are due in the second around now (a third of the
 * global budget stays for answers), or when its chat's bucket would be
 * left without a token for the answer that follows.  What the user
 * waits for never queues behind a notice about it.
 */
static int
optional_unwelcome(struct tg_ctx *c)
{
	struct tg_chat	*ch = c->inchat;
	double		 now = now_mono(), tokens, interval;
	size_t		 i, n;

	if (!c->optional || !c->paced)
		return (0);
	for (i = n = 0; i < nslots; i++)
		if (slots[i] > now - 1 && slots[i] <= now + 1)
			n++;
	if (n >= TG_OPTIONAL_PER_SEC || global_next > now)
		return (1);
	interval = chat_interval(c);
	if (ch == NULL || !ch->filled || interval <= 0)
		return (0);
	if (ch->blocked > now)
		return (1);
	tokens = ch->tokens;
	if (now > ch->next)
		tokens += (now - ch->next) / interval;
	else
		tokens -= (ch->next - now) / interval;
	return (tokens < 2);
}

/*
 * Seconds to wait before this call may go, reserving its slot.  A chat
 * has a bucket of telegram-chat-burst tokens that refills by one each
 * telegram-chat-interval (each TG_GROUP_INTERVAL at most in a group,
 * whose chat id is negative): a short burst such as a status message
 * and the answer goes at once, a sustained flow at Telegram's one
 * message a second; and no more than 30 a second go in all, as
 * Telegram asks of bots.  An interval of 0 turns pacing off (429s are
 * still obeyed).
 */
static double
pace(struct tg_ctx *c)
{
	struct tg_chat	*ch = NULL;
	double		 now = now_mono(), at, interval, burst;

	interval = chat_interval(c);
	burst = (double)topsh_conf->proxy.telegram_burst;
	at = global_next > now ? global_next : now;
	if (c->chat[0] != '\0' && (ch = chat_get(c->chat)) != NULL &&
	    ch->blocked > at)
		at = ch->blocked;
	if (!c->paced || interval <= 0)
		return (at - now);
	if (ch != NULL) {
		if (burst < 1)
			burst = 1;
		if (!ch->filled) {
			ch->tokens = burst;
			ch->next = at;
			ch->filled = 1;
		}
		if (at > ch->next) {
			ch->tokens += (at - ch->next) / interval;
			if (ch->tokens > burst)
				ch->tokens = burst;
		} else
			at = ch->next;
		if (ch->tokens < 1) {
			at += (1 - ch->tokens) * interval;
			ch->tokens = 1;
		}
		ch->tokens -= 1;
		ch->next = at;
	}
	at = global_slot(now, at);
	if (ch != NULL && at > ch->next)
		ch->next = at;
	return (at - now);
}

/* the chat's next paced call may go: the one under way is over */
static void
chat_release(struct tg_ctx *c)
{
	struct tg_chat	*ch = c->inchat;
	struct tg_ctx	*n;

	if (ch == NULL)
		return;
	c->inchat = NULL;
	if (ch->owner != c) {
		TAILQ_REMOVE(&ch->waiting, c, wentry);
		return;
	}
	ch->owner = NULL;
	if ((n = TAILQ_FIRST(&ch->waiting)) != NULL) {
		TAILQ_REMOVE(&ch->waiting, n, wentry);
		ch->owner = n;
		tg_schedule(n);
	}
}

static void
backoff(struct tg_ctx *c, long secs)
{
	struct tg_chat	*ch;
	double		 until = now_mono() + secs;

	if (c->chat[0] != '\0' && (ch = chat_get(c->chat)) != NULL) {
		if (ch->blocked < until)
			ch->blocked = until;
	} else if (global_next < until)
		global_next = until;
}

static void
tg_cancel(struct preq *r)
{
	struct tg_ctx	*c = r->ctx;

	if (c == NULL)
		return;
	chat_release(c);
	if (c->http != NULL)
		httpc_req_cancel(c->http);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->mime != NULL)
		curl_mime_free(c->mime);
	json_decref(c->params);
	free(c->file);
	free(c->file_path);
	free(c);
	r->ctx = NULL;
}

static struct tg_ctx *
tg_ctx_new(struct preq *r)
{
	struct tg_ctx	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->r = r;
	c->timeout = TG_TIMEOUT;
	if ((c->timer = evtimer_new(env->base, tg_send, c)) == NULL) {
		free(c);
		return (NULL);
	}
	r->ctx = c;
	r->cancel = tg_cancel;
	return (c);
}

static int
method_valid(const char *m)
{
	size_t	 i;

	if (m == NULL || m[0] == '\0' || strlen(m) > 64)
		return (0);
	for (i = 0; m[i] != '\0'; i++)
		if (!isalnum((unsigned char)m[i]))
			return (0);
	return (1);
}

static int
tg_url(char *buf, size_t len, const char *what, const char *path)
{
	return ((size_t)snprintf(buf, len, "%s/%sbot%s/%s",
	    topsh_conf->proxy.telegram_url, what,
	    env->sec.telegram_token, path) >= len ? -1 : 0);
}

/* read the upload (a file from sandboxd) into memory */
static int
read_upload(struct tg_ctx *c, int fd)
{
	struct stat	 st;
	size_t		 cap = 65536;
	ssize_t		 n;
	char		*nb;
	unsigned int	 nfound;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (st.st_size > TG_UPLOAD_MAX)
			return (-1);
		cap = st.st_size + 1;
	}
	if ((c->file = malloc(cap)) == NULL)
		return (-1);
	for (;;) {
		if (c->filelen == cap) {
			if (cap >= TG_UPLOAD_MAX)
				return (-1);
			if ((nb = realloc(c->file, cap * 2)) == NULL)
				return (-1);
			c->file = nb;
			cap *= 2;
		}
		n = read(fd, c->file + c->filelen, cap - c->filelen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0)
			break;
		c->filelen += n;
	}
	/* no file leaves with one of proxyd's secrets in it */
	if (env->scrub != NULL) {
		if ((nb = dlp_redact(env->scrub, c->file, c->filelen, &cap,
		    &nfound)) == NULL)
			return (-1);
		if (nfound > 0) {
			log_warnx("telegram: a secret in an upload was "
			    "replaced");
			free(c->file);
			c->file = nb;
			c->filelen = cap;
		} else
			free(nb);
	}
	return (0);
}

static int
build_mime(struct tg_ctx *c, CURL *easy)
{
	curl_mimepart	*part;
	const char	*k, *field, *fname, *ctype;
	json_t		*v;
	char		*s;

	if ((c->mime = curl_mime_init(easy)) == NULL)
		return (-1);
	json_object_foreach(c->params, k, v) {
		if ((part = curl_mime_addpart(c->mime)) == NULL)
			return (-1);
		curl_mime_name(part, k);
		if (json_is_string(v))
			curl_mime_data(part, json_string_value(v),
			    json_string_length(v));
		else {
			if ((s = json_dumps(v, JSON_COMPACT |
			    JSON_ENCODE_ANY)) == NULL)
				return (-1);
			curl_mime_data(part, s, CURL_ZERO_TERMINATED);
			free(s);
		}
	}
	field = json_str_or(c->r->msg, "file_field", "document");
	fname = json_str_or(c->r->msg, "filename", "file");
	ctype = json_str_or(c->r->msg, "content_type",
	    "application/octet-stream");
	if ((part = curl_mime_addpart(c->mime)) == NULL)
		return (-1);
	curl_mime_name(part, field);
	curl_mime_filename(part, fname);
	curl_mime_type(part, ctype);
	curl_mime_data(part, c->file, c->filelen);
	curl_easy_setopt(easy, CURLOPT_MIMEPOST, c->mime);
	return (0);
}

static void
tg_schedule(struct tg_ctx *c)
{
	struct timeval	 tv;
	double		 d;

	if (optional_unwelcome(c)) {
		log_debug("telegram %s: optional, skipped while the limits "
		    "are busy", c->method);
		preq_fail(c->r, 0, 0, "telegram: %s skipped (optional, "
		    "Telegram's limits are busy)", c->method);
		return;
	}
	d = pace(c);
	if (d < 0)
		d = 0;
	tv.tv_sec = (long)d;
	tv.tv_usec = (long)((d - tv.tv_sec) * 1e6);
	evtimer_add(c->timer, &tv);
}

static void
tg_send(evutil_socket_t fd, short ev, void *arg)
{
	struct tg_ctx	*c = arg;
	struct httpc_req *h;
	char		 url[4096];
	char		*body = NULL;
	int		 rv;

	c->attempts++;
	if (c->stage == TG_FETCH)
		rv = tg_url(url, sizeof(url), "file/", c->file_path);
	else
		rv = tg_url(url, sizeof(url), "", c->method);
	if (rv == -1) {
		preq_fail(c->r, 0, 0, "telegram: URL too long");
		return;
	}
	if ((h = httpc_req_new(env->httpc, c->stage == TG_FETCH ? "GET" :
	    "POST", url)) == NULL) {
		preq_fail(c->r, 0, 0, "telegram: out of memory");
		return;
	}
	httpc_req_timeout(h, c->timeout * 1000);
	httpc_req_connect_timeout(h, 15000);
	if (c->stage == TG_FETCH) {
		httpc_req_maxbytes(h, c->max);
		httpc_req_stream(h, fetch_data, c);
	} else if (c->file != NULL || c->r->fd != -1) {
		if (c->mime != NULL) {
			curl_mime_free(c->mime);
			c->mime = NULL;
		}
		if (build_mime(c, httpc_req_easy(h)) == -1) {
			httpc_req_free(h);
			preq_fail(c->r, 0, 0, "telegram: cannot build upload");
			return;
		}
	} else {
		if ((body = json_dumps(c->params, JSON_COMPACT)) == NULL ||
		    httpc_req_body(h, body, strlen(body),
		    "application/json") == -1) {
			free(body);
			httpc_req_free(h);
			preq_fail(c->r, 0, 0, "telegram: out of memory");
			return;
		}
		free(body);
	}
	c->http = h;
	if (httpc_req_start(h, tg_done, c) == -1) {
		c->http = NULL;
		preq_fail(c->r, 0, 0, "telegram: cannot start the request");
	}
}

static int
fetch_data(const void *data, size_t len, void *arg)
{
	struct tg_ctx	*c = arg;

	return (preq_write_fd(c->r->fd, data, len, &c->written,
	    &c->write_failed));
}

static void
tg_fetch_start(struct tg_ctx *c, json_t *result)
{
	const char	*path;

	path = json_str_or(result, "file_path", NULL);
	c->file_size = json_int_or(result, "file_size", -1);
	if (path == NULL || strstr(path, "..") != NULL) {
		preq_fail(c->r, 0, 0, "telegram: getFile gave no file path");
		return;
	}
	if (c->file_size > c->max) {
		preq_fail(c->r, 0, 0, "file too large (%lld bytes, limit "
		    "%lld)", c->file_size, c->max);
		return;
	}
	if ((c->file_path = strdup(path)) == NULL) {
		preq_fail(c->r, 0, 0, "telegram: out of memory");
		return;
	}
	c->stage = TG_FETCH;
	c->attempts = 0;
	tg_send(-1, 0, c);
}

static void
tg_fetch_done(struct tg_ctx *c, const struct httpc_res *res)
{
	json_t	*o;

	if (res->truncated) {
		preq_fail(c->r, res->status, 0, "file too large (limit %lld)",
		    c->max);
		return;
	}
	if (c->write_failed) {
		preq_fail(c->r, 0, 0, "cannot write the file: %s",
		    strerror(c->write_failed));
		return;
	}
	if (res->err != CURLE_OK) {
		preq_fail(c->r, 0, 0, "telegram: download failed: %s",
		    res->errmsg);
		return;
	}
	if (res->status != 200) {
		preq_fail(c->r, res->status, 0, "telegram: download failed "
		    "(HTTP %ld)", res->status);
		return;
	}
	o = json_pack("{s:s, s:I, s:I}", "file_path", c->file_path,
	    "file_size", (json_int_t)c->file_size,
	    "bytes", (json_int_t)c->written);
	preq_ok(c->r, o);
}

/*
 * A gateway in front of the Bot API failed (HTTP 502, 503 or 504): the
 * call did not get through, so it is sent again after 1, then 2 seconds
 * rather than losing a reply.  getUpdates is left to gatewayd's own
 * polling.  1 when the call was rescheduled.
 */
static int
tg_retry_gateway(struct tg_ctx *c, long status)
{
	if ((status != 502 && status != 503 && status != 504) ||
	    c->stage == TG_FETCH || strcmp(c->method, "getUpdates") == 0 ||
	    c->attempts > TG_GW_RETRIES)
		return (0);
	log_info("telegram: %s: HTTP %ld from the Bot API, again in %ds",
	    c->method, status, c->attempts);
	backoff(c, c->attempts);
	tg_schedule(c);
	return (1);
}

static void
tg_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct tg_ctx	*c = arg;
	json_t		*o, *result, *params;
	json_error_t	 jerr;
	const char	*desc;
	long		 code, retry;

	c->http = NULL;
	if (c->stage == TG_FETCH) {
		tg_fetch_done(c, res);
		return;
	}
	if (res->err != CURLE_OK) {
		preq_fail(c->r, 0, 0, "telegram: %s: %s", c->method,
		    res->errmsg);
		return;
	}
	o = json_loadb(res->body, res->bodylen, 0, &jerr);
	if ((o == NULL || !json_is_object(o) || !json_is_true(json_object_get(
	    o, "ok"))) && tg_retry_gateway(c, res->status)) {
		json_decref(o);
		return;
	}
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		preq_fail(c->r, res->status, res->retry_after,
		    "telegram: %s: invalid response (HTTP %ld)", c->method,
		    res->status);
		return;
	}
	if (json_is_true(json_object_get(o, "ok")) && res->status == 200) {
		result = json_object_get(o, "result");
		if (c->stage == TG_GETFILE) {
			tg_fetch_start(c, result);
			json_decref(o);
			return;
		}
		if (strcmp(c->method, "getUpdates") == 0)
			vouch_updates(c->r, json_incref(result != NULL ?
			    result : json_null()));
		else
			preq_ok(c->r, json_incref(result != NULL ? result :
			    json_null()));
		json_decref(o);
		return;
	}
	code = json_int_or(o, "error_code", res->status);
	params = json_object_get(o, "parameters");
	retry = json_int_or(params, "retry_after", res->retry_after);
	if ((desc = json_str_or(o, "description", NULL)) == NULL)
		desc = json_str_or(o, "message", "no description");
	if (code == 429) {
		env->stats.tg_429++;
		if (retry <= 0)
			retry = 1;
		backoff(c, retry);
		log_info("telegram: %s: rate limited%s%s, retry after %lds",
		    c->method, c->chat[0] ? " in chat " : "", c->chat, retry);
		if (c->attempts <= TG_429_RETRIES && retry <= TG_429_WAIT_MAX) {
			json_decref(o);
			tg_schedule(c);
			return;
		}
	}
	preq_reply(c->r, 0, code, code == 429 ? retry : 0, desc, NULL);
	json_decref(o);
}

static void
chat_key(struct tg_ctx *c, json_t *params)
{
	json_t	*v;

	if ((v = json_object_get(params, "chat_id")) == NULL)
		return;
	if (json_is_integer(v))
		snprintf(c->chat, sizeof(c->chat), "%lld",
		    (long long)json_integer_value(v));
	else if (json_is_string(v))
		strlcpy(c->chat, json_string_value(v), sizeof(c->chat));
}

void
telegram_call(struct preq *r)
{
	struct tg_ctx	*c;
	const char	*method;
	json_t		*params;

	method = json_str_or(r->msg, "method", NULL);
	if (!method_valid(method)) {
		preq_fail(r, 0, 0, "telegram: invalid method name");
		return;
	}
	params = json_object_get(r->msg, "params");
	if (params != NULL && !json_is_object(params)) {
		preq_fail(r, 0, 0, "telegram: params must be an object");
		return;
	}
	if ((c = tg_ctx_new(r)) == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	strlcpy(c->method, method, sizeof(c->method));
	c->params = params != NULL ? json_deep_copy(params) : json_object();
	if (c->params == NULL || proxyd_redact_json(c->params, tg_skip) < 0) {
		preq_fail(r, 0, 0, "telegram: cannot redact the call");
		return;
	}
	if (r->fd != -1 && read_upload(c, r->fd) == -1) {
		preq_fail(r, 0, 0, "telegram: cannot read the upload (at most "
		    "%lld bytes)", TG_UPLOAD_MAX);
		return;
	}
	chat_key(c, c->params);
	c->paced = method_paced(method);
	c->optional = json_is_true(json_object_get(r->msg, "optional"));
	if (c->paced && c->chat[0] != '\0' &&
	    (c->inchat = chat_get(c->chat)) != NULL) {
		/* one paced call at a time in a chat, in order */
		if (c->inchat->owner != NULL) {
			TAILQ_INSERT_TAIL(&c->inchat->waiting, c, wentry);
			return;
		}
		c->inchat->owner = c;
	}
	tg_schedule(c);
}

void
telegram_updates(struct preq *r)
{
	struct tg_ctx	*c;
	json_t		*v;
	long long	 timeout;

	if ((c = tg_ctx_new(r)) == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	strlcpy(c->method, "getUpdates", sizeof(c->method));
	timeout = json_int_or(r->msg, "timeout", TG_POLL_DEFAULT);
	if (timeout < 0 || timeout > TG_POLL_MAX)
		timeout = TG_POLL_DEFAULT;
	c->timeout = timeout + 15;
	c->params = json_pack("{s:I}", "timeout", (json_int_t)timeout);
	if (c->params == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	if ((v = json_object_get(r->msg, "offset")) != NULL &&
	    json_is_integer(v))
		json_object_set(c->params, "offset", v);
	if ((v = json_object_get(r->msg, "limit")) != NULL &&
	    json_is_integer(v))
		json_object_set(c->params, "limit", v);
	if ((v = json_object_get(r->msg, "allowed_updates")) != NULL &&
	    json_is_array(v))
		json_object_set(c->params, "allowed_updates", v);
	tg_schedule(c);
}

void
telegram_download(struct preq *r)
{
	struct tg_ctx	*c;
	const char	*file_id;

	if (r->fd == -1) {
		preq_fail(r, 0, 0, "telegram: download needs a file "
		    "descriptor");
		return;
	}
	if ((file_id = json_str_or(r->msg, "file_id", NULL)) == NULL) {
		preq_fail(r, 0, 0, "telegram: file_id missing");
		return;
	}
	if ((c = tg_ctx_new(r)) == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	c->stage = TG_GETFILE;
	strlcpy(c->method, "getFile", sizeof(c->method));
	c->max = json_int_or(r->msg, "max_bytes", 20LL * 1024 * 1024);
	if (c->max <= 0 || c->max > TG_DOWNLOAD_MAX)
		c->max = TG_DOWNLOAD_MAX;
	if ((c->params = json_pack("{s:s}", "file_id", file_id)) == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	tg_schedule(c);
}

/*
 * llm.c - the model: POST {llm_base_url}/chat/completions, OpenAI style,
 * with tools.
 *
 * The request body from gatewayd passes DLP as a whole (every string in
 * it: messages, tool results, tool descriptions) and is sent without
 * streaming.  With dlp tokenize, values go to the model as placeholders
 * of the chat's map (tokenize.c) and the answer's placeholders are put
 * back before it goes to gatewayd.  Transport errors, timeouts, 429 and 5xx answers are
 * retried up to llm-retries times, waiting Retry-After (at most
 * LLM_WAIT_MAX seconds) or 1, 2, 4... seconds; everything else is
 * mapped to a readable error.  The provider's answer goes back whole.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define LLM_WAIT_MAX		30
#define LLM_RESPONSE_MAX	(6 * 1024 * 1024)

struct llm_ctx {
	struct preq		*r;
	struct httpc_req	*http;
	struct event		*timer;
	char			*body;
	size_t			 bodylen;
	long			 timeout;
	int			 attempts;
	long			 last_status;
	char			 last_error[256];
	int			 tokenize;	/* dlp tokenize */
	int			 has_chat;
	long long		 chat;
	struct dlp_tokens	*own;		/* no chat: this request's */
};

static void	llm_send(evutil_socket_t, short, void *);

static void
llm_cancel(struct preq *r)
{
	struct llm_ctx	*c = r->ctx;

	if (c == NULL)
		return;
	if (c->http != NULL)
		httpc_req_cancel(c->http);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->body != NULL)
		freezero(c->body, c->bodylen);
	dlp_tokens_free(c->own);
	free(c);
	r->ctx = NULL;
}

/* the provider's own words, when it gave any */
static void
provider_message(const struct httpc_res *res, char *buf, size_t len)
{
	json_t		*o, *e;
	json_error_t	 jerr;
	const char	*m = NULL;

	buf[0] = '\0';
	if (res->body == NULL ||
	    (o = json_loadb(res->body, res->bodylen, 0, &jerr)) == NULL)
		return;
	e = json_object_get(o, "error");
	if (json_is_string(e))
		m = json_string_value(e);
	else if (json_is_object(e))
		m = json_str_or(e, "message", NULL);
	if (m == NULL)
		m = json_str_or(o, "message", NULL);
	if (m != NULL)
		snprintf(buf, len, ": %s", m);
	json_decref(o);
}

static int
retryable(const struct httpc_res *res)
{
	if (res->err != CURLE_OK)
		return (1);
	return (res->status == 429 || res->status >= 500);
}

static void
llm_retry(struct llm_ctx *c, long wait)
{
	struct timeval	 tv;

	env->stats.llm_retries++;
	tv.tv_sec = wait;
	tv.tv_usec = 0;
	evtimer_add(c->timer, &tv);
}

static void
llm_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct llm_ctx	*c = arg;
	json_t		*o;
	json_error_t	 jerr;
	char		 msg[512];
	long		 wait;
	int		 n;

	c->http = NULL;
	if (retryable(res) && c->attempts <= topsh_conf->proxy.llm_retries) {
		wait = res->retry_after > 0 ? res->retry_after :
		    1L << (c->attempts - 1);
		if (wait > LLM_WAIT_MAX)
			wait = LLM_WAIT_MAX;
		log_info("model: %s (attempt %d), retrying in %lds",
		    res->err != CURLE_OK ? res->errmsg : "HTTP error",
		    c->attempts, wait);
		llm_retry(c, wait);
		return;
	}
	if (res->err == CURLE_OPERATION_TIMEDOUT) {
		preq_fail(c->r, 0, 0, "model request timed out after %lds "
		    "(%d attempts)", c->timeout, c->attempts);
		return;
	}
	if (res->err != CURLE_OK) {
		preq_fail(c->r, 0, 0, "model provider unreachable: %s (%d "
		    "attempts)", res->errmsg, c->attempts);
		return;
	}
	if (res->truncated) {
		preq_fail(c->r, res->status, 0, "model response too large");
		return;
	}
	provider_message(res, msg, sizeof(msg));
	switch (res->status) {
	case 200:
		break;
	case 401:
	case 403:
		preq_fail(c->r, res->status, 0, "model provider refused the "
		    "API key (HTTP %ld)%s", res->status, msg);
		return;
	case 404:
		preq_fail(c->r, res->status, 0, "model endpoint or model not "
		    "found (HTTP 404)%s", msg);
		return;
	case 429:
		preq_fail(c->r, res->status, res->retry_after > 0 ?
		    res->retry_after : 30, "model provider rate limit "
		    "(HTTP 429) after %d attempts%s", c->attempts, msg);
		return;
	default:
		if (res->status >= 500)
			preq_fail(c->r, res->status, 0, "model provider error "
			    "(HTTP %ld) after %d attempts%s", res->status,
			    c->attempts, msg);
		else
			preq_fail(c->r, res->status, 0, "model provider "
			    "rejected the request (HTTP %ld)%s", res->status,
			    msg);
		return;
	}
	o = json_loadb(res->body, res->bodylen, 0, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		preq_fail(c->r, res->status, 0, "model returned invalid JSON");
		return;
	}
	if (!json_is_array(json_object_get(o, "choices")) ||
	    json_array_size(json_object_get(o, "choices")) == 0) {
		json_decref(o);
		preq_fail(c->r, res->status, 0, "model response has no "
		    "choices%s", msg);
		return;
	}
	if (c->tokenize) {
		/* placeholders back to their values, before gatewayd */
		n = tokenize_restore(c->has_chat ? tokenize_find(c->chat) :
		    c->own, o);
		if (n == -1) {
			json_decref(o);
			preq_fail(c->r, res->status, 0, "out of memory");
			return;
		}
		env->stats.restored += n;
	}
	preq_ok(c->r, o);
}

static void
llm_send(evutil_socket_t fd, short ev, void *arg)
{
	struct llm_ctx		*c = arg;
	struct httpc_req	*h;
	char			 url[2048], auth[SECRET_MAX + 32];
	int			 n;

	c->attempts++;
	if ((size_t)snprintf(url, sizeof(url), "%s/chat/completions",
	    env->sec.llm_base_url) >= sizeof(url)) {
		preq_fail(c->r, 0, 0, "model URL too long");
		return;
	}
	if ((h = httpc_req_new(env->httpc, "POST", url)) == NULL) {
		preq_fail(c->r, 0, 0, "out of memory");
		return;
	}
	n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
	    env->sec.llm_api_key);
	if (n < 0 || (size_t)n >= sizeof(auth) ||
	    httpc_req_header(h, auth) == -1 ||
	    httpc_req_header(h, "Accept: application/json") == -1 ||
	    httpc_req_body(h, c->body, c->bodylen, "application/json") ==
	    -1) {
		explicit_bzero(auth, sizeof(auth));
		httpc_req_free(h);
		preq_fail(c->r, 0, 0, "out of memory");
		return;
	}
	explicit_bzero(auth, sizeof(auth));
	httpc_req_timeout(h, c->timeout * 1000);
	httpc_req_connect_timeout(h, 15000);
	httpc_req_maxbytes(h, LLM_RESPONSE_MAX);
	c->http = h;
	if (httpc_req_start(h, llm_done, c) == -1) {
		c->http = NULL;
		preq_fail(c->r, 0, 0, "cannot start the model request");
	}
}


/*
 * gatewayd names the model it wants, or "default": then the operator's
 * llm-model (proxy section) is used when set; otherwise "default" goes
 * to the provider as it is (single-model servers accept any name).
 */
static void
llm_model(json_t *req)
{
	const char	*m = json_string_value(json_object_get(req, "model"));
	const char	*conf = topsh_conf->proxy.llm_model;

	if (conf != NULL && (m == NULL || strcmp(m, "default") == 0))
		json_object_set_new(req, "model", json_string(conf));
	else if (m == NULL)
		json_object_set_new(req, "model", json_string("default"));
}

void
llm_chat(struct preq *r)
{
	struct llm_ctx		*c;
	struct dlp_tokens	*tok;
	json_t			*req;
	long long		 t;
	int			 n;

	req = json_object_get(r->msg, "request");
	if (!json_is_object(req) ||
	    !json_is_array(json_object_get(req, "messages"))) {
		preq_fail(r, 0, 0, "model request must be an object with "
		    "messages");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	c->r = r;
	r->ctx = c;
	r->cancel = llm_cancel;
	if ((c->timer = evtimer_new(env->base, llm_send, c)) == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	c->timeout = topsh_conf->proxy.llm_timeout;
	t = json_int_or(r->msg, "timeout", 0);
	if (t > 0 && t < c->timeout)
		c->timeout = t;
	json_object_set_new(req, "stream", json_false());
	llm_model(req);
	if (dlp_get_mode(env->dlp) == DLP_TOKENIZE) {
		c->tokenize = 1;
		c->has_chat = json_is_integer(json_object_get(r->msg, "chat"));
		c->chat = json_int_or(r->msg, "chat", 0);
		tok = c->has_chat ? tokenize_chat(c->chat) :
		    (c->own = dlp_tokens_new(TOKEN_VALUES));
		if (tok == NULL) {
			preq_fail(r, 0, 0, "out of memory");
			return;
		}
		dlp_set_tokens(env->dlp, tok);
	}
	n = proxyd_redact_json(req, NULL);
	dlp_set_tokens(env->dlp, NULL);
	if (n < 0) {
		preq_fail(r, 0, 0, "cannot redact the model request");
		return;
	}
	if ((c->body = json_dumps(req, JSON_COMPACT)) == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	c->bodylen = strlen(c->body);
	/* the unredacted request is no longer needed */
	json_object_del(r->msg, "request");
	llm_send(-1, 0, c);
}

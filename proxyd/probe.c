/*
 * probe.c - `topshctl check' asks proxyd whether its secrets work
 * (IMSG_CTL_PROXY_PROBE): Telegram's getMe with the bot token, and the
 * model endpoint's GET /models with the API key, where the configured
 * llm-model must be listed when the provider lists models.  Both go out
 * at once; one IMSG_CTL_DATA answers when both are back.  The answer
 * names no secret: Telegram's URL holds the token, so a transport error
 * is given without it.
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
#include "httpc.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"
#include "proxyd.h"

#define PROBE_TIMEOUT	15000		/* ms, each request */
#define PROBE_MAXBYTES	(4 * 1024 * 1024)

struct probe {
	uint32_t	 serial;	/* the control client */
	uint32_t	 id;
	int		 pending;
	json_t		*telegram;
	json_t		*model;
};

static void
probe_finish(struct probe *pr)
{
	struct peer	*p;
	json_t		*o;

	if (--pr->pending > 0)
		return;
	o = json_pack("{s:O, s:O}", "telegram", pr->telegram, "model",
	    pr->model);
	if ((p = proc_peer_by_serial(pr->serial)) != NULL) {
		if (o != NULL)
			peer_compose_json(p, IMSG_CTL_DATA, pr->id, -1, o);
		peer_compose(p, IMSG_CTL_END, pr->id, -1, NULL, 0);
	}
	json_decref(o);
	json_decref(pr->telegram);
	json_decref(pr->model);
	free(pr);
}

/* the provider's own words, if it sent JSON with some */
static const char *
body_message(const struct httpc_res *res, json_t **keep)
{
	json_error_t	 jerr;
	json_t		*o, *e;
	const char	*s = NULL;

	*keep = NULL;
	if (res->body == NULL || (o = json_loadb(res->body, res->bodylen, 0,
	    &jerr)) == NULL)
		return (NULL);
	if ((s = json_string_value(json_object_get(o, "description"))) ==
	    NULL) {
		e = json_object_get(o, "error");
		s = json_is_string(e) ? json_string_value(e) :
		    json_string_value(json_object_get(e, "message"));
	}
	*keep = o;
	return (s);
}

static void
tg_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct probe	*pr = arg;
	json_t		*o, *r;
	const char	*msg, *bot;

	if (res->err != CURLE_OK) {
		/* libcurl's text may quote the URL, which holds the token */
		pr->telegram = json_pack("{s:b, s:i, s:s}", "ok", 0, "status",
		    0, "error", curl_easy_strerror(res->err));
		probe_finish(pr);
		return;
	}
	msg = body_message(res, &o);
	r = json_object_get(o, "result");
	bot = json_string_value(json_object_get(r, "username"));
	if (res->status == 200 && json_is_true(json_object_get(o, "ok")) &&
	    bot != NULL)
		pr->telegram = json_pack("{s:b, s:i, s:s}", "ok", 1, "status",
		    200, "bot", bot);
	else
		pr->telegram = json_pack("{s:b, s:i, s:s}", "ok", 0, "status",
		    (int)res->status, "error", msg != NULL ? msg :
		    "no bot in the answer");
	json_decref(o);
	probe_finish(pr);
}

static void
models_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct probe	*pr = arg;
	const char	*want = topsh_conf->proxy.llm_model, *id, *msg;
	json_t		*o, *data, *m, *names;
	size_t		 i;
	int		 known = 0;

	if (res->err != CURLE_OK) {
		pr->model = json_pack("{s:b, s:i, s:s}", "ok", 0, "status", 0,
		    "error", res->errmsg);
		probe_finish(pr);
		return;
	}
	msg = body_message(res, &o);
	data = json_object_get(o, "data");
	if (res->status != 200 || !json_is_array(data)) {
		/* 404: a provider without /models is not an error */
		pr->model = json_pack("{s:b, s:i, s:b, s:s}", "ok",
		    res->status == 404, "status", (int)res->status, "listed", 0,
		    "error", msg != NULL ? msg : "no model list");
		json_decref(o);
		probe_finish(pr);
		return;
	}
	names = json_array();
	json_array_foreach(data, i, m) {
		if ((id = json_string_value(json_object_get(m, "id"))) == NULL)
			continue;
		if (want != NULL && strcmp(id, want) == 0)
			known = 1;
		if (json_array_size(names) < 20)
			json_array_append_new(names, json_string(id));
	}
	pr->model = json_pack("{s:b, s:i, s:b, s:o, s:i}", "ok", 1, "status",
	    200, "listed", 1, "models", names, "count", (int)i);
	if (want != NULL && pr->model != NULL)
		json_object_set_new(pr->model, "known", json_boolean(known));
	json_decref(o);
	probe_finish(pr);
}

static int
probe_tg(struct probe *pr)
{
	struct httpc_req	*h;
	char			 url[2048];
	int			 rv;

	if ((size_t)snprintf(url, sizeof(url), "%s/bot%s/getMe",
	    topsh_conf->proxy.telegram_url, env->sec.telegram_token) >=
	    sizeof(url)) {
		explicit_bzero(url, sizeof(url));
		return (-1);
	}
	h = httpc_req_new(env->httpc, "GET", url);
	explicit_bzero(url, sizeof(url));
	if (h == NULL)
		return (-1);
	httpc_req_timeout(h, PROBE_TIMEOUT);
	httpc_req_maxbytes(h, PROBE_MAXBYTES);
	if ((rv = httpc_req_start(h, tg_done, pr)) == -1)
		httpc_req_free(h);
	return (rv);
}

static int
probe_models(struct probe *pr)
{
	struct httpc_req	*h;
	char			 url[2048], auth[SECRET_MAX + 32];
	int			 n;

	if ((size_t)snprintf(url, sizeof(url), "%s/models",
	    env->sec.llm_base_url) >= sizeof(url) ||
	    (h = httpc_req_new(env->httpc, "GET", url)) == NULL)
		return (-1);
	n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
	    env->sec.llm_api_key);
	if (n < 0 || (size_t)n >= sizeof(auth) ||
	    httpc_req_header(h, auth) == -1 ||
	    httpc_req_header(h, "Accept: application/json") == -1) {
		explicit_bzero(auth, sizeof(auth));
		httpc_req_free(h);
		return (-1);
	}
	explicit_bzero(auth, sizeof(auth));
	httpc_req_timeout(h, PROBE_TIMEOUT);
	httpc_req_maxbytes(h, PROBE_MAXBYTES);
	if (httpc_req_start(h, models_done, pr) == -1) {
		httpc_req_free(h);
		return (-1);
	}
	return (0);
}

/* IMSG_CTL_PROXY_PROBE from a control client */
int
probe_start(struct peer *p, uint32_t id)
{
	struct probe	*pr;

	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return (-1);
	pr->serial = p->serial;
	pr->id = id;
	pr->pending = 3;	/* two requests and this function */
	if (probe_tg(pr) == -1) {
		pr->telegram = json_pack("{s:b, s:i, s:s}", "ok", 0, "status",
		    0, "error", "cannot start the request");
		pr->pending--;
	}
	if (probe_models(pr) == -1) {
		pr->model = json_pack("{s:b, s:i, s:s}", "ok", 0, "status", 0,
		    "error", "cannot start the request");
		pr->pending--;
	}
	probe_finish(pr);
	return (0);
}

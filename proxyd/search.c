/*
 * search.c - web search through the Z.AI web search API
 * (POST search-url {"search_engine": "search-std", "search_query": q,
 * "count": n} with the zai_api_key).  The query leaves the host, so it
 * passes DLP first.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "httpc.h"
#include "log.h"
#include "topsh.h"
#include "proxyd.h"

#define SEARCH_TIMEOUT	30
#define SEARCH_MAXBYTES	(2 * 1024 * 1024)
#define SEARCH_COUNT	10
#define SEARCH_COUNT_MAX 50

static void
search_cancel(struct preq *r)
{
	if (r->ctx != NULL)
		httpc_req_cancel(r->ctx);
	r->ctx = NULL;
}

static json_t *
map_results(json_t *in)
{
	json_t		*out, *it, *o;
	size_t		 i;

	if ((out = json_array()) == NULL)
		return (NULL);
	json_array_foreach(in, i, it) {
		if (!json_is_object(it))
			continue;
		o = json_pack("{s:s, s:s, s:s, s:s?, s:s?}",
		    "title", json_str_or(it, "title", ""),
		    "url", json_str_or(it, "link", json_str_or(it, "url", "")),
		    "snippet", json_str_or(it, "content",
		    json_str_or(it, "snippet", "")),
		    "site", json_str_or(it, "media", NULL),
		    "date", json_str_or(it, "publish_date", NULL));
		if (o != NULL)
			json_array_append_new(out, o);
	}
	return (out);
}

static void
search_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct preq	*r = arg;
	json_t		*o, *list, *results;
	json_error_t	 jerr;
	const char	*m;

	r->ctx = NULL;
	if (res->err != CURLE_OK) {
		preq_fail(r, 0, 0, "web search unreachable: %s", res->errmsg);
		return;
	}
	o = json_loadb(res->body, res->bodylen, 0, &jerr);
	if (res->status != 200) {
		m = json_str_or(json_object_get(o, "error"), "message",
		    json_str_or(o, "message", NULL));
		preq_fail(r, res->status, res->retry_after, "web search failed "
		    "(HTTP %ld)%s%s", res->status, m ? ": " : "", m ? m : "");
		json_decref(o);
		return;
	}
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		preq_fail(r, res->status, 0, "web search returned invalid "
		    "JSON");
		return;
	}
	if ((list = json_object_get(o, "search_result")) == NULL)
		list = json_object_get(o, "results");
	if (!json_is_array(list))
		results = json_array();
	else
		results = map_results(list);
	json_decref(o);
	if (results == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	preq_ok(r, json_pack("{s:o}", "results", results));
}

void
search_web(struct preq *r)
{
	struct httpc_req	*h;
	json_t			*body;
	const char		*q;
	char			*s = NULL, auth[SECRET_MAX + 32];
	long long		 count;
	int			 n;

	if (env->sec.zai_api_key == NULL) {
		preq_fail(r, 0, 0, "web search is not configured (no "
		    "zai_api_key secret)");
		return;
	}
	if ((q = json_str_or(r->msg, "query", NULL)) == NULL || *q == '\0') {
		preq_fail(r, 0, 0, "search: query missing");
		return;
	}
	count = json_int_or(r->msg, "count", SEARCH_COUNT);
	if (count < 1 || count > SEARCH_COUNT_MAX)
		count = SEARCH_COUNT;
	body = json_pack("{s:s, s:s, s:I}", "search_engine", "search-std",
	    "search_query", q, "count", (json_int_t)count);
	if (body == NULL || proxyd_redact_json(body, NULL) < 0 ||
	    (s = json_dumps(body, JSON_COMPACT)) == NULL) {
		json_decref(body);
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	json_decref(body);
	if ((h = httpc_req_new(env->httpc, "POST",
	    topsh_conf->proxy.search_url)) == NULL) {
		free(s);
		preq_fail(r, 0, 0, "search: bad search-url");
		return;
	}
	n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
	    env->sec.zai_api_key);
	if (n < 0 || (size_t)n >= sizeof(auth) ||
	    httpc_req_header(h, auth) == -1 ||
	    httpc_req_body(h, s, strlen(s), "application/json") == -1) {
		explicit_bzero(auth, sizeof(auth));
		free(s);
		httpc_req_free(h);
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	explicit_bzero(auth, sizeof(auth));
	free(s);
	httpc_req_timeout(h, SEARCH_TIMEOUT * 1000);
	httpc_req_maxbytes(h, SEARCH_MAXBYTES);
	r->ctx = h;
	r->cancel = search_cancel;
	if (httpc_req_start(h, search_done, r) == -1) {
		r->ctx = NULL;
		preq_fail(r, 0, 0, "search: cannot start the request");
	}
}

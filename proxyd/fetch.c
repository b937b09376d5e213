/*
 * fetch.c - fetch_page: fetch an http(s) URL for the agent and turn it
 * into text, without becoming an SSRF hole.
 *
 * Every hop (the URL, then each redirect, which curl never follows by
 * itself) goes through the same steps:
 *   1. parse with curl's URL parser (so proxyd and curl agree on the
 *      host); http and https only, no user:password;
 *   2. normalise the host (netaddr.c): numeric IPv4 in any spelling and
 *      IPv6 carrying IPv4 become the IPv4 address; literals are written
 *      back into the URL in canonical form;
 *   3. resolve a name (evdns) and ask policyd about every address
 *      (IMSG_POLICY_CHECK_NET with host, address and port); one deny, a
 *      policyd that is not connected, or a timeout refuses the hop;
 *   4. connect to the checked addresses only (the canonical name pinned
 *      with CURLOPT_RESOLVE, no proxy from the environment, and an
 *      open-socket callback that refuses any other address), so DNS
 *      rebinding cannot swap them;
 *   5. limits: max-redirects hops, fetch-timeout for the whole fetch,
 *      fetch-max-bytes (or the smaller max_bytes of the request).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "html2text.h"
#include "httpc.h"
#include "log.h"
#include "topsh.h"
#include "proxyd.h"

#define FETCH_ADDRS	16

struct fetch_ctx;
struct fetch_check {
	struct fetch_ctx	*c;
	size_t			 i;
};

struct fetch_ctx {
	struct preq		*r;
	struct fetch_check	 chk[FETCH_ADDRS];
	CURLU			*url;
	char			 host[256];	/* canonical */
	int			 kind;
	long			 port;
	struct resolve		*res;
	char			*addrs[FETCH_ADDRS];
	size_t			 naddrs;
	struct policy_q		*q[FETCH_ADDRS];
	size_t			 nchecks;
	int			 denied;
	char			 why[512];
	struct httpc_req	*http;
	int			 hops;
	time_t			 deadline;
	long long		 max;
	int			 raw;
};

static void	hop_start(struct fetch_ctx *, const char *);

static void
clear_addrs(struct fetch_ctx *c)
{
	size_t	 i;

	for (i = 0; i < c->naddrs; i++) {
		free(c->addrs[i]);
		c->addrs[i] = NULL;
		if (c->q[i] != NULL)
			policy_cancel(c->q[i]);
		c->q[i] = NULL;
	}
	c->naddrs = 0;
	c->nchecks = 0;
}

static void
fetch_cancel(struct preq *r)
{
	struct fetch_ctx	*c = r->ctx;

	if (c == NULL)
		return;
	clear_addrs(c);
	if (c->res != NULL)
		resolve_cancel(c->res);
	if (c->http != NULL)
		httpc_req_cancel(c->http);
	curl_url_cleanup(c->url);
	free(c);
	r->ctx = NULL;
}

/* invalid UTF-8 would make the reply unencodable: replace it */
static char *
utf8_clean(const char *s, size_t len, size_t *outlen)
{
	char		*o;
	size_t		 i = 0, j = 0, n, k;
	unsigned char	 b;

	if ((o = malloc(len + 1)) == NULL)
		return (NULL);
	while (i < len) {
		b = s[i];
		if (b < 0x80)
			n = 1;
		else if ((b & 0xe0) == 0xc0 && b >= 0xc2)
			n = 2;
		else if ((b & 0xf0) == 0xe0)
			n = 3;
		else if ((b & 0xf8) == 0xf0 && b <= 0xf4)
			n = 4;
		else
			n = 0;
		for (k = 1; n > 0 && k < n; k++)
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				n = 0;
		if (n == 3 && ((b == 0xe0 && (unsigned char)s[i + 1] < 0xa0) ||
		    (b == 0xed && (unsigned char)s[i + 1] >= 0xa0)))
			n = 0;
		if (n == 4 && ((b == 0xf0 && (unsigned char)s[i + 1] < 0x90) ||
		    (b == 0xf4 && (unsigned char)s[i + 1] >= 0x90)))
			n = 0;
		if (n == 0 || (n == 1 && b == 0)) {
			o[j++] = '?';
			i++;
			continue;
		}
		memcpy(o + j, s + i, n);
		i += n;
		j += n;
	}
	o[j] = '\0';
	*outlen = j;
	return (o);
}

static int
is_html(const char *ct)
{
	return (ct != NULL && (strncasecmp(ct, "text/html", 9) == 0 ||
	    strncasecmp(ct, "application/xhtml", 17) == 0));
}

static int
is_text(const char *ct)
{
	return (ct == NULL || strncasecmp(ct, "text/", 5) == 0 ||
	    strcasestr(ct, "json") != NULL || strcasestr(ct, "xml") != NULL ||
	    strcasestr(ct, "javascript") != NULL);
}

static void
fetch_result(struct fetch_ctx *c, const struct httpc_res *res)
{
	char		*text = NULL, *clean, *final = NULL;
	size_t		 tlen = 0, clen;
	json_t		*o;
	int		 truncated = res->truncated;

	if (!is_text(res->content_type) && !c->raw) {
		preq_fail(c->r, res->status, 0, "fetch: unsupported content "
		    "type %s", res->content_type);
		return;
	}
	if (is_html(res->content_type) && !c->raw) {
		text = html2text(res->body, res->bodylen, (size_t)c->max,
		    &tlen);
		if (text == NULL) {
			preq_fail(c->r, res->status, 0, "fetch: cannot convert "
			    "the page to text");
			return;
		}
		clean = utf8_clean(text, tlen, &clen);
		free(text);
	} else
		clean = utf8_clean(res->body, res->bodylen, &clen);
	if (clean == NULL) {
		preq_fail(c->r, 0, 0, "out of memory");
		return;
	}
	if (curl_url_get(c->url, CURLUPART_URL, &final, 0) != CURLUE_OK)
		final = NULL;
	o = json_pack("{s:s, s:i, s:s?, s:s%, s:b}",
	    "url", final != NULL ? final : "",
	    "status", (int)res->status,
	    "content_type", res->content_type,
	    "text", clean, clen,
	    "truncated", truncated);
	curl_free(final);
	free(clean);
	if (o == NULL) {
		preq_fail(c->r, 0, 0, "out of memory");
		return;
	}
	preq_ok(c->r, o);
}

static void
hop_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct fetch_ctx	*c = arg;
	char			*loc = NULL, *next;

	c->http = NULL;
	if (res->err != CURLE_OK) {
		preq_fail(c->r, 0, 0, "fetch: %s", res->errmsg);
		return;
	}
	if (res->status >= 300 && res->status < 400 &&
	    curl_easy_getinfo(httpc_req_easy(h), CURLINFO_REDIRECT_URL,
	    &loc) == CURLE_OK && loc != NULL) {
		if (++c->hops > topsh_conf->proxy.max_redirects) {
			preq_fail(c->r, res->status, 0, "fetch: too many "
			    "redirects (limit %lld)",
			    topsh_conf->proxy.max_redirects);
			return;
		}
		if ((next = strdup(loc)) == NULL) {
			preq_fail(c->r, 0, 0, "out of memory");
			return;
		}
		log_debug("fetch: redirect %d", c->hops);
		hop_start(c, next);
		free(next);
		return;
	}
	if (res->status >= 400) {
		preq_fail(c->r, res->status, res->retry_after, "fetch: HTTP "
		    "%ld", res->status);
		return;
	}
	fetch_result(c, res);
}

/*
 * The last line of defence: libcurl may only open a socket to an
 * address that policyd allowed for this hop, whatever it resolved.
 */
static curl_socket_t
open_checked(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct fetch_ctx	*c = arg;
	char			 buf[64];
	size_t			 i;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    netaddr_canon(&a->addr, buf, sizeof(buf)) == -1)
		return (CURL_SOCKET_BAD);
	for (i = 0; i < c->naddrs; i++)
		if (strcmp(buf, c->addrs[i]) == 0)
			return (socket(a->family, a->socktype | SOCK_CLOEXEC,
			    a->protocol));
	log_warnx("fetch: refusing to connect to unchecked address %s", buf);
	return (CURL_SOCKET_BAD);
}

static void
hop_connect(struct fetch_ctx *c)
{
	struct httpc_req	*h;
	char			*url = NULL, pin[2048];
	size_t			 i;
	time_t			 left;
	CURL			*e;

	left = c->deadline - time(NULL);
	if (left <= 0) {
		preq_fail(c->r, 0, 0, "fetch: timed out");
		return;
	}
	if (curl_url_get(c->url, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		preq_fail(c->r, 0, 0, "fetch: bad URL");
		return;
	}
	h = httpc_req_new(env->httpc, "GET", url);
	curl_free(url);
	if (h == NULL) {
		preq_fail(c->r, 0, 0, "fetch: bad URL");
		return;
	}
	if (c->kind == NETADDR_NAME) {
		snprintf(pin, sizeof(pin), "%s:%ld:", c->host, c->port);
		for (i = 0; i < c->naddrs; i++) {
			if (i > 0)
				strlcat(pin, ",", sizeof(pin));
			if (strchr(c->addrs[i], ':') != NULL) {
				strlcat(pin, "[", sizeof(pin));
				strlcat(pin, c->addrs[i], sizeof(pin));
				strlcat(pin, "]", sizeof(pin));
			} else
				strlcat(pin, c->addrs[i], sizeof(pin));
		}
		if (httpc_req_resolve(h, pin) == -1) {
			httpc_req_free(h);
			preq_fail(c->r, 0, 0, "out of memory");
			return;
		}
	}
	e = httpc_req_easy(h);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_checked);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	httpc_req_timeout(h, left * 1000);
	httpc_req_maxbytes(h, c->max);
	httpc_req_header(h, "Accept: text/html,text/plain;q=0.9,*/*;q=0.5");
	c->http = h;
	if (httpc_req_start(h, hop_done, c) == -1) {
		c->http = NULL;
		preq_fail(c->r, 0, 0, "fetch: cannot start the request");
	}
}

static void
check_cb(int allowed, const char *why, void *arg)
{
	struct fetch_check	*chk = arg;
	struct fetch_ctx	*c = chk->c;
	size_t			 i;

	c->q[chk->i] = NULL;	/* an answered query is freed */
	c->nchecks--;
	if (!allowed && !c->denied) {
		c->denied = 1;
		strlcpy(c->why, why != NULL ? why : "denied", sizeof(c->why));
	}
	if (c->nchecks > 0)
		return;
	for (i = 0; i < c->naddrs; i++)
		c->q[i] = NULL;
	if (c->denied) {
		env->stats.fetch_denied++;
		log_info("fetch: user %lld: destination %s port %ld denied: %s",
		    c->r->user, c->host, c->port, c->why);
		preq_fail(c->r, 0, 0, "destination denied: %s (%s)", c->host,
		    c->why);
		return;
	}
	hop_connect(c);
}

static void
check_addrs(struct fetch_ctx *c)
{
	size_t	 i;

	/* the machine proxyd runs on, by an interface address */
	for (i = 0; i < c->naddrs; i++)
		if (ownaddr_is(c->addrs[i])) {
			env->stats.fetch_denied++;
			log_info("fetch: user %lld: destination %s (%s) port %ld "
			    "denied: the host's own address", c->r->user,
			    c->host, c->addrs[i], c->port);
			preq_fail(c->r, 0, 0, "destination denied: %s (the "
			    "host's own address)", c->host);
			return;
		}
	c->denied = 0;
	c->nchecks = c->naddrs;
	for (i = 0; i < c->naddrs; i++) {
		c->chk[i].c = c;
		c->chk[i].i = i;
		c->q[i] = policy_check_net(c->r->user, c->host, c->addrs[i],
		    (int)c->port, check_cb, &c->chk[i]);
		if (c->q[i] == NULL) {
			/* cannot even ask: pretend a deny arrives */
			c->nchecks--;
			c->denied = 1;
			strlcpy(c->why, "out of memory", sizeof(c->why));
		}
	}
	if (c->nchecks == 0) {
		preq_fail(c->r, 0, 0, "destination denied: %s (%s)", c->host,
		    c->why);
		return;
	}
}

static void
resolved(int ok, char **addrs, size_t n, const char *err, void *arg)
{
	struct fetch_ctx	*c = arg;
	size_t			 i;

	c->res = NULL;
	if (!ok) {
		preq_fail(c->r, 0, 0, "fetch: cannot resolve %s: %s", c->host,
		    err);
		return;
	}
	for (i = 0; i < n && i < FETCH_ADDRS; i++)
		if ((c->addrs[c->naddrs] = strdup(addrs[i])) != NULL)
			c->naddrs++;
	if (c->naddrs == 0) {
		preq_fail(c->r, 0, 0, "out of memory");
		return;
	}
	check_addrs(c);
}

static void
hop_start(struct fetch_ctx *c, const char *urlstr)
{
	char		*scheme = NULL, *host = NULL, *port = NULL;
	char		*user = NULL, *pass = NULL, lit[300];
	const char	*errstr;

	clear_addrs(c);
	if (curl_url_set(c->url, CURLUPART_URL, urlstr, 0) != CURLUE_OK) {
		preq_fail(c->r, 0, 0, "fetch: invalid URL");
		return;
	}
	if (curl_url_get(c->url, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)) {
		curl_free(scheme);
		preq_fail(c->r, 0, 0, "fetch: only http and https URLs");
		return;
	}
	curl_free(scheme);
	if (curl_url_get(c->url, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(c->url, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		curl_free(user);
		curl_free(pass);
		preq_fail(c->r, 0, 0, "fetch: credentials in URLs are not "
		    "allowed");
		return;
	}
	if (curl_url_get(c->url, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    netaddr_host(host, &c->kind, c->host, sizeof(c->host)) == -1) {
		preq_fail(c->r, 0, 0, "fetch: invalid host %s",
		    host != NULL ? host : "");
		curl_free(host);
		return;
	}
	curl_free(host);
	if (curl_url_get(c->url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		preq_fail(c->r, 0, 0, "fetch: invalid port");
		return;
	}
	c->port = strtonum(port, 1, 65535, &errstr);
	curl_free(port);
	if (errstr != NULL) {
		preq_fail(c->r, 0, 0, "fetch: invalid port");
		return;
	}
	if (c->kind != NETADDR_NAME) {
		/* connect where we checked, whatever the spelling */
		snprintf(lit, sizeof(lit), c->kind == NETADDR_V6 ? "[%s]" :
		    "%s", c->host);
		if (curl_url_set(c->url, CURLUPART_HOST, lit, 0) !=
		    CURLUE_OK || (c->addrs[0] = strdup(c->host)) == NULL) {
			preq_fail(c->r, 0, 0, "fetch: invalid host");
			return;
		}
		c->naddrs = 1;
		check_addrs(c);
		return;
	}
	/* the pin must match the name libcurl looks up: the canonical one */
	if (curl_url_set(c->url, CURLUPART_HOST, c->host, 0) != CURLUE_OK) {
		preq_fail(c->r, 0, 0, "fetch: invalid host");
		return;
	}
	if ((c->res = resolve_start(env->dns, c->host, resolved, c)) == NULL)
		preq_fail(c->r, 0, 0, "fetch: cannot resolve %s", c->host);
}

void
fetch_page(struct preq *r)
{
	struct fetch_ctx	*c;
	const char		*url;
	long long		 max;

	if ((url = json_str_or(r->msg, "url", NULL)) == NULL) {
		preq_fail(r, 0, 0, "fetch: url missing");
		return;
	}
	if (env->dns == NULL) {
		preq_fail(r, 0, 0, "fetch: no resolver");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->url = curl_url()) == NULL) {
		free(c);
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	c->r = r;
	r->ctx = c;
	r->cancel = fetch_cancel;
	c->max = topsh_conf->proxy.fetch_max_bytes;
	max = json_int_or(r->msg, "max_bytes", 0);
	if (max > 0 && max < c->max)
		c->max = max;
	c->raw = json_is_true(json_object_get(r->msg, "raw"));
	c->deadline = time(NULL) + topsh_conf->proxy.fetch_timeout;
	hop_start(c, url);
}

/*
 * gdrive.c - Google Drive for a Telegram user: OAuth 2.0 (consent URL,
 * code exchange, refresh) and read-only listing, search and download.
 *
 * Tokens live in proxyd's own state directory, one file per Telegram
 * user (gdrive-<user>.json, mode 0600, written to a temporary file and
 * renamed), never in a workspace and never in a reply.  The consent URL
 * uses gdrive-redirect-uri (default http://localhost): after consenting
 * the browser lands on a page that does not load, and the user pastes
 * that whole address; proxyd takes the code from it and checks its
 * state, a nonce issued to that user (gdrive_state.c).  Linking happens
 * in the user's private chat only (vouch.c saw the user's latest
 * message there).
 * Downloads stream into the fd that gatewayd got from sandboxd; Google
 * Docs are exported (documents as text, sheets as CSV, slides as PDF).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "httpc.h"
#include "log.h"
#include "topsh.h"
#include "proxyd.h"

#define GD_TIMEOUT		60
#define GD_DOWNLOAD_TIMEOUT	600
#define GD_MAXBYTES		(4 * 1024 * 1024)
#define GD_DOWNLOAD_MAX		(1024LL * 1024 * 1024)
#define GD_SCOPE		"https://www.googleapis.com/auth/drive.readonly"
#define GD_FIELDS		"id,name,mimeType,size,modifiedTime"

enum gd_stage { GD_TOKEN, GD_REFRESH, GD_API, GD_META, GD_MEDIA };

struct gd_ctx {
	struct preq		*r;
	enum gd_stage		 stage;
	struct httpc_req	*http;
	json_t			*tok;
	char			 path[1100];
	char			 name[512];
	char			 mime[256];
	long long		 max;
	long long		 written;
	int			 write_failed;
};

static void	gd_api(struct gd_ctx *);

static void
gd_cancel(struct preq *r)
{
	struct gd_ctx	*c = r->ctx;

	if (c == NULL)
		return;
	if (c->http != NULL)
		httpc_req_cancel(c->http);
	json_decref(c->tok);
	free(c);
	r->ctx = NULL;
}

static int
configured(struct preq *r)
{
	if (env->sec.gdrive_client_id == NULL) {
		preq_fail(r, 0, 0, "google drive is not configured (no "
		    "gdrive_client_id and gdrive_client_secret secrets)");
		return (0);
	}
	if (r->user <= 0) {
		preq_fail(r, 0, 0, "google drive: user missing");
		return (0);
	}
	return (1);
}

static int
token_path(long long user, char *buf, size_t len)
{
	return ((size_t)snprintf(buf, len, "%s/gdrive-%lld.json",
	    env->statedir, user) >= len ? -1 : 0);
}

static json_t *
token_load(long long user)
{
	char		 path[1100];
	json_error_t	 jerr;

	if (token_path(user, path, sizeof(path)) == -1)
		return (NULL);
	return (json_load_file(path, 0, &jerr));
}

static int
token_save(long long user, json_t *tok)
{
	char	 path[1100], tmp[1200];
	char	*s;
	size_t	 len;
	ssize_t	 n;
	int	 fd;

	if (token_path(user, path, sizeof(path)) == -1 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return (-1);
	if ((s = json_dumps(tok, JSON_COMPACT)) == NULL)
		return (-1);
	len = strlen(s);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("google drive: %s", tmp);
		freezero(s, len);
		return (-1);
	}
	n = write(fd, s, len);
	freezero(s, len);
	if (n != (ssize_t)len || fsync(fd) == -1 || close(fd) == -1) {
		log_warn("google drive: %s", tmp);
		unlink(tmp);
		return (-1);
	}
	if (rename(tmp, path) == -1) {
		log_warn("google drive: rename %s", path);
		unlink(tmp);
		return (-1);
	}
	return (0);
}

static char *
esc(const char *s)
{
	return (curl_easy_escape(NULL, s, 0));
}

/* POST a form to the token endpoint */
static int
token_post(struct gd_ctx *c, const char *grant, const char *field,
    const char *value, httpc_done_cb cb)
{
	struct httpc_req	*h;
	char			*id, *sec, *red, *val, *body;
	int			 n, rv = -1;

	id = esc(env->sec.gdrive_client_id);
	sec = esc(env->sec.gdrive_client_secret);
	red = esc(topsh_conf->proxy.gdrive_redirect_uri);
	val = esc(value);
	body = NULL;
	if (id == NULL || sec == NULL || red == NULL || val == NULL)
		goto out;
	n = asprintf(&body, "grant_type=%s&%s=%s&client_id=%s&"
	    "client_secret=%s&redirect_uri=%s", grant, field, val, id, sec,
	    red);
	if (n == -1) {
		body = NULL;
		goto out;
	}
	if ((h = httpc_req_new(env->httpc, "POST",
	    topsh_conf->proxy.gdrive_token_url)) == NULL)
		goto out;
	if (httpc_req_body(h, body, n, "application/x-www-form-urlencoded") ==
	    -1) {
		httpc_req_free(h);
		goto out;
	}
	httpc_req_timeout(h, GD_TIMEOUT * 1000);
	httpc_req_maxbytes(h, GD_MAXBYTES);
	c->http = h;
	if (httpc_req_start(h, cb, c) == -1) {
		c->http = NULL;
		goto out;
	}
	rv = 0;
 out:
	if (body != NULL)
		freezero(body, strlen(body));
	if (sec != NULL)
		freezero(sec, strlen(sec));
	curl_free(id);
	curl_free(red);
	if (val != NULL)
		freezero(val, strlen(val));
	return (rv);
}

/* the token endpoint's answer, merged into c->tok: 0 ok, -1 replied */
static int
token_answer(struct gd_ctx *c, const struct httpc_res *res)
{
	json_t		*o;
	json_error_t	 jerr;
	const char	*e;
	long long	 exp;

	if (res->err != CURLE_OK) {
		preq_fail(c->r, 0, 0, "google: %s", res->errmsg);
		return (-1);
	}
	o = json_loadb(res->body, res->bodylen, 0, &jerr);
	if (res->status != 200 || o == NULL ||
	    json_str_or(o, "access_token", NULL) == NULL) {
		e = json_str_or(o, "error_description", json_str_or(o,
		    "error", "no access token"));
		preq_fail(c->r, res->status, 0, "google authorisation failed "
		    "(HTTP %ld): %s", res->status, e);
		json_decref(o);
		return (-1);
	}
	if (c->tok == NULL)
		c->tok = json_object();
	json_object_set(c->tok, "access_token",
	    json_object_get(o, "access_token"));
	if (json_str_or(o, "refresh_token", NULL) != NULL)
		json_object_set(c->tok, "refresh_token",
		    json_object_get(o, "refresh_token"));
	exp = json_int_or(o, "expires_in", 3600);
	json_object_set_new(c->tok, "expires_at",
	    json_integer(time(NULL) + exp));
	json_decref(o);
	if (token_save(c->r->user, c->tok) == -1) {
		preq_fail(c->r, 0, 0, "google drive: cannot store the tokens");
		return (-1);
	}
	return (0);
}

static void
code_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct gd_ctx	*c = arg;

	c->http = NULL;
	if (token_answer(c, res) == -1)
		return;
	log_info("google drive connected for user %lld", c->r->user);
	preq_ok(c->r, json_pack("{s:b}", "connected", 1));
}

static void
refresh_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct gd_ctx	*c = arg;

	c->http = NULL;
	if (token_answer(c, res) == -1)
		return;
	gd_api(c);
}

static int
data_out(const void *data, size_t len, void *arg)
{
	struct gd_ctx	*c = arg;

	return (preq_write_fd(c->r->fd, data, len, &c->written,
	    &c->write_failed));
}

static json_t *
map_files(json_t *files)
{
	json_t		*out, *f, *o, *sz;
	size_t		 i;
	long long	 size;

	if ((out = json_array()) == NULL)
		return (NULL);
	json_array_foreach(files, i, f) {
		size = -1;
		sz = json_object_get(f, "size");
		if (json_is_string(sz))
			size = strtoll(json_string_value(sz), NULL, 10);
		else if (json_is_integer(sz))
			size = json_integer_value(sz);
		o = json_pack("{s:s, s:s, s:s, s:o, s:s?}",
		    "id", json_str_or(f, "id", ""),
		    "name", json_str_or(f, "name", ""),
		    "mime_type", json_str_or(f, "mimeType", ""),
		    "size", size >= 0 ? json_integer(size) : json_null(),
		    "modified", json_str_or(f, "modifiedTime", NULL));
		if (o != NULL)
			json_array_append_new(out, o);
	}
	return (out);
}

static const char *
export_type(const char *mime)
{
	if (strcmp(mime, "application/vnd.google-apps.document") == 0)
		return ("text/plain");
	if (strcmp(mime, "application/vnd.google-apps.spreadsheet") == 0)
		return ("text/csv");
	if (strcmp(mime, "application/vnd.google-apps.presentation") == 0)
		return ("application/pdf");
	if (strcmp(mime, "application/vnd.google-apps.drawing") == 0)
		return ("image/png");
	return (NULL);
}

static void	gd_get(struct gd_ctx *, const char *, int);

static void
api_done(struct httpc_req *h, const struct httpc_res *res, void *arg)
{
	struct gd_ctx	*c = arg;
	json_t		*o, *files;
	json_error_t	 jerr;
	const char	*fid, *exp;
	char		 url[2048], *e;

	c->http = NULL;
	if (c->stage == GD_MEDIA) {
		if (c->write_failed)
			preq_fail(c->r, 0, 0, "cannot write the file: %s",
			    strerror(c->write_failed));
		else if (res->truncated)
			preq_fail(c->r, 0, 0, "file too large (limit %lld)",
			    c->max);
		else if (res->err != CURLE_OK)
			preq_fail(c->r, 0, 0, "google drive: %s",
			    res->errmsg);
		else if (res->status != 200)
			preq_fail(c->r, res->status, 0, "google drive: "
			    "download failed (HTTP %ld)", res->status);
		else
			preq_ok(c->r, json_pack("{s:s, s:s, s:I}", "name",
			    c->name, "mime_type", c->mime, "bytes",
			    (json_int_t)c->written));
		return;
	}
	if (res->err != CURLE_OK) {
		preq_fail(c->r, 0, 0, "google drive: %s", res->errmsg);
		return;
	}
	o = json_loadb(res->body, res->bodylen, 0, &jerr);
	if (res->status != 200 || o == NULL) {
		preq_fail(c->r, res->status, res->retry_after, "google drive: "
		    "HTTP %ld%s%s", res->status, o ? ": " : "",
		    o ? json_str_or(json_object_get(o, "error"), "message",
		    "") : "");
		json_decref(o);
		return;
	}
	if (c->stage == GD_API) {
		files = map_files(json_object_get(o, "files"));
		preq_ok(c->r, json_pack("{s:o, s:s?}", "files",
		    files ? files : json_array(), "next_page_token",
		    json_str_or(o, "nextPageToken", NULL)));
		json_decref(o);
		return;
	}
	/* GD_META: now the content */
	fid = json_str_or(c->r->msg, "file_id", "");
	strlcpy(c->name, json_str_or(o, "name", "file"), sizeof(c->name));
	strlcpy(c->mime, json_str_or(o, "mimeType",
	    "application/octet-stream"), sizeof(c->mime));
	json_decref(o);
	if ((e = esc(fid)) == NULL) {
		preq_fail(c->r, 0, 0, "out of memory");
		return;
	}
	if (strncmp(c->mime, "application/vnd.google-apps.", 28) == 0) {
		if ((exp = export_type(c->mime)) == NULL) {
			curl_free(e);
			preq_fail(c->r, 0, 0, "google drive: cannot download a "
			    "%s", c->mime);
			return;
		}
		strlcpy(c->mime, exp, sizeof(c->mime));
		snprintf(url, sizeof(url), "%s/files/%s/export?mimeType=%s",
		    topsh_conf->proxy.gdrive_api_url, e, exp);
	} else
		snprintf(url, sizeof(url), "%s/files/%s?alt=media&"
		    "supportsAllDrives=true", topsh_conf->proxy.gdrive_api_url,
		    e);
	curl_free(e);
	c->stage = GD_MEDIA;
	gd_get(c, url, 1);
}

static void
gd_get(struct gd_ctx *c, const char *url, int stream)
{
	struct httpc_req	*h;
	char			 auth[4200];
	const char		*at;
	int			 n;

	at = json_str_or(c->tok, "access_token", "");
	if ((h = httpc_req_new(env->httpc, "GET", url)) == NULL) {
		preq_fail(c->r, 0, 0, "google drive: bad URL");
		return;
	}
	n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", at);
	if (n < 0 || (size_t)n >= sizeof(auth) ||
	    httpc_req_header(h, auth) == -1) {
		explicit_bzero(auth, sizeof(auth));
		httpc_req_free(h);
		preq_fail(c->r, 0, 0, "google drive: bad token");
		return;
	}
	explicit_bzero(auth, sizeof(auth));
	if (stream) {
		httpc_req_stream(h, data_out, c);
		httpc_req_maxbytes(h, c->max);
		httpc_req_timeout(h, GD_DOWNLOAD_TIMEOUT * 1000);
	} else {
		httpc_req_maxbytes(h, GD_MAXBYTES);
		httpc_req_timeout(h, GD_TIMEOUT * 1000);
	}
	c->http = h;
	if (httpc_req_start(h, api_done, c) == -1) {
		c->http = NULL;
		preq_fail(c->r, 0, 0, "google drive: cannot start the request");
	}
}

static int
valid_id(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 256)
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return (0);
	return (1);
}

/* a Drive query string literal: backslash and quote escaped */
static int
quote(char *buf, size_t len, const char *s)
{
	size_t	 j = 0;

	for (; *s != '\0'; s++) {
		if (j + 3 >= len)
			return (-1);
		if (*s == '\'' || *s == '\\')
			buf[j++] = '\\';
		buf[j++] = *s;
	}
	buf[j] = '\0';
	return (0);
}

static void
gd_api(struct gd_ctx *c)
{
	struct preq	*r = c->r;
	char		 q[1024], lit[600], url[4096], *eq, *pt = NULL;
	const char	*s, *tok;
	long long	 ps;

	ps = json_int_or(r->msg, "page_size", 50);
	if (ps < 1 || ps > 1000)
		ps = 50;
	tok = json_str_or(r->msg, "page_token", NULL);
	switch (r->type) {
	case IMSG_PROXY_GDRIVE_LIST:
		s = json_str_or(r->msg, "folder", "root");
		if (!valid_id(s)) {
			preq_fail(r, 0, 0, "google drive: invalid folder id");
			return;
		}
		snprintf(q, sizeof(q), "'%s' in parents and trashed = false",
		    s);
		break;
	case IMSG_PROXY_GDRIVE_SEARCH:
		s = json_str_or(r->msg, "query", NULL);
		if (s == NULL || quote(lit, sizeof(lit), s) == -1) {
			preq_fail(r, 0, 0, "google drive: query missing or "
			    "too long");
			return;
		}
		snprintf(q, sizeof(q), "name contains '%s' and trashed = "
		    "false", lit);
		break;
	case IMSG_PROXY_GDRIVE_DOWNLOAD:
		s = json_str_or(r->msg, "file_id", NULL);
		if (!valid_id(s)) {
			preq_fail(r, 0, 0, "google drive: invalid file id");
			return;
		}
		if (r->fd == -1) {
			preq_fail(r, 0, 0, "google drive: download needs a "
			    "file descriptor");
			return;
		}
		c->stage = GD_META;
		snprintf(url, sizeof(url), "%s/files/%s?fields=%s&"
		    "supportsAllDrives=true", topsh_conf->proxy.gdrive_api_url,
		    s, GD_FIELDS);
		gd_get(c, url, 0);
		return;
	default:
		preq_fail(r, 0, 0, "google drive: unknown request");
		return;
	}
	if ((eq = esc(q)) == NULL || (tok != NULL && (pt = esc(tok)) ==
	    NULL)) {
		curl_free(eq);
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	snprintf(url, sizeof(url), "%s/files?q=%s&pageSize=%lld&fields="
	    "nextPageToken,files(%s)&orderBy=folder,name%s%s",
	    topsh_conf->proxy.gdrive_api_url, eq, ps, GD_FIELDS,
	    pt ? "&pageToken=" : "", pt ? pt : "");
	curl_free(eq);
	curl_free(pt);
	c->stage = GD_API;
	gd_get(c, url, 0);
}

/*
 * The value of parameter name (code, state) in a pasted redirect
 * address, decoded into out; 0, or -1 when it has none.
 */
static int
url_param(const char *in, const char *name, char *out, size_t len)
{
	const char	*p, *end;
	char		*dec;
	size_t		 nlen = strlen(name);
	int		 n;

	for (p = in; (p = strstr(p, name)) != NULL; p += nlen)
		if (p > in && (p[-1] == '?' || p[-1] == '&' ||
		    p[-1] == '#') &&
		    p[nlen] == '=')
			break;
	if (p == NULL)
		return (-1);
	p += nlen + 1;
	end = p + strcspn(p, "&# \r\n");
	if (end == p)
		return (-1);
	if ((dec = curl_easy_unescape(NULL, p, end - p, &n)) == NULL)
		return (-1);
	if (n <= 0 || (size_t)n >= len || strlen(dec) != (size_t)n) {
		freezero(dec, n > 0 ? n : 0);
		return (-1);
	}
	memcpy(out, dec, n + 1);
	freezero(dec, n);
	return (0);
}

/*
 * The code and the state from the redirect address the user pasted.
 * A bare code is refused: without its state proxyd cannot tell whose
 * consent it was.
 */
static int
check_redirect(struct preq *r, const char *in, char *code, size_t len)
{
	char	state[128];

	if (url_param(in, "code", code, len) == -1) {
		preq_fail(r, 0, 0, "google drive: no authorisation code "
		    "found; paste the whole address of the page Google sent "
		    "you to");
		return (-1);
	}
	if (url_param(in, "state", state, sizeof(state)) == -1) {
		explicit_bzero(code, len);
		preq_fail(r, 0, 0, "google drive: the address has no state; "
		    "paste the whole address of the page Google sent you to");
		return (-1);
	}
	switch (gdstate_take(r->user, state)) {
	case GDSTATE_OK:
		return (0);
	case GDSTATE_OTHER:
		log_warnx("google drive: user %lld pasted a consent address "
		    "issued to another user: refused, its state is used up",
		    r->user);
		break;
	default:
		log_warnx("google drive: user %lld pasted a consent address "
		    "with an unknown, used or expired state: refused",
		    r->user);
		break;
	}
	explicit_bzero(code, len);
	preq_fail(r, 0, 0, "google drive: this consent address was not "
	    "issued to you, was used already or has expired; send /gdrive "
	    "for a new one");
	return (-1);
}

/* linking is done in the user's private chat with the bot only */
static int
private_chat(struct preq *r)
{
	json_t	*chat = json_object_get(r->msg, "chat");

	if ((chat == NULL || (json_is_integer(chat) &&
	    json_integer_value(chat) == r->user)) && vouch_private(r->user))
		return (1);
	log_warnx("google drive: user %lld asked to link Drive outside "
	    "the private chat: refused", r->user);
	preq_fail(r, 0, 0, "google drive: linking is done in a private "
	    "chat with the bot only");
	return (0);
}

static void
auth_url(struct preq *r)
{
	char	*id, *red, *scope, *url = NULL, state[64];

	if (!private_chat(r))
		return;
	if (gdstate_new(r->user, state, sizeof(state)) == -1) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	id = esc(env->sec.gdrive_client_id);
	red = esc(topsh_conf->proxy.gdrive_redirect_uri);
	scope = esc(GD_SCOPE);
	if (id == NULL || red == NULL || scope == NULL ||
	    asprintf(&url, "%s?client_id=%s&redirect_uri=%s&"
	    "response_type=code&scope=%s&access_type=offline&"
	    "prompt=consent&state=%s", topsh_conf->proxy.gdrive_auth_url,
	    id, red, scope, state) == -1)
		url = NULL;
	curl_free(id);
	curl_free(red);
	curl_free(scope);
	if (url == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	preq_ok(r, json_pack("{s:s}", "url", url));
	free(url);
}

void
gdrive_request(struct preq *r)
{
	struct gd_ctx	*c;
	char		 path[1100], code[2048];
	json_t		*tok;
	const char	*in;

	if (!configured(r))
		return;
	switch (r->type) {
	case IMSG_PROXY_GDRIVE_AUTH_URL:
		auth_url(r);
		return;
	case IMSG_PROXY_GDRIVE_STATUS:
		tok = token_load(r->user);
		preq_ok(r, json_pack("{s:b}", "connected",
		    json_str_or(tok, "refresh_token", json_str_or(tok,
		    "access_token", NULL)) != NULL));
		json_decref(tok);
		return;
	case IMSG_PROXY_GDRIVE_LOGOUT:
		if (token_path(r->user, path, sizeof(path)) == 0 &&
		    unlink(path) == -1 && errno != ENOENT) {
			preq_fail(r, 0, 0, "google drive: cannot forget the "
			    "tokens: %s", strerror(errno));
			return;
		}
		preq_ok(r, json_pack("{s:b}", "connected", 0));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		preq_fail(r, 0, 0, "out of memory");
		return;
	}
	c->r = r;
	r->ctx = c;
	r->cancel = gd_cancel;
	c->max = json_int_or(r->msg, "max_bytes", 100LL * 1024 * 1024);
	if (c->max <= 0 || c->max > GD_DOWNLOAD_MAX)
		c->max = GD_DOWNLOAD_MAX;
	if (r->type == IMSG_PROXY_GDRIVE_AUTH_CODE) {
		in = json_str_or(r->msg, "code", "");
		if (!private_chat(r) ||
		    check_redirect(r, in, code, sizeof(code)) == -1)
			return;
		c->stage = GD_TOKEN;
		if (token_post(c, "authorization_code", "code", code,
		    code_done) == -1)
			preq_fail(r, 0, 0, "google drive: cannot start the "
			    "request");
		explicit_bzero(code, sizeof(code));
		return;
	}
	if ((c->tok = token_load(r->user)) == NULL ||
	    json_str_or(c->tok, "access_token", NULL) == NULL) {
		preq_fail(r, 0, 0, "google drive not connected");
		return;
	}
	if (json_int_or(c->tok, "expires_at", 0) < time(NULL) + 60 &&
	    json_str_or(c->tok, "refresh_token", NULL) != NULL) {
		c->stage = GD_REFRESH;
		if (token_post(c, "refresh_token", "refresh_token",
		    json_str_or(c->tok, "refresh_token", ""), refresh_done) ==
		    -1)
			preq_fail(r, 0, 0, "google drive: cannot start the "
			    "request");
		return;
	}
	gd_api(c);
}

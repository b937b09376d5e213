/*
 * scrub.c - the parts of secrets that error texts and log lines carry.
 *
 * request.c's DLP instance replaces whole secret values and their
 * encodings.  An error text carries parts of them instead: curl says
 * "Failed to connect to HOST port PORT", a model endpoint names its
 * path, Telegram's API path holds the bot token.  So each secret that
 * is a URL (llm_base_url) is also taken apart here, into its host,
 * host:port, port, path, path segments, query, query values, user and
 * password, and the secret half of the bot token (after its colon) is
 * one more part.  Every error text proxyd sends to gatewayd and every
 * line it logs goes through scrub_text(), which replaces each part with
 * [REDACTED:NAME].  Hosts match in any case and only as a whole name
 * (not inside a longer one), ports only as a port (":PORT", "port
 * PORT") and a whole number; short path
 * segments and query values (fewer than SCRUB_SEGMIN bytes: "v1") are
 * left as they are.  Model answers and fetched pages are not scrubbed
 * of parts: a host name there is not an error text.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "topsh.h"
#include "proxyd.h"

#define SCRUB_MAXPARTS	64
#define SCRUB_SEGMIN	6	/* shorter path segments, query values */
#define SCRUB_PATHMIN	4	/* a shorter whole path: "/v1" */

enum partkind { P_TEXT, P_HOST, P_NUMBER };

struct part {
	char		*text;
	size_t		 len;
	enum partkind	 kind;
	const char	*name;
};
static struct part	 parts[SCRUB_MAXPARTS];
static size_t		 nparts;

static void
add(const char *name, const char *text, size_t len, enum partkind kind)
{
	size_t	i;

	if (len == 0 || nparts >= SCRUB_MAXPARTS)
		return;
	for (i = 0; i < nparts; i++)
		if (parts[i].len == len && memcmp(parts[i].text, text, len) ==
		    0)
			return;
	if ((parts[nparts].text = strndup(text, len)) == NULL)
		return;
	parts[nparts].len = len;
	parts[nparts].kind = kind;
	parts[nparts].name = name;
	nparts++;
}

/* each piece of s between separators in seps, if long enough */
static void
add_pieces(const char *name, const char *s, const char *seps, int eq)
{
	const char	*p, *v;
	size_t		 n;

	for (p = s; *p != '\0'; p += n + (p[n] != '\0')) {
		n = strcspn(p, seps);
		v = p;
		if (eq && (v = memchr(p, '=', n)) != NULL)
			v++;
		else
			v = p;
		if ((size_t)(p + n - v) >= SCRUB_SEGMIN)
			add(name, v, p + n - v, P_TEXT);
	}
}

static void
add_url(const char *name, const char *url)
{
	CURLU		*u;
	char		*v = NULL, *host = NULL, *port = NULL, hp[600];
	size_t		 len;

	if ((u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		len = strlen(host);
		/* an IPv6 literal is written with and without brackets */
		if (len > 2 && host[0] == '[' && host[len - 1] == ']')
			add(name, host + 1, len - 2, P_HOST);
		add(name, host, len, P_HOST);
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
		if (host != NULL && (size_t)snprintf(hp, sizeof(hp), "%s:%s",
		    host, port) < sizeof(hp))
			add(name, hp, strlen(hp), P_HOST);
		add(name, port, strlen(port), P_NUMBER);
	}
	if (curl_url_get(u, CURLUPART_PATH, &v, 0) == CURLUE_OK) {
		len = strlen(v);
		while (len > 1 && v[len - 1] == '/')
			len--;
		if (len >= SCRUB_PATHMIN)
			add(name, v, len, P_TEXT);
		add_pieces(name, v, "/", 0);
		curl_free(v);
		v = NULL;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &v, 0) == CURLUE_OK) {
		if (strlen(v) >= SCRUB_PATHMIN)
			add(name, v, strlen(v), P_TEXT);
		add_pieces(name, v, "&", 1);
		curl_free(v);
		v = NULL;
	}
	if (curl_url_get(u, CURLUPART_USER, &v, 0) == CURLUE_OK) {
		add(name, v, strlen(v), P_TEXT);
		curl_free(v);
		v = NULL;
	}
	if (curl_url_get(u, CURLUPART_PASSWORD, &v, 0) == CURLUE_OK) {
		add(name, v, strlen(v), P_TEXT);
		curl_free(v);
		v = NULL;
	}
 done:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* the parts of the secrets in s that are URLs or bot tokens */
void
scrub_init(const struct secrets *s)
{
	const char	*c;

	scrub_clear();
	if (s->llm_base_url != NULL)
		add_url("llm_base_url", s->llm_base_url);
	if (s->telegram_token != NULL &&
	    (c = strchr(s->telegram_token, ':')) != NULL &&
	    strlen(c + 1) >= SCRUB_SEGMIN)
		add("telegram_token", c + 1, strlen(c + 1), P_TEXT);
}

void
scrub_clear(void)
{
	size_t	i;

	for (i = 0; i < nparts; i++)
		freezero(parts[i].text, parts[i].len);
	nparts = 0;
}

static int
hostbyte(int c)
{
	return (isalnum(c) || c == '-' || c == '.' || c == '_' || c == ':');
}

/* does part p match s at i (bounds included)? */
static int
match(const struct part *p, const char *s, size_t slen, size_t i)
{
	size_t	e = i + p->len;

	if (e > slen)
		return (0);
	switch (p->kind) {
	case P_HOST:
		if (strncasecmp(s + i, p->text, p->len) != 0)
			return (0);
		/* not inside a longer name or address; a final dot is */
		if (i > 0 && hostbyte((unsigned char)s[i - 1]) &&
		    s[i - 1] != ':')
			return (0);
		return (e == slen || !hostbyte((unsigned char)s[e]) ||
		    (s[e] == '.' && (e + 1 == slen ||
		    !hostbyte((unsigned char)s[e + 1]))) || s[e] == ':');
	case P_NUMBER:
		/*
		 * a port only where it is one: after ':' or "port ", and
		 * not followed by more of a word.  A bare number is too
		 * common ("9" in a temporary directory's name) to go.
		 */
		if (memcmp(s + i, p->text, p->len) != 0)
			return (0);
		if (!((i >= 1 && s[i - 1] == ':') || (i >= 5 &&
		    strncasecmp(s + i - 5, "port ", 5) == 0)))
			return (0);
		return (e == slen || !isalnum((unsigned char)s[e]));
	default:
		return (memcmp(s + i, p->text, p->len) == 0);
	}
}

/* s with every part of a secret replaced; malloc'd, NULL on failure */
char *
scrub_text(const char *s)
{
	char		*out;
	size_t		 slen = strlen(s), i, k, o = 0, cap, best;
	const struct part *p;

	cap = slen + 1;
	if ((out = malloc(cap)) == NULL)
		return (NULL);
	for (i = 0; i < slen;) {
		/* the longest part that matches here */
		best = nparts;
		for (k = 0; k < nparts; k++)
			if (match(&parts[k], s, slen, i) && (best == nparts ||
			    parts[k].len > parts[best].len))
				best = k;
		if (best == nparts) {
			out[o++] = s[i++];
			continue;
		}
		p = &parts[best];
		if (o + strlen(p->name) + 12 + (slen - i) >= cap) {
			char	*n;

			cap = o + strlen(p->name) + 12 + (slen - i) + 64;
			if ((n = realloc(out, cap)) == NULL) {
				free(out);
				return (NULL);
			}
			out = n;
		}
		o += snprintf(out + o, cap - o, "[REDACTED:%s]", p->name);
		i += p->len;
	}
	out[o] = '\0';
	return (out);
}

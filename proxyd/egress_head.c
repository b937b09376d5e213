/*
 * egress_head.c - the egress proxy's request-head parser: the bytes a
 * sandbox sent up to and including the blank line become a destination
 * (host, port, CONNECT or not) and, for a plain request, the request
 * rewritten to origin form with "Connection: close".
 *
 * The input is hostile: any bytes, NULs included, in any order.  The
 * parser never assumes a line ending is present, refuses a head with a
 * NUL byte (HTTP has no place for one, and C strings would stop at it)
 * and answers every refusal with a status code and a short reason.
 * regress/fuzz/fuzz_egress.c runs it under libFuzzer.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "proxyd.h"

static int
split_hostport(char *s, char **host, int *port, int defport)
{
	char		*p;
	const char	*errstr;

	if (*s == '[') {
		if ((p = strchr(s, ']')) == NULL)
			return (-1);
		p++;
	} else
		p = strrchr(s, ':');
	if (p != NULL && *p == ':') {
		*p++ = '\0';
		*port = strtonum(p, 1, 65535, &errstr);
		if (errstr != NULL)
			return (-1);
	} else if (p != NULL && *p != '\0')
		return (-1);
	else
		*port = defport;
	*host = s;
	return (*s == '\0' ? -1 : 0);
}

/* "GET http://host/path HTTP/1.1" -> "GET /path HTTP/1.1", close */
static int
rewrite_plain(struct eg_head *h, const char *method, const char *target,
    const char *version, char *headers)
{
	CURLU		*u;
	char		*host = NULL, *path = NULL, *query = NULL, *pstr = NULL;
	char		*line, *next;
	const char	*errstr;
	struct evbuffer	*b;
	int		 rv = -1;

	if (strncasecmp(target, "http://", 7) != 0 ||
	    (u = curl_url()) == NULL)
		return (-1);
	if (curl_url_set(u, CURLUPART_URL, target, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &pstr, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	h->port = strtonum(pstr, 1, 65535, &errstr);
	if (errstr != NULL || (h->host = strdup(host)) == NULL)
		goto out;
	if ((b = evbuffer_new()) == NULL)
		goto out;
	evbuffer_add_printf(b, "%s %s%s%s %s\r\n", method, path,
	    query ? "?" : "", query ? query : "", version);
	for (line = headers; line != NULL && *line != '\0'; line = next) {
		if ((next = strstr(line, "\r\n")) != NULL) {
			*next = '\0';
			next += 2;
		}
		if (*line == '\0' ||
		    strncasecmp(line, "proxy-", 6) == 0 ||
		    strncasecmp(line, "connection:", 11) == 0 ||
		    strncasecmp(line, "keep-alive:", 11) == 0)
			continue;
		evbuffer_add_printf(b, "%s\r\n", line);
	}
	evbuffer_add_printf(b, "Connection: close\r\n\r\n");
	h->headlen = evbuffer_get_length(b);
	if ((h->head = malloc(h->headlen)) != NULL) {
		evbuffer_remove(b, h->head, h->headlen);
		rv = 0;
	}
	evbuffer_free(b);
 out:
	if (rv == -1) {
		free(h->host);
		h->host = NULL;
	}
	curl_free(host);
	curl_free(pstr);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return (rv);
}

void
egress_head_free(struct eg_head *h)
{
	free(h->host);
	free(h->head);
	memset(h, 0, sizeof(*h));
}

/*
 * buf[0..len) is a request head ending in the blank line.  Returns 0
 * with *h filled in (free with egress_head_free), or an HTTP status
 * code (400) with *why set and nothing to free.
 */
int
egress_head_parse(const char *buf, size_t len, struct eg_head *h,
    const char **why)
{
	char	*head, *eol, *headers, *hp, method[32], target[4096];
	char	 version[16];
	int	 n;

	memset(h, 0, sizeof(*h));
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		*why = "not an HTTP/1 proxy request";
		return (400);
	}
	if ((head = malloc(len + 1)) == NULL) {
		*why = "out of memory";
		return (500);
	}
	memcpy(head, buf, len);
	head[len] = '\0';
	if ((eol = strstr(head, "\r\n")) == NULL) {
		free(head);
		*why = "not an HTTP/1 proxy request";
		return (400);
	}
	*eol = '\0';
	headers = eol + 2;
	n = sscanf(head, "%31s %4095s %15s", method, target, version);
	if (n != 3 || strncmp(version, "HTTP/1.", 7) != 0) {
		free(head);
		*why = "not an HTTP/1 proxy request";
		return (400);
	}
	if (strcasecmp(method, "CONNECT") == 0) {
		h->is_connect = 1;
		if (split_hostport(target, &hp, &h->port, 443) == -1 ||
		    (h->host = strdup(hp)) == NULL) {
			free(head);
			memset(h, 0, sizeof(*h));
			*why = "bad CONNECT target";
			return (400);
		}
	} else if (rewrite_plain(h, method, target, version, headers) == -1) {
		free(head);
		memset(h, 0, sizeof(*h));
		*why = "only absolute http:// URLs and CONNECT";
		return (400);
	}
	free(head);
	return (0);
}

/*
 * dlp_json.c - redaction inside a JSON document: every string value
 * and every object key is redacted as text, so the document stays
 * valid JSON (a tool call's "arguments" string holding JSON stays valid
 * JSON too: replacements contain no quote or backslash).  A redacted
 * key that collides with another key gets "~N" appended.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem, asprintf without -D_GNU_SOURCE */
#endif
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp_int.h"

#define KEY_TRIES	1000

static int	json_walk(struct dlp *, json_t *);

/*
 * Set the string; should the text not be valid UTF-8 (a secret made of
 * arbitrary bytes cut through a character), keep only the label.
 */
static int
json_set(json_t *v, const char *s, size_t n)
{
	if (dlp_utf8_valid(s, n))
		return (json_string_setn_nocheck(v, s, n));
	return (json_string_set(v, "[REDACTED:DLP]"));
}

/*
 * Redacted copy of s, or NULL with *n = 0 when there is nothing to
 * redact (no copy made: most strings), or NULL with *n = -1 on error.
 */
static char *
json_redact_text(struct dlp *d, const char *s, size_t len, size_t *outlen,
    int *n)
{
	char	*out;

	*n = 0;
	if (dlp_collect(d, s, len, 0) == -1) {
		*n = -1;
		return (NULL);
	}
	if (d->nm == 0)
		return (NULL);
	if ((out = dlp_build(d, s, 0, len, d->nm, outlen)) == NULL) {
		*n = -1;
		return (NULL);
	}
	*n = d->nm;
	return (out);
}

static int
json_redact_string(struct dlp *d, json_t *v)
{
	char	*out;
	size_t	 outlen;
	int	 n;

	out = json_redact_text(d, json_string_value(v), json_string_length(v),
	    &outlen, &n);
	if (out == NULL)
		return (n);
	if (json_set(v, out, outlen) == -1)
		n = -1;
	free(out);
	return (n);
}

/* A key name for a redacted key not used yet in o. */
static char *
json_free_key(json_t *o, char *k)
{
	char	*alt;
	int	 i;

	if (json_object_get(o, k) == NULL)
		return (k);
	for (i = 2; i < KEY_TRIES; i++) {
		if (asprintf(&alt, "%s~%d", k, i) == -1)
			break;
		if (json_object_get(o, alt) == NULL) {
			free(k);
			return (alt);
		}
		free(alt);
	}
	free(k);
	return (NULL);
}

static int
json_redact_key(struct dlp *d, json_t *o, const char *key, int *count)
{
	json_t		*v;
	char		*nk;
	size_t		 nlen;
	int		 n;

	if ((nk = json_redact_text(d, key, strlen(key), &nlen, &n)) == NULL)
		return (n);
	v = json_incref(json_object_get(o, key));
	if ((nk = json_free_key(o, nk)) == NULL ||
	    json_object_set(o, nk, v) == -1) {
		free(nk);
		json_decref(v);
		return (-1);
	}
	json_object_del(o, key);
	json_decref(v);
	free(nk);
	*count += n;
	return (0);
}

static int
json_walk_object(struct dlp *d, json_t *o)
{
	const char	*key;
	json_t		*v, *keys;
	size_t		 i;
	int		 count = 0, n;

	if ((keys = json_array()) == NULL)
		return (-1);
	json_object_foreach(o, key, v) {
		if ((n = json_walk(d, v)) == -1)
			goto fail;
		count += n;
		if (dlp_collect(d, key, strlen(key), 0) == -1)
			goto fail;
		if (d->nm > 0 &&
		    json_array_append_new(keys, json_string(key)) == -1)
			goto fail;
	}
	for (i = 0; i < json_array_size(keys); i++) {
		key = json_string_value(json_array_get(keys, i));
		if (key == NULL || json_redact_key(d, o, key, &count) == -1)
			goto fail;
	}
	json_decref(keys);
	return (count);
 fail:
	json_decref(keys);
	return (-1);
}

static int
json_walk(struct dlp *d, json_t *v)
{
	size_t	i;
	int	n, count = 0;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return (json_redact_string(d, v));
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++) {
			if ((n = json_walk(d, json_array_get(v, i))) == -1)
				return (-1);
			count += n;
		}
		return (count);
	case JSON_OBJECT:
		return (json_walk_object(d, v));
	default:
		return (0);
	}
}

int
dlp_redact_json(struct dlp *d, json_t *v)
{
	if (v == NULL)
		return (0);
	return (json_walk(d, v));
}

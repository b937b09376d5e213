/*
 * userlimit.c - per-user overrides in topsh.conf(5): the user-limits
 * keyword of the gateway and sandbox sections holds strings
 * "ID key=value ...", one per named user.  Each daemon looks up only
 * the keys it enforces; a key the section does not know is an error.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "userlimit.h"

/* the next word of s after *pos: its start and length, 0 at the end */
static size_t
word(const char *s, size_t *pos, const char **start)
{
	size_t	 i = *pos, n;

	while (s[i] == ' ' || s[i] == '\t')
		i++;
	*start = s + i;
	for (n = 0; s[i + n] != '\0' && s[i + n] != ' ' && s[i + n] != '\t';
	    n++)
		;
	*pos = i + n;
	return (n);
}

int
userlimit_get(const struct cfstrlist *l, int64_t user, const char *key,
    char *val, size_t vlen)
{
	const char	*w, *errstr, *eq;
	char		 id[32];
	size_t		 i, pos, n, klen = strlen(key);

	for (i = 0; i < l->n; i++) {
		pos = 0;
		if ((n = word(l->v[i], &pos, &w)) == 0 || n >= sizeof(id))
			continue;
		memcpy(id, w, n);
		id[n] = '\0';
		if (strtonum(id, 1, LLONG_MAX, &errstr) != user ||
		    errstr != NULL)
			continue;
		while ((n = word(l->v[i], &pos, &w)) > 0) {
			if ((eq = memchr(w, '=', n)) == NULL ||
			    (size_t)(eq - w) != klen ||
			    strncmp(w, key, klen) != 0)
				continue;
			n -= klen + 1;
			if (n >= vlen)
				return (0);
			memcpy(val, eq + 1, n);
			val[n] = '\0';
			return (1);
		}
	}
	return (0);
}

long long
userlimit_num(const struct cfstrlist *l, int64_t user, const char *key,
    long long dflt)
{
	char		 v[64];
	const char	*errstr;
	long long	 n;

	if (!userlimit_get(l, user, key, v, sizeof(v)))
		return (dflt);
	if (cf_parse_size(v, &n) == 0)
		return (n);
	n = strtonum(v, 0, LLONG_MAX, &errstr);
	return (errstr == NULL ? n : dflt);
}

int
userlimit_check(const struct cfstrlist *l, const char *const *keys,
    char *err, size_t errlen)
{
	const char	*w, *errstr, *eq;
	char		 id[32], k[64];
	size_t		 i, j, pos, n;

	for (i = 0; i < l->n; i++) {
		pos = 0;
		n = word(l->v[i], &pos, &w);
		if (n == 0 || n >= sizeof(id)) {
			snprintf(err, errlen, "user-limits \"%s\": begins "
			    "with a Telegram user id", l->v[i]);
			return (-1);
		}
		memcpy(id, w, n);
		id[n] = '\0';
		(void)strtonum(id, 1, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			snprintf(err, errlen, "user-limits \"%s\": \"%s\" is "
			    "not a Telegram user id", l->v[i], id);
			return (-1);
		}
		while ((n = word(l->v[i], &pos, &w)) > 0) {
			if ((eq = memchr(w, '=', n)) == NULL || eq == w ||
			    eq == w + n - 1 || (size_t)(eq - w) >= sizeof(k)) {
				snprintf(err, errlen, "user-limits \"%s\": "
				    "expected key=value, not \"%.*s\"",
				    l->v[i], (int)n, w);
				return (-1);
			}
			memcpy(k, w, eq - w);
			k[eq - w] = '\0';
			for (j = 0; keys[j] != NULL; j++)
				if (strcmp(keys[j], k) == 0)
					break;
			if (keys[j] == NULL) {
				snprintf(err, errlen, "user-limits \"%s\": "
				    "unknown key \"%s\"", l->v[i], k);
				return (-1);
			}
		}
	}
	return (0);
}

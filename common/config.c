/*
 * config.c - topsh.conf(5): check the parse tree against the keyword
 * tables, fill struct topsh_conf, print it back in canonical form.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"

const char *const log_facilities[] = {
	"daemon", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7", "user", NULL
};

static const int syslog_facilities[] = {
	LOG_DAEMON, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
	LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7, LOG_USER
};

int
config_syslog_facility(int i)
{
	if (i < 0 || i >= (int)(sizeof(syslog_facilities) /
	    sizeof(syslog_facilities[0])))
		return (LOG_DAEMON);
	return (syslog_facilities[i]);
}

#define IS_LIST(t)	((t) == CF_STRLIST || (t) == CF_PATHLIST)
#define CF_SUGGEST_MAX	64	/* longest keyword compared for hints */
#define MINIMUM(a, b)	((a) < (b) ? (a) : (b))

struct topsh_top {
	char	*runtime_dir;
	char	*state_dir;
	int	 log_facility;
};

#define T(n, t, f, d, c) \
	{ n, t, offsetof(struct topsh_conf, f), 0, 0, d, c }

static const struct cfkey top_keys[] = {
	T("log-facility", CF_ENUM, log_facility, "daemon", log_facilities),
	T("runtime-dir", CF_PATH, runtime_dir, TOPSH_RUNDIR, NULL),
	T("state-dir", CF_PATH, state_dir, TOPSH_STATEDIR, NULL),
};

static const struct cfsection top_section = {
	NULL, top_keys, sizeof(top_keys) / sizeof(top_keys[0]), 0
};

static const struct cfsection *const sections[] = {
	&conf_gateway_section,
	&conf_policy_section,
	&conf_proxy_section,
	&conf_sandbox_section,
};
#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

struct cfctx {
	struct cferrs	*errs;
	const char	*file;		/* for defaults */
	unsigned char	*seen;		/* per key of the current section */
	unsigned char	*secseen;	/* the same over all its blocks */
};

static int
key_cmp(const void *a, const void *b)
{
	const char		*name = a;
	const struct cfkey	*k = b;

	return (strcmp(name, k->name));
}

static const struct cfkey *
key_find(const struct cfsection *sec, const char *name)
{
	return (bsearch(name, sec->keys, sec->nkeys, sizeof(struct cfkey),
	    key_cmp));
}

int
cf_parse_size(const char *s, long long *out)
{
	char		*end;
	long double	 v;
	long long	 mult = 1;

	if (!isdigit((unsigned char)s[0]))
		return (-1);
	errno = 0;
	v = strtold(s, &end);
	if (errno != 0 || end == s)
		return (-1);
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		mult = 1LL << 10;
		end++;
		break;
	case 'm':
		mult = 1LL << 20;
		end++;
		break;
	case 'g':
		mult = 1LL << 30;
		end++;
		break;
	case 't':
		mult = 1LL << 40;
		end++;
		break;
	default:
		return (-1);
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		return (-1);
	v *= mult;
	if (v > (long double)LLONG_MAX / 2 || v != floorl(v))
		return (-1);
	*out = (long long)v;
	return (0);
}

int
cf_parse_time(const char *s, long long *out)
{
	const char	*errstr;
	char		 num[32];
	size_t		 len = strlen(s);
	long long	 mult = 1, v;

	if (len == 0 || len >= sizeof(num))
		return (-1);
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's':
		num[--len] = '\0';
		break;
	case 'm':
		mult = 60;
		num[--len] = '\0';
		break;
	case 'h':
		mult = 3600;
		num[--len] = '\0';
		break;
	case 'd':
		mult = 86400;
		num[--len] = '\0';
		break;
	}
	if (len == 0 || !isdigit((unsigned char)num[0]))
		return (-1);
	v = strtonum(num, 0, LLONG_MAX / 86400, &errstr);
	if (errstr != NULL)
		return (-1);
	*out = v * mult;
	return (0);
}

int
cf_parse_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "on") == 0 ||
	    strcmp(s, "true") == 0) {
		*out = 1;
		return (0);
	}
	if (strcmp(s, "no") == 0 || strcmp(s, "off") == 0 ||
	    strcmp(s, "false") == 0) {
		*out = 0;
		return (0);
	}
	return (-1);
}

static char *
resolve_path(const char *file, const char *path)
{
	char	 dir[PATH_MAX];
	char	*full;

	if (path[0] == '/' || file == NULL || file[0] == '\0')
		return (strdup(path));
	if (strlcpy(dir, file, sizeof(dir)) >= sizeof(dir))
		return (NULL);
	if (asprintf(&full, "%s/%s", dirname(dir), path) == -1)
		return (NULL);
	return (full);
}

/* a path value resolved against the file naming it; NULL with msg */
static char *
path_value(const char *file, const char *val, char *msg, size_t msglen)
{
	char	*p;

	if (val[0] == '\0') {
		snprintf(msg, msglen, "empty path");
		return (NULL);
	}
	if ((p = resolve_path(file, val)) == NULL)
		snprintf(msg, msglen, "path too long");
	return (p);
}

/* does absolute path p name "/" (//, /., /a/.. and the like)? */
static int
is_root(const char *p)
{
	const char	*e;
	size_t		 len;
	int		 depth = 0;

	for (; *p != '\0'; p = e) {
		while (*p == '/')
			p++;
		for (e = p; *e != '\0' && *e != '/'; e++)
			;
		if ((len = e - p) == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (depth > 0)
				depth--;
			continue;
		}
		depth++;
	}
	return (depth == 0);
}

static int
set_string(char **field, const char *val)
{
	char	*s;

	if ((s = strdup(val)) == NULL)
		return (-1);
	free(*field);
	*field = s;
	return (0);
}

static int
strlist_add(struct cfstrlist *l, const char *val)
{
	char	**v, *s;

	if ((s = strdup(val)) == NULL)
		return (-1);
	if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL) {
		free(s);
		return (-1);
	}
	l->v = v;
	l->v[l->n++] = s;
	return (0);
}

static void
strlist_free(struct cfstrlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
parse_double(const char *s, double *out)
{
	char	*end;
	double	 v;

	if (!isdigit((unsigned char)s[0]) && s[0] != '.')
		return (-1);
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
		return (-1);
	*out = v;
	return (0);
}

static int
parse_portrange(const char *s, int *lo, int *hi, long long min,
    long long max)
{
	const char	*errstr;
	char		 buf[32], *sep;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return (-1);
	if ((sep = strchr(buf, ':')) == NULL && (sep = strchr(buf, '-')) ==
	    NULL)
		return (-1);
	*sep++ = '\0';
	*lo = strtonum(buf, min, max, &errstr);
	if (errstr != NULL)
		return (-1);
	*hi = strtonum(sep, min, max, &errstr);
	if (errstr != NULL || *hi < *lo)
		return (-1);
	return (0);
}

/*
 * A CF_INT key with choices also takes those words: the first is -1,
 * the second -2... (what the word means is the daemon's: "auto").
 * Returns 0 when val is none of them.
 */
static long long
int_word(const struct cfkey *k, const char *val)
{
	size_t	 i;

	for (i = 0; k->choices[i] != NULL; i++)
		if (strcmp(k->choices[i], val) == 0)
			return (-1 - (long long)i);
	return (0);
}

static const char *
int_word_name(const struct cfkey *k, long long n)
{
	size_t	 i;

	for (i = 0; k->choices[i] != NULL; i++)
		if (-1 - (long long)i == n)
			return (k->choices[i]);
	return (NULL);
}

/* one value for one key; msg gets the reason on failure */
static int
set_value(const struct cfkey *k, void *base, const char *file,
    const char *val, char *msg, size_t msglen)
{
	void		*field = (char *)base + k->off;
	long long	 n;
	double		 d;
	int		 b, *range;
	ssize_t		 i;
	size_t		 len;
	char		*p;
	unsigned char	 addr[sizeof(struct in6_addr)];

	switch (k->type) {
	case CF_STRING:
		if (val[0] == '\0') {
			snprintf(msg, msglen, "empty value");
			return (-1);
		}
		return (set_string(field, val));
	case CF_PATH:
		if ((p = path_value(file, val, msg, msglen)) == NULL)
			return (-1);
		if ((k->min & CF_PATH_NOTROOT) && is_root(p)) {
			snprintf(msg, msglen, "\"%s\" is the root directory; "
			    "name a directory of its own", val);
			free(p);
			return (-1);
		}
		free(*(char **)field);
		*(char **)field = p;
		return (0);
	case CF_INT:
	case CF_SIZE:
	case CF_TIME:
		if (k->type == CF_INT && k->choices != NULL &&
		    (n = int_word(k, val)) < 0) {
			*(long long *)field = n;
			return (0);
		} else if (k->type == CF_INT) {
			const char *errstr;

			n = strtonum(val, LLONG_MIN, LLONG_MAX, &errstr);
			if (errstr != NULL) {
				snprintf(msg, msglen, "\"%s\" is not a number",
				    val);
				return (-1);
			}
		} else if (k->type == CF_SIZE && cf_parse_size(val, &n) == -1) {
			snprintf(msg, msglen, "\"%s\" is not a size "
			    "(e.g. 512M)", val);
			return (-1);
		} else if (k->type == CF_TIME && cf_parse_time(val, &n) == -1) {
			snprintf(msg, msglen, "\"%s\" is not a time "
			    "(e.g. 30s, 5m, 1h)", val);
			return (-1);
		}
		if ((k->min || k->max) && (n < k->min || n > k->max)) {
			snprintf(msg, msglen, "%s out of range (%lld to %lld)",
			    val, k->min, k->max);
			return (-1);
		}
		*(long long *)field = n;
		return (0);
	case CF_BOOL:
		if (cf_parse_bool(val, &b) == -1) {
			snprintf(msg, msglen, "\"%s\" is not yes or no", val);
			return (-1);
		}
		*(int *)field = b;
		return (0);
	case CF_DOUBLE:
	case CF_PERCENT:
		len = strlen(val);
		if (k->type == CF_PERCENT && len > 1 && val[len - 1] == '%') {
			char	 tmp[64];

			if (len >= sizeof(tmp))
				return (-1);
			memcpy(tmp, val, len - 1);
			tmp[len - 1] = '\0';
			if (parse_double(tmp, &d) == -1 || d > 100) {
				snprintf(msg, msglen, "bad percentage \"%s\"",
				    val);
				return (-1);
			}
			d /= 100;
		} else if (parse_double(val, &d) == -1) {
			snprintf(msg, msglen, "\"%s\" is not a number", val);
			return (-1);
		}
		if (k->type == CF_PERCENT && (d < 0 || d > 1)) {
			snprintf(msg, msglen, "%s out of range (0%% to 100%%)",
			    val);
			return (-1);
		}
		if (k->type == CF_DOUBLE && (k->min || k->max) &&
		    (d < k->min || d > k->max || d <= 0)) {
			snprintf(msg, msglen, "%s out of range (above %lld, "
			    "at most %lld)", val, k->min, k->max);
			return (-1);
		}
		*(double *)field = d;
		return (0);
	case CF_ENUM:
		for (i = 0; k->choices[i] != NULL; i++)
			if (strcmp(k->choices[i], val) == 0) {
				*(int *)field = (int)i;
				return (0);
			}
		snprintf(msg, msglen, "\"%s\" is not one of:", val);
		for (i = 0; k->choices[i] != NULL; i++) {
			strlcat(msg, " ", msglen);
			strlcat(msg, k->choices[i], msglen);
		}
		return (-1);
	case CF_ADDR:
		if (inet_pton(AF_INET, val, addr) != 1 &&
		    inet_pton(AF_INET6, val, addr) != 1) {
			snprintf(msg, msglen, "\"%s\" is not an IP address",
			    val);
			return (-1);
		}
		return (set_string(field, val));
	case CF_PORTRANGE:
		range = field;
		if (parse_portrange(val, &range[0], &range[1], k->min,
		    k->max) == -1) {
			snprintf(msg, msglen, "\"%s\" is not a port range "
			    "LOW:HIGH within %lld-%lld", val, k->min, k->max);
			return (-1);
		}
		return (0);
	case CF_STRLIST:
		if (val[0] == '\0') {
			snprintf(msg, msglen, "empty value");
			return (-1);
		}
		return (strlist_add(field, val));
	case CF_PATHLIST:
		if ((p = path_value(file, val, msg, msglen)) == NULL)
			return (-1);
		i = strlist_add(field, p);
		free(p);
		return ((int)i);
	}
	return (-1);
}

static void
section_defaults(const struct cfsection *sec, void *base, struct cfctx *ctx)
{
	char	 msg[256];
	size_t	 i;

	for (i = 0; i < sec->nkeys; i++) {
		if (sec->keys[i].def == NULL)
			continue;
		if (set_value(&sec->keys[i], base, NULL, sec->keys[i].def,
		    msg, sizeof(msg)) == -1)
			cf_error(ctx->errs, "(defaults)", 0, "%s: %s",
			    sec->keys[i].name, msg);
	}
}

static void
section_free(const struct cfsection *sec, void *base)
{
	const struct cfkey	*k;
	size_t			 i;

	for (i = 0; i < sec->nkeys; i++) {
		k = &sec->keys[i];
		switch (k->type) {
		case CF_STRING:
		case CF_PATH:
		case CF_ADDR:
			free(*(char **)((char *)base + k->off));
			*(char **)((char *)base + k->off) = NULL;
			break;
		case CF_STRLIST:
		case CF_PATHLIST:
			strlist_free((struct cfstrlist *)((char *)base +
			    k->off));
			break;
		default:
			break;
		}
	}
}

/* Levenshtein distance, capped: names are short */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t	 row[CF_SUGGEST_MAX + 1], la, lb, i, j, prev, cur, sub;

	la = strlen(a);
	lb = strlen(b);
	if (la > CF_SUGGEST_MAX || lb > CF_SUGGEST_MAX)
		return ((size_t)-1);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			sub = prev + (a[i - 1] != b[j - 1]);
			row[j] = MINIMUM(MINIMUM(row[j] + 1, row[j - 1] + 1),
			    sub);
			prev = cur;
		}
	}
	return (row[lb]);
}

static void
suggest_one(const char *name, const char *cand, const char **best,
    size_t *bestd)
{
	size_t	 d = edit_distance(name, cand);

	if (d < *bestd) {
		*bestd = d;
		*best = cand;
	}
}

/*
 * An unknown keyword: the nearest keyword of its section (or section
 * name, at the top level) within a few typing mistakes, or the section
 * where that keyword belongs.
 */
static void
unknown_key(const struct cfsection *sec, struct cfnode *n, struct cfctx *ctx)
{
	const char	*best = NULL, *other = NULL;
	char		 hint[256], where[64];
	size_t		 bestd, i, len = strlen(n->name);

	bestd = len <= 4 ? 2 : len < 9 ? 3 : 4;	/* one more than allowed */
	for (i = 0; i < sec->nkeys; i++)
		suggest_one(n->name, sec->keys[i].name, &best, &bestd);
	if (sec->name == NULL)
		for (i = 0; i < NSECTIONS; i++)
			suggest_one(n->name, sections[i]->name, &best, &bestd);
	if (sec->name != NULL && key_find(&top_section, n->name) != NULL)
		other = "";
	for (i = 0; other == NULL && i < NSECTIONS; i++)
		if (sections[i] != sec && key_find(sections[i], n->name) !=
		    NULL)
			other = sections[i]->name;
	hint[0] = '\0';
	if (other != NULL && *other == '\0')
		snprintf(hint, sizeof(hint), "; it belongs at the top level");
	else if (other != NULL)
		snprintf(hint, sizeof(hint), "; it belongs in the %s section",
		    other);
	else if (best != NULL)
		snprintf(hint, sizeof(hint), "; did you mean \"%s\"?", best);
	where[0] = '\0';
	if (sec->name != NULL)
		snprintf(where, sizeof(where), " in %s section", sec->name);
	cf_error_node(ctx->errs, n, "unknown keyword \"%s\"%s%s", n->name,
	    where, hint);
}

static void
apply_key(const struct cfsection *sec, void *base, struct cfnode *n,
    struct cfctx *ctx)
{
	const struct cfkey	*k;
	char			 msg[512];
	size_t			 idx;
	int			 i;

	if ((k = key_find(sec, n->name)) == NULL) {
		unknown_key(sec, n, ctx);
		return;
	}
	if (n->hasblock) {
		cf_error_node(ctx->errs, n, "%s takes no block", n->name);
		return;
	}
	if (n->argc == 0 || (n->argc > 1 && !IS_LIST(k->type))) {
		cf_error_node(ctx->errs, n, "%s takes %s value", n->name,
		    IS_LIST(k->type) ? "one or more" : "exactly one");
		return;
	}
	idx = k - sec->keys;
	if (ctx->seen[idx] && !IS_LIST(k->type)) {
		cf_error_node(ctx->errs, n, "%s set twice", n->name);
		return;
	}
	if (!ctx->seen[idx] && IS_LIST(k->type))
		strlist_free((struct cfstrlist *)((char *)base + k->off));
	ctx->seen[idx] = 1;
	for (i = 0; i < n->argc; i++)
		if (set_value(k, base, n->file, n->argv[i], msg,
		    sizeof(msg)) == -1)
			cf_error_node(ctx->errs, n, "%s: %s", n->name, msg);
}

static void
apply_section(const struct cfsection *sec, void *base, struct cfnode *blk,
    struct cfctx *ctx)
{
	struct cfnode	*n;
	unsigned char	*saved = ctx->seen;

	ctx->seen = ctx->secseen;
	TAILQ_FOREACH(n, &blk->children, entry)
		apply_key(sec, base, n, ctx);
	ctx->seen = saved;
}

static const struct cfsection *
section_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(sections[i]->name, name) == 0)
			return (sections[i]);
	return (NULL);
}

static void
config_apply(struct topsh_conf *conf, struct cftree *tree, struct cfctx *ctx)
{
	const struct cfsection	*sec;
	struct cfnode		*n;
	unsigned char		 topseen[16], secseen[NSECTIONS][128];
	size_t			 i;

	memset(topseen, 0, sizeof(topseen));
	memset(secseen, 0, sizeof(secseen));
	TAILQ_FOREACH(n, &tree->nodes, entry) {
		if ((sec = section_find(n->name)) != NULL) {
			if (!n->hasblock || n->argc != 0) {
				cf_error_node(ctx->errs, n, "%s takes a "
				    "{ block } and no arguments", n->name);
				continue;
			}
			/*
			 * A section may be split over several blocks, but a
			 * setting in two of them (a duplicated section) is
			 * an error, not a silent override.
			 */
			for (i = 0; i < NSECTIONS && sections[i] != sec; i++)
				;
			ctx->seen = NULL;
			ctx->secseen = secseen[i];
			apply_section(sec, (char *)conf + sec->off, n, ctx);
			continue;
		}
		ctx->seen = topseen;
		apply_key(&top_section, conf, n, ctx);
	}
}

static struct topsh_conf *
config_new(const char *path, struct cfctx *ctx)
{
	struct topsh_conf	*conf;
	size_t			 i;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return (NULL);
	if ((conf->path = strdup(path)) == NULL) {
		free(conf);
		return (NULL);
	}
	section_defaults(&top_section, conf, ctx);
	for (i = 0; i < NSECTIONS; i++)
		section_defaults(sections[i], (char *)conf + sections[i]->off,
		    ctx);
	return (conf);
}

static int
config_finish(struct topsh_conf *conf, struct cftree *tree,
    struct cferrs *errs, struct topsh_conf **out, size_t before)
{
	struct cfctx	 ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.errs = errs;
	if (tree != NULL)
		config_apply(conf, tree, &ctx);
	cf_free(tree);
	if (tree == NULL || errs->n != before) {
		config_free(conf);
		return (-1);
	}
	*out = conf;
	return (0);
}

int
config_load(const char *path, struct cfmacros *macros,
    struct topsh_conf **out, struct cferrs *errs)
{
	struct topsh_conf	*conf;
	struct cftree		*tree;
	struct cfctx		 ctx;
	size_t			 before = errs->n;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.errs = errs;
	tree = cf_parse_file(path, macros, errs);
	if (tree == NULL && errs->n == before)
		cf_error(errs, path, 0, "cannot parse");
	if ((conf = config_new(path, &ctx)) == NULL) {
		cf_free(tree);
		cf_error(errs, path, 0, "out of memory");
		return (-1);
	}
	/* check what did parse, so that one run lists every mistake */
	return (config_finish(conf, tree, errs, out, before));
}

int
config_load_buffer(const char *name, const char *buf, size_t len,
    struct cfmacros *macros, struct topsh_conf **out, struct cferrs *errs)
{
	struct topsh_conf	*conf;
	struct cftree		*tree;
	struct cfctx		 ctx;
	size_t			 before = errs->n;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.errs = errs;
	tree = cf_parse_buffer(name, buf, len, macros, errs);
	if ((conf = config_new(name, &ctx)) == NULL) {
		cf_free(tree);
		return (-1);
	}
	return (config_finish(conf, tree, errs, out, before));
}

void
config_free(struct topsh_conf *conf)
{
	size_t	 i;

	if (conf == NULL)
		return;
	section_free(&top_section, conf);
	for (i = 0; i < NSECTIONS; i++)
		section_free(sections[i], (char *)conf + sections[i]->off);
	free(conf->path);
	free(conf);
}

static void
print_size(FILE *fp, long long v)
{
	if (v != 0 && v % (1LL << 30) == 0)
		fprintf(fp, "%lldG", v >> 30);
	else if (v != 0 && v % (1LL << 20) == 0)
		fprintf(fp, "%lldM", v >> 20);
	else if (v != 0 && v % (1LL << 10) == 0)
		fprintf(fp, "%lldK", v >> 10);
	else
		fprintf(fp, "%lld", v);
}

static void
print_time(FILE *fp, long long v)
{
	if (v != 0 && v % 86400 == 0)
		fprintf(fp, "%lldd", v / 86400);
	else if (v != 0 && v % 3600 == 0)
		fprintf(fp, "%lldh", v / 3600);
	else if (v != 0 && v % 60 == 0)
		fprintf(fp, "%lldm", v / 60);
	else
		fprintf(fp, "%llds", v);
}

static void
print_key(FILE *fp, const struct cfkey *k, const void *base, const char *ind)
{
	const void		*field = (const char *)base + k->off;
	const struct cfstrlist	*l;
	const int		*range;
	long long		 n;
	size_t			 i;

	if (IS_LIST(k->type)) {
		l = field;
		if (l->n == 0)
			return;
		fprintf(fp, "%s%s", ind, k->name);
		for (i = 0; i < l->n; i++) {
			fputc(' ', fp);
			cf_print_string(fp, l->v[i]);
		}
		fputc('\n', fp);
		return;
	}
	if ((k->type == CF_STRING || k->type == CF_PATH || k->type == CF_ADDR) &&
	    *(char *const *)field == NULL)
		return;
	fprintf(fp, "%s%s ", ind, k->name);
	switch (k->type) {
	case CF_STRING:
	case CF_PATH:
	case CF_ADDR:
		cf_print_string(fp, *(char *const *)field);
		break;
	case CF_INT:
		n = *(const long long *)field;
		if (n < 0 && k->choices != NULL && int_word_name(k, n) != NULL)
			fputs(int_word_name(k, n), fp);
		else
			fprintf(fp, "%lld", n);
		break;
	case CF_SIZE:
		print_size(fp, *(const long long *)field);
		break;
	case CF_TIME:
		print_time(fp, *(const long long *)field);
		break;
	case CF_BOOL:
		fputs(*(const int *)field ? "yes" : "no", fp);
		break;
	case CF_DOUBLE:
		fprintf(fp, "%g", *(const double *)field);
		break;
	case CF_PERCENT:
		fprintf(fp, "%g%%", *(const double *)field * 100);
		break;
	case CF_ENUM:
		fputs(k->choices[*(const int *)field], fp);
		break;
	case CF_PORTRANGE:
		range = field;
		fprintf(fp, "%d:%d", range[0], range[1]);
		break;
	case CF_STRLIST:
	case CF_PATHLIST:
		break;
	}
	fputc('\n', fp);
}

/* the key as print_key writes it, malloc'd */
static char *
key_text(const struct cfkey *k, const void *base)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&s, &len)) == NULL)
		return (NULL);
	print_key(fp, k, base, "");
	fclose(fp);
	return (s);
}

static int
key_is_default(const struct cfkey *k, const void *base, const void *dbase)
{
	char	*a, *b;
	int	 same;

	a = key_text(k, base);
	b = key_text(k, dbase);
	same = a != NULL && b != NULL && strcmp(a, b) == 0;
	free(a);
	free(b);
	return (same);
}

static void
print_section(FILE *fp, const struct cfsection *sec, const void *base,
    const void *dbase, int all)
{
	const char	*ind = sec->name != NULL ? "\t" : "";
	size_t		 j, n = 0;

	for (j = 0; j < sec->nkeys; j++) {
		if (!all && key_is_default(&sec->keys[j], base, dbase))
			continue;
		if (n++ == 0 && sec->name != NULL)
			fprintf(fp, "\n%s {\n", sec->name);
		print_key(fp, &sec->keys[j], base, ind);
	}
	if (n > 0 && sec->name != NULL)
		fprintf(fp, "}\n");
}

void
config_print_all(FILE *fp, const struct topsh_conf *conf, int all)
{
	struct topsh_conf	*dflt;
	struct cferrs		 errs;
	struct cfctx		 ctx;
	size_t			 i;

	cferrs_init(&errs);
	memset(&ctx, 0, sizeof(ctx));
	ctx.errs = &errs;
	if ((dflt = config_new("defaults", &ctx)) == NULL)
		all = 1;
	print_section(fp, &top_section, conf, dflt, all);
	for (i = 0; i < NSECTIONS; i++)
		print_section(fp, sections[i], (const char *)conf +
		    sections[i]->off, dflt ? (const char *)dflt +
		    sections[i]->off : NULL, all);
	config_free(dflt);
	cferrs_free(&errs);
}

void
config_print(FILE *fp, const struct topsh_conf *conf)
{
	config_print_all(fp, conf, 0);
}

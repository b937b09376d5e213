/*
 * cmdpaths.c - the paths a command line names, as the shell would
 * expand them, against the file rules marked "commands yes".
 *
 * Nothing is expanded by the parser (shparse.c), so a path can hide
 * behind a glob (cat /pr?c/1/env*), a variable (D=/proc; cat
 * $D/1/environ) or a tilde.  Here:
 *   - NAME=value assignments in the line are collected; a variable
 *     given one literal value is replaced by it, and the line with
 *     those replaced is another text for the regex rules;
 *   - a variable assigned something unknown, ${NAME<op>...}, $(...)
 *     and `...` may stand for any string at all, $1, $@ ... for any
 *     string without a slash; a variable the line never assigns and
 *     ~ come from the environment sandboxd gives the command (HOME,
 *     PATH, ...) and name no path a rule is about;
 *   - a word holding a slash after that is a path: a literal one is
 *     matched as file rules match paths, one with a glob or an unknown
 *     expansion is taken to match every path it could match, and a
 *     file rule applies when some path matches both (pathglob_meets()).
 * Words of the form key=value (dd if=..., --file=...) are looked at
 * after the '=' too.  find ROOT -name NAME -exec CMD {} names the paths
 * ROOT/NAME and ROOT/.../NAME (find_paths()).  After cd DIR (pushd
 * DIR) a word that is not absolute is also taken relative to DIR.
 */
#include <sys/types.h>

#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define CP_ANY		'\001'	/* an expansion: any string, '/' too */
#define CP_ENV		'\002'	/* the environment topsh set: no path */
#define CP_SEG		'\003'	/* $1, $@ ...: any string without '/' */
#define CP_MAXVARS	32
#define CP_MAXNAME	64
#define CP_MAXSTATES	(64 * 1024)

struct cpvar {
	char		 name[CP_MAXNAME];
	const char	*val;		/* quotes removed; NULL: unknown */
	size_t		 len;
	int		 refs;		/* val holds $NAME references */
};

struct cpvars {
	struct cpvar	 v[CP_MAXVARS];
	size_t		 n;
	char		 buf[4096];	/* dequoted values */
	size_t		 used;
};

/* ---- one position of a glob: the set of bytes it takes ---- */

struct gtok {
	uint8_t		 set[32];
	int		 star;		/* '*' (or CP_ANY) */
	int		 slash;		/* star crosses '/' */
	int		 nodot;		/* shell: no leading '.' */
	size_t		 next;		/* index after the token */
};

static inline void
set_add(uint8_t *s, int c)
{
	s[(uint8_t)c >> 3] |= 1 << ((uint8_t)c & 7);
}

static inline int
set_has(const uint8_t *s, int c)
{
	return ((s[(uint8_t)c >> 3] >> ((uint8_t)c & 7)) & 1);
}

/* a bracket expression at p[i] == '['; -1 if it is no class */
static int
parse_class(const char *p, size_t i, uint8_t *set, size_t *next)
{
	size_t	j = i + 1;
	int	neg = 0, c, k, first = 1;
	uint8_t	s[32];

	memset(s, 0, sizeof(s));
	if (p[j] == '!' || p[j] == '^') {
		neg = 1;
		j++;
	}
	for (; p[j] != '\0'; j++, first = 0) {
		if (p[j] == ']' && !first)
			break;
		c = (uint8_t)p[j];
		if (p[j + 1] == '-' && p[j + 2] != '\0' && p[j + 2] != ']') {
			for (k = c; k <= (uint8_t)p[j + 2]; k++)
				set_add(s, k);
			j += 2;
		} else
			set_add(s, c);
	}
	if (p[j] != ']')
		return (-1);
	for (k = 0; k < 32; k++)
		set[k] = neg ? (uint8_t)~s[k] : s[k];
	*next = j + 1;
	return (0);
}

/*
 * The token at p[i].  shell: the word's glob (no '/' in a '*', '?' or
 * class, CP_ANY for an expansion); else a rule's fnmatch(3) pattern
 * without flags ('*' crosses '/', backslash escapes).
 */
static void
token(const char *p, size_t i, int shell, struct gtok *t)
{
	memset(t, 0, sizeof(*t));
	t->next = i + 1;
	switch (p[i]) {
	case CP_ANY:
		if (shell) {
			t->star = t->slash = 1;
			return;
		}
		break;
	case CP_SEG:
		if (shell) {
			t->star = 1;
			return;
		}
		break;
	case '*':
		t->star = 1;
		t->slash = !shell;
		t->nodot = shell;
		return;
	case '?':
		memset(t->set, 0xff, sizeof(t->set));
		t->nodot = shell;
		if (shell)
			t->set['/' >> 3] &= ~(1 << ('/' & 7));
		return;
	case '[':
		if (parse_class(p, i, t->set, &t->next) == 0) {
			t->nodot = shell;
			if (shell)
				t->set['/' >> 3] &= ~(1 << ('/' & 7));
			return;
		}
		t->next = i + 1;
		break;
	case '\\':
		if (!shell && p[i + 1] != '\0') {
			set_add(t->set, p[i + 1]);
			t->next = i + 2;
			return;
		}
		break;
	}
	set_add(t->set, p[i]);
}

struct meet {
	const char	*w, *g;
	size_t		 wl, gl;
	uint8_t		*seen;
};

/* the bytes a single token may take here */
static void
allowed(const struct gtok *t, int atstart, uint8_t *s)
{
	if (t->star) {
		memset(s, 0xff, 32);
		if (!t->slash)
			s['/' >> 3] &= ~(1 << ('/' & 7));
	} else
		memcpy(s, t->set, 32);
	if (t->nodot && atstart)
		s['.' >> 3] &= ~(1 << ('.' & 7));
}

static int	meet_from(struct meet *, size_t, size_t, int);

/* consume one byte from both: from the set both allow */
static int
meet_step(struct meet *m, const struct gtok *tw, const struct gtok *tg,
    size_t i2, size_t j2, int atstart)
{
	uint8_t	sw[32], sg[32], s[32];
	int	k, any = 0, slash;

	allowed(tw, atstart, sw);
	allowed(tg, atstart, sg);
	for (k = 0; k < 32; k++)
		any |= s[k] = sw[k] & sg[k];
	if (!any)
		return (0);
	slash = set_has(s, '/');
	s['/' >> 3] &= ~(1 << ('/' & 7));
	for (k = 0, any = 0; k < 32; k++)
		any |= s[k];
	/* a '/' starts a component, any other byte does not */
	return ((slash && meet_from(m, i2, j2, 1)) ||
	    (any && meet_from(m, i2, j2, 0)));
}

static int
meet_from(struct meet *m, size_t i, size_t j, int atstart)
{
	struct gtok	 tw, tg;
	size_t		 st = ((i * (m->gl + 1)) + j) * 2 + atstart;

	if (m->seen[st >> 3] & (1 << (st & 7)))
		return (0);
	m->seen[st >> 3] |= 1 << (st & 7);
	if (i == m->wl && j == m->gl)
		return (1);
	if (i < m->wl)
		token(m->w, i, 1, &tw);
	if (j < m->gl)
		token(m->g, j, 0, &tg);
	/* a star may match nothing */
	if (i < m->wl && tw.star && meet_from(m, tw.next, j, atstart))
		return (1);
	if (j < m->gl && tg.star && meet_from(m, i, tg.next, atstart))
		return (1);
	if (i == m->wl || j == m->gl)
		return (0);
	/* one byte: a star stays where it is */
	return (meet_step(m, &tw, &tg, tw.star ? i : tw.next,
	    tg.star ? j : tg.next, atstart));
}

/* a byte that stands for itself; ']' may close a class (read backwards) */
static inline int
plain(int c, int shell)
{
	return (c != '*' && c != '?' && c != '[' && c != ']' && (shell ?
	    (c != CP_ANY && c != CP_SEG) : c != '\\'));
}

/*
 * The literal text both start with, and end with, must agree: a few
 * compares that spare the search for most pairs (an everyday chain
 * names many globs, few of them anywhere near a rule's path).
 */
static int
ends_fit(const char *w, size_t wl, const char *g, size_t gl)
{
	size_t	i;

	for (i = 0; i < wl && i < gl && plain(w[i], 1) && plain(g[i], 0);
	    i++)
		if (w[i] != g[i])
			return (0);
	if (i == wl && i == gl)
		return (1);
	for (i = 1; i <= wl && i <= gl && plain(w[wl - i], 1) &&
	    plain(g[gl - i], 0) && (gl - i == 0 || g[gl - i - 1] != '\\');
	    i++)
		if (w[wl - i] != g[gl - i])
			return (0);
	return (1);
}

/*
 * Could one path be matched by both the shell word w (globs, CP_ANY
 * for an expansion) and the fnmatch(3) pattern g?  Too large a problem
 * answers yes.
 */
int
pathglob_meets(const char *w, const char *g)
{
	struct meet	 m;
	size_t		 states;
	int		 rv;

	m.w = w;
	m.g = g;
	m.wl = strlen(w);
	m.gl = strlen(g);
	if (!ends_fit(w, m.wl, g, m.gl))
		return (0);
	states = (m.wl + 1) * (m.gl + 1) * 2;
	if (m.wl > 4096 || m.gl > 4096 || states > CP_MAXSTATES * 8)
		return (1);
	if ((m.seen = calloc(states / 8 + 1, 1)) == NULL)
		return (1);
	rv = meet_from(&m, 0, 0, 1);
	free(m.seen);
	return (rv);
}

/* ---- variables assigned in the line ---- */

static int
is_name(int c, int first)
{
	return (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (!first && c >= '0' && c <= '9'));
}

static struct cpvar *
var_find(struct cpvars *vs, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == len &&
		    memcmp(vs->v[i].name, name, len) == 0)
			return (&vs->v[i]);
	return (NULL);
}

/*
 * The value of an assignment at s[i]: a word with its quotes removed,
 * NULL when it holds an expansion of its own.  *end is set past it.
 */
static const char *
var_value(struct cpvars *vs, const char *s, size_t n, size_t i, size_t *len,
    int *refs, size_t *end)
{
	char	*out = vs->buf + vs->used, q = 0;
	size_t	 room = sizeof(vs->buf) - vs->used, o = 0;
	int	 unknown = 0;

	*refs = 0;
	for (; i < n; i++) {
		if (q != 0) {
			if (s[i] == q) {
				q = 0;
				continue;
			}
		} else if (s[i] == '\'' || s[i] == '"') {
			q = s[i];
			continue;
		} else if (strchr(" \t\n;&|()<>", s[i]) != NULL)
			break;
		if (s[i] == '$' && q != '\'') {
			/* $NAME and ${NAME} are followed, nothing else */
			if (s[i + 1] == '(' || (s[i + 1] == '{' &&
			    !is_name((uint8_t)s[i + 2], 1)) ||
			    (s[i + 1] != '{' && !is_name((uint8_t)s[i + 1], 1)))
				unknown = 1;
			*refs = 1;
		}
		if (s[i] == '`' || (s[i] == '\\' && q != '\''))
			unknown = 1;
		if (o + 1 < room)
			out[o++] = s[i];
		else
			unknown = 1;
	}
	*end = i;
	if (unknown)
		return (NULL);
	out[o] = '\0';
	vs->used += o + 1;
	*len = o;
	return (out);
}

static void
vars_collect(struct cpvars *vs, const char *s, size_t n)
{
	struct cpvar	*v;
	const char	*val;
	size_t		 i, j, len = 0, end;
	int		 refs;

	vs->n = 0;
	vs->used = 0;
	for (i = 0; i < n; i++) {
		if (!is_name((uint8_t)s[i], 1) || (i > 0 &&
		    strchr(" \t\n;&|({`", s[i - 1]) == NULL))
			continue;
		for (j = i; j < n && is_name((uint8_t)s[j], j == i); j++)
			;
		if (j >= n || s[j] != '=' || j - i >= CP_MAXNAME) {
			i = j;
			continue;
		}
		val = var_value(vs, s, n, j + 1, &len, &refs, &end);
		if ((v = var_find(vs, s + i, j - i)) != NULL) {
			/* two values: either may be the one seen */
			if (v->val == NULL || val == NULL || v->len != len ||
			    memcmp(v->val, val, len) != 0)
				v->val = NULL;
		} else if (vs->n < CP_MAXVARS) {
			v = &vs->v[vs->n++];
			memcpy(v->name, s + i, j - i);
			v->name[j - i] = '\0';
			v->val = val;
			v->len = len;
			v->refs = refs;
		}
		i = end;
	}
}

/*
 * Expand word w into out: known variables by their value, any other
 * expansion as CP_ANY.  Returns the length, or -1 if it does not fit.
 * *subst is set when a known variable was replaced.
 */
static ssize_t
expand(struct cpvars *vs, const char *w, char *out, size_t outlen,
    int vars_only, int *subst, int depth, const struct cpvar *self)
{
	const struct cpvar *v;
	size_t		 i = 0, o = 0, j, nest;
	ssize_t		 m;
	int		 known;

#define PUT(c) do { if (o + 1 >= outlen) return (-1); out[o++] = (c); } \
	while (0)
	if (!vars_only && w[0] == '~') {
		while (w[i] != '\0' && w[i] != '/')
			i++;
		PUT(CP_ENV);
	}
	while (w[i] != '\0') {
		if (w[i] == '`' && !vars_only) {
			for (i++; w[i] != '\0' && w[i] != '`'; i++)
				;
			if (w[i] != '\0')
				i++;
			PUT(CP_ANY);
			continue;
		}
		if (w[i] != '$') {
			PUT(w[i]);
			i++;
			continue;
		}
		if (is_name((uint8_t)w[i + 1], 1) || (w[i + 1] == '{' &&
		    is_name((uint8_t)w[i + 2], 1))) {
			int	 brace = w[i + 1] == '{';

			j = i + 1 + brace;
			while (is_name((uint8_t)w[j], 0))
				j++;
			v = var_find(vs, w + i + 1 + brace, j - i - 1 - brace);
			if (v == self)	/* PATH=$PATH:...: the old value */
				v = NULL;
			if (v != NULL && v->val != NULL && !v->refs &&
			    (!brace || w[j] == '}')) {
				if (o + v->len + 1 >= outlen)
					return (-1);
				memcpy(out + o, v->val, v->len);
				o += v->len;
				*subst = 1;
				i = j + brace;
				continue;
			}
			/* E=$D/x: its value expanded in turn, a few deep */
			if (v != NULL && v->val != NULL && !vars_only &&
			    depth < 4 && (!brace || w[j] == '}')) {
				if ((m = expand(vs, v->val, out + o, outlen - o,
				    0, subst, depth + 1, v)) < 0)
					return (-1);
				o += (size_t)m;
				i = j + brace;
				continue;
			}
			if (vars_only) {
				PUT(w[i]);
				i++;
				continue;
			}
			/*
			 * Assigned in the line from something unknown: any
			 * string.  Never assigned: the environment sandboxd
			 * gives (HOME, PATH, ...), none of it a path a rule
			 * names.  ${NAME...} with an operator: any string.
			 */
			known = v == NULL && (!brace || w[j] == '}');
			if (v != NULL && v->val != NULL && depth >= 4)
				known = 0;
			if (brace)
				while (w[j] != '\0' && w[j] != '}')
					j++;
			i = w[j] != '\0' && brace ? j + 1 : j;
			PUT(known ? CP_ENV : CP_ANY);
			continue;
		}
		if (vars_only) {
			PUT(w[i]);
			i++;
			continue;
		}
		if (w[i + 1] == '(' || w[i + 1] == '{') {
			char	 open = w[i + 1], close = open == '(' ? ')' : '}';

			for (j = i + 2, nest = 1; w[j] != '\0'; j++) {
				if (w[j] == open)
					nest++;
				else if (w[j] == close && --nest == 0)
					break;
			}
			i = w[j] != '\0' ? j + 1 : j;
			PUT(CP_ANY);
			continue;
		}
		if (w[i + 1] != '\0' && strchr("0123456789@*#?$!-", w[i + 1])
		    != NULL) {
			i += 2;
			PUT(CP_SEG);
			continue;
		}
		PUT(w[i]);
		i++;
	}
	out[o] = '\0';
	return ((ssize_t)o);
#undef PUT
}

/* ---- the check ---- */

static int
rule_meets(const struct rule *r, const char *p, int wild)
{
	const char	*base;

	if (!wild)
		return (pol_file_match(r, p));
	if (r->path_component) {
		base = strrchr(p, '/');
		return (pathglob_meets(base != NULL ? base + 1 : p, r->path));
	}
	if (pathglob_meets(p, r->path))
		return (1);
	return (p[0] != '/' && r->path[0] == '*' && r->path[1] == '/' &&
	    pathglob_meets(p, r->path + 2));
}

/* r would be reported before best: more severe, or as severe and first */
static int
outranks(const struct rule *r, const struct rule *best)
{
	return (best == NULL || r->decision > best->decision ||
	    (r->decision == best->decision && r->index <= best->index));
}

/* the name of the command c runs, without its directory */
static const char *
cmd_name(const struct shcmd *c)
{
	const char	*base = strrchr(c->argv[0], '/');

	return (base != NULL ? base + 1 : c->argv[0]);
}

static void
check_path(struct ruleset *rs, struct cpvars *vs, const char *w,
    const struct rule **best)
{
	char		 buf[PATH_MAX], norm[PATH_MAX];
	const char	*p = buf;
	size_t		 i;
	int		 subst = 0, wild;

	if (strchr(w, '/') == NULL && strchr(w, '$') == NULL &&
	    strchr(w, '`') == NULL && w[0] != '~')
		return;
	if (expand(vs, w, buf, sizeof(buf), 0, &subst, 0, NULL) <= 0 ||
	    strchr(buf, '/') == NULL)
		return;
	wild = strpbrk(buf, "*?[\001\003") != NULL;
	if (strchr(buf, CP_ANY) == NULL &&
	    pol_path_normalise(buf, norm, sizeof(norm)) == 0)
		p = norm;
	for (i = 0; i < rs->ncmdfile; i++) {
		const struct rule *r = rs->cmdfile[i];

		if (!outranks(r, *best))
			continue;
		if (rule_meets(r, p, wild))
			*best = r;
	}
}

/* c is find(1) with an action that runs a command on what it finds */
static int
find_runs(const struct shcmd *c)
{
	static const char *const acts[] = { "-exec", "-execdir", "-ok",
	    "-okdir" };
	size_t		 j;
	int		 i;

	if (strcmp(cmd_name(c), "find") != 0)
		return (0);
	for (i = 1; i < c->argc; i++)
		for (j = 0; j < sizeof(acts) / sizeof(acts[0]); j++)
			if (strcmp(c->argv[i], acts[j]) == 0)
				return (1);
	return (0);
}

/* the last component of rule r's path is only '*' and '?' */
static int
rule_any_name(const struct rule *r)
{
	const char	*base = strrchr(r->path, '/');

	base = base != NULL ? base + 1 : r->path;
	return (base[strspn(base, "*?")] == '\0');
}

/*
 * A file called name somewhere below the workspace: the rules of
 * relative paths (such as .aws/credentials anywhere) whose file name
 * (not a bare '*') name matches.
 */
static void
find_named(struct ruleset *rs, const char *name, const struct rule **best)
{
	const struct rule	*r;
	const char		*base;
	size_t			 i;

	for (i = 0; i < rs->ncmdfile; i++) {
		r = rs->cmdfile[i];
		if (!outranks(r, *best))
			continue;
		/* a rule of an absolute path is about no workspace file */
		if (rule_any_name(r) || r->path[0] == '/')
			continue;
		base = strrchr(r->path, '/');
		if (fnmatch(base != NULL ? base + 1 : r->path, name,
		    FNM_PERIOD) == 0)
			*best = r;
	}
}

/*
 * find ROOT... -name NAME -exec CMD {} reaches every ROOT/.../NAME;
 * -path PATTERN names its paths itself ('*' crossing '/').  Without
 * either, what it reaches is too wide to say anything of.  Below a
 * relative root (the workspace, the user's own files) only a literal
 * name is held, against the rules that name a file: find . -name id_rsa
 * -exec cat {} \; is refused as cat .ssh/id_rsa is, while find . -name
 * '*.json' -exec jq . {} \; stays everyday work although some
 * credential file is JSON.
 */
static void
find_paths(struct ruleset *rs, struct cpvars *vs, const struct shcmd *c,
    const struct rule **best)
{
	char		 w[PATH_MAX];
	const char	*name = NULL, *p;
	size_t		 o;
	int		 i, first = 1, nroots = 0, absroot = 0;

	for (i = 1; i < c->argc && c->argv[i][0] != '-' &&
	    c->argv[i][0] != '(' && c->argv[i][0] != '!'; i++) {
		nroots++;
		if (c->argv[i][0] == '/')
			absroot = 1;
	}
	for (; i + 1 < c->argc; i++) {
		if (strcmp(c->argv[i], "-path") == 0 ||
		    strcmp(c->argv[i], "-wholename") == 0 ||
		    strcmp(c->argv[i], "-ipath") == 0) {
			for (p = c->argv[i + 1], o = 0; *p != '\0' &&
			    o + 1 < sizeof(w); p++)
				w[o++] = *p == '*' ? CP_ANY : *p;
			w[o] = '\0';
			if (w[0] == '/' || absroot)
				check_path(rs, vs, w, best);
		} else if (strcmp(c->argv[i], "-name") == 0 ||
		    strcmp(c->argv[i], "-iname") == 0)
			name = c->argv[i + 1];
	}
	if (name == NULL)
		return;
	for (i = 1; i <= nroots || (nroots == 0 && first); i++, first = 0) {
		if (nroots == 0 || c->argv[i][0] != '/') {
			if (strpbrk(name, "*?[") == NULL)
				find_named(rs, name, best);
			continue;
		}
		/* ROOT/NAME and ROOT/x/y/NAME */
		if ((size_t)snprintf(w, sizeof(w), "%s/%s", c->argv[i],
		    name) < sizeof(w))
			check_path(rs, vs, w, best);
		if ((size_t)snprintf(w, sizeof(w), "%s/%c/%s", c->argv[i],
		    CP_ANY, name) < sizeof(w))
			check_path(rs, vs, w, best);
	}
}

/*
 * c is cd or pushd: the directory the words of the commands after it are
 * relative to goes into cwd (a relative one onto the last; one below
 * the workspace leaves cwd empty: nothing to add).  1 if c was that.
 */
static int
cd_to(const struct shcmd *c, char *cwd, size_t len)
{
	const char	*dir = NULL;
	char		 t[PATH_MAX];
	int		 i;

	if (strcmp(cmd_name(c), "cd") != 0 && strcmp(cmd_name(c), "pushd") != 0)
		return (0);
	for (i = 1; i < c->argc; i++)
		if (c->argv[i][0] != '-' || c->argv[i][1] == '\0')
			dir = c->argv[i];
	if (dir == NULL || strcmp(dir, "-") == 0 || dir[0] == '~')
		cwd[0] = '\0';
	else if (dir[0] == '/' || dir[0] == '$')
		strlcpy(cwd, dir, len);
	else if (cwd[0] != '\0') {
		if ((size_t)snprintf(t, sizeof(t), "%s/%s", cwd, dir) >=
		    sizeof(t))
			cwd[0] = '\0';
		else
			strlcpy(cwd, t, len);
	}
	return (1);
}

/*
 * The most severe file rule marked "commands yes" that a path named by
 * the parsed line (rs->sp) could reach, or NULL.
 */
const struct rule *
cmdpaths_check(struct ruleset *rs, const char *raw, size_t rawlen)
{
	char			 cwd[PATH_MAX], w[PATH_MAX];
	struct cpvars		 vs;
	const struct rule	*best = NULL;
	const struct shcmd	*c;
	const char		*eq;
	size_t			 k;
	int			 i;

	if (rs->ncmdfile == 0)
		return (NULL);
	vs.n = 0;
	if (memchr(raw, '=', rawlen) != NULL && memchr(raw, '$', rawlen) !=
	    NULL)
		vars_collect(&vs, raw, rawlen);
	cwd[0] = '\0';
	for (k = 0; k < rs->sp.ncmds; k++) {
		c = &rs->sp.cmds[k];
		if (c->argc > 0 && cd_to(c, cwd, sizeof(cwd)))
			continue;
		for (i = 1; i < c->argc; i++) {
			check_path(rs, &vs, c->argv[i], &best);
			if ((eq = strchr(c->argv[i], '=')) != NULL)
				check_path(rs, &vs, eq + 1, &best);
			if (cwd[0] != '\0' && strchr("/-~$", c->argv[i][0]) ==
			    NULL && (size_t)snprintf(w, sizeof(w), "%s/%s",
			    cwd, c->argv[i]) < sizeof(w))
				check_path(rs, &vs, w, &best);
		}
		if (c->argc > 0 && find_runs(c))
			find_paths(rs, &vs, c, &best);
	}
	return (best);
}

/*
 * The line with the variables it assigns a literal value replaced by
 * that value, for the regex rules (D=/proc; cat $D/1/environ).  1 with
 * *out (malloc'd), 0 when nothing was replaced.
 */
int
cmdpaths_substituted(const char *raw, size_t rawlen, char **out,
    size_t *outlen)
{
	struct cpvars	 vs;
	char		*line, *buf;
	size_t		 cap;
	ssize_t		 n;
	int		 subst = 0;

	if (memchr(raw, '=', rawlen) == NULL || memchr(raw, '$', rawlen) ==
	    NULL)
		return (0);
	vars_collect(&vs, raw, rawlen);
	if (vs.n == 0)
		return (0);
	cap = rawlen * 2 + 4096;
	if ((line = strndup(raw, rawlen)) == NULL ||
	    (buf = malloc(cap)) == NULL) {
		free(line);
		return (0);
	}
	n = expand(&vs, line, buf, cap, 1, &subst, 0, NULL);
	free(line);
	if (n < 0 || !subst) {
		free(buf);
		return (0);
	}
	*out = buf;
	*outlen = (size_t)n;
	return (1);
}

/*
 * scripts.c - commands that run a file: sh FILE, bash FILE, python3
 * FILE, node FILE, perl FILE, ruby FILE, php FILE, ./FILE, dir/FILE,
 * source FILE, . FILE, sh < FILE, cat FILE... | sh, python3 -m MODULE,
 * the same behind a wrapper (env, nice, timeout, ...), and what those
 * files run in turn.  What such a command does is in the file, so
 * the command rules are applied to the file's text as well: policyd
 * cannot read a workspace, so the requester (sandboxd) sends the texts
 * of the files in the request ("scripts": {PATH: TEXT}), read beneath
 * the workspace.  A text is checked as the inline script of its
 * interpreter (sh -c TEXT, python3 -c TEXT, node -e TEXT, ...), so the
 * same rules, wrappers and paths apply as to a one-liner.  A file the
 * command runs whose text the request does not carry is listed in the
 * answer ("scripts": [PATH, ...]) and decided by "default script"
 * (topsh-policy(5)); a requester that can read it asks again with its
 * text.  A line that runs a file it cannot name before it runs (xargs
 * sh, find -exec sh {}, sh $F, a shell reading what another program
 * writes) is decided by "default script" as well.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy.h"

#define SCRIPTS_MAX	16	/* files one command line may run, nested too */
#define SCRIPTS_DEPTH	3	/* scripts that run scripts */
#define CAT_MAX		4	/* files of cat F... | sh */

struct interp {
	const char	*name;
	const char	*inline_opt;	/* its inline-script option */
	const char	*stopopts;	/* options after which no file comes */
	const char	*argopts;	/* options taking a value */
	const char	*stdinopts;	/* options: the script is stdin */
	int		 shell;		/* a shell: its scripts run files */
	int		 modules;	/* python: -m MODULE runs MODULE.py */
};

/* sorted by name */
static const struct interp interps[] = {
	{ "ash", "-c", "c", "oO", "s", 1, 0 },
	{ "bash", "-c", "c", "oO", "s", 1, 0 },
	{ "dash", "-c", "c", "oO", "s", 1, 0 },
	{ "ksh", "-c", "c", "oO", "s", 1, 0 },
	{ "mksh", "-c", "c", "oO", "s", 1, 0 },
	{ "node", "-e", "ep", "r", "", 0, 0 },
	{ "nodejs", "-e", "ep", "r", "", 0, 0 },
	{ "perl", "-e", "eE", "I", "", 0, 0 },
	{ "php", "-r", "r", "cdz", "", 0, 0 },
	{ "python", "-c", "cm", "WX", "", 0, 1 },
	{ "python2", "-c", "cm", "WX", "", 0, 1 },
	{ "python3", "-c", "cm", "WX", "", 0, 1 },
	{ "ruby", "-e", "e", "Ir", "", 0, 0 },
	{ "sh", "-c", "c", "oO", "s", 1, 0 },
	{ "zsh", "-c", "c", "oO", "s", 1, 0 },
};
#define NINTERPS	(sizeof(interps) / sizeof(interps[0]))
#define PYTHON3		(&interps[11])

static const struct interp shell = { "sh", "-c", "c", "oO", "s", 1, 0 };

/*
 * Absolute paths of the image, left to the other rules; any other
 * absolute path outside the workspace is a file the line may have
 * written itself (/tmp/x.sh): run, it is listed, and as the requester
 * cannot read it, "default script" decides.
 */
static const char *const sysdirs[] = {
	"/bin/", "/etc/", "/lib/", "/lib32/", "/lib64/", "/libx32/",
	"/opt/", "/sbin/", "/usr/",
};
/* names of a shell's own input */
static const char *const stdin_paths[] = {
	"-", "/dev/fd/0", "/dev/stdin", "/proc/self/fd/0",
};
#define WORKSPACE	"/workspace"

/* a word that names no file before the line runs */
#define UNKNOWN_CHARS	"$`*?["

/* one thing a command runs: a file (or several, cat a b | sh) */
struct run {
	const struct interp	*ip;
	char			*paths[CAT_MAX];
	size_t			 npaths;
	int			 direct;	/* ./FILE: its #! says how */
	const char		*unknown;	/* named at run time: why */
	char			*dir;		/* the working directory */
};

struct scan {
	struct ruleset		*rs;
	json_t			*scripts;	/* PATH: TEXT|false|null */
	struct pol_result	*res;
	json_t			**missing;
	size_t			 nfiles;	/* looked at, nested too */
	char			*seen[SCRIPTS_MAX];	/* checked already */
	size_t			 nseen;
	const char		*unknown;	/* a file named at run time */
	char			 unknown_msg[96];
};

#define IN_TABLE(t, s)	in_table((t), sizeof(t) / sizeof((t)[0]), (s))

static int
in_table(const char *const *t, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i], s) == 0)
			return (1);
	return (0);
}

static int
under_sysdir(const char *path)
{
	size_t	i;

	for (i = 0; i < sizeof(sysdirs) / sizeof(sysdirs[0]); i++)
		if (strncmp(path, sysdirs[i], strlen(sysdirs[i])) == 0)
			return (1);
	return (0);
}

static const struct interp *
interp_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NINTERPS; i++)
		if (strcmp(interps[i].name, name) == 0)
			return (&interps[i]);
	/* python3.11 and the like */
	if (strncmp(name, "python", 6) == 0 && name[6] != '\0' &&
	    strspn(name + 6, "0123456789.") == strlen(name + 6))
		return (PYTHON3);
	return (NULL);
}

/*
 * The file an interpreter runs: its first operand, unless an option
 * says the script is inline (-c, -e) or a module (-m: *module set), or
 * it reads its script from stdin (*reads_stdin set).
 */
static const char *
interp_file(const struct interp *ip, struct shcmd *c, int *reads_stdin,
    const char **module)
{
	const char	*a, *stop;
	int		 i;

	*reads_stdin = 0;
	*module = NULL;
	for (i = 1; i < c->argc; i++) {
		a = c->argv[i];
		if (strcmp(a, "--") == 0) {
			if (i + 1 >= c->argc)
				break;
			a = c->argv[i + 1];
			*reads_stdin = IN_TABLE(stdin_paths, a);
			return (*reads_stdin ? NULL : a);
		}
		if (a[0] != '-' || a[1] == '\0') {
			*reads_stdin = IN_TABLE(stdin_paths, a);
			return (*reads_stdin ? NULL : a);
		}
		if (a[1] == '-') {
			if (strcmp(a, "--require") == 0)
				i++;
			continue;
		}
		/* sh -s ARGS: the operands are the script's arguments */
		if (strpbrk(a + 1, ip->stdinopts) != NULL) {
			*reads_stdin = 1;
			return (NULL);
		}
		if ((stop = strpbrk(a + 1, ip->stopopts)) != NULL) {
			/* python -m MODULE, -mMODULE */
			if (ip->modules && *stop == 'm')
				*module = stop[1] != '\0' ? stop + 1 :
				    i + 1 < c->argc ? c->argv[i + 1] : NULL;
			return (NULL);
		}
		/* an option taking a value as the next word: bash -o opt */
		if (a[2] == '\0' && strchr(ip->argopts, a[1]) != NULL)
			i++;
	}
	*reads_stdin = 1;	/* no operand: the script is its input */
	return (NULL);
}

/* the working directory of the line so far: "" the workspace's */
struct cwd {
	char		 dir[PATH_MAX];
	const char	*unknown;	/* cd to where: not known */
};

static void
cwd_cd(struct cwd *w, struct shcmd *c)
{
	const char	*d = c->argc > 1 ? c->argv[c->argc - 1] : NULL;
	size_t		 len;

	if (w->unknown != NULL)
		return;
	if (strcmp(sh_basename(c->argv[0]), "cd") != 0) {
		w->unknown = "pushd or popd";
		return;
	}
	if (d == NULL || d[0] == '-' || d[0] == '~' || c->dynamic ||
	    strpbrk(d, UNKNOWN_CHARS) != NULL) {
		w->unknown = "cd to a directory named at run time";
		return;
	}
	if (d[0] == '/') {
		len = strlen(WORKSPACE);
		if (strncmp(d, WORKSPACE, len) != 0 ||
		    (d[len] != '/' && d[len] != '\0')) {
			w->unknown = "cd out of the workspace";
			return;
		}
		d += len;
		while (*d == '/')
			d++;
		w->dir[0] = '\0';
	}
	if (*d == '\0')
		return;
	if (w->dir[0] != '\0' && strlcat(w->dir, "/", sizeof(w->dir)) >=
	    sizeof(w->dir)) {
		w->unknown = "a long path";
		return;
	}
	if (strlcat(w->dir, d, sizeof(w->dir)) >= sizeof(w->dir))
		w->unknown = "a long path";
}

/*
 * path as the requester finds it: relative to the line's working
 * directory, a workspace path as it is; NULL when it is an image file
 * (the rules see it) or a name only known at run time (*why set).
 */
static char *
run_path(const char *file, const struct cwd *w, const char **why)
{
	char	*p;

	*why = NULL;
	if (strpbrk(file, UNKNOWN_CHARS) != NULL ||
	    strstr(file, "{}") != NULL) {
		*why = "runs a file named only when the line runs";
		return (NULL);
	}
	if (file[0] == '/')
		return (under_sysdir(file) ? NULL : strdup(file));
	if (w->unknown != NULL) {
		*why = w->unknown;
		return (NULL);
	}
	if (w->dir[0] == '\0')
		return (strdup(file));
	if (asprintf(&p, "%s/%s", w->dir, file) == -1)
		return (NULL);
	return (p);
}

/* the command that wraps c (itself when none): nice sh b.sh */
static size_t
chain_head(struct shparse *sp, size_t i)
{
	while (i > 0 && sp->cmds[i].inner)
		i--;
	return (i);
}

/*
 * A shell reading its script from stdin (sh, sh -s, bash < FILE, cat
 * FILE | sh, ... | xargs sh): the files, or why they are not known.
 */
static const char *
stdin_files(struct shparse *sp, size_t i, struct run *r)
{
	struct shcmd	*c = &sp->cmds[i], *prev;
	size_t		 head = chain_head(sp, i);
	int		 k;

	if (head != i && strcmp(sh_basename(sp->cmds[head].argv[0]),
	    "xargs") == 0)
		return ("runs the files xargs reads");
	if (c->infile != NULL) {
		r->paths[r->npaths++] = (char *)c->infile;
		return (NULL);
	}
	if (head == 0 || (prev = &sp->cmds[head - 1])->pipeto != head)
		return (NULL);	/* a here-document, or the terminal */
	/* cat FILE... | sh: the files are the script */
	if (prev->dynamic || prev->inner ||
	    strcmp(sh_basename(prev->argv[0]), "cat") != 0 ||
	    prev->argc < 2 || prev->argc - 1 > CAT_MAX)
		return ("runs what another command writes");
	for (k = 1; k < prev->argc; k++) {
		if (prev->argv[k][0] == '-')
			return ("runs what another command writes");
		r->paths[r->npaths++] = prev->argv[k];
	}
	return (NULL);
}

static void
run_free(struct run *r)
{
	size_t	i;

	for (i = 0; i < r->npaths; i++)
		free(r->paths[i]);
	r->npaths = 0;
	free(r->dir);
	r->dir = NULL;
}

/* r is kept, with the working directory it runs in: 1 */
static int
run_keep(struct run *r, const struct cwd *w)
{
	if (r->unknown == NULL && w->unknown == NULL &&
	    (r->dir = strdup(w->dir)) == NULL)
		r->unknown = "out of memory";
	return (1);
}

/*
 * Up to max things the parsed line in sp runs, each with its
 * interpreter, the paths copied out (the caller frees them with
 * run_free()); the working directory starts as *w and follows cd.
 */
static size_t
runs_named(struct shparse *sp, struct cwd *w, struct run *runs, size_t max)
{
	const struct interp	*ip;
	struct run		*r;
	struct shcmd		*c;
	const char		*name, *file, *module, *why;
	char			*p, modpath[256];
	size_t			 i, k, n = 0, np;
	int			 reads_stdin;

	for (i = 0; i < sp->ncmds && n < max; i++) {
		c = &sp->cmds[i];
		if (c->argc == 0 || c->dynamic)
			continue;
		name = sh_basename(c->argv[0]);
		if (strcmp(name, "cd") == 0 || strcmp(name, "pushd") == 0 ||
		    strcmp(name, "popd") == 0) {
			cwd_cd(w, c);
			continue;
		}
		r = &runs[n];
		memset(r, 0, sizeof(*r));
		file = module = NULL;
		reads_stdin = 0;
		ip = &shell;
		if ((strcmp(c->argv[0], "source") == 0 ||
		    strcmp(c->argv[0], ".") == 0) && c->argc > 1)
			file = c->argv[1];
		else if ((ip = interp_find(name)) != NULL)
			file = interp_file(ip, c, &reads_stdin, &module);
		else if (strchr(c->argv[0], '/') != NULL) {
			/* ./run.sh, bin/tool: a file of the workspace */
			file = c->argv[0];
			ip = &shell;
			r->direct = 1;
		}
		r->ip = ip;
		if (module != NULL) {
			/* python3 -m pkg.mod: ./pkg/mod.py, ./pkg/mod/ */
			if (strspn(module, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") !=
			    strlen(module) || strlen(module) + 16 >
			    sizeof(modpath))
				continue;
			for (k = 0; k < 2 && n < max; k++) {
				(void)snprintf(modpath, sizeof(modpath), "%s%s",
				    module, k == 0 ? ".py" : "/__main__.py");
				for (p = modpath; *p != '\0'; p++)
					if (*p == '.' && strcmp(p, ".py") != 0 &&
					    strcmp(p, "/__main__.py") != 0)
						*p = '/';
				r = &runs[n];
				memset(r, 0, sizeof(*r));
				r->ip = ip;
				if ((r->paths[0] = run_path(modpath, w,
				    &r->unknown)) != NULL)
					r->npaths = 1;
				if (r->npaths > 0 || r->unknown != NULL)
					n += run_keep(r, w);
			}
			continue;
		}
		if (file == NULL && reads_stdin) {
			/* the script comes in on stdin */
			if ((r->unknown = stdin_files(sp, i, r)) == NULL &&
			    r->npaths == 0)
				continue;
			np = r->npaths;
			r->npaths = 0;
			for (k = 0; k < np && r->unknown == NULL; k++) {
				if ((p = run_path(r->paths[k], w, &why)) ==
				    NULL && why == NULL)
					continue;	/* cat /usr/x | sh */
				if (p == NULL)
					r->unknown = why;
				else
					r->paths[r->npaths++] = p;
			}
			/* the rest were borrowed from the parse */
			for (; k < np; k++)
				r->paths[k] = NULL;
			if (r->npaths > 0 || r->unknown != NULL)
				n += run_keep(r, w);
			continue;
		}
		if (file == NULL || *file == '\0')
			continue;
		if ((p = run_path(file, w, &r->unknown)) == NULL &&
		    r->unknown == NULL)
			continue;
		if (p != NULL)
			r->paths[r->npaths++] = p;
		n += run_keep(r, w);
	}
	return (n);
}

/* 'text' quoted for sh: ' becomes '\'' */
static char *
squote(const char *pre, const char *text)
{
	size_t		 len = strlen(pre) + 3, i, o;
	const char	*p;
	char		*s;

	for (p = text; *p != '\0'; p++)
		len += *p == '\'' ? 4 : 1;
	if ((s = malloc(len)) == NULL)
		return (NULL);
	o = strlcpy(s, pre, len);
	s[o++] = '\'';
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == '\'') {
			memcpy(s + o, "'\\''", 4);
			o += 4;
		} else
			s[o++] = text[i];
	}
	s[o++] = '\'';
	s[o] = '\0';
	return (s);
}

/* ./FILE runs by its #! line: #!/usr/bin/env python3, #!/bin/bash */
static const struct interp *
shebang(const char *text, const struct interp *dflt)
{
	const struct interp	*ip;
	char			 line[128], *w, *last;

	if (strncmp(text, "#!", 2) != 0)
		return (dflt);
	strlcpy(line, text + 2, sizeof(line));
	line[strcspn(line, "\n")] = '\0';
	if ((w = strtok_r(line, " \t", &last)) == NULL)
		return (dflt);
	if (strcmp(sh_basename(w), "env") == 0)
		while ((w = strtok_r(NULL, " \t", &last)) != NULL &&
		    (w[0] == '-' || strchr(w, '=') != NULL))
			;
	if (w == NULL || (ip = interp_find(sh_basename(w))) == NULL)
		return (dflt);
	return (ip);
}

static void
missing_add(struct scan *sc, const char *path)
{
	json_t	*v;
	size_t	 i;

	if (*sc->missing == NULL && (*sc->missing = json_array()) == NULL)
		return;
	json_array_foreach(*sc->missing, i, v)
		if (strcmp(json_string_value(v), path) == 0)
			return;
	json_array_append_new(*sc->missing, pol_json_string(path));
}

/* the built-in refusals of a line that could not be checked at all */
static int
unchecked(const struct pol_result *r)
{
	return (r->rule != NULL && r->decision == POL_DENY &&
	    (strcmp(r->rule, "shell-parse") == 0 ||
	    strcmp(r->rule, "shell-depth") == 0 ||
	    strcmp(r->rule, "shell-limit") == 0 ||
	    strcmp(r->rule, "input-size") == 0));
}

static void	scan_line(struct scan *, const char *, size_t,
		    const struct cwd *, int);

/*
 * Check the text of run r, if carried, as its interpreter's inline
 * script, and what it runs in turn.
 */
static void
scan_run(struct scan *sc, struct run *r, struct cwd *w, int depth)
{
	const struct interp	*ip = r->ip;
	struct pol_result	 sres, *res = sc->res;
	char			*text = NULL, *line, prefix[16];
	char			 msg[sizeof(res->buf)];
	const char		*t;
	json_t			*v;
	size_t			 i, len = 0, tl;
	int			 incomplete = 0, any = 0;

	/* a script that runs itself (or one run twice): checked once */
	for (i = 0; i < sc->nseen; i++)
		if (r->npaths == 1 && strcmp(sc->seen[i], r->paths[0]) == 0)
			return;
	if (r->npaths == 1 && sc->nseen < SCRIPTS_MAX &&
	    (sc->seen[sc->nseen] = strdup(r->paths[0])) != NULL)
		sc->nseen++;
	for (i = 0; i < r->npaths; i++) {
		if (sc->nfiles++ >= SCRIPTS_MAX) {
			sc->unknown = "runs more files than are checked";
			free(text);
			return;
		}
		v = json_is_object(sc->scripts) ?
		    json_object_get(sc->scripts, r->paths[i]) : NULL;
		if (json_is_false(v))
			continue;	/* not there: nothing runs */
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			missing_add(sc, r->paths[i]);
			incomplete = 1;
			continue;
		}
		t = json_string_value(v);
		tl = json_string_length(v);
		if ((line = realloc(text, len + tl + 2)) == NULL) {
			incomplete = 1;
			continue;
		}
		text = line;
		memcpy(text + len, t, tl);
		len += tl;
		text[len] = '\0';
		any = 1;
	}
	if (incomplete || !any) {
		free(text);
		return;
	}
	if (r->direct)
		ip = shebang(text, ip);
	(void)snprintf(prefix, sizeof(prefix), "%s %s ", ip->name,
	    ip->inline_opt);
	if ((line = squote(prefix, text)) == NULL) {
		free(text);
		res->decision = POL_DENY;
		res->rule = "shell-memory";
		res->category = "shell";
		res->message = "cannot check a script: out of memory";
		res->timeout = 0;
		return;
	}
	pol_check_command(sc->rs, line, strlen(line), &sres);
	free(line);
	if (unchecked(&sres)) {
		/* a script the shell parser cannot follow: like an unread one */
		(void)snprintf(sc->unknown_msg, sizeof(sc->unknown_msg),
		    "cannot check the script %s", r->paths[0]);
		sc->unknown = sc->unknown_msg;
	} else if (sres.decision > res->decision) {
		(void)snprintf(msg, sizeof(msg), "in %s: %s", r->paths[0],
		    sres.message != NULL ? sres.message : "");
		*res = sres;
		strlcpy(res->buf, msg, sizeof(res->buf));
		res->message = res->buf;
	}
	/* b.sh runs c.sh: in the same working directory */
	if (ip->shell && res->decision != POL_DENY) {
		memset(w, 0, sizeof(*w));
		if (r->dir != NULL)
			strlcpy(w->dir, r->dir, sizeof(w->dir));
		else
			w->unknown = "cd to a directory named at run time";
		scan_line(sc, text, len, w, depth + 1);
	}
	free(text);
}

/* what the line (a command, or a script's text) runs, checked */
static void
scan_line(struct scan *sc, const char *s, size_t len, const struct cwd *w0,
    int depth)
{
	struct run	 runs[SCRIPTS_MAX + 1];
	struct cwd	*w;
	size_t		 n, i;

	if ((w = malloc(sizeof(*w))) == NULL) {
		sc->unknown = "out of memory";
		return;
	}
	*w = *w0;
	if (shparse(&sc->rs->sp, s, len) == -1) {
		free(w);
		return;		/* pol_check_command decided it */
	}
	/* the parse is gone once a text is checked: the runs are copies */
	n = runs_named(&sc->rs->sp, w, runs, SCRIPTS_MAX + 1);
	if (n > SCRIPTS_MAX && sc->unknown == NULL)
		sc->unknown = "runs more files than are checked";
	/* deeper than the bound, a script that runs files is not followed */
	if (n > 0 && depth > SCRIPTS_DEPTH && sc->unknown == NULL)
		sc->unknown = "scripts run scripts nested too deep";
	for (i = 0; i < n; i++) {
		if (depth > SCRIPTS_DEPTH)
			;	/* not followed: held above */
		else if (runs[i].unknown != NULL) {
			if (sc->unknown == NULL)
				sc->unknown = runs[i].unknown;
		} else if (sc->res->decision != POL_DENY)
			scan_run(sc, &runs[i], w, depth);
		run_free(&runs[i]);
	}
	free(w);
}

/*
 * After pol_check_command() decided res for cmd: check the texts of the
 * files cmd runs that scripts (a JSON object, or NULL) carries, and let
 * the most severe decision stand; the files it runs whose text is not
 * carried go into *missing (a JSON array, NULL when none) and, unless
 * the line is denied already, are decided by "default script", as are
 * files named only at run time.
 */
void
pol_check_scripts(struct ruleset *rs, const char *cmd, size_t len,
    json_t *scripts, struct pol_result *res, json_t **missing)
{
	struct scan	sc;
	struct cwd	w;
	const char	*why;
	size_t		i;

	*missing = NULL;
	if (res->decision == POL_DENY)
		return;
	memset(&sc, 0, sizeof(sc));
	memset(&w, 0, sizeof(w));
	sc.rs = rs;
	sc.scripts = scripts;
	sc.res = res;
	sc.missing = missing;
	scan_line(&sc, cmd, len, &w, 0);
	for (i = 0; i < sc.nseen; i++)
		free(sc.seen[i]);
	if (res->decision == POL_DENY) {
		json_decref(*missing);
		*missing = NULL;
		return;
	}
	if ((*missing == NULL && sc.unknown == NULL) ||
	    res->decision >= rs->def_script || rs->def_script == POL_ALLOW)
		return;
	res->decision = rs->def_script;
	res->category = "shell";
	if (*missing != NULL) {
		res->rule = "script-unread";
		(void)snprintf(res->buf, sizeof(res->buf), "runs a file whose "
		    "text could not be checked: %s", json_string_value(
		    json_array_get(*missing, 0)));
	} else {
		why = sc.unknown;
		res->rule = "script-unknown";
		(void)snprintf(res->buf, sizeof(res->buf), "cannot check what "
		    "the line runs: %s", why);
	}
	res->message = res->buf;
	res->timeout = res->decision == POL_APPROVE ? rs->approve_timeout : 0;
}

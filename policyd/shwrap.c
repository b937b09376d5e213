/*
 * shwrap.c - what a simple command runs besides itself: the command
 * behind a wrapper (env, nice, sudo, xargs, find -exec, ...) and the
 * inline script of a shell (sh -c, bash -c, eval, su -c, watch).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shparse.h"

#define SH_MAXWRAPS	32

enum wrapkind {
	W_OPTS,			/* options, positionals, then a command */
	W_ENV,			/* env: NAME=value words and -S */
	W_SHELL,		/* sh -c SCRIPT */
	W_EVAL,			/* eval ARGS: one script */
	W_WATCH,		/* watch [opts] ARGS: one script */
	W_DASHC,		/* su/runuser/script/flock: -c SCRIPT */
	W_FIND,			/* find ... -exec CMD ; */
	W_BUSYBOX,		/* busybox APPLET ... */
	W_COMMAND,		/* command [-p] CMD, but -v/-V only look up */
};

struct wrapper {
	const char	*name;
	enum wrapkind	 kind;
	const char	*argopts;	/* short options taking an argument */
	int		 npos;		/* positionals before the command */
};

/* sorted by name, none longer than WRAP_MAXLEN */
static const struct wrapper wrappers[] = {
	{ "ash", W_SHELL, "oO", 0 },
	{ "bash", W_SHELL, "oO", 0 },
	{ "busybox", W_BUSYBOX, "", 0 },
	{ "chroot", W_OPTS, "", 1 },
	{ "chrt", W_OPTS, "", 1 },
	{ "command", W_COMMAND, "", 0 },
	{ "dash", W_SHELL, "oO", 0 },
	{ "doas", W_OPTS, "uC", 0 },
	{ "env", W_ENV, "uCS", 0 },
	{ "eval", W_EVAL, "", 0 },
	{ "exec", W_OPTS, "a", 0 },
	{ "find", W_FIND, "", 0 },
	{ "flock", W_DASHC, "wE", 1 },
	{ "ionice", W_OPTS, "cnp", 0 },
	{ "ksh", W_SHELL, "oO", 0 },
	{ "ltrace", W_OPTS, "eopsuAaDnl", 0 },
	{ "mksh", W_SHELL, "oO", 0 },
	{ "nice", W_OPTS, "n", 0 },
	{ "nohup", W_OPTS, "", 0 },
	{ "nsenter", W_OPTS, "tSGwr", 0 },
	{ "rbash", W_SHELL, "oO", 0 },
	{ "runuser", W_DASHC, "ugGs", 0 },
	{ "script", W_DASHC, "ET", 0 },
	{ "setsid", W_OPTS, "", 0 },
	{ "sh", W_SHELL, "oO", 0 },
	{ "stdbuf", W_OPTS, "ioe", 0 },
	{ "strace", W_OPTS, "eopsuEIabXSOP", 0 },
	{ "su", W_DASHC, "gGs", 0 },
	{ "sudo", W_OPTS, "ugpChDRrtTU", 0 },
	{ "taskset", W_OPTS, "", 1 },
	{ "time", W_OPTS, "fo", 0 },
	{ "timeout", W_OPTS, "sk", 1 },
	{ "unbuffer", W_OPTS, "", 0 },
	{ "unshare", W_OPTS, "", 0 },
	{ "watch", W_WATCH, "nd", 0 },
	{ "xargs", W_OPTS, "IEdLnPsaei", 0 },
	{ "zsh", W_SHELL, "oO", 0 },
};

static int	emit(struct shparse *, char **, int, int, int, int, int,
		    int *);

#define NWRAPPERS	(sizeof(wrappers) / sizeof(wrappers[0]))

/*
 * Most commands are no wrapper: a hash of the basename's first two and
 * last bytes and its length finds the one candidate, or an empty slot,
 * in a table with room to spare (open addressing, linear probing; a
 * slot holds an index into wrappers[] plus one).
 */
#define WRAP_SLOTS	256
#define WRAP_MAXLEN	8		/* "unbuffer", the longest name */

static uint8_t	wrapper_slot[WRAP_SLOTS];

/* b[len] is a NUL, so b[1] can be read when len is 1 */
static inline size_t
wrapper_hash(const char *b, size_t len)
{
	return ((((unsigned char)b[0] * 31 + (unsigned char)b[1]) * 31 +
	    (unsigned char)b[len - 1] + len) & (WRAP_SLOTS - 1));
}

static void
wrapper_slots_init(void)
{
	const char	*name;
	size_t		 i, k;

	for (i = 0; i < NWRAPPERS; i++) {
		name = wrappers[i].name;
		k = wrapper_hash(name, strlen(name));
		while (wrapper_slot[k] != 0)
			k = (k + 1) & (WRAP_SLOTS - 1);
		wrapper_slot[k] = i + 1;
	}
}

/*
 * sh_basename() of a long word, and its length if it is no longer
 * than a wrapper's name (0 if it is).
 */
static const char *
long_basename(const char *s, size_t *len)
{
	const char	*b;
	size_t		 n;

	if ((b = strrchr(s, '/')) == NULL || b[1] == '\0')
		b = s;
	else
		b++;
	for (n = 0; n <= WRAP_MAXLEN && b[n] != '\0'; n++)
		;
	*len = n <= WRAP_MAXLEN ? n : 0;
	return (b);
}

/*
 * sh_basename() and the basename's length in one pass, inline: this
 * runs for every command, and a command name is short, too short for
 * a call to strrchr() and strlen() to pay.
 */
static inline const char *
wrapper_basename(const char *s, size_t *len)
{
	const char	*e, *slash = NULL, *b = s;

	for (e = s; *e != '\0'; e++) {
		if (e - s == 64)
			return (long_basename(s, len));
		if (*e == '/')
			slash = e;
	}
	if (slash != NULL && slash[1] != '\0')
		b = slash + 1;
	*len = e - b <= WRAP_MAXLEN ? e - b : 0;
	return (b);
}

/*
 * name is b, len bytes long.  Byte by byte, not strcmp(): its wide
 * loads would wait for the NUL the lexer stored after the word a
 * moment before.  A shorter name differs at its NUL.
 */
static inline int
name_is(const char *name, const char *b, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (name[i] != b[i])
			return (0);
	return (name[len] == '\0');
}

/* the wrapper named b, len bytes long, or NULL */
static inline const struct wrapper *
wrapper_lookup(const char *b, size_t len)
{
	static int		 init;
	const struct wrapper	*w;
	size_t			 k;

	if (!init) {
		wrapper_slots_init();
		init = 1;
	}
	for (k = wrapper_hash(b, len); wrapper_slot[k] != 0;
	    k = (k + 1) & (WRAP_SLOTS - 1)) {
		w = &wrappers[wrapper_slot[k] - 1];
		if (name_is(w->name, b, len))
			return (w);
	}
	return (NULL);
}

static const struct wrapper *
wrapper_find(const char *argv0)
{
	const char	*b;
	size_t		 len;

	b = wrapper_basename(argv0, &len);
	if (len == 0)
		return (NULL);
	/* b runs to argv0's end */
	return (wrapper_lookup(b, len));
}

/* strchr(set, c) != NULL for a c that is no NUL, without the call */
static inline int
opt_in(const char *set, int c)
{
	for (; *set != '\0'; set++)
		if (*set == c)
			return (1);
	return (0);
}

/*
 * Skip options: "--" ends them, --long=value is one word, a short
 * option listed in argopts takes the rest of its word or the next one.
 * Sets *dashc when a short cluster holds 'c' and c is not an argopt.
 */
static int
skip_opts(char **argv, int argc, int i, const char *argopts, int *dashc)
{
	const char	*o;

	while (i < argc && (argv[i][0] == '-' || argv[i][0] == '+') &&
	    argv[i][1] != '\0') {
		if (argv[i][0] == '-' && argv[i][1] == '-' &&
		    argv[i][2] == '\0')
			return (i + 1);
		if (argv[i][1] == '-') {
			if (dashc != NULL && strcmp(argv[i], "--command") == 0)
				*dashc = 1;
			i++;
			continue;
		}
		for (o = argv[i] + 1; *o != '\0'; o++) {
			if (*o == 'c' && dashc != NULL &&
			    !opt_in(argopts, 'c')) {
				*dashc = 1;
				continue;
			}
			if (opt_in(argopts, *o)) {
				if (o[1] == '\0')
					i++;
				break;
			}
		}
		i++;
	}
	return (i);
}

/* join argv[i..] with spaces and parse it as a script */
static int
join_nested(struct shparse *p, char **argv, int argc, int i, int depth)
{
	size_t	 len = 0, off = 0;
	char	*s;
	int	 k;

	if (i >= argc)
		return (0);
	for (k = i; k < argc; k++)
		len += strlen(argv[k]) + 1;
	if ((s = sh_alloc(p, len)) == NULL) {
		sh_seterr(p, SH_ELIMIT, "out of memory");
		return (-1);
	}
	for (k = i; k < argc; k++) {
		if (k > i)
			s[off++] = ' ';
		memcpy(s + off, argv[k], strlen(argv[k]));
		off += strlen(argv[k]);
	}
	s[off] = '\0';
	return (sh_nested(p, s, off, depth + 1));
}

static int
script_arg(struct shparse *p, char **argv, int argc, int i, int depth)
{
	if (i >= argc)
		return (0);
	return (sh_nested(p, argv[i], strlen(argv[i]), depth + 1));
}

/* find ... -exec CMD {} ; -- each -exec is a command */
static int
find_exec(struct shparse *p, char **argv, int argc, int depth, int wraps)
{
	int	i, j;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-exec") != 0 &&
		    strcmp(argv[i], "-execdir") != 0 &&
		    strcmp(argv[i], "-ok") != 0 &&
		    strcmp(argv[i], "-okdir") != 0)
			continue;
		for (j = i + 1; j < argc && strcmp(argv[j], ";") != 0 &&
		    strcmp(argv[j], "+") != 0; j++)
			;
		if (j > i + 1 && emit(p, argv + i + 1, j - i - 1, depth,
		    0, 0, wraps + 1, NULL) == -1)
			return (-1);
		i = j;
	}
	return (0);
}

static int
unwrap(struct shparse *p, const struct wrapper *w, char **argv, int argc,
    int depth, int wraps)
{
	int	i, dashc = 0;

	switch (w->kind) {
	case W_SHELL:
		i = skip_opts(argv, argc, 1, w->argopts, &dashc);
		return (dashc ? script_arg(p, argv, argc, i, depth) : 0);
	case W_EVAL:
		return (join_nested(p, argv, argc, 1, depth));
	case W_WATCH:
		i = skip_opts(argv, argc, 1, w->argopts, NULL);
		return (join_nested(p, argv, argc, i, depth));
	case W_DASHC:
		for (i = 1; i < argc; i++)
			if (strcmp(argv[i], "-c") == 0 ||
			    strcmp(argv[i], "--command") == 0)
				return (script_arg(p, argv, argc, i + 1,
				    depth));
		i = skip_opts(argv, argc, 1, w->argopts, NULL) + w->npos;
		break;
	case W_FIND:
		return (find_exec(p, argv, argc, depth, wraps));
	case W_BUSYBOX:
		i = 1;
		if (i < argc && argv[i][0] == '-')
			return (0);
		break;
	case W_COMMAND:
		for (i = 1; i < argc && argv[i][0] == '-'; i++)
			if (strchr(argv[i], 'v') != NULL ||
			    strchr(argv[i], 'V') != NULL)
				return (0);
		break;
	case W_ENV:
		for (i = 1; i < argc; i++) {
			if (strncmp(argv[i], "-S", 2) == 0 ||
			    strncmp(argv[i], "--split-string", 14) == 0) {
				if (argv[i][2] != '\0' && argv[i][1] == 'S')
					return (sh_nested(p, argv[i] + 2,
					    strlen(argv[i] + 2), depth + 1));
				return (script_arg(p, argv, argc, i + 1,
				    depth));
			}
		}
		i = skip_opts(argv, argc, 1, w->argopts, NULL);
		while (i < argc && strchr(argv[i], '=') != NULL &&
		    argv[i][0] != '=')
			i++;
		break;
	default:
		i = skip_opts(argv, argc, 1, w->argopts, NULL) + w->npos;
		break;
	}
	if (i >= argc)
		return (0);
	return (emit(p, argv + i, argc - i, depth, 0, 0, wraps + 1, NULL));
}

/*
 * A shell that will read its script from stdin; w is argv[0]'s
 * wrapper, looked up once by the caller.
 */
static int
reads_script(const struct wrapper *w, char **argv, int argc)
{
	int	i, dashc = 0;

	if (w == NULL)
		return (0);
	for (i = 0; i < argc; i++) {
		if (i > 0 && (w = wrapper_find(argv[i])) == NULL)
			continue;
		if (w->kind != W_SHELL)
			continue;
		i = skip_opts(argv, argc, i + 1, w->argopts, &dashc);
		return (!dashc && i >= argc);
	}
	return (0);
}

/* store a command; 0 ok, -1 error */
static inline int
record(struct shparse *p, char **argv, int argc, int depth, int dynamic,
    int quoted, int wraps)
{
	struct shcmd	*c;
	size_t		 ncap;

	if (wraps > SH_MAXWRAPS) {
		sh_seterr(p, SH_EDEPTH, "more than %d nested wrappers",
		    SH_MAXWRAPS);
		return (-1);
	}
	if (p->ncmds >= SH_MAXCMDS) {
		sh_seterr(p, SH_ELIMIT, "more than %d commands", SH_MAXCMDS);
		return (-1);
	}
	if (p->ncmds == p->capcmds) {
		ncap = p->capcmds ? p->capcmds * 2 : 16;
		if ((c = reallocarray(p->cmds, ncap, sizeof(*c))) == NULL) {
			sh_seterr(p, SH_ELIMIT, "out of memory");
			return (-1);
		}
		p->cmds = c;
		p->capcmds = ncap;
	}
	c = &p->cmds[p->ncmds++];
	c->argv = argv;
	c->argc = argc;
	c->depth = depth;
	c->dynamic = dynamic;
	c->inner = wraps > 0;
	c->quoted = quoted;
	c->pipeto = 0;
	c->infile = NULL;
	if (dynamic)
		p->dynamic = 1;
	return (0);
}

/*
 * What a recorded command wraps, w being its wrapper or NULL; shell,
 * if not NULL, is set as reads_script() tells.
 */
static inline int
wrapped(struct shparse *p, const struct wrapper *w, char **argv, int argc,
    int depth, int wraps, int *shell)
{
	int	i, dashc = 0;

	if (w == NULL) {
		/* the common case: no wrapper, so no shell reading stdin */
		if (shell != NULL)
			*shell = 0;
		return (0);
	}
	if (w->kind == W_SHELL) {
		/* reads_script() and unwrap() would skip the same options */
		i = skip_opts(argv, argc, 1, w->argopts, &dashc);
		if (shell != NULL)
			*shell = !dashc && i >= argc;
		return (dashc ? script_arg(p, argv, argc, i, depth) : 0);
	}
	if (shell != NULL)
		*shell = reads_script(w, argv, argc);
	return (unwrap(p, w, argv, argc, depth, wraps));
}

static int
emit(struct shparse *p, char **argv, int argc, int depth, int dynamic,
    int quoted, int wraps, int *shell)
{
	if (argc <= 0)
		return (0);
	if (record(p, argv, argc, depth, dynamic, quoted, wraps) == -1)
		return (-1);
	return (wrapped(p, wrapper_find(argv[0]), argv, argc, depth,
	    wraps, shell));
}

int
sh_emit(struct shparse *p, char **argv, int argc, int depth, int dynamic,
    int quoted, size_t len0, int *shell)
{
	const struct wrapper	*w;

	if (argc <= 0)
		return (0);
	if (record(p, argv, argc, depth, dynamic, quoted, 0) == -1)
		return (-1);
	/* the lexer knows the length of a name without a '/' */
	if (len0 != 0)
		w = len0 <= WRAP_MAXLEN ? wrapper_lookup(argv[0], len0) : NULL;
	else
		w = wrapper_find(argv[0]);
	return (wrapped(p, w, argv, argc, depth, 0, shell));
}

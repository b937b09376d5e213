/*
 * shparse.h - split a command line the way sh(1) would, to find every
 * simple command it runs.
 *
 * The parser understands quoting ('...', "...", $'...', backslash),
 * the list and pipeline operators (; & && || | |&), subshells, brace
 * groups, the compound commands (if, while, until, for, case),
 * function definitions, redirections, here-documents and here-strings,
 * $(...), `...`, <(...) and >(...), and NAME=value prefixes.  Nothing
 * is expanded: $VAR stays as written.  Wrappers (env, nice, nohup,
 * timeout, time, xargs, busybox, command, exec, stdbuf, sudo, ...)
 * and the inline scripts of sh -c, bash -c, eval and su -c are followed
 * to a bounded depth; every command found, wrapper and wrapped, is
 * reported.  The decoded text of each inline script is kept too, so
 * that regex rules can look at it.
 */
#ifndef POLICYD_SHPARSE_H
#define POLICYD_SHPARSE_H

#include <stddef.h>

#define SH_MAXDEPTH	5	/* default nesting bound */
#define SH_MAXCMDS	1024	/* simple commands per line */
#define SH_MAXWORDS	4096	/* words per simple command */

enum sh_error {
	SH_OK = 0,
	SH_ESYNTAX,		/* cannot be parsed */
	SH_EDEPTH,		/* nested deeper than allowed */
	SH_ELIMIT,		/* too many commands or words */
};

struct shcmd {
	char		**argv;		/* quote-removed words */
	int		  argc;
	int		  depth;	/* 0: top level */
	int		  dynamic;	/* argv[0] is a command substitution */
	int		  inner;	/* found behind a wrapper */
	int		  quoted;	/* some word had quotes or escapes */
	size_t		  pipeto;	/* output piped into cmds[pipeto] */
					/* (the next command); 0: not */
	const char	 *infile;	/* its input: < FILE, or NULL */
};

struct sharena;
struct shlevel;

struct shparse {
	struct shcmd	 *cmds;
	size_t		  ncmds;
	size_t		  capcmds;
	char		**texts;	/* decoded inline scripts */
	size_t		  ntexts;
	size_t		  captexts;
	enum sh_error	  error;
	char		  errmsg[160];
	int		  maxdepth;
	int		  dynamic;	/* some command name is computed */
	struct sharena	 *arena;
	struct shlevel	**levels;	/* scratch of each depth, kept */
	int		  nlevels;
};

void	 shparse_init(struct shparse *, int);
/* parse one command line; 0 ok, -1 with error and errmsg set */
int	 shparse(struct shparse *, const char *, size_t);
/* forget the last result, keep the memory */
void	 shparse_reset(struct shparse *);
void	 shparse_free(struct shparse *);
const char *sh_basename(const char *);

/* shparse.c, for shwrap.c: parse an inline script found at depth */
int	 sh_nested(struct shparse *, const char *, size_t, int);
void	 sh_seterr(struct shparse *, enum sh_error, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));
void	*sh_alloc(struct shparse *, size_t);
char	*sh_strndup(struct shparse *, const char *, size_t);

/*
 * shwrap.c: record a simple command and what it wraps; 0 ok, -1 error.
 * The size_t is strlen(argv[0]) when the lexer knows it holds no '/',
 * else 0.  The last argument is set when the command reads a script
 * from stdin (sh without -c or file).
 */
int	 sh_emit(struct shparse *, char **, int, int, int, int, size_t,
	    int *);

#endif

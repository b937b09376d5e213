/*
 * cfparse.h - the shared configuration grammar (parse.y).
 *
 * Every topsh file (topsh.conf(5), topsh-policy(5)) has one syntax:
 * statements of a keyword and arguments, optionally followed by a
 * { block } of statements, one statement a line (or separated by ';').
 * `#' starts a comment, "quoted strings" may hold anything, `name = value'
 * at top level defines a macro and `$name' expands it, `include "file"'
 * reads another file (relative to the including file).  The result is a
 * tree of cfnodes; the meaning of each keyword is checked by the consumer
 * (config.c for topsh.conf, policyd's rule loader for policy files),
 * which reports errors with cf_error() as "file:line: message".
 */
#ifndef TOPSH_CFPARSE_H
#define TOPSH_CFPARSE_H

#include <sys/queue.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define CF_MAXERRS	100
#define CF_MAXDEPTH	8	/* include nesting */
#define CF_MAXARGS	64

struct cfnode;
TAILQ_HEAD(cfnodes, cfnode);

struct cfnode {
	TAILQ_ENTRY(cfnode)	 entry;
	char			*name;
	const char		*file;	/* owned by the cftree */
	int			 line;
	int			 argc;
	char			**argv;
	int			*quoted;	/* per argument: was "quoted" */
	int			 hasblock;
	struct cfnodes		 children;
};

struct cferrs {
	char			**msgs;
	size_t			 n;
};

struct cfmacro {
	TAILQ_ENTRY(cfmacro)	 entry;
	char			*name;
	char			*value;
	int			 used;
	int			 persist;	/* from -D */
};
TAILQ_HEAD(cfmacros, cfmacro);

struct cftree {
	struct cfnodes		 nodes;
	char			**files;
	size_t			 nfiles;
};

/* parse a file; NULL only on allocation failure or unreadable top file */
struct cftree	*cf_parse_file(const char *, struct cfmacros *, struct cferrs *);
/* parse a buffer (tests and fuzzing); includes are refused */
struct cftree	*cf_parse_buffer(const char *, const char *, size_t,
		    struct cfmacros *, struct cferrs *);
void		 cf_free(struct cftree *);

/* -D name=value: 0 ok, -1 malformed */
int		 cf_macro_define(struct cfmacros *, const char *);
void		 cf_macros_init(struct cfmacros *);
void		 cf_macros_free(struct cfmacros *);

void		 cf_error(struct cferrs *, const char *, int, const char *, ...)
		    __attribute__((__format__(printf, 4, 5)));
void		 cf_error_node(struct cferrs *, const struct cfnode *,
		    const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
void		 cferrs_init(struct cferrs *);
void		 cferrs_free(struct cferrs *);
void		 cferrs_print(const struct cferrs *, FILE *);
/* all messages joined by newlines, malloc'd */
char		*cferrs_join(const struct cferrs *);

/* print a value quoted if it needs to be (for -nv output) */
void		 cf_print_string(FILE *, const char *);

#endif

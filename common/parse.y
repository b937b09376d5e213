/*
 * parse.y - the grammar shared by every topsh configuration file.
 *
 * The top half is a tiny grammar: statements of a keyword and arguments,
 * optionally followed by a { block } of statements.  The bottom half is
 * the lexer in the style of the OpenBSD daemons' parse.y: `#' comments,
 * "quoted strings" with \ escapes, `\' line continuation, `$macro'
 * expansion, `name = value' macro definitions and `include "file"'.
 * Errors are collected as "file:line: message" and parsing goes on, so
 * that one run lists every mistake.  The meaning of keywords is checked
 * by the consumer of the tree (config.c, policyd's rule loader).
 */

%{
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfparse.h"

#define CF_MAXTOKEN	8192
#define CF_MAXBRACES	32	/* open braces remembered per file */

struct cfargs {
	int		 argc;
	char		**argv;
	int		*quoted;
};

struct cfinput {
	const char	*name;		/* owned by the tree */
	FILE		*fp;		/* NULL: reading buf */
	const char	*buf;
	size_t		 buflen;
	size_t		 bufpos;
	int		 lineno;
	int		 errline;	/* line of the token being parsed */
	int		 ungetc_buf[4];
	int		 nungetc;
	int		 braces[CF_MAXBRACES];	/* lines of open `{' */
	int		 nbraces;		/* may exceed CF_MAXBRACES */
};

static struct {
	struct cfinput	 stack[CF_MAXDEPTH];
	int		 depth;
	struct cftree	*tree;
	struct cferrs	*errs;
	struct cfmacros	*macros;
	int		 allow_include;
	int		 eof_nl;	/* the final newline was returned */
	const char	*lasterr_file;
	int		 lasterr_line;
} ps;

typedef struct {
	union {
		struct {
			char	*s;
			int	 quoted;
		}			 str;
		struct cfargs		*args;
		struct cfnode		*node;
		struct cfnodes		*list;
	} v;
	int lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

int		 yyparse(void);
static int	 yylex(void);
static void	 yyerror(const char *);
static void	 perror_at(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static struct cfinput *cur(void);
static int	 push_file(const char *);
static void	 pop_input(void);
static struct cfnode *node_new(char *, struct cfargs *, struct cfnodes *,
		    int);
static struct cfargs *args_new(void);
static int	 args_add(struct cfargs *, char *, int);
static void	 args_free(struct cfargs *);
static struct cfnodes *list_new(void);
static void	 list_free(struct cfnodes *);
static void	 node_free(struct cfnode *);
static int	 macro_set(const char *, const char *, int);
static const char *macro_get(const char *);
static const char *tree_file(const char *);
static void	 unclosed(struct cfinput *);
%}

%token	INCLUDE ERROR
%token	<v.str>		STRING
%type	<v.args>	args
%type	<v.node>	stmt
%type	<v.list>	stmts optblock

%destructor { free($$.s); } <v.str>
%destructor { args_free($$); } <v.args>
%destructor { if ($$ != NULL) node_free($$); } <v.node>
%destructor { list_free($$); } <v.list>

%%

grammar	: /* empty */
	| grammar '\n'
	| grammar ';'
	| grammar include '\n'
	| grammar varset '\n'
	| grammar stmt sep	{
		TAILQ_INSERT_TAIL(&ps.tree->nodes, $2, entry);
	}
	| grammar error '\n'	{ yyerrok; }
	;

include	: INCLUDE STRING	{
		if (!ps.allow_include)
			perror_at(cur()->lineno, "include not allowed here");
		else
			(void)push_file($2.s);	/* reports its errors */
		free($2.s);
	}
	;

varset	: STRING '=' STRING	{
		const char *p;

		for (p = $1.s; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				break;
		if ($1.quoted || *p != '\0' || $1.s[0] == '\0')
			perror_at(cur()->lineno,
			    "macro name \"%s\" must be letters, digits or _",
			    $1.s);
		else if (macro_set($1.s, $3.s, 0) == -1)
			perror_at(cur()->lineno, "out of memory");
		free($1.s);
		free($3.s);
	}
	;

stmt	: STRING args optblock	{
		if ($1.quoted) {
			perror_at($<lineno>1, "keyword \"%s\" must not be "
			    "quoted", $1.s);
		}
		$$ = node_new($1.s, $2, $3, $<lineno>1);
		if ($$ == NULL) {
			perror_at($<lineno>1, "out of memory");
			YYERROR;
		}
	}
	;

args	: /* empty */		{
		if (($$ = args_new()) == NULL)
			YYERROR;
	}
	| args STRING		{
		if (args_add($1, $2.s, $2.quoted) == -1) {
			perror_at(cur()->lineno, "too many arguments");
			free($2.s);
		}
		$$ = $1;
	}
	;

sep	: '\n'
	| ';'
	;

optblock: /* empty */		{ $$ = NULL; }
	| '{' stmts '}'		{ $$ = $2; }
	| '{' stmts stmt '}'	{
		TAILQ_INSERT_TAIL($2, $3, entry);
		$$ = $2;
	}
	;

stmts	: /* empty */		{
		if (($$ = list_new()) == NULL)
			YYERROR;
	}
	| stmts '\n'		{ $$ = $1; }
	| stmts ';'		{ $$ = $1; }
	| stmts stmt sep	{
		TAILQ_INSERT_TAIL($1, $2, entry);
		$$ = $1;
	}
	| stmts error '\n'	{ yyerrok; $$ = $1; }
	;

%%

static struct cfinput *
cur(void)
{
	return (&ps.stack[ps.depth - 1]);
}

static void
yyerror(const char *msg)
{
	struct cfinput	*in = cur();
	int		 line = in->errline ? in->errline : in->lineno;

	/* the lexer already said what is wrong with this line */
	if (ps.lasterr_file == in->name && ps.lasterr_line == line)
		return;
	cf_error(ps.errs, in->name, line, "%s", msg);
}

static void
perror_at(int line, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cf_error(ps.errs, cur()->name, line, "%s", buf);
	ps.lasterr_file = cur()->name;
	ps.lasterr_line = line;
}

static int
lgetc_raw(struct cfinput *in)
{
	if (in->nungetc > 0)
		return (in->ungetc_buf[--in->nungetc]);
	if (in->fp != NULL)
		return (getc(in->fp));
	if (in->bufpos >= in->buflen)
		return (EOF);
	return ((unsigned char)in->buf[in->bufpos++]);
}

static void
lungetc(int c)
{
	struct cfinput	*in = cur();

	if (c == EOF)
		return;
	if (in->nungetc < (int)(sizeof(in->ungetc_buf) /
	    sizeof(in->ungetc_buf[0])))
		in->ungetc_buf[in->nungetc++] = c;
}

/*
 * Read one character; `\' followed by a newline is a continuation
 * and NUL bytes are refused.
 */
static int
lgetc(int quoted)
{
	struct cfinput	*in = cur();
	int		 c, next;

	c = lgetc_raw(in);
	if (c == '\0') {
		perror_at(in->lineno, "NUL byte in input");
		return (' ');
	}
	if (quoted)
		return (c);
	while (c == '\\') {
		next = lgetc_raw(in);
		if (next != '\n') {
			lungetc(next);
			return (c);
		}
		in->lineno++;
		c = lgetc_raw(in);
	}
	return (c);
}

static int
allowed_in_word(int c)
{
	if (isalnum(c))
		return (1);
	switch (c) {
	case '-': case '_': case '.': case '/': case ':': case '*':
	case '@': case '+': case ',': case '%': case '$': case '!':
	case '?': case '[': case ']': case '~': case '^': case '&':
	case '|': case '<': case '>': case '(': case ')': case '\\':
		return (1);
	}
	return (c >= 0x80);	/* UTF-8 in bare words */
}

static int
lex_quoted(int quote)
{
	char		 buf[CF_MAXTOKEN];
	struct cfinput	*in = cur();
	size_t		 n = 0;
	int		 c, next, start = in->lineno;

	for (;;) {
		if ((c = lgetc(1)) == EOF) {
			perror_at(start, "unterminated quoted string");
			return (ERROR);
		}
		if (c == quote)
			break;
		if (c == '\n') {
			in->lineno++;
		} else if (c == '\\') {
			next = lgetc(1);
			if (next == EOF)
				continue;
			if (next == '\n') {
				in->lineno++;
				continue;
			}
			if (next == 'n')
				c = '\n';
			else if (next == 't')
				c = '\t';
			else if (next == quote || next == '\\')
				c = next;
			else {
				/* keep unknown escapes: regexes need them */
				if (n + 1 >= sizeof(buf))
					goto toolong;
				buf[n++] = '\\';
				c = next;
			}
		}
		if (n + 1 >= sizeof(buf))
			goto toolong;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	if ((yylval.v.str.s = strdup(buf)) == NULL) {
		perror_at(start, "out of memory");
		return (ERROR);
	}
	yylval.v.str.quoted = 1;
	return (STRING);
 toolong:
	perror_at(start, "string too long");
	while ((c = lgetc(1)) != EOF && c != quote)
		if (c == '\n')
			in->lineno++;
	return (ERROR);
}

static int
lex_word(int c)
{
	char		 buf[CF_MAXTOKEN];
	const char	*val;
	size_t		 n = 0;

	do {
		if (n + 1 >= sizeof(buf)) {
			perror_at(cur()->lineno, "word too long");
			while (allowed_in_word((c = lgetc(0))))
				;
			lungetc(c);
			return (ERROR);
		}
		buf[n++] = (char)c;
	} while ((c = lgetc(0)) != EOF && allowed_in_word(c));
	lungetc(c);
	buf[n] = '\0';

	if (buf[0] == '$' && n > 1) {
		if ((val = macro_get(buf + 1)) == NULL) {
			perror_at(cur()->lineno, "macro \"%s\" not defined",
			    buf + 1);
			return (ERROR);
		}
		if ((yylval.v.str.s = strdup(val)) == NULL)
			return (ERROR);
		yylval.v.str.quoted = 0;
		return (STRING);
	}
	if (strcmp(buf, "include") == 0)
		return (INCLUDE);
	if ((yylval.v.str.s = strdup(buf)) == NULL)
		return (ERROR);
	yylval.v.str.quoted = 0;
	return (STRING);
}

static int
yylex(void)
{
	struct cfinput	*in;
	int		 c;

 top:
	in = cur();
	while ((c = lgetc(0)) == ' ' || c == '\t' || c == '\r')
		;
	in->errline = in->lineno;
	yylval.lineno = in->lineno;
	if (c == '#')
		while ((c = lgetc(1)) != '\n' && c != EOF)
			;
	switch (c) {
	case EOF:
		unclosed(in);
		if (ps.depth > 1) {
			pop_input();
			/* the include statement ends with this newline */
			return ('\n');
		}
		if (!ps.eof_nl) {
			ps.eof_nl = 1;
			return ('\n');
		}
		return (0);
	case '\n':
		in->lineno++;
		return ('\n');
	case '"':
	case '\'':
		return (lex_quoted(c));
	case '{':
		if (in->nbraces < CF_MAXBRACES)
			in->braces[in->nbraces] = in->lineno;
		in->nbraces++;
		return (c);
	case '}':
		if (in->nbraces == 0)
			perror_at(in->lineno, "} closes no {");
		else
			in->nbraces--;
		return (c);
	case '=':
	case ';':
		return (c);
	}
	if (allowed_in_word(c))
		return (lex_word(c));
	perror_at(in->lineno, "unexpected character '%c' (0x%02x)",
	    isprint(c) ? c : '?', c & 0xff);
	goto top;
}

/* at the end of a file: name each `{' that was never closed */
static void
unclosed(struct cfinput *in)
{
	int	 i;

	for (i = 0; i < in->nbraces && i < CF_MAXBRACES; i++)
		perror_at(in->lineno, "unclosed { opened at line %d",
		    in->braces[i]);
	in->nbraces = 0;
}

static const char *
tree_file(const char *name)
{
	char	**files, *copy;

	if ((copy = strdup(name)) == NULL)
		return (NULL);
	files = reallocarray(ps.tree->files, ps.tree->nfiles + 1,
	    sizeof(*files));
	if (files == NULL) {
		free(copy);
		return (NULL);
	}
	ps.tree->files = files;
	files[ps.tree->nfiles++] = copy;
	return (copy);
}

static int
push_file(const char *path)
{
	char		 full[PATH_MAX], dir[PATH_MAX];
	struct cfinput	*in;
	struct stat	 st;
	FILE		*fp;
	int		 line;

	line = ps.depth > 0 ? cur()->lineno : 0;
	if (path[0] != '/' && ps.depth > 0 && cur()->fp != NULL) {
		if (strlcpy(dir, cur()->name, sizeof(dir)) >= sizeof(dir))
			goto toolong;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", dirname(dir),
		    path) >= sizeof(full))
			goto toolong;
	} else if (strlcpy(full, path, sizeof(full)) >= sizeof(full))
		goto toolong;

	if (ps.depth >= CF_MAXDEPTH) {
		perror_at(line, "include \"%s\": nested too deeply", path);
		return (-1);
	}
	if ((fp = fopen(full, "r")) == NULL) {
		if (ps.depth > 0)
			perror_at(line, "include \"%s\": %s", full,
			    strerror(errno));
		else
			cf_error(ps.errs, full, 0, "%s", strerror(errno));
		return (-1);
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		if (ps.depth > 0)
			perror_at(line, "include \"%s\": not a regular file",
			    full);
		else
			cf_error(ps.errs, full, 0, "not a regular file");
		fclose(fp);
		return (-1);
	}
	in = &ps.stack[ps.depth];
	memset(in, 0, sizeof(*in));
	if ((in->name = tree_file(full)) == NULL) {
		fclose(fp);
		return (-1);
	}
	in->fp = fp;
	in->lineno = 1;
	ps.depth++;
	/* an included file first ends the include statement */
	if (ps.depth > 1) {
		in->lineno = 0;		/* that newline makes it line 1 */
		lungetc('\n');
	}
	return (0);
 toolong:
	perror_at(line, "include \"%s\": path too long", path);
	return (-1);
}

static void
pop_input(void)
{
	struct cfinput	*in = cur();

	if (in->fp != NULL)
		fclose(in->fp);
	in->fp = NULL;
	ps.depth--;
}

static struct cfargs *
args_new(void)
{
	return (calloc(1, sizeof(struct cfargs)));
}

static int
args_add(struct cfargs *a, char *s, int quoted)
{
	char	**argv;
	int	 *q;

	if (a->argc >= CF_MAXARGS)
		return (-1);
	if ((argv = reallocarray(a->argv, a->argc + 2, sizeof(*argv))) == NULL)
		return (-1);
	a->argv = argv;
	if ((q = reallocarray(a->quoted, a->argc + 1, sizeof(*q))) == NULL)
		return (-1);
	a->quoted = q;
	a->argv[a->argc] = s;
	a->quoted[a->argc] = quoted;
	a->argc++;
	a->argv[a->argc] = NULL;
	return (0);
}

static void
args_free(struct cfargs *a)
{
	int	 i;

	if (a == NULL)
		return;
	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	free(a->quoted);
	free(a);
}

static struct cfnodes *
list_new(void)
{
	struct cfnodes	*l;

	if ((l = malloc(sizeof(*l))) == NULL)
		return (NULL);
	TAILQ_INIT(l);
	return (l);
}

static void
list_free(struct cfnodes *l)
{
	struct cfnode	*n;

	if (l == NULL)
		return;
	while ((n = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, n, entry);
		node_free(n);
	}
	free(l);
}

static struct cfnode *
node_new(char *name, struct cfargs *a, struct cfnodes *block, int line)
{
	struct cfnode	*n;
	struct cfnode	*c;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		free(name);
		args_free(a);
		list_free(block);
		return (NULL);
	}
	n->name = name;
	n->file = cur()->name;
	n->line = line;
	TAILQ_INIT(&n->children);
	if (a != NULL) {
		n->argc = a->argc;
		n->argv = a->argv;
		n->quoted = a->quoted;
		if (n->argv == NULL)
			n->argv = calloc(1, sizeof(char *));
		free(a);
	}
	if (block != NULL) {
		n->hasblock = 1;
		while ((c = TAILQ_FIRST(block)) != NULL) {
			TAILQ_REMOVE(block, c, entry);
			TAILQ_INSERT_TAIL(&n->children, c, entry);
		}
		free(block);
	}
	return (n);
}

static void
node_free(struct cfnode *n)
{
	struct cfnode	*c;
	int		 i;

	while ((c = TAILQ_FIRST(&n->children)) != NULL) {
		TAILQ_REMOVE(&n->children, c, entry);
		node_free(c);
	}
	for (i = 0; i < n->argc; i++)
		free(n->argv[i]);
	free(n->argv);
	free(n->quoted);
	free(n->name);
	free(n);
}

static int
macro_set(const char *name, const char *value, int persist)
{
	struct cfmacro	*m;

	TAILQ_FOREACH(m, ps.macros, entry)
		if (strcmp(m->name, name) == 0) {
			if (m->persist && !persist)
				return (0);	/* -D wins */
			break;
		}
	if (m == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return (-1);
		if ((m->name = strdup(name)) == NULL) {
			free(m);
			return (-1);
		}
		TAILQ_INSERT_TAIL(ps.macros, m, entry);
	}
	free(m->value);
	if ((m->value = strdup(value)) == NULL)
		return (-1);
	m->persist = persist;
	return (0);
}

static const char *
macro_get(const char *name)
{
	struct cfmacro	*m;

	TAILQ_FOREACH(m, ps.macros, entry)
		if (strcmp(m->name, name) == 0) {
			m->used = 1;
			return (m->value);
		}
	return (NULL);
}

void
cf_macros_init(struct cfmacros *macros)
{
	TAILQ_INIT(macros);
}

void
cf_macros_free(struct cfmacros *macros)
{
	struct cfmacro	*m;

	while ((m = TAILQ_FIRST(macros)) != NULL) {
		TAILQ_REMOVE(macros, m, entry);
		free(m->name);
		free(m->value);
		free(m);
	}
}

int
cf_macro_define(struct cfmacros *macros, const char *def)
{
	struct cfmacros	*saved = ps.macros;
	const char	*eq, *p;
	char		*name;
	int		 rv;

	if ((eq = strchr(def, '=')) == NULL || eq == def)
		return (-1);
	for (p = def; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return (-1);
	if ((name = strndup(def, eq - def)) == NULL)
		return (-1);
	ps.macros = macros;
	rv = macro_set(name, eq + 1, 1);
	ps.macros = saved;
	free(name);
	return (rv);
}

/* forget macros defined by a previous file, keep -D ones */
static void
macros_reset(struct cfmacros *macros)
{
	struct cfmacro	*m, *next;

	for (m = TAILQ_FIRST(macros); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		if (!m->persist) {
			TAILQ_REMOVE(macros, m, entry);
			free(m->name);
			free(m->value);
			free(m);
		}
	}
}

static struct cftree *
parse_run(struct cfmacros *macros, struct cferrs *errs)
{
	struct cftree	*tree = ps.tree;
	size_t		 nerr = errs->n;

	yyparse();
	while (ps.depth > 0)
		pop_input();
	macros_reset(macros);
	memset(&ps, 0, sizeof(ps));
	(void)nerr;
	return (tree);
}

static int
parse_setup(struct cfmacros *macros, struct cferrs *errs,
    struct cfmacros *tmp)
{
	memset(&ps, 0, sizeof(ps));
	if (macros == NULL) {
		cf_macros_init(tmp);
		macros = tmp;
	}
	ps.macros = macros;
	ps.errs = errs;
	if ((ps.tree = calloc(1, sizeof(*ps.tree))) == NULL)
		return (-1);
	TAILQ_INIT(&ps.tree->nodes);
	return (0);
}

struct cftree *
cf_parse_file(const char *path, struct cfmacros *macros, struct cferrs *errs)
{
	struct cfmacros	 tmp;
	struct cftree	*tree;
	int		 own = macros == NULL;

	if (parse_setup(macros, errs, &tmp) == -1)
		return (NULL);
	ps.allow_include = 1;
	if (push_file(path) == -1) {
		tree = ps.tree;
		memset(&ps, 0, sizeof(ps));
		cf_free(tree);
		if (own)
			cf_macros_free(&tmp);
		return (NULL);
	}
	tree = parse_run(own ? &tmp : macros, errs);
	if (own)
		cf_macros_free(&tmp);
	return (tree);
}

struct cftree *
cf_parse_buffer(const char *name, const char *buf, size_t len,
    struct cfmacros *macros, struct cferrs *errs)
{
	struct cfmacros	 tmp;
	struct cftree	*tree;
	struct cfinput	*in;
	int		 own = macros == NULL;

	if (parse_setup(macros, errs, &tmp) == -1)
		return (NULL);
	in = &ps.stack[0];
	if ((in->name = tree_file(name)) == NULL) {
		tree = ps.tree;
		memset(&ps, 0, sizeof(ps));
		cf_free(tree);
		return (NULL);
	}
	in->buf = buf;
	in->buflen = len;
	in->lineno = 1;
	ps.depth = 1;
	tree = parse_run(own ? &tmp : macros, errs);
	if (own)
		cf_macros_free(&tmp);
	return (tree);
}

void
cf_free(struct cftree *tree)
{
	struct cfnode	*n;
	size_t		 i;

	if (tree == NULL)
		return;
	while ((n = TAILQ_FIRST(&tree->nodes)) != NULL) {
		TAILQ_REMOVE(&tree->nodes, n, entry);
		node_free(n);
	}
	for (i = 0; i < tree->nfiles; i++)
		free(tree->files[i]);
	free(tree->files);
	free(tree);
}

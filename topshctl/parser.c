/*
 * parser.c - topshctl's command table and prefix matching.
 */
#include <sys/types.h>

#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

enum token_type {
	ENDTOKEN,
	KEYWORD,
	DAEMON,
	USERID,
	ITEMID,
	COMMAND,
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	int			 value;
	const struct token	*next;
};

static const struct token t_main[];
static const struct token t_log[];
static const struct token t_opt_daemon[];
static const struct token t_policy[];
static const struct token t_command[];
static const struct token t_sandbox[];
static const struct token t_sandbox_user[];
static const struct token t_exec_user[];
static const struct token t_dashdash[];
static const struct token t_trash[];
static const struct token t_trash_user[];
static const struct token t_restore_user[];
static const struct token t_restore_id[];
static const struct token t_purge_user[];
static const struct token t_purge_id[];
static const struct token t_users[];
static const struct token t_users_who[];

static const struct token t_main[] = {
	{ KEYWORD,	"check",	CHECK,		NULL },
	{ KEYWORD,	"status",	STATUS,		t_opt_daemon },
	{ KEYWORD,	"log",		NONE,		t_log },
	{ KEYWORD,	"reload",	RELOAD,		t_opt_daemon },
	{ KEYWORD,	"policy",	NONE,		t_policy },
	{ KEYWORD,	"sandbox",	NONE,		t_sandbox },
	{ KEYWORD,	"trash",	NONE,		t_trash },
	{ KEYWORD,	"users",	NONE,		t_users },
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_log[] = {
	{ KEYWORD,	"verbose",	LOG_VERBOSE,	t_opt_daemon },
	{ KEYWORD,	"brief",	LOG_BRIEF,	t_opt_daemon },
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_opt_daemon[] = {
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ DAEMON,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_policy[] = {
	{ KEYWORD,	"test",		POLICY_TEST,	t_dashdash },
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_dashdash[] = {
	{ KEYWORD,	"--",		NONE,		t_command },
	{ COMMAND,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_command[] = {
	{ COMMAND,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_sandbox[] = {
	{ KEYWORD,	"list",		SANDBOX_LIST,	NULL },
	{ KEYWORD,	"kill",		SANDBOX_KILL,	t_sandbox_user },
	{ KEYWORD,	"exec",		SANDBOX_EXEC,	t_exec_user },
	{ KEYWORD,	"ps",		SANDBOX_PS,	t_sandbox_user },
	{ KEYWORD,	"stop",		SANDBOX_STOP,	t_sandbox_user },
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_sandbox_user[] = {
	{ USERID,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_exec_user[] = {
	{ USERID,	"",		NONE,		t_dashdash },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_trash[] = {
	{ KEYWORD,	"list",		TRASH_LIST,	t_trash_user },
	{ KEYWORD,	"restore",	TRASH_RESTORE,	t_restore_user },
	{ KEYWORD,	"purge",	TRASH_PURGE,	t_purge_user },
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_trash_user[] = {
	{ USERID,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_restore_user[] = {
	{ USERID,	"",		NONE,		t_restore_id },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_restore_id[] = {
	{ ITEMID,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_purge_user[] = {
	{ USERID,	"",		NONE,		t_purge_id },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_purge_id[] = {
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ ITEMID,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_users[] = {
	{ KEYWORD,	"list",		USERS_LIST,	NULL },
	{ KEYWORD,	"allow",	USERS_ALLOW,	t_users_who },
	{ KEYWORD,	"approve",	USERS_ALLOW,	t_users_who },
	{ KEYWORD,	"block",	USERS_BLOCK,	t_users_who },
	{ KEYWORD,	"remove",	USERS_REMOVE,	t_users_who },
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_users_who[] = {
	{ ITEMID,	"",		NONE,		NULL },
	{ ENDTOKEN,	NULL,		NONE,		NULL }
};

static const char *const daemons[] = {
	"gatewayd", "proxyd", "policyd", "sandboxd", NULL
};

static struct parse_result	 res;

static int	 daemon_ambiguous;

static const char *
match_daemon(const char *word)
{
	const char	*found = NULL;
	int		 i, n = 0;

	for (i = 0; daemons[i] != NULL; i++)
		if (strncmp(daemons[i], word, strlen(word)) == 0) {
			if (strcmp(daemons[i], word) == 0)
				return (daemons[i]);
			found = daemons[i];
			n++;
		}
	daemon_ambiguous = n > 1;
	return (n == 1 ? found : NULL);
}

static char *
join(int argc, char *argv[])
{
	size_t	 len = 1;
	char	*s;
	int	 i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = calloc(1, len)) == NULL)
		err(1, NULL);
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strlcat(s, " ", len);
		strlcat(s, argv[i], len);
	}
	return (s);
}

/* one word against one table: the matching entry, or NULL */
static const struct token *
match_token(const char *word, const struct token *table, int *ambiguous)
{
	const struct token	*t = NULL;
	const char		*errstr;
	int			 i, n = 0;

	*ambiguous = 0;
	for (i = 0; table[i].keyword != NULL; i++) {
		if (table[i].type == ENDTOKEN)
			continue;
		switch (table[i].type) {
		case KEYWORD:
			if (strncmp(table[i].keyword, word, strlen(word)) == 0 &&
			    word[0] != '\0') {
				if (strcmp(table[i].keyword, word) == 0)
					return (&table[i]);
				t = &table[i];
				n++;
			}
			break;
		case DAEMON:
			if ((res.daemon = match_daemon(word)) != NULL)
				return (&table[i]);
			break;
		case USERID:
			res.user = strtonum(word, 1, LLONG_MAX, &errstr);
			if (errstr == NULL)
				return (&table[i]);
			break;
		case ITEMID:
			res.id = word;
			return (&table[i]);
		case COMMAND:
			return (&table[i]);
		case ENDTOKEN:
			break;
		}
	}
	if (n > 1 || daemon_ambiguous) {
		daemon_ambiguous = 0;
		*ambiguous = 1;
		return (NULL);
	}
	return (t);
}

static void
show_valid_args(const struct token *table)
{
	int	 i;

	fprintf(stderr, "valid arguments are:\n");
	for (i = 0; table[i].keyword != NULL; i++) {
		switch (table[i].type) {
		case KEYWORD:
			fprintf(stderr, "  %s\n", table[i].keyword);
			break;
		case DAEMON:
			fprintf(stderr, "  <daemon>\n");
			break;
		case USERID:
			fprintf(stderr, "  <telegram user id>\n");
			break;
		case ITEMID:
			fprintf(stderr, table == t_users_who ?
			    "  <telegram user id or pairing code>\n" :
			    "  <trash id>\n");
			break;
		case COMMAND:
			fprintf(stderr, "  [--] <command>\n");
			break;
		case ENDTOKEN:
			fprintf(stderr, "  <end of command>\n");
			break;
		}
	}
}

static int
accepts_end(const struct token *table)
{
	int	 i;

	if (table == NULL)
		return (1);
	for (i = 0; table[i].keyword != NULL; i++)
		if (table[i].type == ENDTOKEN)
			return (1);
	return (0);
}

struct parse_result *
parse(int argc, char *argv[])
{
	const struct token	*table = t_main, *t;
	int			 ambiguous;

	memset(&res, 0, sizeof(res));
	while (argc > 0) {
		if (table == NULL) {
			fprintf(stderr, "superfluous argument: %s\n", argv[0]);
			return (NULL);
		}
		if ((t = match_token(argv[0], table, &ambiguous)) == NULL) {
			fprintf(stderr, "%s argument: %s\n", ambiguous ?
			    "ambiguous" : "unknown", argv[0]);
			show_valid_args(table);
			return (NULL);
		}
		if (t->value != NONE)
			res.action = t->value;
		if (t->type == COMMAND) {
			res.command = join(argc, argv);
			return (&res);
		}
		table = t->next;
		argc--;
		argv++;
	}
	if (!accepts_end(table)) {
		fprintf(stderr, "missing argument:\n");
		show_valid_args(table);
		return (NULL);
	}
	if (res.action == NONE) {
		fprintf(stderr, "missing argument:\n");
		show_valid_args(t_main);
		return (NULL);
	}
	return (&res);
}

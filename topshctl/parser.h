/*
 * parser.h - topshctl's command grammar: a static token table matched
 * by unique prefixes, after ikectl(8)'s parser.c.
 */
#ifndef TOPSHCTL_PARSER_H
#define TOPSHCTL_PARSER_H

enum actions {
	NONE,
	STATUS,
	LOG_VERBOSE,
	LOG_BRIEF,
	RELOAD,
	POLICY_TEST,
	SANDBOX_LIST,
	SANDBOX_KILL,
	SANDBOX_EXEC,
	SANDBOX_PS,
	SANDBOX_STOP,
	TRASH_LIST,
	TRASH_RESTORE,
	TRASH_PURGE,
	USERS_LIST,
	USERS_ALLOW,
	USERS_BLOCK,
	USERS_REMOVE,
	CHECK,
};

struct parse_result {
	enum actions	 action;
	const char	*daemon;	/* NULL: all daemons */
	long long	 user;
	const char	*id;
	char		*command;	/* the words after --, joined */
};

/* NULL after printing "unknown/ambiguous argument" and the choices */
struct parse_result	*parse(int, char *[]);

#endif

/*
 * config.h - topsh.conf(5): the typed configuration every daemon reads.
 *
 * One file configures the whole system.  Each section (gateway, proxy,
 * policy, sandbox) is described by a sorted keyword table (struct cfkey)
 * in its own conf_<section>.c; config.c walks the cftree from parse.y,
 * checks every statement against the tables (bsearch), applies defaults
 * and prints the result back in canonical form for -nv.
 */
#ifndef TOPSH_CONFIG_H
#define TOPSH_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "cfparse.h"

#define TOPSH_CONF		"/etc/topsh/topsh.conf"
#define TOPSH_RUNDIR		"/run/topsh"
#define TOPSH_STATEDIR		"/var/lib/topsh"

enum cftype {
	CF_STRING,		/* any string */
	CF_PATH,		/* absolute path, or relative to the file */
	CF_INT,			/* integer within [min, max] */
	CF_SIZE,		/* bytes: 512, 64K, 512M, 2G */
	CF_TIME,		/* seconds: 30, 30s, 5m, 1h, 2d */
	CF_BOOL,		/* yes|no|on|off|true|false */
	CF_DOUBLE,		/* decimal within [min, max] */
	CF_PERCENT,		/* 5% or 0.05, stored as 0..1 */
	CF_ENUM,		/* one of choices, stored as its index */
	CF_ADDR,		/* numeric IPv4 or IPv6 address */
	CF_PORTRANGE,		/* lo:hi or lo-hi, stored as int[2] */
	CF_STRLIST,		/* one or more strings, repeatable, appends */
	CF_PATHLIST,		/* the same, each a CF_PATH */
};

struct cfstrlist {
	char		**v;
	size_t		  n;
};

/* CF_PATH: min holds flags */
#define CF_PATH_NOTROOT	0x01	/* may not name the root directory */

struct cfkey {
	const char	 *name;		/* keep each table sorted by name */
	enum cftype	  type;
	size_t		  off;		/* offset in the section struct */
	long long	  min;
	long long	  max;
	const char	 *def;		/* default, as written in the file */
	const char *const *choices;	/* CF_ENUM: NULL-terminated; CF_INT:
					   words for -1, -2... ("auto") */
};

struct cfsection {
	const char		*name;	/* NULL: top level */
	const struct cfkey	*keys;
	size_t			 nkeys;
	size_t			 off;	/* offset of the struct in topsh_conf */
};

#include "conf_sections.h"

struct topsh_conf {
	char			*path;
	/* top level */
	char			*runtime_dir;
	char			*state_dir;
	int			 log_facility;	/* index in log_facilities */
	struct conf_gateway	 gateway;
	struct conf_proxy	 proxy;
	struct conf_policy	 policy;
	struct conf_sandbox	 sandbox;
};

extern const char *const log_facilities[];
/* the syslog(3) facility for log_facilities[i] */
int	 config_syslog_facility(int);

/* 0 ok; -1 with every error in errs (the conf is freed) */
int	 config_load(const char *, struct cfmacros *, struct topsh_conf **,
	    struct cferrs *);
/* the same from a buffer: tests and fuzzing */
int	 config_load_buffer(const char *, const char *, size_t,
	    struct cfmacros *, struct topsh_conf **, struct cferrs *);
/* what differs from the defaults, in canonical form (-nv) */
void	 config_print(FILE *, const struct topsh_conf *);
/* all: every key, defaults included (-nvv) */
void	 config_print_all(FILE *, const struct topsh_conf *, int);
void	 config_free(struct topsh_conf *);

/* value parsers shared with other consumers of the grammar */
int	 cf_parse_size(const char *, long long *);
int	 cf_parse_time(const char *, long long *);
int	 cf_parse_bool(const char *, int *);

#endif

/*
 * userlimit.h - per-user overrides: user-limits "ID key=value ...".
 */
#ifndef TOPSH_USERLIMIT_H
#define TOPSH_USERLIMIT_H

#include <stdint.h>

struct cfstrlist;

/* 1 and the value of key for user, 0 when not overridden */
int	 userlimit_get(const struct cfstrlist *, int64_t, const char *,
	    char *, size_t);
/* a number or size (512M) for user, dflt when not overridden */
long long userlimit_num(const struct cfstrlist *, int64_t, const char *,
	    long long);
/* 0 when every entry is "ID key=value..." with keys from keys[] */
int	 userlimit_check(const struct cfstrlist *, const char *const *,
	    char *, size_t);

#endif

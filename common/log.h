/*
 * log.h - logging in the style of OpenBSD daemons: stderr in the
 * foreground (-d), syslog otherwise; verbosity raised with -v.
 */
#ifndef TOPSH_LOG_H
#define TOPSH_LOG_H

#include <stdarg.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

void	log_init(int, int);
void	log_procinit(const char *);
/* while starting detached: copy each line to fd (-1: stop) */
void	log_startfd(int);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_setfilter(char *(*)(const char *));
void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug2(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	logit(int, const char *, ...) __attribute__((__format__(printf, 2, 3)));
void	vlog(int, const char *, va_list) __attribute__((__format__(printf, 2, 0)));
__dead void fatal(const char *, ...) __attribute__((__format__(printf, 1, 2)));
__dead void fatalx(const char *, ...) __attribute__((__format__(printf, 1, 2)));

#endif

/*
 * check.h - topshctl check: can this host run topsh, and what to do
 * when it cannot.  Each check is a row of a table (check.c) printing one
 * line or more: "ok|warn|fail  NAME  what  [-> the fix]".
 */
#ifndef TOPSHCTL_CHECK_H
#define TOPSHCTL_CHECK_H

#define CHECK_ALL	0x01	/* topshctl check */
#define CHECK_STATUS	0x02	/* also shown by topshctl status */

/* run the checks of that kind; returns the number of "fail" lines */
int	ctl_check(const char *, const char *, int);

/* topshctl.c: a daemon's control socket (-1: not running, errno) */
struct imsgbuf;
struct imsg;
int	ctl_connect(const char *, const char *, struct imsgbuf *);
int	ctl_next(struct imsgbuf *, struct imsg *);

#endif

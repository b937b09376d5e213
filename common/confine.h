/*
 * confine.h - the Linux pledge and unveil: a seccomp allow-list
 * (libseccomp) and a Landlock ruleset.
 *
 * The seccomp filter allows what an event-driven daemon that talks imsg
 * over unix sockets needs (CONFINE_BASE), plus the syscalls in extra[].
 * Anything else kills the process, or, with TOPSH_SECCOMP_DEBUG=1 in the
 * environment, raises SIGSYS which logs the syscall number and exits.
 *
 * Landlock restricts the file system to the listed paths and, with
 * LANDLOCK ABI 4 or later, forbids TCP bind and connect unless allowed.
 */
#ifndef TOPSH_CONFINE_H
#define TOPSH_CONFINE_H

#include <stddef.h>

#define CONFINE_R	0x01	/* read files and list directories */
#define CONFINE_W	0x02	/* write and truncate files */
#define CONFINE_C	0x04	/* create and remove entries, make dirs */
#define CONFINE_X	0x08	/* execute */

struct confine_path {
	const char	*path;
	unsigned int	 access;
};

/* seccomp flags */
#define CONFINE_INET	0x01	/* allow AF_INET/AF_INET6 sockets too */
#define CONFINE_EXEC	0x02	/* allow execve (never for daemons) */
#define CONFINE_FILES	0x04	/* allow opening, creating, renaming files */
#define CONFINE_FORK	0x08	/* allow fork and wait, no execve; workers
				   may set PDEATHSIG and confine further */
#define CONFINE_APPEND	0x10	/* allow opening existing files to append */

/* 0 ok, -1 (errno) */
int	confine_seccomp(int, const char *const *);
/*
 * paths: what remains reachable; tcp: allow TCP connect (1) or not (0).
 * Returns 0 when enforced, 1 when the kernel lacks Landlock (logged),
 * -1 on error.
 */
int	confine_landlock(const struct confine_path *, size_t, int);
int	confine_landlock_abi(void);
/*
 * A child that only computes and writes to a descriptor it holds:
 * nothing on the file system, no socket, no process.  0, or -1.
 */
int	confine_compute(void);
/*
 * The first directory on the way to a path that the caller cannot
 * search: 0 and dir filled in, -1 when every one can be.
 */
int	confine_untraversable(const char *, char *, size_t);
/* log "USER cannot traverse DIR: chmod o+x DIR, or ..." */
void	confine_report_traverse(const char *);

#endif

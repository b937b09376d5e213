/*
 * confine.c - seccomp allow-list (the Linux pledge) and Landlock
 * ruleset (the Linux unveil) for the topsh daemons.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <seccomp.h>

#include "confine.h"
#include "log.h"

/* Landlock ABI 3+ constants; Debian 12's headers stop at ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)
#define LL_FS_IOCTL_DEV		(1ULL << 15)
#define LL_NET_BIND_TCP		(1ULL << 0)
#define LL_NET_CONNECT_TCP	(1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)
#define LL_SCOPE_SIGNAL		(1ULL << 1)

struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

/* what every event-driven topsh daemon needs */
static const char *const base_syscalls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64",
	"recvmsg", "sendmsg", "recvfrom", "sendto", "recvmmsg", "sendmmsg",
	"close", "close_range", "epoll_create1", "epoll_ctl", "epoll_wait",
	"epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6",
	"clock_gettime", "clock_getres", "gettimeofday", "time", "futex",
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"exit", "exit_group", "getpid", "gettid", "getppid", "fstat",
	"newfstatat", "statx", "lseek", "accept", "accept4", "fcntl",
	"getsockopt", "setsockopt", "getsockname", "getpeername", "connect",
	"shutdown", "getrandom", "sched_yield", "nanosleep",
	"clock_nanosleep", "eventfd2", "pipe2", "dup", "dup3", "uname",
	"sysinfo", "restart_syscall", "getuid", "geteuid", "getgid",
	"getegid", "getresuid", "getresgid", "getgroups", "tgkill",
	"rseq", "set_robust_list", "prlimit64", "getrlimit",
	"sched_getaffinity", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "ioctl", "membarrier", "getcwd", "madvise",
	"socketpair", "getdents64", "readlink", "readlinkat", "access",
	"faccessat", "faccessat2", "umask",
	"set_tid_address", "unlink", "unlinkat",
	NULL
};

/* opening files for writing, creating and renaming them */
static const char *const file_syscalls[] = {
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir",
	"mkdirat", "rmdir", "fsync", "fdatasync", "ftruncate", "fallocate",
	"fchmod", "fchmodat", "fchown", "fchownat", "linkat", "symlinkat",
	"utimensat", "flock", "memfd_create", "openat2", "copy_file_range",
	"sendfile", "splice", "statfs", "fstatfs", "truncate", "chmod",
	NULL
};

static void
sigsys_handler(int sig, siginfo_t *info, void *ctx)
{
	char	 msg[96];
	int	 len;

	len = snprintf(msg, sizeof(msg), "seccomp: forbidden system call %d, "
	    "exiting\n", info->si_syscall);
	if (len > 0)
		(void)write(STDERR_FILENO, msg, (size_t)len);
	_exit(1);
}

/*
 * The action for a forbidden call: kill, or with TOPSH_SECCOMP_DEBUG=1
 * a trap whose handler names the call before exiting.
 */
static uint32_t
deny_action(void)
{
	struct sigaction	 sa;
	const char		*dbg = getenv("TOPSH_SECCOMP_DEBUG");

	if (dbg == NULL || dbg[0] != '1')
		return (SCMP_ACT_KILL_PROCESS);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	return (SCMP_ACT_TRAP);
}

static int
allow_list(scmp_filter_ctx ctx, const char *const *names)
{
	int	 nr;

	for (; names != NULL && *names != NULL; names++) {
		if ((nr = seccomp_syscall_resolve_name(*names)) ==
		    __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0) {
			log_warnx("seccomp: cannot allow %s", *names);
			return (-1);
		}
	}
	return (0);
}

static int
allow_sockets(scmp_filter_ctx ctx, int flags)
{
	int	 domains[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	size_t	 i, n = (flags & CONFINE_INET) ? 4 : 1;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, domains[i])) < 0)
			return (-1);
	/* any other family: EAFNOSUPPORT, not death (glibc probes) */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
	    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_GT, AF_UNIX)) < 0 &&
	    !(flags & CONFINE_INET))
		return (-1);
	return (0);
}

/* without CONFINE_FILES, files open read-only */
static int
allow_open(scmp_filter_ctx ctx, int flags)
{
	const int	 wr = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
	int		 nr;

	if (flags & CONFINE_FILES) {
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat),
		    0) < 0)
			return (-1);
		nr = seccomp_syscall_resolve_name("open");
		if (nr != __NR_SCMP_ERROR &&
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			return (-1);
		return (0);
	}
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, wr, 0)) < 0)
		return (-1);
	/* reopening a log: write-only, append, no create, no truncate */
	if ((flags & CONFINE_APPEND) && seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
	    SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, wr,
	    O_WRONLY | O_APPEND)) < 0)
		return (-1);
	nr = seccomp_syscall_resolve_name("open");
	if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr,
	    1, SCMP_A1(SCMP_CMP_MASKED_EQ, wr, 0)) < 0)
		return (-1);
	return (0);
}

static int
allow_threads(scmp_filter_ctx ctx, int flags)
{
	/* clone3 hides its flags in memory: make glibc fall back to clone */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) < 0)
		return (-1);
	if (flags & (CONFINE_EXEC | CONFINE_FORK))
		return (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone),
		    0));
	/* threads (libcurl's resolver) but no new processes */
	return (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)));
}

/*
 * A process that forks workers: they ask to die with it and confine
 * themselves further (a filter can only narrow what the one before it
 * allows).
 */
static int
allow_fork(scmp_filter_ctx ctx, int flags)
{
	static const int	 ops[] = { PR_SET_PDEATHSIG,
	    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP };
	size_t			 i;

	if (!(flags & CONFINE_FORK))
		return (0);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
		    SCMP_A0(SCMP_CMP_EQ, ops[i])) < 0)
			return (-1);
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(wait4), 0) < 0)
		return (-1);
	return (0);
}

int
confine_seccomp(int flags, const char *const *extra)
{
	static const char *const exec_syscalls[] = {
		"execve", "execveat", "fork", "vfork", "wait4", "waitid",
		"kill", "setpgid", "setsid", "chdir", "fchdir", NULL
	};
	scmp_filter_ctx		 ctx;

	if ((ctx = seccomp_init(deny_action())) == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	if (allow_list(ctx, base_syscalls) == -1 ||
	    allow_sockets(ctx, flags) == -1 ||
	    allow_threads(ctx, flags) == -1 ||
	    allow_fork(ctx, flags) == -1 ||
	    allow_open(ctx, flags) == -1 ||
	    ((flags & CONFINE_FILES) && allow_list(ctx, file_syscalls) == -1) ||
	    ((flags & CONFINE_EXEC) && allow_list(ctx, exec_syscalls) == -1) ||
	    allow_list(ctx, extra) == -1)
		goto fail;
	if (seccomp_load(ctx) < 0) {
		log_warnx("seccomp_load failed");
		goto fail;
	}
	seccomp_release(ctx);
	return (0);
 fail:
	seccomp_release(ctx);
	errno = EPERM;
	return (-1);
}

int
confine_landlock_abi(void)
{
	long	 abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return (abi < 0 ? 0 : (int)abi);
}

static uint64_t
fs_rights(int abi)
{
	uint64_t	 r;

	r = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	    LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return (r);
}

static uint64_t
path_rights(unsigned int access, int isdir, uint64_t handled)
{
	uint64_t	 r = 0;

	if (access & CONFINE_R)
		r |= LANDLOCK_ACCESS_FS_READ_FILE |
		    (isdir ? LANDLOCK_ACCESS_FS_READ_DIR : 0);
	if (access & CONFINE_W)
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LL_FS_TRUNCATE;
	if ((access & CONFINE_C) && isdir)
		r |= LANDLOCK_ACCESS_FS_REMOVE_DIR |
		    LANDLOCK_ACCESS_FS_REMOVE_FILE |
		    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
		    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REFER;
	if (access & CONFINE_X)
		r |= LANDLOCK_ACCESS_FS_EXECUTE;
	return (r & handled);
}

/*
 * The first directory on the way to path that the calling user cannot
 * search (x), copied to dir; 0 found, -1 none (everything is traversable).
 */
int
confine_untraversable(const char *path, char *dir, size_t dirlen)
{
	char	 buf[PATH_MAX];
	char	*p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return (-1);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '\0') {
			/* the last component itself, when a directory */
			if (access(buf, X_OK) == -1 && errno == EACCES) {
				struct stat	 st;

				if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
					break;
			}
			return (-1);
		}
		*p = '\0';
		if (access(buf, X_OK) == -1 && errno == EACCES)
			break;
		*p = '/';
	}
	(void)strlcpy(dir, buf, dirlen);
	return (0);
}

void
confine_report_traverse(const char *path)
{
	struct passwd	*pw;
	struct group	*gr;
	struct stat	 st;
	char		 dir[PATH_MAX], user[64], how[160];

	if ((pw = getpwuid(geteuid())) != NULL)
		(void)strlcpy(user, pw->pw_name, sizeof(user));
	else
		(void)snprintf(user, sizeof(user), "uid %u",
		    (unsigned)geteuid());
	if (confine_untraversable(path, dir, sizeof(dir)) == -1)
		(void)strlcpy(dir, path, sizeof(dir));
	how[0] = '\0';
	if (stat(dir, &st) == 0) {
		pw = getpwuid(st.st_uid);
		gr = getgrgid(st.st_gid);
		(void)snprintf(how, sizeof(how), " (it is %s:%s %04o)",
		    pw != NULL ? pw->pw_name : "?",
		    gr != NULL ? gr->gr_name : "?",
		    (unsigned)(st.st_mode & 07777));
	}
	log_warnx("%s cannot traverse %s: chmod o+x %s, or make %s its "
	    "owner or a member of its group%s; %s is out of its reach",
	    user, dir, dir, user, how, path);
}

static int
add_path(int ruleset, const struct confine_path *cp, uint64_t handled)
{
	struct landlock_path_beneath_attr	 pb;
	struct stat				 st;
	int					 fd, rv;

	if ((fd = open(cp->path, O_PATH | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			log_debug("landlock: %s does not exist, skipped",
			    cp->path);
			return (0);
		}
		if (errno == EACCES) {
			/*
			 * Not reachable by this user anyway: no rule is
			 * needed to keep it out, but whatever the daemon
			 * wanted there (reload, reopening a log) will fail.
			 */
			confine_report_traverse(cp->path);
			return (0);
		}
		log_warn("landlock: %s", cp->path);
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return (-1);
	}
	/* reachable, but a directory its user cannot search: say so */
	if (S_ISDIR(st.st_mode) && access(cp->path, X_OK) == -1 &&
	    errno == EACCES)
		confine_report_traverse(cp->path);
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = path_rights(cp->access, S_ISDIR(st.st_mode),
	    handled);
	rv = 0;
	if (pb.allowed_access != 0 && syscall(SYS_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1) {
		log_warn("landlock: add rule %s", cp->path);
		rv = -1;
	}
	close(fd);
	return (rv);
}

/*
 * A forked child that only computes and writes its result to a
 * descriptor it already holds (proxyd's DLP build): Landlock with
 * nothing reachable and no TCP, then a seccomp allow-list of memory,
 * write and exit.  No file, socket, process or signal to anyone.
 */
int
confine_compute(void)
{
	static const char *const compute_syscalls[] = {
		"write", "brk", "mmap", "munmap", "mremap", "mprotect",
		"madvise", "futex", "exit", "exit_group", "rt_sigreturn",
		"rt_sigprocmask", "getpid", "gettid", "getrandom",
		"clock_gettime", "sched_getaffinity", "sched_yield",
		"sigaltstack", NULL
	};
	scmp_filter_ctx		 ctx;

	if (confine_landlock(NULL, 0, 0) == -1)
		return (-1);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    (ctx = seccomp_init(deny_action())) == NULL)
		return (-1);
	if (allow_list(ctx, compute_syscalls) == -1 ||
	    seccomp_load(ctx) < 0) {
		seccomp_release(ctx);
		errno = EPERM;
		return (-1);
	}
	seccomp_release(ctx);
	return (0);
}

int
confine_landlock(const struct confine_path *paths, size_t npaths, int tcp)
{
	struct ll_ruleset_attr	 attr;
	size_t			 attrsize, i;
	int			 abi, ruleset;

	if ((abi = confine_landlock_abi()) < 1) {
		log_warnx("landlock is not available on this kernel; file "
		    "system confinement skipped");
		return (1);
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = fs_rights(abi);
	attrsize = sizeof(uint64_t);
	if (abi >= 4) {
		/* bind is never allowed; connect unless tcp */
		attr.handled_access_net = LL_NET_BIND_TCP |
		    (tcp ? 0 : LL_NET_CONNECT_TCP);
		attrsize = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		attrsize = 3 * sizeof(uint64_t);
	}
	if ((ruleset = syscall(SYS_landlock_create_ruleset, &attr, attrsize,
	    0)) == -1) {
		log_warn("landlock_create_ruleset");
		return (-1);
	}
	for (i = 0; i < npaths; i++)
		if (add_path(ruleset, &paths[i], attr.handled_access_fs) ==
		    -1) {
			close(ruleset);
			return (-1);
		}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == -1) {
		log_warn("landlock_restrict_self");
		close(ruleset);
		return (-1);
	}
	close(ruleset);
	return (0);
}

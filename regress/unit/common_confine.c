/*
 * common_confine.c - a confined child that tries a forbidden system call
 * or path is stopped; what stays allowed still works.  Also the
 * privilege drop (needs root, as CI and `make check' run).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confine.h"
#include "privdrop.h"
#include "regress.h"

static char	 tmpdir[] = "/tmp/topsh-confine.XXXXXX";

/* run fn in a child; return its wait status */
static int
child(int (*fn)(void *), void *arg)
{
	pid_t	 pid;
	int	 status;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		int	 null = open("/dev/null", O_WRONLY);

		dup2(null, STDERR_FILENO);	/* keep the TAP stream clean */
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) == -1)
		return (-1);
	return (status);
}

static int
killed_by_sys(int status)
{
	return (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
}

static int
do_exec(void *arg)
{
	char	*argv[] = { "/bin/true", NULL };

	if (confine_seccomp(0, NULL) == -1)
		return (99);
	execv(argv[0], argv);
	return (3);
}

static int
do_fork(void *arg)
{
	if (confine_seccomp(0, NULL) == -1)
		return (99);
	if (fork() == 0)
		_exit(0);
	return (3);
}

/* confine_compute(): memory and write work, then what arg names */
static int
do_compute(void *arg)
{
	const char	*what = arg;
	char		*m;
	int		 p[2];

	if (pipe(p) == -1 || confine_compute() == -1)
		return (99);
	if ((m = malloc(1 << 20)) == NULL)
		return (98);
	memset(m, 'x', 1 << 20);
	free(m);
	if (write(p[1], "ok", 2) != 2)
		return (97);
	if (strcmp(what, "open") == 0)
		(void)open("/etc/hostname", O_RDONLY);
	else if (strcmp(what, "socket") == 0)
		(void)socket(AF_UNIX, SOCK_STREAM, 0);
	else if (strcmp(what, "fork") == 0)
		(void)fork();
	return (0);
}

static int
do_open_write(void *arg)
{
	char	 path[256];

	snprintf(path, sizeof(path), "%s/new", tmpdir);
	if (confine_seccomp(0, NULL) == -1)
		return (99);
	(void)open(path, O_WRONLY | O_CREAT, 0600);
	return (3);
}

static int
do_inet(void *arg)
{
	int	 s;

	if (confine_seccomp(0, NULL) == -1)
		return (99);
	s = socket(AF_INET, SOCK_STREAM, 0);
	return (s == -1 && errno == EAFNOSUPPORT ? 0 : 3);
}

static int
do_allowed(void *arg)
{
	char	 buf[4] = { 0 }, path[256];
	int	 p[2], fd, s;

	snprintf(path, sizeof(path), "%s/readable", tmpdir);
	if (confine_seccomp(0, NULL) == -1)
		return (99);
	if (pipe2(p, 0) == -1 || write(p[1], "abc", 3) != 3 ||
	    read(p[0], buf, 3) != 3 || strcmp(buf, "abc") != 0)
		return (4);
	if ((fd = open(path, O_RDONLY)) == -1)
		return (5);
	close(fd);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (6);
	close(s);
	free(malloc(1 << 20));
	return (0);
}

static int
do_debug(void *arg)
{
	char	*argv[] = { "/bin/true", NULL };

	setenv("TOPSH_SECCOMP_DEBUG", "1", 1);
	if (confine_seccomp(0, NULL) == -1)
		return (99);
	execv(argv[0], argv);
	return (3);
}

static int
do_landlock(void *arg)
{
	struct confine_path	 p = { tmpdir, CONFINE_R };
	char			 path[256];
	int			 fd;

	if (confine_landlock(&p, 1, 0) != 0)
		return (99);
	snprintf(path, sizeof(path), "%s/readable", tmpdir);
	if ((fd = open(path, O_RDONLY)) == -1)
		return (4);		/* listed path must stay readable */
	close(fd);
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		return (5);		/* unlisted path must be gone */
	if (open(path, O_WRONLY) != -1 || errno != EACCES)
		return (6);		/* read-only means read-only */
	snprintf(path, sizeof(path), "%s/created", tmpdir);
	if (open(path, O_WRONLY | O_CREAT, 0600) != -1 || errno != EACCES)
		return (7);		/* no creating either */
	return (0);
}

static int	 listen_port;

static int
do_landlock_tcp(void *arg)
{
	struct sockaddr_in	 sin;
	int			 s, allow = *(int *)arg;

	if (confine_landlock(NULL, 0, allow) != 0)
		return (99);
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(listen_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return (allow ? 0 : 4);
	return (!allow && errno == EACCES ? 0 : 5);
}

static int
do_privdrop(void *arg)
{
	gid_t	 groups[8];
	uid_t	 r, e, s;

	privdrop(65534, 65534, (gid_t)-1);
	if (getresuid(&r, &e, &s) == -1 || r != 65534 || e != 65534 ||
	    s != 65534)
		return (4);
	if (getgroups(8, groups) != 1 || groups[0] != 65534)
		return (5);
	if (setuid(0) != -1 || setgid(0) != -1)
		return (6);
	if (open("/etc/shadow", O_RDONLY) != -1)
		return (7);
	return (0);
}

static int
do_privdrop_keep(void *arg)
{
	gid_t	 groups[8];
	int	 n;

	privdrop(65534, 65534, 4242);
	n = getgroups(8, groups);
	return (n == 2 && (groups[0] == 4242 || groups[1] == 4242) ? 0 : 4);
}

static int
do_privdrop_root(void *arg)
{
	privdrop(0, 0, (gid_t)-1);
	return (0);	/* must not get here */
}

static void
setup_listener(int *fdp)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&sin, sizeof(sin));
	listen(s, 5);
	getsockname(s, (struct sockaddr *)&sin, &len);
	listen_port = ntohs(sin.sin_port);
	*fdp = s;
}

int
main(void)
{
	char	 path[256], err[256];
	int	 st, fd, lfd, yes = 1, no = 0;
	uid_t	 uid;
	gid_t	 gid;

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	snprintf(path, sizeof(path), "%s/readable", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	close(fd);

	st = child(do_compute, "nothing");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "confine_compute: memory and write work (%d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	ok(killed_by_sys(child(do_compute, "open")),
	    "confine_compute: opening a file for reading kills");
	ok(killed_by_sys(child(do_compute, "socket")),
	    "confine_compute: a unix socket kills");
	ok(killed_by_sys(child(do_compute, "fork")),
	    "confine_compute: fork kills");
	ok(killed_by_sys(child(do_exec, NULL)), "seccomp: execve kills");
	ok(killed_by_sys(child(do_fork, NULL)), "seccomp: fork kills");
	ok(killed_by_sys(child(do_open_write, NULL)),
	    "seccomp: opening a file for writing kills");
	st = child(do_inet, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "seccomp: an inet socket fails with EAFNOSUPPORT");
	st = child(do_allowed, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "seccomp: pipes, reads, unix sockets, malloc still work (%d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	st = child(do_debug, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "seccomp debug mode: SIGSYS is trapped, logged, exit 1");

	ok(confine_landlock_abi() >= 1, "landlock is available (ABI %d)",
	    confine_landlock_abi());
	st = child(do_landlock, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "landlock: only the listed path is readable, nothing writable (%d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	setup_listener(&lfd);
	if (confine_landlock_abi() >= 4) {
		st = child(do_landlock_tcp, &no);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "landlock: TCP connect refused when not allowed (%d)",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	st = child(do_landlock_tcp, &yes);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "landlock: TCP connect works when allowed");
	close(lfd);

	ok(privdrop_lookup("no-such-user-topsh", &uid, &gid, err,
	    sizeof(err)) == -1 && strstr(err, "does not exist") != NULL,
	    "privdrop: a missing user is reported");
	ok(privdrop_lookup("root", &uid, &gid, err, sizeof(err)) == -1,
	    "privdrop: dropping to root is refused");
	if (geteuid() != 0) {
		ok(0, "privilege drop tests need root (run make check as "
		    "root, as CI does)");
	} else {
		st = child(do_privdrop, NULL);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "privdrop: all uids, gids and groups changed for good (%d)",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		st = child(do_privdrop_keep, NULL);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "privdrop: a kept supplementary group stays");
		st = child(do_privdrop_root, NULL);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 1,
		    "privdrop: uid 0 is fatal");
	}
	unlink(path);
	rmdir(tmpdir);
	return (done_testing());
}

/*
 * topsh-runner - the resident command runner of a sandbox container.
 *
 * sandboxd bind-mounts this static program read-only at /.topsh/runner
 * and makes it the container's command (docker-init stays pid 1 and
 * reaps).  It runs as the container's user, without privilege.
 * sandboxd attaches to the container's stdin and stdout and speaks
 * frame.h's protocol: each RUN becomes `sh -c COMMAND' in a session of
 * its own (as an exec of the Engine would), with its output sent back in
 * OUT and ERR frames and its status in EXIT once it has exited and its
 * pipes are closed; KILL and RESET end every process of the container
 * but the runner's session (docker-init and this program) and the
 * sessions of the commands sandboxd spares, found by their TOPSH_EXEC
 * tags: the rule of sandboxd/kill.c, without an exec.
 *
 * Everything on stdin is checked (frame.c): a malformed frame is
 * answered with BAD and skipped up to the next HELLO.  The runner is not
 * dumpable, so under runc the user's processes cannot open its fds
 * through /proc.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

#define MAXCMDS		32
#define KILL_ROUNDS	50
#define ZOMBIE_ROUNDS	1500	/* 2 ms apart: 3 s for the dead to be reaped */
#define MAXVICTIMS	4096
#define ENVIRON_MAX	(256 * 1024)

extern char	**environ;

struct cmd {
	uint32_t	 id;
	pid_t		 pid;		/* 0: the slot is free */
	int		 fd[2];		/* stdout, stderr; -1 once closed */
	int		 exited;
	int		 status;
	int		 quiet;		/* an earlier sandboxd's: not reported */
	struct timespec	 deadline;
};

static struct cmd	 cmds[MAXCMDS];
static unsigned char	 inbuf[RF_SYNC];
static size_t		 inlen;
static int		 resync;	/* skipping to the next HELLO */
static int		 stdin_open = 1;
static int		 sigfd = -1;
static sigset_t		 oldmask;

static void
write_all(const unsigned char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(STDOUT_FILENO, p, len)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			_exit(1);	/* nobody can hear us any more */
		}
		p += n;
		len -= n;
	}
}

static void
send_frame(int type, uint32_t id, const void *pay, size_t len)
{
	static unsigned char	out[RF_HDR + RF_MAXOUT + RF_TRAILER];
	size_t			n;

	if ((n = rf_build(out, sizeof(out), type, id, pay, len)) > 0)
		write_all(out, n);
}

static void
send_exit(uint32_t id, int status, const char *msg)
{
	unsigned char	pay[4 + RF_MAXMSG];
	size_t		len = 0;

	rf_put32(pay, (uint32_t)status);
	if (msg != NULL) {
		len = strlen(msg);
		if (len > RF_MAXMSG)
			len = RF_MAXMSG;
		memcpy(pay + 4, msg, len);
	}
	send_frame(RF_EXIT, id, pay, 4 + len);
}

static void
send_u32(int type, uint32_t id, uint32_t v)
{
	unsigned char	pay[4];

	rf_put32(pay, v);
	send_frame(type, id, pay, sizeof(pay));
}

/* --- processes --------------------------------------------------- */

/* the session and state of pid from /proc/PID/stat; -1 if gone */
static int
proc_stat(pid_t pid, pid_t *sid, char *state)
{
	char		 path[64], buf[1024], *p;
	long		 ppid, pgrp, session;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %ld %ld %ld", state, &ppid, &pgrp,
	    &session) != 4)
		return (-1);
	*sid = (pid_t)session;
	return (0);
}

/* does pid's environment hold TOPSH_EXEC=tag for one of tags? */
static int
proc_tagged(pid_t pid, const char **tags, int ntags)
{
	static char	 env[ENVIRON_MAX];
	char		 path[64], *p, *end;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, i;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	while (len < sizeof(env) - 1 &&
	    (n = read(fd, env + len, sizeof(env) - 1 - len)) > 0)
		len += n;
	close(fd);
	env[len] = '\0';
	for (p = env, end = env + len; p < end; p += strlen(p) + 1) {
		if (strncmp(p, "TOPSH_EXEC=", 11) != 0)
			continue;
		for (i = 0; i < ntags; i++)
			if (strcmp(p + 11, tags[i]) == 0)
				return (1);
	}
	return (0);
}

static int
sid_in(pid_t sid, const pid_t *v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (v[i] == sid)
			return (1);
	return (0);
}

/* the numeric entries of /proc into v; their count */
static int
proc_list(pid_t *v, int max)
{
	DIR		*d;
	struct dirent	*de;
	const char	*errstr;
	long		 pid;
	char		*end;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return (0);
	while (n < max && (de = readdir(d)) != NULL) {
		errno = 0;
		pid = strtol(de->d_name, &end, 10);
		errstr = errno != 0 || *end != '\0' || pid <= 0 ? "no" : NULL;
		if (errstr == NULL)
			v[n++] = (pid_t)pid;
	}
	closedir(d);
	return (n);
}

static void	reap(void);

/*
 * Stop and kill every process outside the runner's session and the
 * sessions holding one of tags, round after round until none is left.
 * 0 when none is, 1 when some outlived every round.
 */
static int
sweep(const char **tags, int ntags)
{
	static pid_t		 pids[MAXVICTIMS], keep[MAXVICTIMS];
	struct timespec		 pause = { 0, 2000000 };
	pid_t			 me = getpid(), mysid = getsid(0), sid;
	char			 st;
	int			 i, n, nkeep = 0, nv, nz, round;

	n = proc_list(pids, MAXVICTIMS);
	for (i = 0; i < n && ntags > 0; i++)
		if (proc_tagged(pids[i], tags, ntags) &&
		    proc_stat(pids[i], &sid, &st) == 0 && nkeep < MAXVICTIMS)
			keep[nkeep++] = sid;
	for (round = 0; round < KILL_ROUNDS + ZOMBIE_ROUNDS; round++) {
		n = proc_list(pids, MAXVICTIMS);
		for (i = nv = nz = 0; i < n; i++) {
			if (pids[i] == 1 || pids[i] == me ||
			    proc_stat(pids[i], &sid, &st) == -1 ||
			    sid == 0 || sid == 1 || sid == mysid ||
			    sid_in(sid, keep, nkeep))
				continue;
			if (st == 'Z' || st == 'X')
				nz++;
			else
				pids[nv++] = pids[i];
		}
		/*
		 * The dead still hold their slots of the pids limit until
		 * docker-init has reaped them: a fork bomb's hundreds take
		 * a moment on a loaded host, and the next command could not
		 * fork meanwhile.  Wait for them, a bounded time.
		 */
		if (nv == 0 && (nz == 0 || round >= KILL_ROUNDS +
		    ZOMBIE_ROUNDS - 1))
			return (0);
		if (nv == 0) {
			reap();
			nanosleep(&pause, NULL);
			continue;
		}
		if (round >= KILL_ROUNDS)
			return (1);
		for (i = 0; i < nv; i++)
			kill(pids[i], SIGSTOP);
		for (i = 0; i < nv; i++)
			kill(pids[i], SIGKILL);
		reap();
		nanosleep(&pause, NULL);
	}
	return (1);
}

static struct cmd *
cmd_by_pid(pid_t pid)
{
	int	i;

	for (i = 0; i < MAXCMDS; i++)
		if (cmds[i].pid == pid)
			return (&cmds[i]);
	return (NULL);
}

static void
reap(void)
{
	struct cmd	*c;
	pid_t		 pid;
	int		 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if ((c = cmd_by_pid(pid)) == NULL)
			continue;
		c->exited = 1;
		c->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	}
}

/* the command has exited and closed its output: report it */
static void
cmd_done(struct cmd *c)
{
	if (!c->quiet)
		send_exit(c->id, c->status, NULL);
	memset(c, 0, sizeof(*c));
}

/* one read from the command's stream s */
static void
cmd_pump(struct cmd *c, int s)
{
	unsigned char	buf[RF_MAXOUT];
	ssize_t		n;

	n = read(c->fd[s], buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(c->fd[s]);
		c->fd[s] = -1;
		return;
	}
	if (!c->quiet)
		send_frame(s == 0 ? RF_OUT : RF_ERR, c->id, buf, (size_t)n);
}

/* the runner's environment with each of extra's NAME=value replacing */
static char **
child_env(const char **extra, int nextra)
{
	char	**env;
	size_t	  n = 0, i, k;
	int	  j, dup;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + nextra + 1, sizeof(*env))) == NULL)
		return (environ);
	for (i = k = 0; i < n; i++) {
		for (j = dup = 0; j < nextra && !dup; j++)
			dup = strncmp(environ[i], extra[j],
			    strcspn(extra[j], "=") + 1) == 0;
		if (!dup)
			env[k++] = environ[i];
	}
	for (j = 0; j < nextra; j++)
		env[k++] = (char *)extra[j];
	return (env);
}

static void __attribute__((__noreturn__))
child(const char *cwd, const char *command, const char **extra, int nextra,
    int out, int err)
{
	char	*argv[4];
	int	 null;

	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if ((null = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1 ||
	    dup2(out, STDOUT_FILENO) == -1 || dup2(err, STDERR_FILENO) == -1)
		_exit(126);
	if (chdir(cwd) == -1) {
		dprintf(STDERR_FILENO, "topsh-runner: %s: %s\n", cwd,
		    strerror(errno));
		_exit(126);
	}
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)command;
	argv[3] = NULL;
	execvpe("sh", argv, child_env(extra, nextra));
	dprintf(STDERR_FILENO, "topsh-runner: sh: %s\n", strerror(errno));
	_exit(127);
}

static struct cmd *
cmd_slot(void)
{
	int	i;

	for (i = 0; i < MAXCMDS; i++)
		if (cmds[i].pid == 0)
			return (&cmds[i]);
	return (NULL);
}

/* RUN: u32 timeout, then cwd, command, environment entries */
static void
cmd_run(const struct rframe *f)
{
	const char	*s[RF_MAXSTRS];
	struct cmd	*c;
	int		 out[2], err[2], n;
	pid_t		 pid;

	if (f->len < 4 || (n = rf_strings(f->pay + 4, f->len - 4, s,
	    RF_MAXSTRS)) < 2) {
		send_exit(f->id, -1, "malformed command");
		return;
	}
	if ((c = cmd_slot()) == NULL) {
		send_exit(f->id, -1, "too many commands at once");
		return;
	}
	if (pipe2(out, O_CLOEXEC) == -1) {
		send_exit(f->id, -1, strerror(errno));
		return;
	}
	if (pipe2(err, O_CLOEXEC) == -1) {
		send_exit(f->id, -1, strerror(errno));
		close(out[0]);
		close(out[1]);
		return;
	}
	if ((pid = fork()) == 0)
		child(s[0], s[1], s + 2, n - 2, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid == -1) {
		send_exit(f->id, -1, strerror(errno));
		close(out[0]);
		close(err[0]);
		return;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	memset(c, 0, sizeof(*c));
	c->id = f->id;
	c->pid = pid;
	c->fd[0] = out[0];
	c->fd[1] = err[0];
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += rf_get32(f->pay);
}

/* KILL and RESET: the tags to spare */
static void
cmd_kill(const struct rframe *f)
{
	const char	*s[RF_MAXSTRS];
	int		 n, i;

	if ((n = rf_strings(f->pay, f->len, s, RF_MAXSTRS)) < 0) {
		send_frame(RF_BAD, f->id, NULL, 0);
		return;
	}
	if (f->type == RF_RESET)
		for (i = 0; i < MAXCMDS; i++)
			cmds[i].quiet = 1;
	send_u32(RF_KILLED, f->type == RF_RESET ? 0 : f->id, sweep(s, n));
}

static void
hello(const struct rframe *f)
{
	unsigned char	pay[RF_HELLO_OUT];

	rf_put32(pay, RF_VERSION);
	memcpy(pay + 4, f->pay + 4, 8);
	rf_put32(pay + 12, (uint32_t)getpid());
	send_frame(RF_HELLO, 0, pay, sizeof(pay));
}

static void
dispatch(const struct rframe *f)
{
	switch (f->type) {
	case RF_HELLO:
		if (f->len == RF_HELLO_IN)
			hello(f);
		break;
	case RF_RUN:
		cmd_run(f);
		break;
	case RF_KILL:
	case RF_RESET:
		cmd_kill(f);
		break;
	default:
		send_frame(RF_BAD, f->id, NULL, 0);
		break;
	}
}

static void
consume(size_t n)
{
	memmove(inbuf, inbuf + n, inlen - n);
	inlen -= n;
}

/* the frames in inbuf; a malformed one: BAD, then up to a HELLO */
static void
parse_input(void)
{
	struct rframe	f;
	long		r;

	while (inlen > 0) {
		if (resync) {
			consume(rf_hunt(inbuf, inlen, RF_HELLO, RF_HELLO_IN));
			if (inlen < RF_HDR)
				return;
		}
		if ((r = rf_parse(inbuf, inlen, RF_MAXIN, &f)) == 0)
			return;
		if (r == -1) {
			if (!resync)
				send_frame(RF_BAD, 0, NULL, 0);
			resync = 1;
			consume(1);
			continue;
		}
		resync = 0;
		dispatch(&f);
		consume((size_t)r);
	}
}

static void
read_input(void)
{
	ssize_t	n;

	n = read(STDIN_FILENO, inbuf + inlen, sizeof(inbuf) - inlen);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* nobody will talk to us: serve what runs, like sleep */
		stdin_open = 0;
		return;
	}
	inlen += n;
	parse_input();
}

/* a command past its time limit when sandboxd is gone: its group */
static int
deadlines(void)
{
	struct timespec	now;
	int		i, ms = -1, left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < MAXCMDS; i++) {
		if (cmds[i].pid == 0 || cmds[i].exited)
			continue;
		left = (int)(cmds[i].deadline.tv_sec - now.tv_sec) * 1000;
		if (left <= 0) {
			kill(-cmds[i].pid, SIGKILL);
			left = 1000;
		}
		if (ms == -1 || left < ms)
			ms = left;
	}
	return (ms);
}

static void
signals(void)
{
	struct signalfd_siginfo	si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si))
		;
	reap();
}

static void
serve(void)
{
	struct pollfd	 pfd[2 + 2 * MAXCMDS];
	struct cmd	*who[2 + 2 * MAXCMDS];
	int		 which[2 + 2 * MAXCMDS];
	int		 i, s, n, timeout;

	for (;;) {
		pfd[0].fd = stdin_open ? STDIN_FILENO : -1;
		pfd[1].fd = sigfd;
		pfd[0].events = pfd[1].events = POLLIN;
		for (i = 0, n = 2; i < MAXCMDS; i++)
			for (s = 0; s < 2; s++) {
				if (cmds[i].pid == 0 || cmds[i].fd[s] == -1)
					continue;
				pfd[n].fd = cmds[i].fd[s];
				pfd[n].events = POLLIN;
				who[n] = &cmds[i];
				which[n++] = s;
			}
		timeout = deadlines();
		if (poll(pfd, n, timeout) == -1 && errno != EINTR)
			_exit(1);
		if (pfd[1].revents != 0)
			signals();
		for (i = 2; i < n; i++)
			if (pfd[i].revents != 0)
				cmd_pump(who[i], which[i]);
		if (pfd[0].revents != 0)
			read_input();
		for (i = 0; i < MAXCMDS; i++)
			if (cmds[i].pid != 0 && cmds[i].exited &&
			    cmds[i].fd[0] == -1 && cmds[i].fd[1] == -1)
				cmd_done(&cmds[i]);
	}
}

int
main(int argc, char *argv[])
{
	sigset_t	mask;

	/* the user's processes must not reach our fds through /proc */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return (1);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &oldmask) == -1 ||
	    (sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		return (1);
	serve();
	return (0);
}

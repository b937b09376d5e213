/*
 * policyd_confine.c - what policyd can no longer do once confined, with
 * the very function policyd calls: each probe runs in a child that
 * confines itself and tries one thing.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regress.h"
#include "confine.h"
#include "log.h"
#include "../../policyd/policy.h"
#include "../../policyd/policyd.h"

static char	dir[] = "/tmp/policyd-confine-XXXXXX";
static char	conf[PATH_MAX], rules[PATH_MAX], audit[PATH_MAX];
static char	logdir[PATH_MAX - 64], newfile[PATH_MAX];

enum probe {
	P_EXEC, P_FORK, P_INET, P_INET6, P_PASSWD, P_RULES, P_CONF,
	P_AUDIT_OPEN, P_AUDIT_RECORD, P_JIT_OLD, P_RELOAD, P_UNIX,
	P_APPEND_RULES, P_REOPEN
};

static struct ruleset *
build(void)
{
	struct cferrs	 errs;
	struct ruleset	*rs;
	char		*files[1] = { rules };

	cferrs_init(&errs);
	rs = pd_engine_build(files, 1, NULL, NULL, &errs);
	cferrs_free(&errs);
	return (rs);
}

/* 0: the probe came out as policyd needs it */
static int
probe(enum probe p, struct ruleset *rs)
{
	struct pol_result	 res;
	struct ruleset		*nrs;
	char			*argv[] = { "/bin/true", NULL };
	pid_t			 pid;

	switch (p) {
	case P_EXEC:
		execv(argv[0], argv);
		return (0);	/* refused without death is fine too */
	case P_FORK:
		if ((pid = fork()) == 0)
			_exit(0);
		return (pid == -1 ? 0 : 1);
	case P_INET:
		return (socket(AF_INET, SOCK_STREAM, 0) == -1 ? 0 : 1);
	case P_INET6:
		return (socket(AF_INET6, SOCK_DGRAM, 0) == -1 ? 0 : 1);
	case P_UNIX:
		return (socket(AF_UNIX, SOCK_STREAM, 0) == -1 ? 1 : 0);
	case P_PASSWD:
		return (open("/etc/passwd", O_RDONLY) == -1 ? 0 : 1);
	case P_RULES:
		return (open(rules, O_RDONLY) == -1 ? 1 : 0);
	case P_CONF:
		return (open(conf, O_RDONLY) == -1 ? 1 : 0);
	case P_AUDIT_OPEN:
		/* no new file, not even next to the audit log */
		return (open(newfile, O_WRONLY | O_CREAT | O_APPEND, 0640) ==
		    -1 ? 0 : 1);
	case P_APPEND_RULES:
		return (open(rules, O_WRONLY | O_APPEND) == -1 ? 0 : 1);
	case P_REOPEN:
		/* SIGUSR1 after logrotate: the log is opened again */
		pd_audit_reopen();
		pol_check_command(rs, "cat /proc/2/environ", 19, &res);
		pd_audit_record("command", 7, 9, "cat /proc/2/environ", NULL,
		    &res);
		return (res.decision == POL_DENY ? 0 : 1);
	case P_AUDIT_RECORD:
		pol_check_command(rs, "cat /proc/1/environ", 19, &res);
		pd_audit_record("command", 7, 9, "cat /proc/1/environ", NULL,
		    &res);
		return (res.decision == POL_DENY ? 0 : 1);
	case P_JIT_OLD:
		/* the pattern's machine code is made now, confined */
		if (rs->njit != 0)
			return (2);
		pol_check_command(rs, "cat /proc/1/environ", 19, &res);
		return (res.decision == POL_DENY && rs->jit && rs->njit > 0 ?
		    0 : 1);
	case P_RELOAD:
		/* a reload after confinement re-reads and recompiles */
		if ((nrs = build()) == NULL)
			return (1);
		pol_check_command(nrs, "x /proc/self/environ", 20, &res);
		return (res.decision == POL_DENY ? 0 : 1);
	}
	return (1);
}

/* the child's fate: exit status, or 128 + signal */
static int
run(enum probe p)
{
	struct ruleset	*rs;
	char		*files[1] = { rules };
	pid_t		 pid;
	int		 status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		if ((rs = build()) == NULL)
			_exit(90);
		if (pd_audit_open(audit) == -1)
			_exit(91);
		if (policyd_confine_paths(conf, files, 1, pd_audit_path()) ==
		    -1)
			_exit(92);
		_exit(probe(p, rs));
	}
	if (waitpid(pid, &status, 0) == -1)
		return (-1);
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

static void
write_file(const char *path, const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		return;
	fputs(text, fp);
	fclose(fp);
}

int
main(void)
{
	char	 buf[4096];
	int	 rc, fd, landlock;
	ssize_t	 n;

	log_init(1, 0);
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return (done_testing());
	}
	snprintf(conf, sizeof(conf), "%s/topsh.conf", dir);
	snprintf(rules, sizeof(rules), "%s/t.rules", dir);
	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	snprintf(audit, sizeof(audit), "%s/audit.log", logdir);
	snprintf(newfile, sizeof(newfile), "%s/new.log", logdir);
	mkdir(logdir, 0755);
	write_file(conf, "policy {\n\trules \"t.rules\"\n}\n");
	write_file(rules, "block environ category procfs "
	    "pattern '/proc/[^/]+/environ' message m\n");
	landlock = confine_landlock_abi() >= 1;

	rc = run(P_EXEC);
	ok(rc == 128 + SIGSYS || rc == 0, "execve is refused (child %d)", rc);
	ok(rc == 128 + SIGSYS, "execve kills the process");
	rc = run(P_FORK);
	ok(rc == 128 + SIGSYS || rc == 0, "fork is refused (child %d)", rc);
	is_int(run(P_INET), 0, "no AF_INET sockets");
	is_int(run(P_INET6), 0, "no AF_INET6 sockets");
	is_int(run(P_UNIX), 0, "unix sockets still work");
	if (landlock)
		is_int(run(P_PASSWD), 0, "/etc/passwd cannot be opened");
	else
		ok(1, "no Landlock on this kernel: /etc/passwd not checked");
	is_int(run(P_RULES), 0, "the rule file stays readable (reload)");
	is_int(run(P_CONF), 0, "the configuration stays readable (reload)");
	rc = run(P_AUDIT_OPEN);
	ok(rc == 0 || rc == 128 + SIGSYS, "no file can be created, not even "
	    "next to the audit log (child %d)", rc);
	rc = run(P_APPEND_RULES);
	ok(rc == 0 || rc == 128 + SIGSYS, "a rule file cannot be opened for "
	    "writing (child %d)", rc);
	is_int(run(P_AUDIT_RECORD), 0, "a denial is audited while confined");
	if ((fd = open(audit, O_RDONLY)) != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	} else
		buf[0] = '\0';
	ok(strstr(buf, "\"kind\":\"command\"") != NULL &&
	    strstr(buf, "\"decision\":\"deny\"") != NULL &&
	    strstr(buf, "\"rule\":\"environ\"") != NULL &&
	    strstr(buf, "\"user\":7") != NULL &&
	    strstr(buf, "\"chat\":9") != NULL &&
	    strstr(buf, "\"time\":\"") != NULL, "the audit line: %.200s", buf);
	ok(strchr(buf, '\n') != NULL && strchr(buf, '\n')[1] == '\0',
	    "one JSON line per record");
	is_int(run(P_REOPEN), 0, "the audit log is reopened while confined");
	if ((fd = open(audit, O_RDONLY)) != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	} else
		buf[0] = '\0';
	ok(strstr(buf, "/proc/2/environ") != NULL, "and written to after "
	    "reopening");
	is_int(run(P_JIT_OLD), 0, "a rule is JIT-compiled on its first "
	    "check, after confinement, and matches");
	is_int(run(P_RELOAD), 0, "rules can be reloaded after confinement");
	unlink(conf);
	unlink(rules);
	unlink(audit);
	rmdir(logdir);
	rmdir(dir);
	return (done_testing());
}

/*
 * startenv.c - what a daemon inherits from whoever started it: open
 * file descriptors and the environment.  Both are dropped first thing,
 * before the configuration is read, so that neither a descriptor to
 * something the daemon must not reach nor a variable (a token, an
 * http_proxy that libcurl would follow) survives into a daemon, its
 * logs or a child.
 *
 * Kept: descriptors 0-2 (opened on /dev/null when closed, so that no
 * socket becomes stdout) and the egress child's lifeline named by
 * TOPSH_EGRESS_FD; the variables systemd hands over
 * (CREDENTIALS_DIRECTORY, JOURNAL_STREAM, NOTIFY_SOCKET, WATCHDOG_PID,
 * WATCHDOG_USEC),
 * TZ, the sanitizers' options and topsh's own TOPSH_*.  PATH is set to
 * the system's.  The original environment block is zeroed too, so
 * /proc/PID/environ no longer shows it.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define STARTENV_PATH	"/usr/sbin:/usr/bin:/sbin:/bin"
#define STARTENV_MAX	64

extern char	**environ;

static const char *const keep_vars[] = {
	"ASAN_OPTIONS", "CREDENTIALS_DIRECTORY", "JOURNAL_STREAM",
	"LSAN_OPTIONS",
	"NOTIFY_SOCKET", "TZ", "UBSAN_OPTIONS", "WATCHDOG_PID",
	"WATCHDOG_USEC", NULL
};

static int
keep_var(const char *kv)
{
	size_t	 i, len;

	if (strncmp(kv, "TOPSH_", 6) == 0)
		return (1);
	for (i = 0; keep_vars[i] != NULL; i++) {
		len = strlen(keep_vars[i]);
		if (strncmp(kv, keep_vars[i], len) == 0 && kv[len] == '=')
			return (1);
	}
	return (0);
}

static void
scrub_environment(void)
{
	char	**old = environ, *kept[STARTENV_MAX], *eq;
	size_t	  i, n = 0;

	for (i = 0; old != NULL && old[i] != NULL; i++)
		if (n < STARTENV_MAX && keep_var(old[i]) &&
		    (kept[n] = strdup(old[i])) != NULL)
			n++;
	clearenv();
	/* the block the kernel shows as /proc/PID/environ */
	for (i = 0; old != NULL && old[i] != NULL; i++)
		explicit_bzero(old[i], strlen(old[i]));
	for (i = 0; i < n; i++) {
		if ((eq = strchr(kept[i], '=')) != NULL) {
			*eq = '\0';
			setenv(kept[i], eq + 1, 1);
		}
		free(kept[i]);
	}
	setenv("PATH", STARTENV_PATH, 1);
}

static void
close_range_from(unsigned int lo, unsigned int hi)
{
	long	 max;
	int	 fd;

	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0)
		return;
	/* no close_range(2): one by one, as far as the limit goes */
	if ((max = sysconf(_SC_OPEN_MAX)) < 0 || max > 65536)
		max = 65536;
	for (fd = (int)lo; fd < max && (unsigned int)fd <= hi; fd++)
		(void)close(fd);
}

static void
close_inherited(void)
{
	const char	*lf, *errstr;
	int		 keep = -1, fd;

	if ((lf = getenv("TOPSH_EGRESS_FD")) != NULL) {
		keep = strtonum(lf, 3, 1024, &errstr);
		if (errstr != NULL)
			keep = -1;
	}
	if (keep == -1)
		close_range_from(3, ~0U);
	else {
		close_range_from(3, (unsigned int)keep - 1);
		close_range_from((unsigned int)keep + 1, ~0U);
	}
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(1);
}

void
daemon_startenv(void)
{
	close_inherited();
	scrub_environment();
}

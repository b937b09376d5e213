/*
 * pconfine.c - what policyd can still do once it runs: read the
 * directories of its configuration and rule files (for reload), append
 * to the audit log it already holds open, talk over the unix sockets it
 * already has.  No new network sockets, no exec, no writing elsewhere.
 */
#include <sys/types.h>

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "confine.h"
#include "log.h"
#include "policyd.h"

#define PCONF_MAXPATHS	64

static int
add_dir(struct confine_path *paths, char (*dirs)[PATH_MAX], size_t *n,
    const char *file)
{
	char	tmp[PATH_MAX];
	size_t	i;

	if (file == NULL || *file == '\0')
		return (0);
	if (strlcpy(tmp, file, sizeof(tmp)) >= sizeof(tmp))
		return (-1);
	for (i = 0; i < *n; i++)
		if (strcmp(dirs[i], dirname(tmp)) == 0)
			return (0);
	if (*n == PCONF_MAXPATHS - 1)
		return (-1);
	if (strlcpy(tmp, file, sizeof(tmp)) >= sizeof(tmp))
		return (-1);
	(void)strlcpy(dirs[*n], dirname(tmp), PATH_MAX);
	paths[*n].path = dirs[*n];
	paths[*n].access = CONFINE_R;
	(*n)++;
	return (0);
}

/*
 * conf: topsh.conf (its directory stays readable), files: the rule
 * files, audit: the audit log (NULL: none).  0 confined, -1 error.
 */
int
policyd_confine_paths(const char *conf, char *const *files, size_t nfiles,
    const char *audit)
{
	static char		 dirs[PCONF_MAXPATHS][PATH_MAX];
	static char		 auditdir[PATH_MAX];
	struct confine_path	 paths[PCONF_MAXPATHS];
	size_t			 n = 0, i;

	if (add_dir(paths, dirs, &n, conf) == -1)
		return (-1);
	for (i = 0; i < nfiles; i++)
		if (add_dir(paths, dirs, &n, files[i]) == -1)
			return (-1);
	if (audit != NULL && *audit != '\0') {
		/*
		 * The directory, not the file: after logrotate the log of
		 * that name is a new file, opened again on SIGUSR1
		 * (appending only: nothing can be created or truncated).
		 */
		if (strlcpy(auditdir, audit, sizeof(auditdir)) >=
		    sizeof(auditdir))
			return (-1);
		paths[n].path = dirname(auditdir);
		paths[n].access = CONFINE_W;
		n++;
	}
	if (confine_landlock(paths, n, 0) == -1)
		return (-1);
	/* read-only opens but appending to a log, unix sockets, no exec */
	return (confine_seccomp(CONFINE_APPEND, NULL));
}

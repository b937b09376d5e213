/*
 * dlp_hschild.c - a vectorscan literal database compiled in a short-lived
 * child process and handed to proxyd serialized, during start-up.
 *
 * Compiling touches megabytes of vectorscan's and libstdc++'s code and
 * leaves a fragmented heap behind: 3 MB of proxyd's idle RSS (libhs
 * 3.4 MB resident after compiling against 1 MB after deserializing, the
 * heap 2.5 MB).  The child compiles and serializes, writes the bytes to
 * a pipe and exits; proxyd deserializes them (a copy, no compiler code
 * run) into the same database.  The child is a fork of proxyd, so the
 * secrets' forms it compiles never leave proxyd's own processes (no
 * core dumps, no ptrace: PR_SET_DUMPABLE is inherited), and the bytes
 * read are wiped once used.
 *
 * Only while proxyd starts (dlp_compile_isolated(1)): once confined it
 * may not fork, and a reload compiles in the process.  Any failure of
 * the child path (fork, pipe, a short read) falls back to compiling in
 * the process: the result is the same database.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs.h>

#include "dlp.h"
#include "dlp_int.h"

#define HSCHILD_MAX	(256 * 1024 * 1024)	/* a sane database size */

static int		isolated;
static unsigned int	nchild;		/* databases made by a child */

void
dlp_compile_isolated(int on)
{
	isolated = on;
}

int
dlp_hs_isolated(void)
{
	return (isolated);
}

unsigned int
dlp_hs_child_count(void)
{
	return (nchild);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

static int
read_all(int fd, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

static void __attribute__((__noreturn__))
child(int fd, const char *const *lits, const unsigned int *flags,
    const unsigned int *ids, const size_t *lens, unsigned int n)
{
	hs_compile_error_t	*cerr = NULL;
	hs_database_t		*db = NULL;
	char			*buf = NULL;
	size_t			 len = 0;

	if (hs_compile_lit_multi(lits, flags, ids, lens, n, HS_MODE_BLOCK,
	    NULL, &db, &cerr) != HS_SUCCESS ||
	    hs_serialize_database(db, &buf, &len) != HS_SUCCESS ||
	    write_all(fd, &len, sizeof(len)) == -1 ||
	    write_all(fd, buf, len) == -1)
		_exit(1);
	_exit(0);
}

/*
 * The database of the n literals, compiled in a child: 0 and *db, or -1
 * (nothing made) when the child path failed for whatever reason.
 */
int
dlp_hs_compile_child(const char *const *lits, const unsigned int *flags,
    const unsigned int *ids, const size_t *lens, unsigned int n, void **db)
{
	hs_database_t	*d = NULL;
	char		*buf = NULL;
	size_t		 len = 0;
	pid_t		 pid;
	int		 p[2], status, rv = -1;

	if (pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return (-1);
	}
	if (pid == 0) {
		close(p[0]);
		child(p[1], lits, flags, ids, lens, n);
	}
	close(p[1]);
	if (read_all(p[0], &len, sizeof(len)) == 0 && len > 0 &&
	    len <= HSCHILD_MAX && (buf = malloc(len)) != NULL &&
	    read_all(p[0], buf, len) == 0 &&
	    hs_deserialize_database(buf, len, &d) == HS_SUCCESS) {
		*db = d;
		nchild++;
		rv = 0;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (buf != NULL)
		freezero(buf, len);
	return (rv);
}

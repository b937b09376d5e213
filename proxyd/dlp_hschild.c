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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs.h>

#include "confine.h"
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

/*
 * proxyd's start without waiting for its databases: dlp_build_spawn()
 * forks one child that builds what dlp_prepare() would for d (the
 * keyword filter unless DLP_OFF, the secrets' database) and writes
 * both serialized to a pipe, each as its length and its bytes (length
 * 0: no database); proxyd goes on, serves what needs no redaction, and
 * dlp_build_collect() takes the databases when the pipe is readable.
 * The child confines itself before it compiles (confine_compute: no
 * file, socket or process; memory, write and exit) and runs at a lower
 * priority than proxyd, whose start-up it would otherwise slow down.
 * hold (tests): the child stops itself first, until SIGCONT.
 */
struct dlp_build {
	int	 fd;
	pid_t	 pid;
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

#define BUILD_NICE	5

static int
put_db(int fd, void *db)
{
	char	*buf = NULL;
	size_t	 len = 0;
	uint64_t n;

	if (db != NULL && hs_serialize_database(db, &buf, &len) !=
	    HS_SUCCESS)
		return (-1);
	n = len;
	/* buf is vectorscan's (dlp_hs_allocator); gone when we exit */
	return (write_all(fd, &n, sizeof(n)) == -1 || (len > 0 &&
	    write_all(fd, buf, len) == -1) ? -1 : 0);
}

static void __attribute__((__noreturn__))
build_child(struct dlp *d, int fd, int hold)
{
	/* nothing to build for once proxyd is gone */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (hold)
		raise(SIGSTOP);
	(void)setpriority(PRIO_PROCESS, 0, BUILD_NICE);
	if (confine_compute() == -1)
		_exit(1);
	isolated = 0;
	if ((d->mode != DLP_OFF && dlp_rules_build(&d->rules) == -1) ||
	    dlp_secret_build(&d->secrets) == -1 ||
	    put_db(fd, d->mode != DLP_OFF ? d->rules.db : NULL) == -1 ||
	    put_db(fd, d->secrets.db) == -1)
		_exit(1);
	_exit(0);
}

struct dlp_build *
dlp_build_spawn(struct dlp *d, int hold)
{
	struct dlp_build	*b;
	int			 p[2];

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	if (pipe2(p, O_CLOEXEC) == -1) {
		free(b);
		return (NULL);
	}
	if ((b->pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		free(b);
		return (NULL);
	}
	if (b->pid == 0) {
		close(p[0]);
		build_child(d, p[1], hold);
	}
	close(p[1]);
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) {
		close(p[0]);
		free(b);
		return (NULL);
	}
	b->fd = p[0];
	return (b);
}

int
dlp_build_fd(const struct dlp_build *b)
{
	return (b->fd);
}

pid_t
dlp_build_pid(const struct dlp_build *b)
{
	return (b->pid);
}

/* the next database of the stream, NULL if its length was 0 */
static int
take_db(const char **p, size_t *left, void **db)
{
	uint64_t	n;

	*db = NULL;
	if (*left < sizeof(n))
		return (-1);
	memcpy(&n, *p, sizeof(n));
	*p += sizeof(n);
	*left -= sizeof(n);
	if (n > *left)
		return (-1);
	if (n > 0 && hs_deserialize_database(*p, n, (hs_database_t **)db) !=
	    HS_SUCCESS) {
		*db = NULL;
		return (-1);
	}
	*p += n;
	*left -= n;
	return (0);
}

/* db (and a scratch for it) as the database of what built marks */
static int
install(void *db, int *built, void **dbp, void **scratchp, size_t nlits)
{
	hs_scratch_t	*s = NULL;

	if (*built || (db == NULL && nlits > 0) ||
	    (db != NULL && hs_alloc_scratch(db, &s) != HS_SUCCESS)) {
		if (db != NULL)
			hs_free_database(db);
		return (*built ? 0 : -1);
	}
	*dbp = db;
	*scratchp = s;
	*built = 1;
	return (0);
}

int
dlp_build_collect(struct dlp_build *b, struct dlp *d)
{
	const char	*p;
	void		*rdb = NULL, *sdb = NULL;
	char		*nb;
	size_t		 left, ncap;
	ssize_t		 n;
	int		 rv;

	for (;;) {
		if (b->len == b->cap) {
			ncap = b->cap == 0 ? 64 * 1024 : b->cap * 2;
			if (ncap > 2 * HSCHILD_MAX ||
			    (nb = malloc(ncap)) == NULL)
				return (-1);
			if (b->buf != NULL) {
				memcpy(nb, b->buf, b->len);
				freezero(b->buf, b->cap);
			}
			b->buf = nb;
			b->cap = ncap;
		}
		n = read(b->fd, b->buf + b->len, b->cap - b->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (0);
		if (n == -1)
			return (-1);
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	/* the child is done: both databases, nothing more */
	p = b->buf;
	left = b->len;
	if (take_db(&p, &left, &rdb) == -1 ||
	    take_db(&p, &left, &sdb) == -1 || left != 0 ||
	    (d->mode == DLP_OFF && rdb != NULL)) {
		if (rdb != NULL)
			hs_free_database(rdb);
		if (sdb != NULL)
			hs_free_database(sdb);
		return (-1);
	}
	rv = 0;
	if (d->mode != DLP_OFF && install(rdb, &d->rules.built,
	    &d->rules.db, &d->rules.scratch, d->rules.nkws) == -1)
		rv = -1;
	if (install(sdb, &d->secrets.built, &d->secrets.db,
	    &d->secrets.scratch, d->secrets.nforms) == -1)
		rv = -1;
	if (rv == 0)
		nchild++;
	return (rv == 0 ? 1 : -1);
}

void
dlp_build_free(struct dlp_build *b)
{
	if (b == NULL)
		return;
	close(b->fd);
	if (b->buf != NULL)
		freezero(b->buf, b->cap);
	/* reaped here if done; else by the caller's SIGCHLD handling */
	(void)waitpid(b->pid, NULL, WNOHANG);
	free(b);
}

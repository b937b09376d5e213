/*
 * log.c - logging to stderr (foreground) or syslog, after the OpenBSD
 * daemons' log.c.  errno is preserved across every call.
 *
 * On stderr each line carries its priority the way the reader wants it:
 * an sd-daemon(3) "<N>" prefix when stderr is the journal (systemd sets
 * JOURNAL_STREAM to its device and inode), so that `journalctl -p err'
 * filters; a timestamp when stderr is a terminal; neither on a pipe or a
 * file.  While a daemon that detached is starting, every line also goes
 * to the start pipe (log_startfd()), whose reader is the command that
 * started it: a fatal error there is seen even without a syslog socket.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 debug;
static int		 verbose;
static const char	*log_procname = "topsh";
static char		*(*log_filter)(const char *);
static int		 log_filtering;
static int		 stderr_mode;	/* LOG_STDERR_* */
static int		 startfd = -1;

#define LOG_STDERR_PLAIN	0
#define LOG_STDERR_JOURNAL	1
#define LOG_STDERR_TTY		2

/* stderr is the journal when JOURNAL_STREAM names its device:inode */
static int
stderr_is_journal(void)
{
	struct stat		 st;
	const char		*js;
	unsigned long long	 dev, ino;
	char			 c;

	if ((js = getenv("JOURNAL_STREAM")) == NULL ||
	    sscanf(js, "%llu:%llu%c", &dev, &ino, &c) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return (0);
	return ((unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino);
}

void
log_init(int n_debug, int facility)
{
	debug = n_debug;
	verbose = n_debug;
	log_procinit(log_procname);
	if (stderr_is_journal())
		stderr_mode = LOG_STDERR_JOURNAL;
	else if (isatty(STDERR_FILENO))
		stderr_mode = LOG_STDERR_TTY;
	else
		stderr_mode = LOG_STDERR_PLAIN;
	if (!debug)
		openlog(log_procname, LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

void
log_startfd(int fd)
{
	startfd = fd;
}

void
log_setverbose(int v)
{
	verbose = v;
}

int
log_getverbose(void)
{
	return (verbose);
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/*
 * Every line logged from now on goes through filter first, which
 * returns a malloc'd copy to log instead (NULL: the line is dropped).
 * proxyd replaces its secrets and the parts of its secret URLs with it.
 */
void
log_setfilter(char *(*filter)(const char *))
{
	log_filter = filter;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char		 lbuf[8192], ts[32], *out = NULL;
	const char	*buf = lbuf;
	struct tm	 tm;
	time_t		 now;
	int		 saved_errno = errno;

	vsnprintf(lbuf, sizeof(lbuf), fmt, ap);
	if (log_filter != NULL && !log_filtering) {
		log_filtering = 1;	/* a filter that logs is not filtered */
		out = log_filter(lbuf);
		log_filtering = 0;
		buf = out != NULL ? out : "(a log line could not be scrubbed "
		    "and was dropped)";
	}
	if (debug) {
		switch (stderr_mode) {
		case LOG_STDERR_JOURNAL:
			fprintf(stderr, "<%d>%s[%d]: %s\n", LOG_PRI(pri),
			    log_procname, (int)getpid(), buf);
			break;
		case LOG_STDERR_TTY:
			now = time(NULL);
			if (localtime_r(&now, &tm) == NULL ||
			    strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S",
			    &tm) == 0)
				ts[0] = '\0';
			fprintf(stderr, "%s %s[%d]: %s\n", ts, log_procname,
			    (int)getpid(), buf);
			break;
		default:
			fprintf(stderr, "%s[%d]: %s\n", log_procname,
			    (int)getpid(), buf);
			break;
		}
		fflush(stderr);
	} else
		syslog(pri, "%s", buf);
	/* the starting command went away: stop copying */
	if (startfd != -1 && dprintf(startfd, "%s[%d]: %s\n", log_procname,
	    (int)getpid(), buf) < 0)
		startfd = -1;
	free(out);
	errno = saved_errno;
}

void
log_warn(const char *emsg, ...)
{
	char	 buf[8192];
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, emsg);
	if (emsg == NULL)
		logit(LOG_ERR, "%s", strerror(saved_errno));
	else {
		vsnprintf(buf, sizeof(buf), emsg, ap);
		logit(LOG_ERR, "%s: %s", buf, strerror(saved_errno));
	}
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	 ap;

	if (verbose > 1) {
		va_start(ap, emsg);
		vlog(LOG_DEBUG, emsg, ap);
		va_end(ap);
	}
}

void
log_debug2(const char *emsg, ...)
{
	va_list	 ap;

	if (verbose > 2) {
		va_start(ap, emsg);
		vlog(LOG_DEBUG, emsg, ap);
		va_end(ap);
	}
}

static void
vfatalc(int code, const char *emsg, va_list ap)
{
	char	 buf[8192];

	if (emsg != NULL)
		vsnprintf(buf, sizeof(buf), emsg, ap);
	else
		buf[0] = '\0';
	if (code)
		logit(LOG_CRIT, "fatal: %s%s%s", buf, buf[0] ? ": " : "",
		    strerror(code));
	else
		logit(LOG_CRIT, "fatal: %s", buf);
}

void
fatal(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(errno, emsg, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
	exit(1);
}

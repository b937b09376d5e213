/*
 * log.c - logging to stderr (foreground) or syslog, after the OpenBSD
 * daemons' log.c.  errno is preserved across every call.
 */
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

void
log_init(int n_debug, int facility)
{
	debug = n_debug;
	verbose = n_debug;
	log_procinit(log_procname);
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
	char	 buf[8192], *out = NULL;
	const char *line = buf;
	int	 saved_errno = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_filter != NULL && !log_filtering) {
		log_filtering = 1;	/* a filter that logs is not filtered */
		out = log_filter(buf);
		log_filtering = 0;
		line = out != NULL ? out : "(a log line could not be scrubbed "
		    "and was dropped)";
	}
	if (debug) {
		fprintf(stderr, "%s[%d]: %s\n", log_procname, (int)getpid(),
		    line);
		fflush(stderr);
	} else
		syslog(pri, "%s", line);
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

/*
 * sdnotify.c - sd_notify(3) without libsystemd: one datagram socket,
 * connected at start-up, and a libevent timer for the watchdog.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "sdnotify.h"

static int		 sdn_fd = -1;
static pid_t		 sdn_pid;
static struct event	*sdn_wdog;
static struct timeval	 sdn_wdog_tv;

static void
wdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	/* the loop ran this: it is not stuck */
	(void)sdn_send("WATCHDOG=1");
	evtimer_add(sdn_wdog, &sdn_wdog_tv);
}

static void
wdog_init(struct event_base *base)
{
	const char		*s, *errstr;
	long long		 usec;

	if ((s = getenv("WATCHDOG_USEC")) == NULL)
		return;
	usec = strtonum(s, 1, 24LL * 3600 * 1000000, &errstr);
	if (errstr != NULL)
		return;
	if ((s = getenv("WATCHDOG_PID")) != NULL &&
	    strtonum(s, 1, 1LL << 30, &errstr) != (long long)getpid())
		return;
	usec /= 2;
	sdn_wdog_tv.tv_sec = usec / 1000000;
	sdn_wdog_tv.tv_usec = usec % 1000000;
	if ((sdn_wdog = evtimer_new(base, wdog_cb, NULL)) == NULL)
		return;
	evtimer_add(sdn_wdog, &sdn_wdog_tv);
	log_debug("watchdog: WATCHDOG=1 every %lld ms", usec / 1000);
}

int
sdn_init(struct event_base *base)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 len;
	size_t			 n;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return (0);
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET=%s: not a unix socket path", path);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract */
	len = offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '@' ? 0 : 1);
	if ((sdn_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(sdn_fd, (struct sockaddr *)&sun, len) == -1) {
		log_warn("NOTIFY_SOCKET %s", path);
		if (sdn_fd != -1)
			close(sdn_fd);
		sdn_fd = -1;
		return (-1);
	}
	sdn_pid = getpid();
	/* children (proxyd's egress proxy) must not speak for us */
	unsetenv("NOTIFY_SOCKET");
	wdog_init(base);
	return (0);
}

int
sdn_enabled(void)
{
	return (sdn_fd != -1 && getpid() == sdn_pid);
}

int
sdn_send(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 n;

	if (!sdn_enabled())
		return (-1);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return (-1);
	if (send(sdn_fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == -1) {
		log_debug("sd_notify: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

void
sdn_close(void)
{
	if (sdn_wdog != NULL)
		event_free(sdn_wdog);
	sdn_wdog = NULL;
	if (sdn_fd != -1)
		close(sdn_fd);
	sdn_fd = -1;
}

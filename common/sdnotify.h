/*
 * sdnotify.h - the systemd notification protocol (sd_notify(3)) for
 * Type=notify units: READY=1 once the sockets are bound, STATUS= with
 * what is still missing, RELOADING=1/READY=1 around a reload,
 * STOPPING=1, and WATCHDOG=1 fed from the event loop at half of
 * WatchdogSec=.  The socket is connected once, before confinement, so
 * that neither seccomp nor Landlock (which scopes abstract sockets)
 * stands in the way later.  Without $NOTIFY_SOCKET every call is a no-op.
 */
#ifndef TOPSH_SDNOTIFY_H
#define TOPSH_SDNOTIFY_H

#include <event2/event.h>

/* connect to $NOTIFY_SOCKET, arm the watchdog timer; 0 ok or unused */
int	sdn_init(struct event_base *);
int	sdn_enabled(void);
/* send one notification, e.g. "READY=1\nSTATUS=running"; 0 sent */
int	sdn_send(const char *, ...) __attribute__((format(printf, 1, 2)));
void	sdn_close(void);

#endif

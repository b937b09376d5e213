/*
 * sandboxd.c - sandboxd(8) main: the peer table and the daemon's hooks.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "confine.h"
#include "daemon.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

static int	dispatch_peer(struct peer *, struct imsg *);
static int	sandboxd_confine(struct topsh_conf *);

static const struct proc_accept accepts[] = {
	{ PROC_GATEWAYD, dispatch_peer, 8 * 1024 * 1024 },
	{ PROC_NONE, NULL, 0 }
};

static const struct proc_connect connects[] = {
	{ PROC_POLICYD, dispatch_peer, 0 },
	{ PROC_NONE, NULL, 0 }
};

static const struct daemon_def def = {
	.name = "sandboxd",
	.id = PROC_SANDBOXD,
	.proc = {
		.accepts = accepts,
		.connects = connects,
	},
	.confine = sandboxd_confine,
};

static int
dispatch_peer(struct peer *p, struct imsg *imsg)
{
	log_warnx("%s: unexpected message type %u", proc_name(p->id),
	    imsg_get_type(imsg));
	return (-1);
}

static int
sandboxd_confine(struct topsh_conf *conf)
{
	if (confine_landlock(NULL, 0, 0) == -1)
		return (-1);
	return (confine_seccomp(0, NULL));
}

int
main(int argc, char *argv[])
{
	return (daemon_main(argc, argv, &def));
}

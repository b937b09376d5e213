/*
 * control.c - the requests every daemon answers on its control socket:
 * status, log verbosity and reload.  Anything else goes to the daemon's
 * own control hook, or is refused and the client dropped.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

int	control_dispatch(struct peer *, struct imsg *);

static void
control_status(struct peer *p, const struct proc_conf *pc)
{
	struct timespec	 ts;
	json_t		*o;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:i, s:o}",
	    "name", proc_name(pc->self),
	    "pid", (int)getpid(),
	    "uptime", (json_int_t)(ts.tv_sec - proc_started()),
	    "version", TOPSH_VERSION_STR,
	    "config", topsh_conf != NULL ? topsh_conf->path : "",
	    "verbose", log_getverbose(),
	    "peers", proc_peers_json());
	if (o == NULL) {
		peer_compose(p, IMSG_CTL_FAIL, 0, -1, NULL, 0);
		return;
	}
	if (pc->status != NULL)
		pc->status(o);
	peer_compose_json(p, IMSG_CTL_DATA, 0, -1, o);
	peer_compose(p, IMSG_CTL_END, 0, -1, NULL, 0);
	json_decref(o);
}

static void
control_fail(struct peer *p, uint32_t id, const char *msg)
{
	json_t	*o;

	if ((o = json_pack("{s:s}", "error", msg)) != NULL) {
		peer_compose_json(p, IMSG_CTL_FAIL, id, -1, o);
		json_decref(o);
	}
}

int
control_dispatch(struct peer *p, struct imsg *imsg)
{
	const struct proc_conf	*pc = control_proc_conf();
	char				 err[4096];
	int				 v;
	json_t				*o;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_STATUS:
		control_status(p, pc);
		return (0);
	case IMSG_CTL_LOG_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1 || v < 0 ||
		    v > 9)
			return (-1);
		log_setverbose(v);
		log_info("log level changed to %s by pid %d",
		    v > 1 ? "verbose" : "brief", (int)p->pid);
		peer_compose(p, IMSG_CTL_OK, 0, -1, NULL, 0);
		return (0);
	case IMSG_CTL_RELOAD:
		err[0] = '\0';
		if (pc->reload == NULL) {
			control_fail(p, 0, "reload not supported");
			return (0);
		}
		if (pc->reload(err, sizeof(err)) == -1) {
			control_fail(p, 0, err[0] ? err : "reload failed");
			return (0);
		}
		if ((o = json_pack("{s:s}", "message", "configuration "
		    "reloaded")) != NULL) {
			peer_compose_json(p, IMSG_CTL_OK, 0, -1, o);
			json_decref(o);
		}
		return (0);
	}
	if (pc->control != NULL)
		return (pc->control(p, imsg));
	control_fail(p, imsg_get_id(imsg), "unknown request");
	return (-1);
}

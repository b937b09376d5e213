/*
 * gatewayd.c - gatewayd(8) main: the peer table and the daemon's hooks.
 *
 * gatewayd holds no secret and opens no network socket: Telegram and
 * the model are reached through proxyd, workspaces through sandboxd.
 * After start-up it is confined to its state directory (read-write)
 * and the configuration directory (read-only, for reload), with a
 * seccomp filter that allows unix sockets only and no exec.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "confine.h"
#include "daemon.h"
#include "gateway.h"
#include "imsg.h"
#include "log.h"
#include "privdrop.h"
#include "proc.h"
#include "topsh.h"
#include "userlimit.h"

#define PROMPT_MAX	(256 * 1024)

static int	dispatch_peer(struct peer *, struct imsg *);
static int	gatewayd_init(struct topsh_conf *, struct event_base *);
static int	gatewayd_confine(struct topsh_conf *);
static int	gatewayd_start(struct event_base *);
static int	gatewayd_reload(struct topsh_conf *, struct topsh_conf *,
		    char *, size_t);
static int	gatewayd_check(struct topsh_conf *, int);
static void	gatewayd_status(json_t *);
static void	gatewayd_peer_up(struct peer *);
static void	gatewayd_peer_down(struct peer *);
static void	gatewayd_shutdown(void);

static const struct proc_accept accepts[] = {
	{ PROC_NONE, NULL, 0 }
};

static const struct proc_connect connects[] = {
	{ PROC_PROXYD, dispatch_peer, PROXY_IMSG_MAXSIZE },
	{ PROC_SANDBOXD, dispatch_peer, 8 * 1024 * 1024 },
	{ PROC_NONE, NULL, 0 }
};

static const struct daemon_def def = {
	.name = "gatewayd",
	.id = PROC_GATEWAYD,
	.proc = {
		.accepts = accepts,
		.connects = connects,
		.status = gatewayd_status,
		.control = admin_control,
		.peer_up = gatewayd_peer_up,
		.peer_down = gatewayd_peer_down,
	},
	.check = gatewayd_check,
	.init = gatewayd_init,
	.confine = gatewayd_confine,
	.start = gatewayd_start,
	.reload = gatewayd_reload,
	.shutdown = gatewayd_shutdown,
};

/* what was written in the last moments goes to disk before exit */
static void
gatewayd_shutdown(void)
{
	if (state_flush() == -1)
		log_warn("saving the state at exit");
}

static int
dispatch_peer(struct peer *p, struct imsg *imsg)
{
	return (rpc_dispatch(p, imsg));
}

static void
gatewayd_peer_up(struct peer *p)
{
	rpc_peer_up(p->id);
	/* a restarted proxyd may have other secrets */
	if (p->id == PROC_PROXYD)
		tools_services();
}

static void
gatewayd_peer_down(struct peer *p)
{
	log_warnx("%s went away", proc_name(p->id));
	rpc_peer_down(p->id);
}

/*
 * Read the system prompt template (symbolic links allowed, unlike the
 * state files): 0, or -1 with errno.
 */
int
gw_load_prompt(const char *path, char **out)
{
	FILE	*fp;
	char	*buf;
	size_t	 len;

	*out = NULL;
	if (path == NULL) {
		errno = ENOENT;
		return (-1);
	}
	if ((fp = fopen(path, "re")) == NULL)
		return (-1);
	if ((buf = malloc(PROMPT_MAX + 1)) == NULL) {
		fclose(fp);
		return (-1);
	}
	len = fread(buf, 1, PROMPT_MAX + 1, fp);
	if (ferror(fp) || len == 0 || len > PROMPT_MAX) {
		errno = ferror(fp) ? EIO : (len == 0 ? ENODATA : EFBIG);
		fclose(fp);
		free(buf);
		return (-1);
	}
	fclose(fp);
	buf[len] = '\0';
	*out = buf;
	return (0);
}

static const char *const user_limit_keys[] = { "model-tokens-per-day",
	"tool-calls-per-day", NULL };

/* what the keyword table cannot check: 0, or -1 with err */
static int
gateway_conf_check(struct conf_gateway *c, char *err, size_t errlen)
{
	if (access_conf_check(c, err, errlen) == -1)
		return (-1);
	if (userlimit_check(&c->user_limits, user_limit_keys, err,
	    errlen) == -1)
		return (-1);
	return (0);
}

static int
gatewayd_check(struct topsh_conf *conf, int verbose)
{
	char	*p, err[512];

	if (gateway_conf_check(&conf->gateway, err, sizeof(err)) == -1) {
		fprintf(stderr, "gatewayd: %s\n", err);
		return (-1);
	}
	if (conf->gateway.access == ACCESS_OPEN)
		fprintf(stderr, "gatewayd: warning: access open: anybody who "
		    "finds the bot is served\n");

	if (gw_load_prompt(conf->gateway.system_prompt, &p) == -1) {
		fprintf(stderr, "gatewayd: system-prompt %s: %s\n",
		    conf->gateway.system_prompt, strerror(errno));
		return (-1);
	}
	free(p);
	if (conf->gateway.thought_interval_max <
	    conf->gateway.thought_interval_min) {
		fprintf(stderr, "gatewayd: thought-interval-max is below "
		    "thought-interval-min\n");
		return (-1);
	}
	return (0);
}

static int
gatewayd_init(struct topsh_conf *conf, struct event_base *base)
{
	char	 err[256];
	uid_t	 uid;
	gid_t	 gid;
	int	 n;

	n = snprintf(gw.statedir, sizeof(gw.statedir), "%s/gatewayd",
	    conf->state_dir);
	if (n < 0 || (size_t)n >= sizeof(gw.statedir)) {
		log_warnx("state directory name too long");
		return (-1);
	}
	if (mkdir(conf->state_dir, 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", conf->state_dir);
		return (-1);
	}
	if (mkdir(gw.statedir, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", gw.statedir);
		return (-1);
	}
	if (daemon_privileged()) {
		if (privdrop_lookup(conf->gateway.user, &uid, &gid, err,
		    sizeof(err)) == -1) {
			log_warnx("%s", err);
			return (-1);
		}
		if (chown(gw.statedir, uid, gid) == -1) {
			log_warn("chown %s", gw.statedir);
			return (-1);
		}
	}
	if (gw_load_prompt(conf->gateway.system_prompt, &gw.prompt) == -1)
		log_warn("system-prompt %s; using a built-in prompt",
		    conf->gateway.system_prompt);
	return (0);
}

/*
 * TOPSH_GATEWAY_SELFTEST=probe: after confinement, try what gatewayd
 * must not be able to do, log the outcome and exit (regress tests).
 * "exec" does not come back: seccomp kills the process.
 */
static void
selftest(const char *what, const char *confdir)
{
	char	 path[PATH_MAX];
	int	 fd;

	if (strcmp(what, "inet") == 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		log_info("selftest inet socket: %s", fd == -1 ?
		    "refused" : "ALLOWED");
		fd = socket(AF_INET6, SOCK_DGRAM, 0);
		log_info("selftest inet6 socket: %s", fd == -1 ?
		    "refused" : "ALLOWED");
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		log_info("selftest unix socket: %s", fd == -1 ?
		    "refused" : "allowed");
	} else if (strcmp(what, "files") == 0) {
		fd = open("/etc/passwd", O_RDONLY);
		log_info("selftest read /etc/passwd: %s", fd == -1 ?
		    "refused" : "ALLOWED");
		snprintf(path, sizeof(path), "%s/selftest.probe", confdir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		log_info("selftest create in the config directory: %s",
		    fd == -1 ? "refused" : "ALLOWED");
		snprintf(path, sizeof(path), "%s/selftest.probe", gw.statedir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		log_info("selftest create in the state directory: %s",
		    fd == -1 ? "refused" : "allowed");
		if (fd != -1)
			unlink(path);
		snprintf(path, sizeof(path), "%s", topsh_conf->path);
		fd = open(path, O_RDONLY);
		log_info("selftest read the configuration: %s", fd == -1 ?
		    "refused" : "allowed");
	} else if (strcmp(what, "exec") == 0) {
		log_info("selftest exec: trying /bin/sh");
		execl("/bin/sh", "sh", "-c", "true", (char *)NULL);
		log_info("selftest exec: %s", errno ? "refused" : "ALLOWED");
	}
	exit(0);
}

static int
gatewayd_confine(struct topsh_conf *conf)
{
	struct confine_path	 paths[4];
	char			 pdir[PATH_MAX], real[PATH_MAX];
	const char		*st;
	size_t			 n = 0;

	paths[n].path = gw.statedir;
	paths[n++].access = CONFINE_R | CONFINE_W | CONFINE_C;
	paths[n].path = daemon_confdir();
	paths[n++].access = CONFINE_R;
	if (conf->gateway.system_prompt != NULL &&
	    strlcpy(pdir, conf->gateway.system_prompt, sizeof(pdir)) <
	    sizeof(pdir)) {
		paths[n].path = dirname(pdir);
		paths[n++].access = CONFINE_R;
		/* a linked prompt: where it really is must stay readable */
		if (realpath(conf->gateway.system_prompt, real) != NULL) {
			paths[n].path = dirname(real);
			paths[n++].access = CONFINE_R;
		}
	}
	if (confine_landlock(paths, n, 0) == -1)
		return (-1);
	if (confine_seccomp(CONFINE_FILES, NULL) == -1)
		return (-1);
	if ((st = getenv("TOPSH_GATEWAY_SELFTEST")) != NULL)
		selftest(st, daemon_confdir());
	return (0);
}

static void
apply_conf(struct conf_gateway *c)
{
	gw.conf = c;
	gw.store.history_max = c->history_max;
	gw.store.session_max = c->session_max;
	gw.store.memory_max = c->memory_max;
	gw.store.log_max = c->log_max;
	slots_resize(&gw.llm, c->max_jobs);
	gw.jobs.max_queued = c->queue_per_user;
	if (c->bot_username != NULL) {
		free(gw.botname);
		gw.botname = strdup(c->bot_username + (c->bot_username[0] ==
		    '@'));
	}
}

static int
gatewayd_start(struct event_base *base)
{
	slots_init(&gw.llm, 0);
	apply_conf(&topsh_conf->gateway);
	if (store_init(&gw.store, gw.statedir) == -1) {
		log_warn("state directory %s", gw.statedir);
		return (-1);
	}
	jobs_init(&gw.jobs, gw.conf->queue_per_user);
	gw.users = store_users_load(&gw.store);
	gw.offset = store_offset_load(&gw.store);
	access_init();
	budget_init();
	log_info("state in %s, next update %lld", gw.statedir,
	    (long long)gw.offset);
	sched_init();
	gw_inbox_replay();
	tg_getme();
	gw.started = 1;
	return (0);
}

static int
gatewayd_reload(struct topsh_conf *old, struct topsh_conf *new, char *err,
    size_t errlen)
{
	char	*prompt;

	if (gw_load_prompt(new->gateway.system_prompt, &prompt) == -1) {
		snprintf(err, errlen, "system-prompt %s: %s",
		    new->gateway.system_prompt, strerror(errno));
		return (-1);
	}
	if (gateway_conf_check(&new->gateway, err, errlen) == -1) {
		free(prompt);
		return (-1);
	}
	if (new->gateway.thought_interval_max <
	    new->gateway.thought_interval_min) {
		free(prompt);
		snprintf(err, errlen, "thought-interval-max is below "
		    "thought-interval-min");
		return (-1);
	}
	free(gw.prompt);
	gw.prompt = prompt;
	apply_conf(&new->gateway);
	if (gw.conf->access == ACCESS_OPEN)
		log_warnx("access open: every Telegram user who finds the bot "
		    "is served");
	extras_init();
	log_info("configuration reloaded");
	return (0);
}

static void
gatewayd_status(json_t *o)
{
	json_object_set_new(o, "jobs_running", json_integer(gw.jobs.running));
	json_object_set_new(o, "jobs_max", json_integer(gw.conf != NULL ?
	    gw.conf->max_jobs : 0));
	json_object_set_new(o, "model_calls", json_integer(gw.llm.used));
	json_object_set_new(o, "model_waiting", json_integer(gw.llm.nwait));
	json_object_set_new(o, "requests_in_flight",
	    json_integer(rpc_pending()));
	json_object_set_new(o, "inbox", json_integer(json_object_size(
	    gw.inbox)));
	json_object_set_new(o, "next_update", json_integer(gw.offset));
	json_object_set_new(o, "updates_handled", json_integer(gw.handled));
	json_object_set_new(o, "bot", gw.botname != NULL ?
	    json_string(gw.botname) : json_null());
	json_object_set_new(o, "telegram", json_string(tg_health()));
	if (gw.conf == NULL)
		return;
	json_object_set_new(o, "access", json_string(gw.conf->access ==
	    ACCESS_OPEN ? "open" : gw.conf->access == ACCESS_ALLOWLIST ?
	    "allowlist" : "pairing"));
	json_object_set_new(o, "admins", json_integer(gw.conf->admins.n));
	json_object_set_new(o, "users_allowed", json_integer(
	    access_count("allowed") + gw.conf->allow_users.n));
	json_object_set_new(o, "users_pending", json_integer(
	    access_count("pending")));
	json_object_set_new(o, "users_blocked", json_integer(
	    access_count("blocked")));
}

int
main(int argc, char *argv[])
{
	return (daemon_main(argc, argv, &def));
}

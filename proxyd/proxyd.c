/*
 * proxyd.c - proxyd(8) main: the peer table, the daemon's hooks and the
 * dispatch of gatewayd's requests (see imsg_proxy.h).
 *
 * Start-up order (daemon.c calls the hooks):
 *   offline  proxyd -R (redact stdin) and proxyd -E (the egress child)
 *   init     still root: spawn the egress child (before any secret is
 *            read), read the secrets, build DLP, the resolver, the HTTP
 *            client
 *   confine  as the proxy user: Landlock (state dir, CA certificates,
 *            resolver files; not the secrets), seccomp with inet
 *   start    the loop runs; SIGCHLD watches the egress child
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "confine.h"
#include "daemon.h"
#include "dlp.h"
#include "httpc.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"
#include "proxyd.h"

static int	dispatch_gatewayd(struct peer *, struct imsg *);
static int	dispatch_policyd(struct peer *, struct imsg *);
static int	proxyd_control(struct peer *, struct imsg *);
static void	proxyd_status(json_t *);
static void	proxyd_peer_down(struct peer *);
static void	proxyd_peer_up(struct peer *);
static int	proxyd_option(int, const char *);
static int	proxyd_offline(struct topsh_conf *);
static int	proxyd_check(struct topsh_conf *, int);
static int	proxyd_init(struct topsh_conf *, struct event_base *);
static int	proxyd_confine(struct topsh_conf *);
static int	proxyd_start(struct event_base *);
static int	proxyd_reload(struct topsh_conf *, struct topsh_conf *, char *,
		    size_t);
static void	proxyd_shutdown(void);

static int		 Rflag, Eflag;
static char		**saved_argv;
static struct event	*ev_chld;

static const struct proc_accept accepts[] = {
	{ PROC_GATEWAYD, dispatch_gatewayd, PROXY_IMSG_MAXSIZE },
	{ PROC_NONE, NULL, 0 }
};

static const struct proc_connect connects[] = {
	{ PROC_POLICYD, dispatch_policyd, 0 },
	{ PROC_NONE, NULL, 0 }
};

static const struct daemon_def def = {
	.name = "proxyd",
	.id = PROC_PROXYD,
	.proc = {
		.accepts = accepts,
		.connects = connects,
		.control = proxyd_control,
		.status = proxyd_status,
		.peer_up = proxyd_peer_up,
		.peer_down = proxyd_peer_down,
	},
	.usage = "[-R]",
	.extra_opts = "RE",
	.option = proxyd_option,
	.check = proxyd_check,
	.offline = proxyd_offline,
	.init = proxyd_init,
	.confine = proxyd_confine,
	.start = proxyd_start,
	.reload = proxyd_reload,
	.shutdown = proxyd_shutdown,
};

static int
proxyd_option(int ch, const char *arg)
{
	switch (ch) {
	case 'R':
		Rflag = 1;
		return (0);
	case 'E':
		Eflag = 1;	/* internal: the egress child */
		return (0);
	}
	return (-1);
}

static int
proxyd_offline(struct topsh_conf *conf)
{
	if (Rflag)
		return (redact_stdio(conf));
	if (Eflag)
		return (egress_main(conf));
	return (-1);
}

/* -n: the custom DLP patterns compile (the secrets are not read) */
static int
proxyd_check(struct topsh_conf *conf, int verbose)
{
	struct dlp	*d;
	char		 err[512];
	int		 rv;

	if ((d = dlp_new()) == NULL)
		return (-1);
	if ((rv = proxyd_dlp_setup(conf, d, 1, err, sizeof(err))) == -1)
		fprintf(stderr, "%s: %s\n", conf->path, err);
	dlp_free(d);
	return (rv);
}

void
proxyd_route(struct preq *r)
{
	/* what needs redaction waits for the DLP databases (dlpstart.c) */
	if (dlpstart_wait(r))
		return;
	/* per-user services only for a user proxyd saw write (vouch.c) */
	if (r->type >= IMSG_PROXY_SEARCH_WEB &&
	    r->type <= IMSG_PROXY_GDRIVE_DOWNLOAD && vouch_check(r) == -1)
		return;
	switch (r->type) {
	case IMSG_PROXY_TG_CALL:
		telegram_call(r);
		break;
	case IMSG_PROXY_TG_UPDATES:
		telegram_updates(r);
		break;
	case IMSG_PROXY_TG_DOWNLOAD:
		telegram_download(r);
		break;
	case IMSG_PROXY_LLM_CHAT:
		llm_chat(r);
		break;
	case IMSG_PROXY_SEARCH_WEB:
		search_web(r);
		break;
	case IMSG_PROXY_FETCH_PAGE:
		fetch_page(r);
		break;
	case IMSG_PROXY_GDRIVE_AUTH_URL:
	case IMSG_PROXY_GDRIVE_AUTH_CODE:
	case IMSG_PROXY_GDRIVE_STATUS:
	case IMSG_PROXY_GDRIVE_LOGOUT:
	case IMSG_PROXY_GDRIVE_LIST:
	case IMSG_PROXY_GDRIVE_SEARCH:
	case IMSG_PROXY_GDRIVE_DOWNLOAD:
		gdrive_request(r);
		break;
	case IMSG_PROXY_SERVICES:
		secrets_services(r);
		break;
	default:
		preq_fail(r, 0, 0, "unknown request type %u", r->type);
		break;
	}
}

static int
dispatch_gatewayd(struct peer *p, struct imsg *imsg)
{
	struct preq	*r;
	json_t		*msg;
	uint32_t	 type = imsg_get_type(imsg);
	int		 fd;

	if (type <= IMSG_PROXY_REPLY || type > IMSG_PROXY_SERVICES) {
		log_warnx("gatewayd: unexpected message type %u", type);
		return (-1);
	}
	fd = imsg_get_fd(imsg);
	if ((msg = imsg_get_json(imsg)) == NULL) {
		/* a bad request is answered, the connection stays */
		if ((msg = json_object()) == NULL) {
			if (fd != -1)
				close(fd);
			return (0);
		}
		if ((r = preq_new(p->serial, imsg_get_id(imsg), type, msg,
		    fd)) == NULL) {
			json_decref(msg);
			if (fd != -1)
				close(fd);
			return (0);
		}
		log_warnx("gatewayd: malformed %s request %u", preq_name(type),
		    imsg_get_id(imsg));
		preq_fail(r, 0, 0, "malformed request: not a JSON object");
		return (0);
	}
	if ((r = preq_new(p->serial, imsg_get_id(imsg), type, msg, fd)) ==
	    NULL) {
		json_decref(msg);
		if (fd != -1)
			close(fd);
		log_warnx("gatewayd: out of memory");
		return (0);
	}
	log_debug("%s %u from gatewayd%s", preq_name(type), r->reqid,
	    fd != -1 ? " with a file" : "");
	proxyd_route(r);
	return (0);
}

static int
dispatch_policyd(struct peer *p, struct imsg *imsg)
{
	json_t	*o;
	int	 rv;

	switch (imsg_get_type(imsg)) {
	case IMSG_POLICY_RESULT:
		if ((o = imsg_get_json(imsg)) == NULL)
			return (-1);
		rv = policy_result(imsg_get_id(imsg), o);
		json_decref(o);
		return (rv);
	case IMSG_ERROR:
		/* policyd could not answer: the check fails closed */
		if ((o = imsg_get_json(imsg)) == NULL)
			o = json_object();
		json_object_set_new(o, "decision", json_string("deny"));
		rv = policy_result(imsg_get_id(imsg), o);
		json_decref(o);
		return (0);
	}
	log_warnx("policyd: unexpected message type %u",
	    imsg_get_type(imsg));
	return (-1);
}

static void
proxyd_peer_up(struct peer *p)
{
	if (p->id == PROC_POLICYD)
		vouch_replay();
}

static void
proxyd_peer_down(struct peer *p)
{
	if (p->id == PROC_POLICYD)
		policy_down();
}

static json_t *
stats_json(void)
{
	return (json_pack("{s:I, s:I, s:i, s:I, s:I, s:I, s:I, s:s, s:b}",
	    "requests", (json_int_t)env->stats.requests,
	    "failed", (json_int_t)env->stats.failed,
	    "active", preq_count(),
	    "redactions", (json_int_t)env->stats.redactions,
	    "telegram_429", (json_int_t)env->stats.tg_429,
	    "llm_retries", (json_int_t)env->stats.llm_retries,
	    "fetch_denied", (json_int_t)env->stats.fetch_denied,
	    "egress", !topsh_conf->proxy.egress ? "disabled" :
	    env->egress_up ? "running" : "down",
	    "dlp", topsh_conf->proxy.dlp == DLP_REDACT));
}

static void
proxyd_status(json_t *o)
{
	json_t	*s;

	if ((s = stats_json()) != NULL)
		json_object_set_new(o, "proxy", s);
}

static int
proxyd_control(struct peer *p, struct imsg *imsg)
{
	json_t	*s;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_PROXY_STATS:
		if ((s = stats_json()) == NULL)
			return (-1);
		peer_compose_json(p, IMSG_CTL_DATA, imsg_get_id(imsg), -1, s);
		json_decref(s);
		peer_compose(p, IMSG_CTL_END, imsg_get_id(imsg), -1, NULL, 0);
		return (0);
	case IMSG_CTL_PROXY_PROBE:
		return (probe_start(p, imsg_get_id(imsg)));
	}
	return (-1);
}

static int
proxyd_init(struct topsh_conf *conf, struct event_base *base)
{
	char	 err[1024];

	if ((env = calloc(1, sizeof(*env))) == NULL)
		return (-1);
	env->base = base;
	env->egress_pid = -1;

	/* the egress child holds nothing: it goes before the secrets */
	if (conf->proxy.egress) {
		if ((env->egress_pid = egress_spawn(conf, saved_argv)) == -1)
			return (-1);
		env->egress_up = 1;
	}

	/* no core dump and no ptrace by our own uid: memory holds secrets */
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		log_warn("prctl PR_SET_DUMPABLE");
	if (secrets_load(secrets_dir(conf), &env->sec, err, sizeof(err)) ==
	    -1) {
		log_warnx("secrets: %s", err);
		return (-1);
	}
	if ((env->dlp = dlp_new()) == NULL ||
	    (env->scrub = dlp_new_secrets()) == NULL) {
		log_warnx("dlp: out of memory");
		return (-1);
	}
	if (proxyd_dlp_setup(conf, env->dlp, 0, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return (-1);
	}
	dlp_set_mode(env->scrub, DLP_OFF);
	if (secrets_register(&env->sec, env->dlp) == -1 ||
	    secrets_register(&env->sec, env->scrub) == -1) {
		log_warnx("dlp: cannot register the secrets (each must be at "
		    "least %d bytes)", DLP_SECRET_MIN);
		return (-1);
	}
	/* the scrubber matches without a database: ready at once */
	if (dlp_prepare(env->scrub) == -1) {
		log_warnx("dlp: out of memory");
		return (-1);
	}
	/* from now on no line logged carries a secret or a part of one */
	scrub_init(&env->sec);
	log_setfilter(proxyd_scrub);

	/* /etc/resolv.conf and /etc/hosts are read now, once */
	if ((env->dns = evdns_base_new(base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL) {
		log_warnx("resolver: cannot read /etc/resolv.conf; fetch_page "
		    "will only take numeric addresses");
		env->dns = evdns_base_new(base, 0);
	}
	if ((env->httpc = httpc_new(base)) == NULL) {
		log_warnx("cannot set up libcurl");
		return (-1);
	}
	if (strlcpy(env->statedir, daemon_statedir(),
	    sizeof(env->statedir)) >= sizeof(env->statedir))
		return (-1);
	/*
	 * env->dlp's databases: a child builds them while we confine
	 * ourselves and answer what needs no redaction.  Forked last, so
	 * that little of our memory is written (copied) while it runs.
	 */
	if (dlpstart_begin(conf) == -1)
		return (-1);
	log_info("secrets loaded from %s; dlp %s", env->sec.dir,
	    conf->proxy.dlp == DLP_REDACT ? "redact" :
	    conf->proxy.dlp == DLP_TOKENIZE ? "tokenize" :
	    "off (secrets only)");
	return (0);
}

static int
proxyd_confine(struct topsh_conf *conf)
{
	struct confine_path	 paths[] = {
		{ env->statedir, CONFINE_R | CONFINE_W | CONFINE_C },
		/* libcurl reads the CA store on each connection */
		{ "/etc/ssl", CONFINE_R },
		{ "/usr/share/ca-certificates", CONFINE_R },
		{ "/usr/lib/ssl", CONFINE_R },
		/* and resolves names through the C library */
		{ "/etc/hosts", CONFINE_R },
		{ "/etc/resolv.conf", CONFINE_R },
		{ "/etc/nsswitch.conf", CONFINE_R },
		{ "/etc/host.conf", CONFINE_R },
		{ "/etc/gai.conf", CONFINE_R },
		{ "/usr/lib", CONFINE_R },
		{ "/lib", CONFINE_R },
	};
	static const char *const extra[] = { "wait4", NULL };
	size_t			 n = sizeof(paths) / sizeof(paths[0]);

	/*
	 * daemon_landlock() keeps the directory of the configuration
	 * readable for reload: the directory, not the file, because an
	 * edited file is usually a new file renamed over the old one
	 * (sed -i, editors, configuration management).  The secrets below
	 * it (the default, /etc/topsh/secrets, mode 0700 root) stay out of
	 * reach by their mode; proxyd holds them in memory anyway.
	 */
	if (daemon_landlock(paths, n, 1) == -1)
		return (-1);
	return (confine_seccomp(CONFINE_INET | CONFINE_FILES, extra));
}

static void
chld_cb(evutil_socket_t sig, short ev, void *arg)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != env->egress_pid)
			continue;
		env->egress_up = 0;
		env->egress_pid = -1;
		if (WIFSIGNALED(status))
			log_warnx("egress proxy died of signal %d; sandboxes "
			    "have no way out until proxyd restarts",
			    WTERMSIG(status));
		else
			log_warnx("egress proxy exited with status %d; "
			    "sandboxes have no way out until proxyd restarts",
			    WEXITSTATUS(status));
	}
}

static int
proxyd_start(struct event_base *base)
{
	if ((ev_chld = evsignal_new(base, SIGCHLD, chld_cb, NULL)) == NULL ||
	    evsignal_add(ev_chld, NULL) == -1)
		return (-1);
	chld_cb(SIGCHLD, 0, NULL);
	return (0);
}

static int
strdiff(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != b);
	return (strcmp(a, b) != 0);
}

static int
proxyd_reload(struct topsh_conf *old, struct topsh_conf *new, char *err,
    size_t errlen)
{
	struct dlp	*d;

	if (old->proxy.egress != new->proxy.egress ||
	    old->proxy.egress_port != new->proxy.egress_port ||
	    strdiff(old->proxy.egress_listen, new->proxy.egress_listen) ||
	    strdiff(old->proxy.egress_user, new->proxy.egress_user)) {
		snprintf(err, errlen, "egress settings change only with a "
		    "restart of proxyd");
		return (-1);
	}
	if (strdiff(old->proxy.secrets_dir, new->proxy.secrets_dir))
		log_warnx("secrets are read at start only: secrets-dir "
		    "changes with a restart");
	/* a new DLP set-up: custom patterns and mode */
	if ((d = dlp_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if (proxyd_dlp_setup(new, d, 1, err, errlen) == -1 ||
	    secrets_register(&env->sec, d) == -1 || dlp_prepare(d) == -1) {
		dlp_free(d);
		return (-1);
	}
	dlp_free(env->dlp);
	env->dlp = d;
	/* a start-up build still under way was for the old set-up */
	dlpstart_replaced();
	return (0);
}

static void
proxyd_shutdown(void)
{
	if (env == NULL)
		return;
	preq_cancel_all();
	if (env->httpc != NULL)
		httpc_free(env->httpc);
	env->httpc = NULL;
	/* the egress child sees its lifeline close when we exit */
	secrets_clear(&env->sec);
}

int
main(int argc, char *argv[])
{
	saved_argv = argv;
	return (daemon_main(argc, argv, &def));
}

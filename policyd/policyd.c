/*
 * policyd.c - policyd(8) main: the peer table and the daemon's hooks.
 *
 * policyd compiles the rules of topsh-policy(5) at start-up (pcre2 JIT
 * needs that before confinement), then answers check requests from
 * gatewayd, sandboxd and proxyd and tests from topshctl.  With -f naming
 * a rule file rather than topsh.conf it only validates (-n) or tests
 * (-t) that file, without any daemon machinery.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "confine.h"
#include "daemon.h"
#include "imsg.h"
#include "log.h"
#include "policy.h"
#include "policyd.h"
#include "proc.h"
#include "topsh.h"

static int	policyd_option(int, const char *);
static int	policyd_offline(struct topsh_conf *);
static int	policyd_check(struct topsh_conf *, int);
static int	policyd_init(struct topsh_conf *, struct event_base *);
static int	policyd_confine(struct topsh_conf *);
static void	policyd_shutdown(void);

static int	opt_test;

static const struct proc_accept accepts[] = {
	{ PROC_GATEWAYD, pd_server_dispatch, 0 },
	{ PROC_SANDBOXD, pd_server_dispatch, POLICY_MAXSIZE },
	{ PROC_PROXYD, pd_server_dispatch, 0 },
	{ PROC_EGRESS, pd_server_dispatch, 0 },
	{ PROC_NONE, NULL, 0 }
};

static const struct proc_connect connects[] = {
	{ PROC_NONE, NULL, 0 }
};

static const struct daemon_def def = {
	.name = "policyd",
	.id = PROC_POLICYD,
	.proc = {
		.accepts = accepts,
		.connects = connects,
		.control = pd_server_control,
		.status = pd_server_status,
	},
	.usage = "[-t]",
	.extra_opts = "t",
	.option = policyd_option,
	.offline = policyd_offline,
	.check = policyd_check,
	.init = policyd_init,
	.confine = policyd_confine,
	.reload = pd_server_reload,
	.shutdown = policyd_shutdown,
	.reopen = pd_audit_reopen,
};

static int
policyd_option(int ch, const char *arg)
{
	if (ch != 't')
		return (-1);
	opt_test = 1;
	return (0);
}

/* build the rules named by topsh.conf, printing every error */
static struct ruleset *
build_or_print(struct topsh_conf *conf)
{
	struct cferrs	 errs;
	struct ruleset	*rs;

	cferrs_init(&errs);
	if ((rs = pd_engine_build_conf(&conf->policy, &errs)) == NULL) {
		cferrs_print(&errs, stderr);
		fprintf(stderr, "policyd: %zu error%s in the rules\n", errs.n,
		    errs.n == 1 ? "" : "s");
	}
	cferrs_free(&errs);
	return (rs);
}

static int
policyd_check(struct topsh_conf *conf, int verbose)
{
	struct ruleset	*rs;

	if ((rs = build_or_print(conf)) == NULL)
		return (-1);
	pd_offline_check(rs, verbose);
	pd_engine_free(rs);
	return (0);
}

static int
policyd_offline(struct topsh_conf *conf)
{
	struct ruleset	*rs;
	int		 rv;

	if (!opt_test)
		return (-1);
	if ((rs = build_or_print(conf)) == NULL)
		return (1);
	rv = pd_offline_test(rs, stdin, stdout);
	pd_engine_free(rs);
	return (rv);
}

static int
policyd_init(struct topsh_conf *conf, struct event_base *base)
{
	struct cferrs	 errs;
	struct ruleset	*rs;
	char		*joined;

	cferrs_init(&errs);
	if ((rs = pd_engine_build_conf(&conf->policy, &errs)) == NULL) {
		joined = cferrs_join(&errs);
		log_warnx("rules not loaded:\n%s", joined != NULL ? joined :
		    "out of memory");
		free(joined);
		cferrs_free(&errs);
		return (-1);
	}
	cferrs_free(&errs);
	log_info("rules loaded: %zu regex, %zu command, %zu file, %zu "
	    "network%s", rs->count[RK_REGEX], rs->count[RK_COMMAND],
	    rs->count[RK_FILE], rs->count[RK_NET],
	    rs->jit ? "" : " (pcre2 JIT unavailable: interpreter)");
	pd_server_init(rs);
	pd_vouch_init(conf->policy.vouch_window);
	if (daemon_uid(PROC_GATEWAYD) == daemon_uid(PROC_PROXYD))
		log_warnx("gatewayd and proxyd run as the same uid: policyd "
		    "cannot tell proxyd's vouchers from gatewayd's claims");
	(void)pd_audit_open(conf->policy.audit_log);
	/* the log belongs to policyd's user: it reopens it after rotation */
	if (daemon_privileged())
		(void)pd_audit_chown(daemon_uid(PROC_POLICYD));
	return (0);
}

static int
policyd_confine(struct topsh_conf *conf)
{
	struct ruleset	*rs = pd_server_rules();
	char		**files;
	size_t		 n = 0, i;
	int		 rv;

	/* the configured files and every file the rules came from */
	files = calloc(conf->policy.rules.n + rs->nfiles + 1, sizeof(*files));
	if (files == NULL)
		return (-1);
	for (i = 0; i < conf->policy.rules.n; i++)
		files[n++] = conf->policy.rules.v[i];
	for (i = 0; i < rs->nfiles; i++)
		files[n++] = rs->files[i];
	rv = policyd_confine_paths(conf->path, files, n, pd_audit_path());
	free(files);
	return (rv);
}

static void
policyd_shutdown(void)
{
	pd_server_shutdown();
}

/*
 * -f may name a rule file: then -n and -t work on it alone.  Look at
 * the arguments once without consuming them.
 */
static int
rulefile_mode(int argc, char *argv[], int *rv)
{
	struct cfmacros	 macros;
	const char	*file = NULL;
	int		 ch, noaction = 0, test = 0, verbose = 0, bad = 0;

	cf_macros_init(&macros);
	opterr = 0;
	while ((ch = getopt(argc, argv, "dD:f:ntv")) != -1) {
		switch (ch) {
		case 'D':
			if (cf_macro_define(&macros, optarg) == -1)
				bad = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'd':
			break;
		default:
			bad = 1;
		}
	}
	if (optind < argc)
		bad = 1;
	opterr = 1;
	optind = 0;	/* glibc: start over for daemon_main */
	if (bad || file == NULL ||
	    !pd_offline_is_rulefile(file, &macros)) {
		cf_macros_free(&macros);
		return (0);
	}
	*rv = pd_offline_rulefile(file, noaction, test, verbose, &macros);
	cf_macros_free(&macros);
	return (1);
}

int
main(int argc, char *argv[])
{
	int	rv;

	if (rulefile_mode(argc, argv, &rv))
		return (rv);
	return (daemon_main(argc, argv, &def));
}

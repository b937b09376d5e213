/*
 * daemon.c - start-up, privilege drop, confinement, signals and reload,
 * shared by the four topsh daemons.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "confine.h"
#include "daemon.h"
#include "log.h"
#include "privdrop.h"
#include "proc.h"
#include "sdnotify.h"
#include "topsh.h"

struct topsh_conf	*topsh_conf;
struct event_base	*topsh_base;
int			 topsh_debug;
int			 topsh_verbose;

static const struct daemon_def	*def;
static struct proc_conf		 pconf;
static struct cfmacros		 macros;
static uid_t			 uids[PROC_MAX];
static int			 privileged;
static char			 confdir[PATH_MAX];
static char			 statedir[PATH_MAX];
static struct event		*ev_sig[8];
static char			 status_note[256];
static int			 startfd = -1;	/* to the starting parent */
static struct event		*ev_trim;
static size_t			 trim_free;	/* at the last trim */

#define TRIM_EVERY	1		/* seconds between looks */
#define TRIM_CHANGE	(64 * 1024)	/* free heap grown or shrunk by */

static int	reload(char *, size_t);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [-D macro=value] [-f file]%s%s\n",
	    def->name, def->usage ? " " : "", def->usage ? def->usage : "");
	exit(1);
}

int
daemon_privileged(void)
{
	return (privileged);
}

uid_t
daemon_uid(enum proc_id id)
{
	if (id <= PROC_NONE || id >= PROC_MAX)
		return ((uid_t)-1);
	return (uids[id]);
}

const char *
daemon_confdir(void)
{
	return (confdir);
}

int
daemon_landlock(const struct confine_path *extra, size_t n, int tcp)
{
	struct confine_path	*paths;
	size_t			 i;
	int			 rv;

	if ((paths = calloc(n + 1, sizeof(*paths))) == NULL)
		return (-1);
	paths[0].path = confdir;
	paths[0].access = CONFINE_R;
	for (i = 0; i < n; i++)
		paths[i + 1] = extra[i];
	rv = confine_landlock(paths, n + 1, tcp);
	free(paths);
	return (rv == -1 ? -1 : 0);
}

static const char *
conf_user(struct topsh_conf *conf, enum proc_id id)
{
	switch (id) {
	case PROC_GATEWAYD:
		return (conf->gateway.user);
	case PROC_PROXYD:
		return (conf->proxy.user);
	case PROC_POLICYD:
		return (conf->policy.user);
	case PROC_SANDBOXD:
		return (conf->sandbox.user);
	case PROC_EGRESS:
		return (conf->proxy.egress_user);
	default:
		return (NULL);
	}
}

/* the uid each daemon runs as: from topsh.conf as root, else ours */
static void
resolve_uids(struct topsh_conf *conf, gid_t *mygid)
{
	char	 err[256];
	gid_t	 gid;
	int	 i;

	for (i = PROC_NONE + 1; i < PROC_CONTROL; i++) {
		uids[i] = geteuid();
		if (!privileged)
			continue;
		if (privdrop_lookup(conf_user(conf, i), &uids[i], &gid, err,
		    sizeof(err)) == -1) {
			if (i == (int)def->id)
				fatalx("%s: %s (create it, or set \"user\" in "
				    "%s)", def->name, err, conf->path);
			log_warnx("%s; %s will refuse %s", err, def->name,
			    proc_name(i));
			uids[i] = (uid_t)-1;
		} else if (i == (int)def->id)
			*mygid = gid;
	}
	for (i = PROC_NONE + 1; i < PROC_CONTROL && privileged; i++)
		if (i != (int)def->id && uids[i] == uids[def->id] &&
		    uids[i] != (uid_t)-1)
			log_warnx("%s and %s run as the same user: they are "
			    "not separated", def->name, proc_name(i));
}

static int
load(const char *path, struct topsh_conf **conf, char *err, size_t errlen)
{
	struct cferrs	 errs;
	char		*joined;

	cferrs_init(&errs);
	if (config_load(path, &macros, conf, &errs) == -1) {
		if (err == NULL)
			cferrs_print(&errs, stderr);
		else if ((joined = cferrs_join(&errs)) != NULL) {
			strlcpy(err, joined, errlen);
			free(joined);
		}
		cferrs_free(&errs);
		return (-1);
	}
	cferrs_free(&errs);
	return (0);
}

/*
 * STATUS= for systemd (and the same text in the log when it changes):
 * "running", or what is still missing: peers not connected yet and the
 * daemon's own note (e.g. sandboxd's missing image).
 */
static void
daemon_notify_status(const char *extra)
{
	static char			 last[640];
	const struct proc_connect	*c;
	struct peer			*p;
	char				 buf[640], miss[256];

	miss[0] = '\0';
	for (c = def->proc.connects; c != NULL && c->id != PROC_NONE; c++) {
		p = proc_peer(c->id);
		if (p != NULL && !p->hello_pending)
			continue;
		if (miss[0] != '\0')
			(void)strlcat(miss, ", ", sizeof(miss));
		(void)strlcat(miss, proc_name(c->id), sizeof(miss));
	}
	if (miss[0] != '\0')
		(void)snprintf(buf, sizeof(buf), "waiting for %s%s%s", miss,
		    status_note[0] ? "; " : "", status_note);
	else if (status_note[0] != '\0')
		(void)strlcpy(buf, status_note, sizeof(buf));
	else
		(void)strlcpy(buf, "running", sizeof(buf));
	if (extra == NULL && strcmp(buf, last) == 0)
		return;
	(void)strlcpy(last, buf, sizeof(last));
	(void)sdn_send("%sSTATUS=%s", extra != NULL ? extra : "", buf);
}

void
daemon_status_note(const char *note)
{
	(void)strlcpy(status_note, note != NULL ? note : "",
	    sizeof(status_note));
	daemon_notify_status(NULL);
}

static void
peer_up_cb(struct peer *p)
{
	if (def->proc.peer_up != NULL)
		def->proc.peer_up(p);
	daemon_notify_status(NULL);
}

static void
peer_down_cb(struct peer *p)
{
	if (def->proc.peer_down != NULL)
		def->proc.peer_down(p);
	daemon_notify_status(NULL);
}

int
daemon_reload(char *err, size_t errlen)
{
	int	rv;

	(void)sdn_send("RELOADING=1");
	rv = reload(err, errlen);
	daemon_notify_status("READY=1\n");
	return (rv);
}

static int
reload(char *err, size_t errlen)
{
	struct topsh_conf	*nconf;
	char			 buf[4096];

	if (err == NULL) {
		err = buf;
		errlen = sizeof(buf);
	}
	err[0] = '\0';
	log_info("reloading configuration from %s", topsh_conf->path);
	if (load(topsh_conf->path, &nconf, err, errlen) == -1) {
		log_warnx("reload failed, keeping the running configuration:"
		    "\n%s", err);
		return (-1);
	}
	if (strcmp(nconf->runtime_dir, topsh_conf->runtime_dir) != 0 ||
	    strcmp(conf_user(nconf, def->id), conf_user(topsh_conf,
	    def->id)) != 0)
		log_warnx("runtime-dir and user changes need a restart");
	if (def->reload != NULL && def->reload(topsh_conf, nconf, err,
	    errlen) == -1) {
		log_warnx("reload refused, keeping the running "
		    "configuration: %s", err);
		config_free(nconf);
		return (-1);
	}
	config_free(topsh_conf);
	topsh_conf = nconf;
	log_info("configuration reloaded");
	return (0);
}

static void
sig_cb(evutil_socket_t sig, short ev, void *arg)
{
	switch (sig) {
	case SIGHUP:
		(void)daemon_reload(NULL, 0);
		break;
	case SIGUSR1:
		if (def->reopen != NULL)
			def->reopen();
		else
			log_debug("SIGUSR1: %s keeps no log file to reopen",
			    def->name);
		break;
	case SIGTERM:
	case SIGINT:
		(void)sdn_send("STOPPING=1");
		log_info("%s exiting on signal %d", def->name, (int)sig);
		if (def->shutdown != NULL)
			def->shutdown();
		proc_shutdown();
		event_base_loopexit(topsh_base, NULL);
		break;
	}
}

/*
 * Memory a burst of work used and freed (buffers of many users' jobs at
 * once) stays resident in malloc's free lists; malloc_trim() gives its
 * pages back.  Once a second, if the free part of the heap changed by
 * TRIM_CHANGE since the last trim (work happened), trim again; an idle
 * daemon does nothing.
 */
static void
trim_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct mallinfo2	 mi = mallinfo2();
	size_t			 d;

	d = mi.fordblks > trim_free ? mi.fordblks - trim_free :
	    trim_free - mi.fordblks;
	if (d < TRIM_CHANGE)
		return;
	malloc_trim(0);
	trim_free = mi.fordblks;
}

static void
trim_setup(void)
{
	struct timeval	 tv = { TRIM_EVERY, 0 };

	trim_free = mallinfo2().fordblks;
	if ((ev_trim = event_new(topsh_base, -1, EV_PERSIST, trim_cb,
	    NULL)) == NULL || event_add(ev_trim, &tv) == -1)
		log_warnx("cannot watch the heap; freed memory is kept");
}

static void
signals_setup(void)
{
	int	 sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	size_t	 i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev_sig[i] = evsignal_new(topsh_base, sigs[i], sig_cb, NULL);
		if (ev_sig[i] == NULL || evsignal_add(ev_sig[i], NULL) == -1)
			fatalx("signal setup");
	}
}

static void
make_rundir(const char *dir)
{
	struct stat	 st;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	if (stat(dir, &st) == -1)
		fatal("%s", dir);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", dir);
	if (st.st_mode & S_IWOTH)
		fatalx("%s is writable by everyone", dir);
}

/* STATE/<daemon>, mode 0700, owned by the daemon's user */
static void
make_statedir(const char *root, gid_t gid)
{
	struct stat	 st;

	if (mkdir(root, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", root);
	if ((size_t)snprintf(statedir, sizeof(statedir), "%s/%s", root,
	    def->name) >= sizeof(statedir))
		fatalx("state directory name too long");
	if (mkdir(statedir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", statedir);
	if (lstat(statedir, &st) == -1 || !S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", statedir);
	if (privileged && (st.st_uid != uids[def->id] || st.st_gid != gid) &&
	    chown(statedir, uids[def->id], gid) == -1)
		fatal("chown %s", statedir);
	if ((st.st_mode & 077) != 0 && chmod(statedir, 0700) == -1)
		fatal("chmod %s", statedir);
}

const char *
daemon_statedir(void)
{
	return (statedir);
}

static void
drop(struct topsh_conf *conf, gid_t gid)
{
	const char	*gname = NULL;
	struct group	*gr;
	gid_t		 keep = (gid_t)-1;

	if (def->keep_group != NULL && (gname = def->keep_group(conf)) !=
	    NULL) {
		if ((gr = getgrnam(gname)) == NULL)
			fatalx("group \"%s\" does not exist", gname);
		keep = gr->gr_gid;
	}
	privdrop(uids[def->id], gid, keep);
	log_debug("running as uid %u gid %u%s%s", (unsigned)uids[def->id],
	    (unsigned)gid, gname ? " with group " : "", gname ? gname : "");
}

static int
parse_args(int argc, char *argv[], const char **conffile, int *noaction)
{
	char	 opts[64];
	int	 ch;

	snprintf(opts, sizeof(opts), "dD:f:nv%s",
	    def->extra_opts ? def->extra_opts : "");
	while ((ch = getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'd':
			topsh_debug = 1;
			break;
		case 'D':
			if (cf_macro_define(&macros, optarg) == -1)
				errx(1, "-D %s: not of the form name=value",
				    optarg);
			break;
		case 'f':
			*conffile = optarg;
			break;
		case 'n':
			*noaction = 1;
			break;
		case 'v':
			topsh_verbose++;
			break;
		default:
			if (def->option == NULL || strchr(def->extra_opts ?
			    def->extra_opts : "", ch) == NULL ||
			    def->option(ch, optarg) == -1)
				usage();
		}
	}
	if (optind != argc)
		usage();
	return (0);
}

/*
 * Go to the background as daemon(3) does, except that the command that
 * started us waits until we are ready: every line logged until then is
 * copied to its stderr through a pipe, and it exits 0 only when we said
 * ready (a NUL byte), otherwise with our exit status (1 when we died of
 * a signal).  A fatal error while starting is then seen, and said by
 * the exit status, even where no syslog daemon listens.
 */
static void
detach(void)
{
	char	 buf[1024], *nul;
	ssize_t	 n;
	pid_t	 pid;
	int	 p[2], fd, status;

	if (pipe2(p, O_CLOEXEC) == -1)
		err(1, "pipe2");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid != 0) {
		close(p[1]);
		for (;;) {
			n = read(p[0], buf, sizeof(buf));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if ((nul = memchr(buf, '\0', n)) != NULL) {
				(void)write(STDERR_FILENO, buf, nul - buf);
				_exit(0);
			}
			(void)write(STDERR_FILENO, buf, n);
		}
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			_exit(WEXITSTATUS(status));
		fprintf(stderr, "%s: exited while starting\n", def->name);
		_exit(1);
	}
	close(p[0]);
	/* the starting command may be gone: a write must not kill us */
	signal(SIGPIPE, SIG_IGN);
	if (setsid() == -1)
		err(1, "setsid");
	if (chdir("/") == -1)
		err(1, "chdir /");
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		err(1, "/dev/null");
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	startfd = p[1];
	log_startfd(startfd);
}

/* started: the command that started us may go */
static void
detach_done(void)
{
	if (startfd == -1)
		return;
	log_startfd(-1);
	(void)write(startfd, "", 1);
	close(startfd);
	startfd = -1;
}

int
daemon_main(int argc, char *argv[], const struct daemon_def *d)
{
	const char	*conffile = TOPSH_CONF;
	struct topsh_conf *conf;
	char		 tmp[PATH_MAX];
	gid_t		 gid = (gid_t)-1;
	int		 noaction = 0, rv;

	def = d;
	/* nothing inherited survives: descriptors and environment */
	daemon_startenv();
	cf_macros_init(&macros);
	log_procinit(def->name);
	log_init(1, LOG_DAEMON);	/* stderr until configured */
	parse_args(argc, argv, &conffile, &noaction);

	if (load(conffile, &conf, NULL, 0) == -1) {
		fprintf(stderr, "%s: configuration not loaded\n", def->name);
		return (1);
	}
	topsh_conf = conf;
	strlcpy(tmp, conf->path, sizeof(tmp));
	strlcpy(confdir, dirname(tmp), sizeof(confdir));
	log_setverbose(topsh_verbose + 1);
	if (noaction) {
		if (def->check != NULL && def->check(conf, topsh_verbose) == -1)
			return (1);
		if (topsh_verbose)
			config_print_all(stdout, conf, topsh_verbose > 1);
		printf("configuration OK\n");
		return (0);
	}
	if (def->offline != NULL && (rv = def->offline(conf)) >= 0)
		return (rv);

	privileged = geteuid() == 0;
	resolve_uids(conf, &gid);
	if (!topsh_debug)
		detach();
	log_init(topsh_debug, config_syslog_facility(conf->log_facility));
	log_setverbose(topsh_verbose + 1);
	if ((topsh_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	make_rundir(conf->runtime_dir);
	make_statedir(conf->state_dir, gid);
	(void)sdn_init(topsh_base);

	pconf = def->proc;
	pconf.self = def->id;
	pconf.reload = daemon_reload;
	pconf.peer_up = peer_up_cb;
	pconf.peer_down = peer_down_cb;
	proc_init(topsh_base, &pconf, conf->runtime_dir, uids);
	if (proc_listen() == -1)
		fatalx("cannot create sockets in %s", conf->runtime_dir);
	if (def->init != NULL && def->init(conf, topsh_base) == -1)
		fatalx("initialisation failed");
	if (privileged)
		drop(conf, gid);
	else
		log_info("not started as root: keeping uid %u",
		    (unsigned)geteuid());
	signals_setup();
	if (def->confine != NULL && def->confine(conf) == -1)
		fatalx("cannot confine %s", def->name);
	proc_start();
	if (def->start != NULL && def->start(topsh_base) == -1)
		fatalx("start failed");
	log_info("%s %s started", def->name, TOPSH_VERSION_STR);
	/*
	 * What start-up freed (configuration parsing, rule and database
	 * compilation temporaries) goes back to the system instead of
	 * staying in the heap, resident, for the daemon's life.
	 */
	malloc_trim(0);
	trim_setup();
	/* the sockets are bound and the peers are being connected to */
	daemon_notify_status("READY=1\n");
	detach_done();
	event_base_dispatch(topsh_base);
	return (0);
}

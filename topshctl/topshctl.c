/*
 * topshctl.c - control the topsh daemons through their control sockets.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "imsg.h"
#include "log.h"
#include "parser.h"
#include "proc.h"
#include "topsh.h"
#include "topshctl.h"

#define CTL_MAXSIZE	(4 * 1024 * 1024)

static const char *const all_daemons[] = {
	"gatewayd", "proxyd", "policyd", "sandboxd", NULL
};

static int	 jsonout;
static int	 exit_status;
static long long last_user;	/* users allow|block|remove: who it was */

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-j] [-f file] [-s rundir] command "
	    "[argument ...]\n", __progname);
	exit(1);
}

int
ctl_connect(const char *rundir, const char *daemon, struct imsgbuf *ib)
{
	struct sockaddr_un	 sun;
	int			 s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.ctl",
	    rundir, daemon) >= sizeof(sun.sun_path))
		errx(1, "%s: runtime directory name too long", rundir);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(s);
		return (-1);
	}
	imsgbuf_init(ib, s);
	imsgbuf_set_maxsize(ib, CTL_MAXSIZE);
	return (0);
}

/* the next frame, blocking; -1 when the daemon went away */
int
ctl_next(struct imsgbuf *ib, struct imsg *imsg)
{
	int	 rv;

	for (;;) {
		if ((rv = imsg_get(ib, imsg)) == -1)
			errx(1, "malformed reply");
		if (rv == 1)
			return (0);
		if ((rv = imsgbuf_read(ib)) == -1)
			err(1, "read");
		if (rv == 0)
			return (-1);
	}
}

static void
print_json_error(struct imsg *imsg, const char *daemon)
{
	json_t		*o = imsg_get_json(imsg);
	const char	*e = NULL;

	if (o != NULL)
		e = json_string_value(json_object_get(o, "error"));
	fprintf(stderr, "%s: ", daemon);
	vis_puts(stderr, e ? e : "request failed");	/* may name files */
	fputc('\n', stderr);
	json_decref(o);
}

static void
print_uptime(long long s)
{
	if (s >= 86400)
		printf("%lldd%02lldh", s / 86400, (s % 86400) / 3600);
	else
		printf("%lld:%02lld:%02lld", s / 3600, (s % 3600) / 60, s % 60);
}

static void
print_status(const char *daemon, json_t *o)
{
	json_t		*peers, *p;
	const char	*tg;
	size_t		 i;

	printf("%-9s up    pid %-7lld uptime ", daemon,
	    (long long)json_integer_value(json_object_get(o, "pid")));
	print_uptime(json_integer_value(json_object_get(o, "uptime")));
	printf("  peers:");
	peers = json_object_get(o, "peers");
	if (json_array_size(peers) == 0)
		printf(" none");
	json_array_foreach(peers, i, p) {
		const char *st = json_string_value(json_object_get(p,
		    "state"));

		printf(" %s(%s%s)",
		    json_string_value(json_object_get(p, "name")),
		    json_string_value(json_object_get(p, "direction")),
		    st ? ",down" : "");
	}
	printf("\n");
	/* gatewayd: Telegram's health; a failing getMe is degraded */
	tg = json_string_value(json_object_get(o, "telegram"));
	if (tg != NULL && strcmp(tg, "ok") != 0) {
		printf("%-9s telegram: %s\n", "", tg);
		if (strstr(tg, "failing") != NULL)
			exit_status = 1;
	}
	if (json_string_value(json_object_get(o, "access")) != NULL &&
	    strcmp(json_string_value(json_object_get(o, "access")), "open")
	    == 0)
		printf("%-9s warning: access open: every Telegram user who "
		    "finds the bot is served\n", daemon);
}

static void
print_user(json_t *o)
{
	const char	*name = json_string_value(json_object_get(o, "name"));
	const char	*un = json_string_value(json_object_get(o, "username"));
	const char	*code = json_string_value(json_object_get(o, "code"));
	const char	*by = json_string_value(json_object_get(o, "by"));

	last_user = json_integer_value(json_object_get(o, "user"));
	printf("%-12lld %-8s%s%s%s%s%s%s%s%s%s\n", last_user,
	    json_string_value(json_object_get(o, "state")),
	    json_is_true(json_object_get(o, "admin")) ? " admin" : "",
	    code != NULL ? " code " : "", code != NULL ? code : "",
	    name != NULL ? " " : "", name != NULL ? name : "",
	    un != NULL ? " @" : "", un != NULL ? un : "",
	    by != NULL ? " by " : "", by != NULL ? by : "");
}

static void
print_exec(json_t *o)
{
	const char	*out, *errs;
	size_t		 len;

	out = json_string_value(json_object_get(o, "stdout"));
	errs = json_string_value(json_object_get(o, "stderr"));
	if (out != NULL) {
		len = json_string_length(json_object_get(o, "stdout"));
		vis_write(stdout, out, len);
	}
	if (errs != NULL) {
		len = json_string_length(json_object_get(o, "stderr"));
		vis_write(stderr, errs, len);
	}
	if (json_is_true(json_object_get(o, "timed_out")))
		fprintf(stderr, "topshctl: command timed out and was killed\n");
	exit_status = (int)json_integer_value(json_object_get(o, "exit"));
}

static void
print_ps(json_t *o)
{
	printf("%7lld %7lld %-10s ",
	    (long long)json_integer_value(json_object_get(o, "pid")),
	    (long long)json_integer_value(json_object_get(o, "session")),
	    json_is_string(json_object_get(o, "kind")) ? json_string_value(
	    json_object_get(o, "kind")) : "?");
	vis_puts(stdout, json_string_value(json_object_get(o, "args")));
	putchar('\n');
}

static void
print_data(enum actions action, const char *daemon, json_t *o)
{
	char	*s;

	if (!jsonout && (action == USERS_LIST || action == USERS_ALLOW ||
	    action == USERS_BLOCK || action == USERS_REMOVE)) {
		print_user(o);
		return;
	}
	if (jsonout && action >= USERS_LIST && action <= USERS_REMOVE)
		last_user = json_integer_value(json_object_get(o, "user"));
	if (jsonout || (action != STATUS && action != SANDBOX_EXEC)) {
		if (!jsonout && action == POLICY_TEST) {
			const char *d = json_string_value(json_object_get(o,
			    "decision"));
			const char *r = json_string_value(json_object_get(o,
			    "rule"));
			const char *m = json_string_value(json_object_get(o,
			    "message"));

			vis_puts(stdout, d ? d : "?");
			if (r != NULL) {
				putchar(' ');
				vis_puts(stdout, r);
			}
			if (m != NULL) {
				fputs(": ", stdout);
				vis_puts(stdout, m);
			}
			putchar('\n');
			if (d != NULL && strcmp(d, "allow") != 0)
				exit_status = 2;
			return;
		}
		if (!jsonout && action == SANDBOX_PS) {
			print_ps(o);
			return;
		}
		/* ASCII only: no control character or C1 reaches the tty */
		if ((s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENSURE_ASCII)) != NULL) {
			vis_puts(stdout, s);
			putchar('\n');
		}
		free(s);
		return;
	}
	if (action == STATUS)
		print_status(daemon, o);
	else
		print_exec(o);
}

/* one request to one daemon; 0 done, -1 daemon not running */
static int
request(const char *rundir, const char *daemon, enum actions action,
    uint32_t type, json_t *args, const void *raw, size_t rawlen)
{
	struct imsgbuf	 ib;
	struct imsg	 imsg;
	json_t		*o;
	int		 done = 0;

	if (ctl_connect(rundir, daemon, &ib) == -1)
		return (-1);
	if (args != NULL)
		imsg_compose_json(&ib, type, 1, -1, args);
	else
		imsg_compose(&ib, type, 1, 0, -1, raw, rawlen);
	if (imsgbuf_flush(&ib) == -1)
		err(1, "%s: write", daemon);
	while (!done) {
		if (ctl_next(&ib, &imsg) == -1) {
			fprintf(stderr, "%s: connection closed\n", daemon);
			exit_status = 1;
			break;
		}
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_DATA:
			if ((o = imsg_get_json(&imsg)) == NULL)
				errx(1, "%s: malformed reply", daemon);
			print_data(action, daemon, o);
			json_decref(o);
			break;
		case IMSG_CTL_OK:
			if ((o = imsg_get_json(&imsg)) != NULL) {
				const char *m = json_string_value(
				    json_object_get(o, "message"));
				if (m != NULL) {
					printf("%s: ", daemon);
					vis_puts(stdout, m);
					putchar('\n');
				}
				json_decref(o);
			} else
				printf("%s: ok\n", daemon);
			done = 1;
			break;
		case IMSG_CTL_END:
			done = 1;
			break;
		case IMSG_CTL_FAIL:
		case IMSG_ERROR:
			print_json_error(&imsg, daemon);
			exit_status = 1;
			done = 1;
			break;
		default:
			errx(1, "%s: unexpected reply type %u", daemon,
			    imsg_get_type(&imsg));
		}
		imsg_free(&imsg);
	}
	imsgbuf_clear(&ib);
	close(ib.fd);
	return (0);
}

static void
each_daemon(const char *rundir, struct parse_result *res, uint32_t type,
    const void *raw, size_t rawlen)
{
	int	 i;

	for (i = 0; all_daemons[i] != NULL; i++) {
		if (res->daemon != NULL && strcmp(res->daemon,
		    all_daemons[i]) != 0)
			continue;
		if (request(rundir, all_daemons[i], res->action, type, NULL,
		    raw, rawlen) == -1) {
			if (errno == EACCES) {
				/* not "down": we may not ask */
				printf("%-9s permission denied (%s/%s.ctl: run "
				    "topshctl as root)\n", all_daemons[i],
				    rundir, all_daemons[i]);
				exit_status = 1;
				continue;
			}
			if (res->action == STATUS)
				exit_status = 1;
			if (res->action == STATUS && !jsonout)
				printf("%-9s down\n", all_daemons[i]);
			else if (res->action == STATUS)
				printf("{\"name\":\"%s\",\"state\":\"down\"}\n",
				    all_daemons[i]);
			else {
				fprintf(stderr, "%s: not running (%s)\n",
				    all_daemons[i], strerror(errno));
				exit_status = 1;
			}
		}
	}
}

static void
one_daemon(const char *rundir, const char *daemon, struct parse_result *res,
    uint32_t type, json_t *args)
{
	if (args == NULL)
		errx(1, "out of memory");
	if (request(rundir, daemon, res->action, type, args, NULL, 0) == -1)
		errx(1, "%s is not running (%s/%s.ctl: %s)", daemon, rundir,
		    daemon, strerror(errno));
	json_decref(args);
}

static const char *
find_rundir(const char *conffile, const char *rundir)
{
	static char		 buf[PATH_MAX];
	struct topsh_conf	*conf;
	struct cferrs		 errs;
	struct cftree		*tree;
	struct cfnode		*n;

	if (rundir != NULL)
		return (rundir);
	if ((rundir = getenv("TOPSH_RUNDIR")) != NULL)
		return (rundir);
	cferrs_init(&errs);
	if (access(conffile, R_OK) == -1) {
		cferrs_free(&errs);
		return (TOPSH_RUNDIR);
	}
	if (config_load(conffile, NULL, &conf, &errs) == 0) {
		strlcpy(buf, conf->runtime_dir, sizeof(buf));
		config_free(conf);
		cferrs_free(&errs);
		return (buf);
	}
	/* a broken file still names its runtime-dir: the daemons say more */
	cferrs_free(&errs);
	cferrs_init(&errs);
	if ((tree = cf_parse_file(conffile, NULL, &errs)) != NULL) {
		TAILQ_FOREACH(n, &tree->nodes, entry)
			if (strcmp(n->name, "runtime-dir") == 0 &&
			    n->argc == 1 && n->argv[0][0] == '/')
				strlcpy(buf, n->argv[0], sizeof(buf));
		cf_free(tree);
	}
	cferrs_free(&errs);
	if (buf[0] != '\0')
		return (buf);
	return (TOPSH_RUNDIR);
}

int
main(int argc, char *argv[])
{
	struct parse_result	*res;
	const char		*conffile = TOPSH_CONF, *rundir = NULL;
	int			 ch, v;

	while ((ch = getopt(argc, argv, "+f:js:")) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
			break;
		case 'j':
			jsonout = 1;
			break;
		case 's':
			rundir = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((res = parse(argc, argv)) == NULL)
		exit(1);
	rundir = find_rundir(conffile, rundir);

	switch (res->action) {
	case STATUS:
		each_daemon(rundir, res, IMSG_CTL_STATUS, NULL, 0);
		/* and the health of what they depend on */
		if (!jsonout && res->daemon == NULL &&
		    ctl_check(conffile, rundir, CHECK_STATUS) > 0)
			exit_status = 1;
		break;
	case CHECK:
		if (ctl_check(conffile, rundir, CHECK_ALL) > 0)
			exit_status = 1;
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		v = res->action == LOG_VERBOSE ? 2 : 1;
		each_daemon(rundir, res, IMSG_CTL_LOG_VERBOSE, &v, sizeof(v));
		break;
	case RELOAD:
		each_daemon(rundir, res, IMSG_CTL_RELOAD, NULL, 0);
		break;
	case POLICY_TEST:
		one_daemon(rundir, "policyd", res, IMSG_CTL_POLICY_TEST,
		    json_pack("{s:s}", "command", res->command));
		break;
	case SANDBOX_LIST:
		one_daemon(rundir, "sandboxd", res, IMSG_CTL_SANDBOX_LIST,
		    json_object());
		break;
	case SANDBOX_KILL:
		one_daemon(rundir, "sandboxd", res, IMSG_CTL_SANDBOX_KILL,
		    json_pack("{s:I}", "user", (json_int_t)res->user));
		break;
	case SANDBOX_PS:
		one_daemon(rundir, "sandboxd", res, IMSG_CTL_SANDBOX_PS,
		    json_pack("{s:I}", "user", (json_int_t)res->user));
		break;
	case SANDBOX_STOP:
		one_daemon(rundir, "sandboxd", res, IMSG_CTL_SANDBOX_STOP,
		    json_pack("{s:I}", "user", (json_int_t)res->user));
		break;
	case SANDBOX_EXEC:
		one_daemon(rundir, "sandboxd", res, IMSG_CTL_SANDBOX_EXEC,
		    json_pack("{s:I, s:s}", "user", (json_int_t)res->user,
		    "command", res->command));
		break;
	case TRASH_LIST:
		one_daemon(rundir, "sandboxd", res, IMSG_CTL_TRASH_LIST,
		    json_pack("{s:I}", "user", (json_int_t)res->user));
		break;
	case TRASH_RESTORE:
		one_daemon(rundir, "sandboxd", res, IMSG_CTL_TRASH_RESTORE,
		    json_pack("{s:I, s:s}", "user", (json_int_t)res->user,
		    "id", res->id));
		break;
	case TRASH_PURGE:
		one_daemon(rundir, "sandboxd", res, IMSG_CTL_TRASH_PURGE,
		    res->id != NULL ? json_pack("{s:I, s:s}", "user",
		    (json_int_t)res->user, "id", res->id) : json_pack("{s:I}",
		    "user", (json_int_t)res->user));
		break;
	case USERS_LIST:
		one_daemon(rundir, "gatewayd", res, IMSG_CTL_USERS_LIST,
		    json_object());
		break;
	case USERS_ALLOW:
	case USERS_BLOCK:
	case USERS_REMOVE:
		one_daemon(rundir, "gatewayd", res, IMSG_CTL_USERS_SET,
		    json_pack("{s:s, s:s}", "action", res->action ==
		    USERS_ALLOW ? "allow" : res->action == USERS_BLOCK ?
		    "block" : "remove", "who", res->id));
		/* a removed or blocked user's container stops; removed: the
		 * workspace goes to the trash */
		if (exit_status == 0 && last_user > 0 && res->action !=
		    USERS_ALLOW)
			one_daemon(rundir, "sandboxd", res,
			    IMSG_CTL_SANDBOX_REMOVE_USER, json_pack("{s:I, s:b}",
			    "user", (json_int_t)last_user, "workspace",
			    res->action == USERS_REMOVE));
		break;
	case NONE:
		usage();
	}
	free(res->command);
	return (exit_status);
}

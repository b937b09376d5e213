/*
 * check.c - topshctl check and the health part of topshctl status.
 *
 * The checks are a table: to add one, write a function that reports
 * through res() and add a row to checks[] (its name, whether status
 * shows it too, and whether it needs a configuration that loaded).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "config.h"
#include "conf_proxy.h"
#include "gvisor.h"
#include "imsg.h"
#include "imsg_proxy.h"
#include "topsh.h"

struct ctx {
	const char		*conffile;
	const char		*rundir;
	struct topsh_conf	*conf;
	int			 fails;
	int			 warns;
	json_t			*info;		/* the engine's GET /info */
	int			 info_asked;
};

enum level { OK, WARN, FAIL };

static void
res(struct ctx *c, enum level l, const char *name, const char *fix,
    const char *fmt, ...)
{
	static const char *const lv[] = { "ok", "warn", "fail" };
	va_list	 ap;

	printf("%-5s %-10s ", lv[l], name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (fix != NULL && l != OK)
		printf(" -> %s", fix);
	printf("\n");
	if (l == FAIL)
		c->fails++;
	else if (l == WARN)
		c->warns++;
}

/* ---- the configuration, as each daemon reads it (-n) ---- */

static void
sibling(char *buf, size_t len, const char *prog)
{
	char	 self[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		snprintf(buf, len, "%s/%s", dirname(self), prog);
	} else
		snprintf(buf, len, "%s", prog);
}

static void
check_config(struct ctx *c)
{
	static const char *const daemons[] = {
		"gatewayd", "proxyd", "policyd", "sandboxd", NULL
	};
	char	 prog[PATH_MAX], out[4096], fix[PATH_MAX + 32];
	int	 i, p[2], st;
	ssize_t	 n;
	size_t	 got;
	pid_t	 pid;

	for (i = 0; daemons[i] != NULL; i++) {
		sibling(prog, sizeof(prog), daemons[i]);
		if (pipe(p) == -1)
			return;
		if ((pid = fork()) == -1)
			return;
		if (pid == 0) {
			dup2(p[1], STDOUT_FILENO);
			dup2(p[1], STDERR_FILENO);
			close(p[0]);
			execl(prog, daemons[i], "-n", "-f", c->conffile,
			    (char *)NULL);
			printf("cannot run %s: %s\n", prog, strerror(errno));
			_exit(127);
		}
		close(p[1]);
		got = 0;
		while (got < sizeof(out) - 1 && (n = read(p[0], out + got,
		    sizeof(out) - 1 - got)) > 0)
			got += (size_t)n;
		out[got] = '\0';
		close(p[0]);
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			res(c, OK, "config", NULL, "%s accepts %s", daemons[i],
			    c->conffile);
			continue;
		}
		out[strcspn(out, "\n")] = '\0';
		snprintf(fix, sizeof(fix), "%s -n -f %s lists every error",
		    prog, c->conffile);
		res(c, FAIL, "config", fix, "%s refuses it: %s", daemons[i],
		    out);
	}
}

/* ---- users and the directories each one must traverse ---- */

static int
user_gids(const char *user, uid_t *uid, gid_t *gids, int *ngids)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		return (-1);
	*uid = pw->pw_uid;
	if (getgrouplist(user, pw->pw_gid, gids, ngids) == -1)
		*ngids = 0;
	return (0);
}

static int
in_groups(gid_t g, const gid_t *gids, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (gids[i] == g)
			return (1);
	return (0);
}

/* may uid (with gids) search (x) st? */
static int
may_search(const struct stat *st, uid_t uid, const gid_t *gids, int n)
{
	if (uid == 0)
		return (1);
	if (st->st_uid == uid)
		return ((st->st_mode & S_IXUSR) != 0);
	if (in_groups(st->st_gid, gids, n))
		return ((st->st_mode & S_IXGRP) != 0);
	return ((st->st_mode & S_IXOTH) != 0);
}

/* the first directory on the way to path (itself included) not searchable */
static int
blocked_at(const char *path, uid_t uid, const gid_t *gids, int n,
    char *bad, size_t badlen)
{
	char		 buf[PATH_MAX];
	struct stat	 st;
	char		*p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return (0);
	for (p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char	 save = *p;

			*p = '\0';
			if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode) &&
			    !may_search(&st, uid, gids, n)) {
				strlcpy(bad, buf, badlen);
				return (1);
			}
			*p = save;
			if (save == '\0')
				break;
		}
	}
	return (0);
}

/* report a missing directory once, not once per daemon */
static int
seen_missing(const char *path)
{
	static char	 seen[16][PATH_MAX];
	static size_t	 n;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (strcmp(seen[i], path) == 0)
			return (1);
	if (n < sizeof(seen) / sizeof(seen[0]))
		strlcpy(seen[n++], path, PATH_MAX);
	return (0);
}

static void
check_dir(struct ctx *c, const char *user, const char *what,
    const char *path)
{
	gid_t	 gids[64];
	int	 n = 64;
	uid_t	 uid;
	char	 bad[PATH_MAX], fix[PATH_MAX * 2 + 64];

	if (path == NULL || *path == '\0' || strcmp(path, "none") == 0)
		return;
	if (access(path, F_OK) == -1) {
		if (seen_missing(path))
			return;
		snprintf(fix, sizeof(fix), "systemd-tmpfiles --create "
		    "topsh.conf, or mkdir -p %s", path);
		res(c, errno == ENOENT ? WARN : FAIL, "dirs", fix,
		    "%s %s: %s", what, path, strerror(errno));
		return;
	}
	if (user_gids(user, &uid, gids, &n) == -1)
		return;		/* reported by check_users */
	if (blocked_at(path, uid, gids, n, bad, sizeof(bad))) {
		snprintf(fix, sizeof(fix), "chmod o+x %s, or make %s its "
		    "owner or a member of its group", bad, user);
		res(c, FAIL, "dirs", fix, "%s cannot traverse %s (%s %s)",
		    user, bad, what, path);
		return;
	}
	res(c, OK, "dirs", NULL, "%s reaches %s %s", user, what, path);
}

static void
check_users(struct ctx *c)
{
	struct topsh_conf	*cf = c->conf;
	const char		*users[] = { cf->gateway.user, cf->proxy.user,
	    cf->policy.user, cf->sandbox.user, cf->proxy.egress_user, NULL };
	int			 i;

	for (i = 0; users[i] != NULL; i++) {
		if (getpwnam(users[i]) != NULL)
			res(c, OK, "users", NULL, "%s exists", users[i]);
		else
			res(c, FAIL, "users", "systemd-sysusers topsh.conf "
			    "(make install and the package do it)",
			    "%s does not exist", users[i]);
	}
}

static void
dirname_of(const char *path, char *buf, size_t len)
{
	char	 tmp[PATH_MAX];

	strlcpy(tmp, path, sizeof(tmp));
	strlcpy(buf, dirname(tmp), len);
}

static void
check_dirs(struct ctx *c)
{
	struct topsh_conf	*cf = c->conf;
	char			 confdir[PATH_MAX], d[PATH_MAX], sd[PATH_MAX];
	const char		*all[] = { cf->gateway.user, cf->proxy.user,
	    cf->policy.user, cf->sandbox.user, NULL };
	const char		*names[] = { "gatewayd", "proxyd", "policyd",
	    "sandboxd", NULL };
	size_t			 i;

	dirname_of(c->conffile, confdir, sizeof(confdir));
	for (i = 0; all[i] != NULL; i++) {
		check_dir(c, all[i], "configuration", confdir);
		check_dir(c, all[i], "runtime-dir", cf->runtime_dir);
		snprintf(sd, sizeof(sd), "%s/%s", cf->state_dir, names[i]);
		check_dir(c, all[i], "state",
		    access(sd, F_OK) == 0 ? sd : cf->state_dir);
	}
	if (cf->gateway.system_prompt != NULL) {
		dirname_of(cf->gateway.system_prompt, d, sizeof(d));
		check_dir(c, cf->gateway.user, "system-prompt", d);
	}
	for (i = 0; i < cf->policy.rules.n; i++) {
		dirname_of(cf->policy.rules.v[i], d, sizeof(d));
		check_dir(c, cf->policy.user, "rules", d);
	}
	if (cf->policy.audit_log != NULL && *cf->policy.audit_log != '\0' &&
	    strcmp(cf->policy.audit_log, "none") != 0) {
		dirname_of(cf->policy.audit_log, d, sizeof(d));
		check_dir(c, cf->policy.user, "audit-log", d);
	}
	check_dir(c, cf->sandbox.user, "workspace-root",
	    cf->sandbox.workspace_root);
}

/* ---- secrets: presence and modes ---- */

static void
check_secret(struct ctx *c, const char *name, enum level missing,
    const char *without)
{
	char		 path[PATH_MAX], fix[2 * PATH_MAX + 96];
	struct stat	 st;

	snprintf(path, sizeof(path), "%s/%s", c->conf->proxy.secrets_dir,
	    name);
	if (stat(path, &st) == -1) {
		if (errno == EACCES) {
			res(c, FAIL, "secrets", "run topshctl check as root",
			    "%s: permission denied", path);
			return;
		}
		snprintf(fix, sizeof(fix), "(umask 077; printf %%s VALUE >%s)",
		    path);
		res(c, missing, "secrets", fix, "%s missing%s%s", path,
		    without ? ": " : "", without ? without : "");
		return;
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != 0) {
		snprintf(fix, sizeof(fix), "chown root %s; chmod 0600 %s",
		    path, path);
		res(c, FAIL, "secrets", fix, "%s is mode %04o owner %u "
		    "(must be 0600 root)", path, (unsigned)(st.st_mode & 07777),
		    (unsigned)st.st_uid);
		return;
	}
	if (st.st_size == 0) {
		res(c, FAIL, "secrets", "write the value into it", "%s is "
		    "empty", path);
		return;
	}
	res(c, OK, "secrets", NULL, "%s present, 0600", path);
}

static void
check_secrets(struct ctx *c)
{
	const char	*dir = c->conf->proxy.secrets_dir;
	struct stat	 st;
	char		 fix[PATH_MAX + 64];

	if (stat(dir, &st) == -1) {
		snprintf(fix, sizeof(fix), "install -d -m 0700 %s", dir);
		res(c, FAIL, "secrets", fix, "%s: %s", dir, strerror(errno));
		return;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(fix, sizeof(fix), "chmod 0700 %s", dir);
		res(c, FAIL, "secrets", fix, "%s is mode %04o (must be 0700)",
		    dir, (unsigned)(st.st_mode & 07777));
	} else
		res(c, OK, "secrets", NULL, "%s is mode 0700", dir);
	check_secret(c, "telegram_token", FAIL, NULL);
	check_secret(c, "llm_base_url", FAIL, NULL);
	check_secret(c, "llm_api_key", FAIL, NULL);
	check_secret(c, "zai_api_key", WARN,
	    "search_web is not offered");
	check_secret(c, "gdrive_client_id", WARN,
	    "the Google Drive tools are not offered");
	check_secret(c, "gdrive_client_secret", WARN,
	    "the Google Drive tools are not offered");
}

static void
check_model(struct ctx *c)
{
	if (c->conf->proxy.llm_model == NULL)
		res(c, WARN, "model", "set proxy { llm-model NAME } to a model "
		    "your provider knows", "llm-model is not set: the "
		    "provider is asked for \"default\"");
	else
		res(c, OK, "model", NULL, "llm-model %s",
		    c->conf->proxy.llm_model);
}

/* ---- who the bot serves ---- */

static void
check_access(struct ctx *c)
{
	const struct conf_gateway	*g = &c->conf->gateway;

	if (g->access == ACCESS_OPEN)
		res(c, WARN, "access", "set gateway { access pairing } or "
		    "allowlist", "access open: every Telegram user who finds "
		    "the bot gets a container and model calls");
	else if (g->admins.n == 0)
		res(c, WARN, "access", "set gateway { admins ID }",
		    "access %s with no admins: only topshctl users can let "
		    "anyone in", g->access == ACCESS_PAIRING ? "pairing" :
		    "allowlist");
	else
		res(c, OK, "access", NULL, "access %s, %zu admin%s",
		    g->access == ACCESS_PAIRING ? "pairing" : "allowlist",
		    g->admins.n, g->admins.n == 1 ? "" : "s");
}

/* ---- Docker: the socket, the engine, the image ---- */

/* one HTTP/1.0 request on docker.sock; the status code, or -1 */
static int
docker_get(const char *sock, const char *path, int *err)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 req[1024], buf[256];
	ssize_t			 n;
	int			 s, code = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return (-1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		*err = errno;
		close(s);
		return (-1);
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: docker\r\n\r\n",
	    path);
	if (write(s, req, strlen(req)) == (ssize_t)strlen(req)) {
		pfd.fd = s;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) == 1 &&
		    (n = read(s, buf, sizeof(buf) - 1)) > 12) {
			buf[n] = '\0';
			if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1)
				code = -1;
		}
	}
	close(s);
	return (code);
}

static void
check_docker(struct ctx *c)
{
	struct topsh_conf	*cf = c->conf;
	struct stat		 st;
	struct group		*gr;
	char			 path[512], fix[512];
	int			 code, err = 0;

	if (stat(cf->sandbox.docker_socket, &st) == -1 ||
	    !S_ISSOCK(st.st_mode)) {
		res(c, FAIL, "docker", "start the Docker engine (systemctl "
		    "start docker)", "%s is not a socket",
		    cf->sandbox.docker_socket);
		return;
	}
	if ((gr = getgrnam(cf->sandbox.docker_group)) == NULL ||
	    gr->gr_gid != st.st_gid)
		res(c, WARN, "docker", "set sandbox { docker-group } to the "
		    "socket's group", "%s does not belong to group %s",
		    cf->sandbox.docker_socket, cf->sandbox.docker_group);
	if ((code = docker_get(cf->sandbox.docker_socket, "/_ping",
	    &err)) != 200) {
		res(c, FAIL, "docker", err == EACCES ? "run topshctl check as "
		    "root" : "start the Docker engine", "%s: %s",
		    cf->sandbox.docker_socket, err ? strerror(err) :
		    "the engine does not answer");
		return;
	}
	res(c, OK, "docker", NULL, "the engine answers on %s",
	    cf->sandbox.docker_socket);
	snprintf(path, sizeof(path), "/images/%s/json", cf->sandbox.image);
	if ((code = docker_get(cf->sandbox.docker_socket, path, &err)) ==
	    200)
		res(c, OK, "image", NULL, "%s is there", cf->sandbox.image);
	else {
		snprintf(fix, sizeof(fix), "sh /usr/local/share/topsh/sandbox/"
		    "build-debian-image.sh %s (from this host's Debian "
		    "packages), or docker build the Dockerfile there",
		    cf->sandbox.image);
		res(c, FAIL, "image", fix, "the sandbox image %s is missing",
		    cf->sandbox.image);
	}
}

/* ---- the runtime: gVisor where the engine has it ---- */

/* the body of GET path on docker.sock, parsed; NULL on any failure */
static json_t *
docker_get_json(const char *sock, const char *path)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 req[1024], *buf = NULL, *body, *nb;
	size_t			 len = 0, cap = 0;
	ssize_t			 n;
	json_t			*j = NULL;
	int			 s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return (NULL);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (NULL);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto done;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: docker\r\n\r\n",
	    path);
	if (write(s, req, strlen(req)) != (ssize_t)strlen(req))
		goto done;
	pfd.fd = s;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, 5000) != 1)
			goto done;
		if (len + 4097 > cap) {
			if (cap >= (1 << 20) ||
			    (nb = realloc(buf, cap + 8192)) == NULL)
				goto done;
			buf = nb;
			cap += 8192;
		}
		if ((n = read(s, buf + len, cap - len - 1)) == -1)
			goto done;
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if ((body = strstr(buf, "\r\n\r\n")) != NULL)
		j = json_loads(body + 4, 0, NULL);
 done:
	free(buf);
	close(s);
	return (j);
}

/* the engine's /info, asked once for every check that needs it */
static json_t *
engine_info(struct ctx *c)
{
	if (!c->info_asked) {
		c->info_asked = 1;
		c->info = docker_get_json(c->conf->sandbox.docker_socket,
		    "/info");
	}
	return (c->info);
}

/* what sandboxd's runtime.c will choose, and whether it is gVisor */
static void
check_runtime(struct ctx *c)
{
	struct topsh_conf	*cf = c->conf;
	const char		*want = cf->sandbox.runtime, *k, *gv = NULL;
	const char		*pick, *why;
	const char		*reg = "apt-get install runsc; sh /usr/local/"
				    "share/topsh/sandbox/register-runsc.sh";
	json_t			*info, *rts, *spec;
	int			 net;

	if (want == NULL || *want == '\0')
		want = "auto";
	net = cf->sandbox.network != NULL &&
	    strcmp(cf->sandbox.network, "none") != 0;
	if ((info = engine_info(c)) == NULL)
		return;		/* the docker check said why */
	rts = json_object_get(info, "Runtimes");
	json_object_foreach(rts, k, spec)
		if (gvisor_is(spec) && (gv == NULL || strcmp(k, "runsc") == 0))
			gv = k;
	pick = gvisor_pick(rts, net);
	spec = json_object_get(rts, want);
	if (strcmp(want, "auto") == 0) {
		if (pick != NULL)
			res(c, OK, "runtime", NULL, "auto: gVisor (%s)", pick);
		else if (gv != NULL)
			res(c, WARN, "runtime", reg, "auto: runc, the host's "
			    "kernel is shared: the engine's gVisor runtime %s "
			    "does not suit %s sandboxes: %s", gv, net ?
			    "networked" : "network-less",
			    gvisor_unsuited(json_object_get(rts, gv), net));
		else
			res(c, WARN, "runtime", reg, "auto: runc, the host's "
			    "kernel is shared: the engine has no gVisor "
			    "runtime");
	} else if (!json_is_object(spec))
		res(c, strcmp(want, "runc") == 0 ? WARN : FAIL, "runtime",
		    strcmp(want, "runsc") == 0 ? reg : "register it in "
		    "/etc/docker/daemon.json and send SIGHUP to dockerd",
		    "%s: the Docker engine has no runtime of this name", want);
	else if (gvisor_is(spec) && (why = gvisor_unsuited(spec, net)) != NULL)
		res(c, FAIL, "runtime", reg, "%s: sandboxd refuses it, no "
		    "sandbox can start: %s", want, why);
	else if (gvisor_is(spec))
		res(c, OK, "runtime", NULL, "%s (gVisor)", want);
	else if (gv != NULL)
		res(c, WARN, "runtime", "set sandbox { runtime auto } (see "
		    "sandboxd(8))", "%s shares the host's kernel while gVisor "
		    "(%s) is registered", want, gv);
	else if (access("/usr/bin/runsc", X_OK) == 0)
		res(c, WARN, "runtime", reg, "%s shares the host's kernel; "
		    "runsc is installed but not registered", want);
	else
		res(c, OK, "runtime", NULL, "%s", want);
}

/*
 * The engine's storage driver: under vfs every container is a full
 * copy of the image, slow to create (a new user waits for it) and as
 * large on disk as the image, up to max-containers of them.
 */
static void
check_storage(struct ctx *c)
{
	const char		*drv;
	json_t			*info;

	if ((info = engine_info(c)) == NULL)
		return;		/* the docker check said why */
	drv = json_string_value(json_object_get(info, "Driver"));
	if (drv != NULL && strcmp(drv, "vfs") == 0)
		res(c, WARN, "storage", "run dockerd with --storage-driver "
		    "overlay2 (or set sandbox { max-containers } to what the "
		    "disk holds)", "the engine stores containers with vfs: "
		    "each is a full copy of the image, slow to create and as "
		    "large on disk as the image");
	else if (drv != NULL)
		res(c, OK, "storage", NULL, "the engine's storage driver is %s",
		    drv);
}

/* ---- the audit log ---- */

static void
check_audit(struct ctx *c)
{
	const char	*a = c->conf->policy.audit_log;
	struct stat	 st;
	struct passwd	*pw;
	char		 fix[PATH_MAX + 64];

	if (a == NULL || *a == '\0' || strcmp(a, "none") == 0) {
		res(c, WARN, "audit", "set policy { audit-log }", "no audit "
		    "log: decisions go to policyd's log");
		return;
	}
	if (stat(a, &st) == -1) {
		res(c, errno == ENOENT ? WARN : FAIL, "audit",
		    "policyd creates it when started", "%s: %s", a,
		    strerror(errno));
		return;
	}
	pw = getpwnam(c->conf->policy.user);
	if (pw != NULL && st.st_uid != pw->pw_uid) {
		snprintf(fix, sizeof(fix), "chown %s %s",
		    c->conf->policy.user, a);
		res(c, WARN, "audit", fix, "%s is not owned by %s: it cannot "
		    "be reopened after rotation", a, c->conf->policy.user);
		return;
	}
	res(c, OK, "audit", NULL, "%s", a);
}

/* ---- through proxyd: Telegram getMe, the model endpoint ---- */

static json_t *
proxy_probe(struct ctx *c, int *down)
{
	struct imsgbuf	 ib;
	struct imsg	 imsg;
	json_t		*o = NULL;
	int		 done = 0;

	*down = 0;
	if (ctl_connect(c->rundir, "proxyd", &ib) == -1) {
		*down = errno == EACCES ? 2 : 1;
		return (NULL);
	}
	imsg_compose(&ib, IMSG_CTL_PROXY_PROBE, 1, 0, -1, NULL, 0);
	if (imsgbuf_flush(&ib) == -1) {
		imsgbuf_clear(&ib);
		close(ib.fd);
		return (NULL);
	}
	while (!done && ctl_next(&ib, &imsg) == 0) {
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_DATA:
			json_decref(o);
			o = imsg_get_json(&imsg);
			break;
		default:	/* END, FAIL (an older proxyd) */
			done = 1;
			break;
		}
		imsg_free(&imsg);
	}
	imsgbuf_clear(&ib);
	close(ib.fd);
	return (o);
}

static void
check_telegram(struct ctx *c, json_t *t)
{
	const char	*sd = c->conf->proxy.secrets_dir;
	const char	*e = json_string_value(json_object_get(t, "error"));
	long long	 st = json_integer_value(json_object_get(t, "status"));
	char		 fix[PATH_MAX + 160];

	if (json_is_true(json_object_get(t, "ok"))) {
		res(c, OK, "telegram", NULL, "getMe: the token is valid, bot "
		    "@%s", json_string_value(json_object_get(t, "bot")));
		return;
	}
	if (st == 401 || st == 404) {
		snprintf(fix, sizeof(fix), "write the token @BotFather gave "
		    "into %s/telegram_token, then restart proxyd", sd);
		res(c, FAIL, "telegram", fix, "getMe: HTTP %lld%s%s: Telegram "
		    "does not accept the bot token", st, e ? " " : "",
		    e ? e : "");
	} else if (st == 0) {
		snprintf(fix, sizeof(fix), "check proxy { telegram-url %s } "
		    "and that this host reaches it", c->conf->proxy.telegram_url);
		res(c, FAIL, "telegram", fix, "getMe: no answer: %s",
		    e ? e : "?");
	} else
		res(c, FAIL, "telegram", "see proxyd's log", "getMe: HTTP "
		    "%lld: %s", st, e ? e : "?");
}

static void
check_model_api(struct ctx *c, json_t *m)
{
	const char	*sd = c->conf->proxy.secrets_dir;
	const char	*want = c->conf->proxy.llm_model;
	const char	*e = json_string_value(json_object_get(m, "error"));
	long long	 st = json_integer_value(json_object_get(m, "status"));
	json_t		*names = json_object_get(m, "models"), *v;
	char		 fix[PATH_MAX + 512], list[400];
	size_t		 i;

	if (!json_is_true(json_object_get(m, "ok"))) {
		if (st == 401 || st == 403) {
			snprintf(fix, sizeof(fix), "write a valid key into "
			    "%s/llm_api_key, then restart proxyd", sd);
			res(c, FAIL, "model-api", fix, "GET /models: HTTP %lld: "
			    "the provider refused the API key%s%s", st,
			    e ? ": " : "", e ? e : "");
		} else if (st == 0) {
			snprintf(fix, sizeof(fix), "check %s/llm_base_url (the "
			    "endpoint, e.g. https://api.openai.com/v1) and that "
			    "this host reaches it", sd);
			res(c, FAIL, "model-api", fix, "the model endpoint does "
			    "not answer: %s", e ? e : "?");
		} else
			res(c, FAIL, "model-api", "check llm_base_url and "
			    "proxyd's log", "GET /models: HTTP %lld: %s", st,
			    e ? e : "?");
		return;
	}
	if (!json_is_true(json_object_get(m, "listed"))) {
		res(c, OK, "model-api", NULL, "the endpoint answers (it lists "
		    "no models: llm-model %s not checked)", want ? want :
		    "(unset)");
		return;
	}
	list[0] = '\0';
	json_array_foreach(names, i, v) {
		if (i >= 8)
			break;
		if (list[0] != '\0')
			strlcat(list, ", ", sizeof(list));
		strlcat(list, json_string_value(v), sizeof(list));
	}
	if (want == NULL) {
		snprintf(fix, sizeof(fix), "set proxy { llm-model NAME } to one "
		    "of: %s", list);
		res(c, WARN, "model-api", fix, "the endpoint lists %lld models; "
		    "llm-model is not set", (long long)json_integer_value(
		    json_object_get(m, "count")));
	} else if (json_is_true(json_object_get(m, "known")))
		res(c, OK, "model-api", NULL, "the endpoint answers and lists "
		    "llm-model %s", want);
	else {
		snprintf(fix, sizeof(fix), "set proxy { llm-model NAME } to one "
		    "of: %s", list);
		res(c, FAIL, "model-api", fix, "llm-model %s is not among the "
		    "%lld models the endpoint lists", want,
		    (long long)json_integer_value(json_object_get(m,
		    "count")));
	}
}

static void
check_proxy_probe(struct ctx *c)
{
	json_t	*o;
	int	 down;

	if ((o = proxy_probe(c, &down)) == NULL) {
		res(c, WARN, "telegram", down == 2 ? "run topshctl as root" :
		    "start proxyd (systemctl start topsh-proxyd)", "%s: the "
		    "bot token and the model endpoint are not checked",
		    down == 2 ? "permission denied on proxyd's control socket" :
		    down ? "proxyd is not running" : "proxyd did not answer");
		return;
	}
	check_telegram(c, json_object_get(o, "telegram"));
	check_model_api(c, json_object_get(o, "model"));
	json_decref(o);
}

static const struct check {
	const char	*name;
	int		 kinds;
	int		 needconf;
	void		(*fn)(struct ctx *);
} checks[] = {
	{ "config",	CHECK_ALL,			0, check_config },
	{ "users",	CHECK_ALL,			1, check_users },
	{ "dirs",	CHECK_ALL,			1, check_dirs },
	{ "secrets",	CHECK_ALL,			1, check_secrets },
	{ "model",	CHECK_ALL,			1, check_model },
	{ "access",	CHECK_ALL,			1, check_access },
	{ "docker",	CHECK_ALL | CHECK_STATUS,	1, check_docker },
	{ "runtime",	CHECK_ALL,			1, check_runtime },
	{ "storage",	CHECK_ALL,			1, check_storage },
	{ "audit",	CHECK_ALL | CHECK_STATUS,	1, check_audit },
	{ "proxy",	CHECK_ALL,			1, check_proxy_probe },
};

int
ctl_check(const char *conffile, const char *rundir, int kind)
{
	struct ctx	 c;
	struct cferrs	 errs;
	size_t		 i;

	memset(&c, 0, sizeof(c));
	c.conffile = conffile;
	c.rundir = rundir;
	cferrs_init(&errs);
	if (access(conffile, R_OK) == -1 && errno == ENOENT &&
	    kind == CHECK_STATUS)
		return (0);	/* -s without a configuration: daemons only */
	if (access(conffile, R_OK) == -1) {
		res(&c, FAIL, "config", errno == EACCES ? "run it as root" :
		    "cp /etc/topsh/topsh.conf.sample /etc/topsh/topsh.conf",
		    "%s: %s", conffile, strerror(errno));
	} else if (config_load(conffile, NULL, &c.conf, &errs) == -1)
		c.conf = NULL;
	cferrs_free(&errs);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (!(checks[i].kinds & kind))
			continue;
		if (checks[i].needconf && c.conf == NULL)
			continue;
		if (!checks[i].needconf && access(conffile, R_OK) == -1)
			continue;
		checks[i].fn(&c);
	}
	if (c.conf != NULL)
		config_free(c.conf);
	json_decref(c.info);
	return (c.fails);
}

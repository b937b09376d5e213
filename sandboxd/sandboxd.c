/*
 * sandboxd.c - sandboxd(8) main: the peer table, the daemon's hooks
 * (start-up, confinement, reload, status) and policyd's replies.
 * gatewayd's requests are in requests.c, topshctl's in control.c.
 */
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "confine.h"
#include "daemon.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "sandboxd.h"
#include "topsh.h"
#include "privdrop.h"
#include "userlimit.h"

struct sbx		 sbx;
static struct portpool	 portpool;
static struct event	*reap_ev;

static int	dispatch_policyd(struct peer *, struct imsg *);
static int	sandboxd_check(struct topsh_conf *, int);
static int	sandboxd_init(struct topsh_conf *, struct event_base *);
static const char *sandboxd_keep_group(struct topsh_conf *);
static int	sandboxd_confine(struct topsh_conf *);
static int	sandboxd_start(struct event_base *);
static int	sandboxd_reload(struct topsh_conf *, struct topsh_conf *,
		    char *, size_t);
static void	sandboxd_shutdown(void);
static void	sandboxd_status(json_t *);
static void	sandboxd_peer_down(struct peer *);

static const struct proc_accept accepts[] = {
	{ PROC_GATEWAYD, sbx_dispatch_gateway, 8 * 1024 * 1024 },
	{ PROC_NONE, NULL, 0 }
};

static const struct proc_connect connects[] = {
	{ PROC_POLICYD, dispatch_policyd, POLICY_MAXSIZE },
	{ PROC_NONE, NULL, 0 }
};

static const struct daemon_def def = {
	.name = "sandboxd",
	.id = PROC_SANDBOXD,
	.proc = {
		.accepts = accepts,
		.connects = connects,
		.control = sbx_dispatch_control,
		.status = sandboxd_status,
		.peer_down = sandboxd_peer_down,
	},
	.check = sandboxd_check,
	.init = sandboxd_init,
	.keep_group = sandboxd_keep_group,
	.confine = sandboxd_confine,
	.start = sandboxd_start,
	.reload = sandboxd_reload,
	.shutdown = sandboxd_shutdown,
};
static int
dispatch_policyd(struct peer *p, struct imsg *imsg)
{
	json_t	*o;
	int	 fd, r;

	if ((fd = imsg_get_fd(imsg)) != -1)
		close(fd);
	if (imsg_get_type(imsg) != IMSG_POLICY_RESULT) {
		log_warnx("policyd: unexpected message type %u",
		    imsg_get_type(imsg));
		return (-1);
	}
	if ((o = imsg_get_json(imsg)) == NULL) {
		log_warnx("policyd: malformed result");
		sbx_policy_result(imsg_get_id(imsg), NULL);
		return (-1);
	}
	r = sbx_policy_result(imsg_get_id(imsg), o);
	json_decref(o);
	return (r == -1 ? -1 : 0);
}

static void
sandboxd_peer_down(struct peer *p)
{
	if (p->id == PROC_POLICYD) {
		log_warnx("policyd went away: commands and file operations "
		    "are refused until it is back");
		sbx_policy_down();
	}
}

static void
sandboxd_status(json_t *o)
{
	struct box	*b;
	int		 n = 0, running = 0;

	RB_FOREACH(b, boxtree, &boxes) {
		if (b->user < 0)
			continue;	/* the warm pool's: below */
		if (b->id[0] != '\0')
			n++;
		if (b->state == BOX_RUNNING)
			running++;
	}
	json_object_set_new(o, "docker", json_string(docker_is_up() ?
	    "up" : "down"));
	if (docker_is_up())
		json_object_set_new(o, "engine",
		    json_string(docker_version()));
	else
		json_object_set_new(o, "docker_error",
		    json_string(docker_lasterr()));
	runtime_status(o);
	sbx_runner_status(o);
	json_object_set_new(o, "containers", json_integer(n));
	json_object_set_new(o, "running", json_integer(running));
	warm_status(o);
	json_object_set_new(o, "quota", json_boolean(sbx.quota));
	json_object_set_new(o, "max_containers", json_integer(box_max()));
	json_object_set_new(o, "waiting_for_sandbox", json_integer(
	    box_line_length()));
	json_object_set_new(o, "uids", json_string(sbx.peruser ? "per-user" :
	    "shared"));
}

/* the engine is (back) up: learn its runtimes from info, then adopt */
static void
sandboxd_engine_up(json_t *info)
{
	image_probe(topsh_conf->sandbox.image);
	runtime_resolve(info);
	box_max_note();
	box_adopt();
	box_create_queued();
}

/* --- hooks ----------------------------------------------------------- */

static uint32_t
hash_str(const char *s)
{
	uint32_t	h = 2166136261U;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619U;
	return (h);
}

static const char *const user_limit_keys[] = { "memory", "cpus",
	"disk-quota", "pids", NULL };

/* -n: what the keyword table cannot say alone */
static int
sandboxd_check(struct topsh_conf *conf, int verbose)
{
	const struct conf_sandbox	*c = &conf->sandbox;
	char				 err[512];
	uint32_t			 base, nsub;
	int				 bad = 0;

	if (c->workspace_root[0] != '/') {
		fprintf(stderr, "sandbox: workspace-root must be absolute\n");
		bad = 1;
	}
	if (c->image[0] == '\0' || c->network[0] == '\0') {
		fprintf(stderr, "sandbox: image and network must not be "
		    "empty\n");
		bad = 1;
	}
	if (c->network[0] != '\0' && strcmp(c->network, "none") != 0 &&
	    strcmp(c->network, SBX_NET_PER_USER) != 0) {
		fprintf(stderr, "sandbox: network \"%s\": containers on a "
		    "shared network reach each other; use none or %s\n",
		    c->network, SBX_NET_PER_USER);
		bad = 1;
	}
	if (sbx_net_pool(c->network_pool, &base, &nsub) == -1) {
		fprintf(stderr, "sandbox: network-pool \"%s\" must be an "
		    "IPv4 network A.B.C.D/N with N from 8 to 29\n",
		    c->network_pool);
		bad = 1;
	}
	if (c->ports_per_user > 0 && c->port_range[1] - c->port_range[0] +
	    1 < c->ports_per_user) {
		fprintf(stderr, "sandbox: port-range %d:%d is smaller than "
		    "ports-per-user %lld\n", c->port_range[0],
		    c->port_range[1], c->ports_per_user);
		bad = 1;
	}
	if (c->disk_quota > 0 && c->disk_quota < 8LL * 1024 * 1024) {
		fprintf(stderr, "sandbox: disk-quota below 8M cannot hold an "
		    "ext4 file system\n");
		bad = 1;
	}
	if (userlimit_check(&c->user_limits, user_limit_keys, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "sandbox: %s\n", err);
		bad = 1;
	}
	return (bad ? -1 : 0);
}

static int
sandboxd_init(struct topsh_conf *conf, struct event_base *base)
{
	const struct conf_sandbox	*c = &conf->sandbox;
	struct passwd			*pw;
	char				 path[PATH_MAX];
	uid_t				 uid;

	if (sandboxd_check(conf, 0) == -1)
		return (-1);
	if (strlcpy(sbx.root, c->workspace_root, sizeof(sbx.root)) >=
	    sizeof(sbx.root))
		return (-1);
	snprintf(sbx.prefix, sizeof(sbx.prefix), "topsh-%08x",
	    hash_str(sbx.root));
	/* the user inside the containers: ours unless configured */
	uid = c->container_uid > 0 ? (uid_t)c->container_uid :
	    daemon_uid(PROC_SANDBOXD);
	if (uid == 0)
		uid = 65534;
	sbx.cuid = uid;
	sbx.cgid = (pw = getpwuid(uid)) != NULL ? pw->pw_gid : (gid_t)uid;
	/*
	 * Root: each user gets an own uid from uid-range (unless one
	 * container-uid is configured), and sandboxd keeps the three
	 * capabilities it needs to create files for that uid in the
	 * workspaces: CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE.
	 */
	if (daemon_privileged() && c->container_uid == 0) {
		uid_t	 av[4];

		av[0] = daemon_uid(PROC_SANDBOXD);
		av[1] = daemon_uid(PROC_GATEWAYD);
		av[2] = daemon_uid(PROC_PROXYD);
		av[3] = daemon_uid(PROC_POLICYD);
		snprintf(path, sizeof(path), "%s", daemon_statedir());
		if (sbx_uids_init((uid_t)c->uid_range[0],
		    (uid_t)c->uid_range[1], av, 4, path) == -1) {
			log_warnx("cannot load %s/uids", path);
			return (-1);
		}
		sbx.peruser = 1;
		sbx.userns_offset = (uid_t)c->userns_offset;
	}
	if (daemon_privileged()) {
		sbx.can_chown = 1;
		privdrop_keepcaps((1ULL << CAP_CHOWN) | (1ULL << CAP_FOWNER) |
		    (1ULL << CAP_DAC_OVERRIDE));
	}
	if (daemon_privileged()) {
		sbx.quota = c->disk_quota > 0;
		if (sbx_priv_start(sbx.root, c->disk_quota, sbx.cuid,
		    sbx.cgid, sbx.peruser ? (uid_t)c->uid_range[0] +
		    sbx.userns_offset : 0, sbx.peruser ? (uid_t)c->uid_range[1] +
		    sbx.userns_offset : 0) == -1) {
			log_warn("cannot start the workspace helper");
			return (-1);
		}
	} else {
		if (c->disk_quota > 0)
			log_warnx("not root: workspaces are plain directories "
			    "without the %lld byte disk-quota", c->disk_quota);
		if (mkdir(sbx.root, 0755) == -1 && errno != EEXIST) {
			log_warn("mkdir %s", sbx.root);
			return (-1);
		}
	}
	sbx_runner_init();
	box_max_init();
	snprintf(path, sizeof(path), "%s/ports", daemon_statedir());
	if (sbx_ports_init(&portpool, c->port_range[0], c->port_range[1],
	    (int)c->ports_per_user, path) == -1) {
		log_warnx("cannot load %s", path);
		return (-1);
	}
	sbx.ports = &portpool;
	if (strcmp(c->network, "none") == 0 && sbx_hosts_write(
	    daemon_statedir(), sbx.hosts, sizeof(sbx.hosts)) == -1) {
		log_warn("cannot write %s", sbx.hosts);
		return (-1);
	}
	if (sbx.peruser)
		log_info("containers run as each user's own uid from %d:%d, "
		    "image %s; workspaces in %s%s", c->uid_range[0],
		    c->uid_range[1], c->image, sbx.root, sbx.quota ?
		    " (quota)" : "");
	else
		log_info("containers run as %u:%u from image %s; workspaces in "
		    "%s%s", (unsigned)sbx.cuid, (unsigned)sbx.cgid, c->image,
		    sbx.root, sbx.quota ? " (quota)" : "");
	if (strcmp(c->network, SBX_NET_PER_USER) == 0 && !daemon_privileged())
		log_warnx("network per-user without root: users' bridges "
		    "keep forwarding, so isolation relies on the engine's "
		    "iptables rules");
	return (0);
}

static const char *
sandboxd_keep_group(struct topsh_conf *conf)
{
	return (conf->sandbox.docker_group);
}

static int
sandboxd_confine(struct topsh_conf *conf)
{
	struct confine_path	paths[] = {
		{ sbx.root, CONFINE_R | CONFINE_W | CONFINE_C },
		{ daemon_statedir(), CONFINE_R | CONFINE_W | CONFINE_C },
	};

	if (daemon_landlock(paths, sizeof(paths) / sizeof(paths[0]),
	    0) == -1)
		return (-1);
	return (confine_seccomp(CONFINE_FILES, NULL));
}

static void
reap_cb(int fd, short ev, void *arg)
{
	box_reap();
	warm_refill();
}

static int
sandboxd_start(struct event_base *base)
{
	struct timeval	tv;
	long long	idle = topsh_conf->sandbox.idle_timeout;

	if (sbx_pool_init(base) == -1) {
		log_warn("cannot start the file workers");
		return (-1);
	}
	if (box_line_init(base) == -1)
		return (-1);
	warm_init();
	if (docker_init(base, topsh_conf->sandbox.docker_socket,
	    sandboxd_engine_up) == -1) {
		log_warnx("cannot set up the Docker client");
		return (-1);
	}
	tv.tv_sec = idle / 4 < 30 ? (idle / 4 > 0 ? idle / 4 : 1) : 30;
	tv.tv_usec = 0;
	if ((reap_ev = event_new(base, -1, EV_PERSIST, reap_cb, NULL)) ==
	    NULL || event_add(reap_ev, &tv) == -1)
		return (-1);
	return (0);
}

static int
sandboxd_reload(struct topsh_conf *old, struct topsh_conf *new,
    char *err, size_t errlen)
{
	if (strcmp(old->sandbox.workspace_root, new->sandbox.workspace_root)
	    != 0 || strcmp(old->sandbox.docker_socket,
	    new->sandbox.docker_socket) != 0 || old->sandbox.disk_quota !=
	    new->sandbox.disk_quota || old->sandbox.port_range[0] !=
	    new->sandbox.port_range[0] || old->sandbox.port_range[1] !=
	    new->sandbox.port_range[1] || old->sandbox.ports_per_user !=
	    new->sandbox.ports_per_user || old->sandbox.container_uid !=
	    new->sandbox.container_uid || old->sandbox.uid_range[0] !=
	    new->sandbox.uid_range[0] || old->sandbox.uid_range[1] !=
	    new->sandbox.uid_range[1] || old->sandbox.userns_offset !=
	    new->sandbox.userns_offset) {
		snprintf(err, errlen, "workspace-root, docker-socket, "
		    "disk-quota, port-range, ports-per-user, container-uid, "
		    "uid-range and userns-offset need a restart");
		return (-1);
	}
	if (strcmp(old->sandbox.image, new->sandbox.image) != 0)
		image_probe(new->sandbox.image);
	/* the warm pool's containers were made with the old settings */
	if (strcmp(old->sandbox.image, new->sandbox.image) != 0 ||
	    strcmp(old->sandbox.runtime, new->sandbox.runtime) != 0 ||
	    strcmp(old->sandbox.network, new->sandbox.network) != 0 ||
	    old->sandbox.memory != new->sandbox.memory ||
	    old->sandbox.cpus != new->sandbox.cpus ||
	    old->sandbox.pids != new->sandbox.pids ||
	    old->sandbox.tmpfs_size != new->sandbox.tmpfs_size)
		warm_drop_all("the configuration changed");
	else if (old->sandbox.warm_pool != new->sandbox.warm_pool)
		warm_refill();
	/* limits apply to containers created from now on */
	return (0);
}

static void
sandboxd_shutdown(void)
{
	if (reap_ev != NULL)
		event_free(reap_ev);
	reap_ev = NULL;
	warm_shutdown();
	sbx_pool_shutdown();
	docker_shutdown();
	sbx_ports_free(&portpool);
}

int
main(int argc, char *argv[])
{
	return (daemon_main(argc, argv, &def));
}

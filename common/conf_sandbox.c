/*
 * conf_sandbox.c - the sandbox { } section of topsh.conf(5).
 * Keep the table sorted by name: config.c searches it with bsearch(3).
 */
#include <stddef.h>

#include "config.h"

#define K(n, t, f, lo, hi, d) \
	{ n, t, offsetof(struct conf_sandbox, f), lo, hi, d, NULL }
#define KW(n, t, f, lo, hi, d, w) \
	{ n, t, offsetof(struct conf_sandbox, f), lo, hi, d, w }

/* max-containers auto: derived from the host's memory (sandboxd) */
static const char *const auto_word[] = { "auto", NULL };

static const struct cfkey keys[] = {
	K("container-uid", CF_INT, container_uid, 0, 2147483647, "0"),
	K("cpus", CF_DOUBLE, cpus, 0, 64, "0.5"),
	K("disk-quota", CF_SIZE, disk_quota, 0, 1LL << 50, "1G"),
	K("docker-group", CF_STRING, docker_group, 0, 0, "docker"),
	K("docker-socket", CF_PATH, docker_socket, 0, 0,
	    "/var/run/docker.sock"),
	K("exec-timeout", CF_TIME, exec_timeout, 1, 86400, "120s"),
	K("idle-timeout", CF_TIME, idle_timeout, 5, 7 * 86400, "60m"),
	K("image", CF_STRING, image, 0, 0, "topsh-sandbox:latest"),
	KW("max-containers", CF_INT, max_containers, 0, 100000, "auto",
	    auto_word),
	K("max-creating", CF_INT, max_creating, 1, 1000, "8"),
	K("max-file-size", CF_SIZE, max_file_size, 1024, 1LL << 40, "100M"),
	K("memory", CF_SIZE, memory, 16LL << 20, 1LL << 40, "512M"),
	K("network", CF_STRING, network, 0, 0, "none"),
	K("network-pool", CF_STRING, network_pool, 0, 0, "10.213.0.0/16"),
	K("output-cap", CF_SIZE, output_cap, 1024, 1LL << 20, "64K"),
	K("pids", CF_INT, pids, 10, 1000000, "100"),
	K("port-bind", CF_ADDR, port_bind, 0, 0, "127.0.0.1"),
	K("port-range", CF_PORTRANGE, port_range, 1024, 65535,
	    "20000:29999"),
	K("ports-per-user", CF_INT, ports_per_user, 0, 1000, "10"),
	K("runtime", CF_STRING, runtime, 0, 0, "auto"),
	K("tmpfs-size", CF_SIZE, tmpfs_size, 1LL << 20, 1LL << 40, "64M"),
	K("uid-range", CF_PORTRANGE, uid_range, 1, 2147483647,
	    "1000000:1999999"),
	K("user", CF_STRING, user, 0, 0, "topsh-sandbox"),
	K("user-limits", CF_STRLIST, user_limits, 0, 0, NULL),
	K("userns-offset", CF_INT, userns_offset, 0, 2147483647, "0"),
	K("warm-pool", CF_INT, warm_pool, 0, 100, "2"),
	K("workspace-root", CF_PATH, workspace_root, CF_PATH_NOTROOT, 0,
	    "/var/lib/topsh/workspaces"),
};

const struct cfsection conf_sandbox_section = {
	"sandbox", keys, sizeof(keys) / sizeof(keys[0]),
	offsetof(struct topsh_conf, sandbox)
};

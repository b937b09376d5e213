/*
 * net.c - a network of its own for each user's container.
 *
 * Containers on one shared network reach each other: one user's httpd
 * serves another user's wget.  With "network per-user" every user's
 * container is the only member of a bridge network of its own,
 * PREFIX-net-USER, with a /29 from network-pool, the bridge named
 * tsbHASH (a hash of the installation's prefix and the user), and the
 * engine's options for no traffic between containers and no
 * masquerading.  That isolates users where the engine manages iptables
 * (its rules drop traffic between bridge networks).  Where it does not
 * (dockerd --iptables=false), the host would still route between the
 * bridges, so the privileged helper also turns IPv4 forwarding off on
 * each user's bridge: a packet that comes in on it is delivered to the
 * host or dropped, never forwarded to another bridge.  The host itself
 * still reaches the container (published ports go through the engine's
 * userland proxy) and the container still reaches the host's addresses
 * (proxyd's egress proxy), both without forwarding.
 */
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "sandboxd.h"
#include "topsh.h"

#define NET_PREFIXLEN	29	/* a user's subnet */
#define NET_TRIES	64	/* subnets tried when one is taken */

struct netctx {
	struct box	*box;
	void		(*cb)(struct box *, const char *, void *);
	void		*arg;
	uint32_t	 base;		/* network-pool, host order */
	uint32_t	 nsub;		/* /29s in it */
	uint32_t	 idx;
	int		 tries;
};

int
sbx_net_per_user(void)
{
	return (strcmp(topsh_conf->sandbox.network, SBX_NET_PER_USER) == 0);
}

/* "A.B.C.D/N" with N at most 29: the base and the number of /29s */
int
sbx_net_pool(const char *s, uint32_t *base, uint32_t *nsub)
{
	char		 buf[64], *slash;
	const char	*errstr;
	struct in_addr	 a;
	long long	 n;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf) ||
	    (slash = strchr(buf, '/')) == NULL)
		return (-1);
	*slash++ = '\0';
	n = strtonum(slash, 8, NET_PREFIXLEN, &errstr);
	if (errstr != NULL || inet_pton(AF_INET, buf, &a) != 1)
		return (-1);
	*base = ntohl(a.s_addr) & ~((1U << (32 - n)) - 1);
	*nsub = 1U << (NET_PREFIXLEN - n);
	return (0);
}

static uint64_t
net_hash(int64_t user)
{
	uint64_t	 h = 14695981039346656037ULL;
	char		 buf[64];
	const char	*s;

	snprintf(buf, sizeof(buf), "%s:%" PRId64, sbx.prefix, user);
	for (s = buf; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

const char *
sbx_net_name(int64_t user, char *buf, size_t len)
{
	snprintf(buf, len, "%s-net-%" PRId64, sbx.prefix, user);
	return (buf);
}

/* the host side of the user's bridge: at most 15 characters */
const char *
sbx_net_bridge(int64_t user, char *buf, size_t len)
{
	snprintf(buf, len, "tsb%012" PRIx64, (uint64_t)(net_hash(user) &
	    0xffffffffffffULL));
	return (buf);
}

/* in the privileged helper: no IPv4 forwarding from the user's bridge */
int
sbx_net_noforward(int64_t user, struct fserr *e)
{
	char	br[32], path[128];
	int	fd;

	sbx_net_bridge(user, br, sizeof(br));
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
	    br);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return (sbx_fserr_errno(e, errno, path));
	if (write(fd, "0\n", 2) != 2) {
		sbx_fserr_errno(e, errno, path);
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

static void	net_create(struct netctx *);

static void
net_created(const struct dresp *r, void *arg)
{
	struct netctx	*nc = arg;
	const char	*err;

	/* 409: made by an earlier run, or a moment ago: ours to use */
	if (r->status == 201 || r->status == 409) {
		nc->cb(nc->box, NULL, nc->arg);
		free(nc);
		return;
	}
	/* the subnet is taken (by another user or anything else) */
	if (!r->unavailable && r->status >= 400 && r->status < 500 &&
	    ++nc->tries < NET_TRIES && nc->tries < (int)nc->nsub) {
		nc->idx = (nc->idx + 1) % nc->nsub;
		net_create(nc);
		return;
	}
	err = r->unavailable ? "the Docker engine is unreachable" :
	    r->err != NULL ? r->err : "cannot create the user's network";
	log_warnx("user %" PRId64 ": network: %s", nc->box->user, err);
	nc->cb(nc->box, err, nc->arg);
	free(nc);
}

static void
net_create(struct netctx *nc)
{
	char		 name[96], br[32], subnet[32], uid[32];
	struct in_addr	 a;
	struct dresp	 r;
	json_t		*body;

	a.s_addr = htonl(nc->base + (nc->idx << (32 - NET_PREFIXLEN)));
	inet_ntop(AF_INET, &a, subnet, sizeof(subnet));
	snprintf(subnet + strlen(subnet), sizeof(subnet) - strlen(subnet),
	    "/%d", NET_PREFIXLEN);
	snprintf(uid, sizeof(uid), "%" PRId64, nc->box->user);
	body = json_pack("{s:s, s:s, s:b, s:b, s:b, s:{s:s, s:[{s:s}]}, "
	    "s:{s:s, s:s, s:s}, s:{s:s, s:s}}",
	    "Name", sbx_net_name(nc->box->user, name, sizeof(name)),
	    "Driver", "bridge",
	    "CheckDuplicate", 1,
	    "Internal", 0,
	    "EnableIPv6", 0,
	    "IPAM", "Driver", "default", "Config", "Subnet", subnet,
	    "Options",
	    "com.docker.network.bridge.name", sbx_net_bridge(nc->box->user,
	    br, sizeof(br)),
	    "com.docker.network.bridge.enable_icc", "false",
	    "com.docker.network.bridge.enable_ip_masquerade", "false",
	    "Labels", "topsh.root", sbx.root, "topsh.user", uid);
	if (body == NULL || docker_call("POST", "/networks/create", body,
	    30000, net_created, nc) == NULL) {
		memset(&r, 0, sizeof(r));
		r.status = 500;
		r.err = "cannot start a request";
		nc->tries = NET_TRIES;
		json_decref(body);
		net_created(&r, nc);
		return;
	}
	json_decref(body);
}

/*
 * The user's network exists: cb(box, NULL, arg), or cb(box, error,
 * arg); maybe before this returns.
 */
void
sbx_net_ensure(struct box *b, void (*cb)(struct box *, const char *,
    void *), void *arg)
{
	struct netctx	*nc;

	if ((nc = calloc(1, sizeof(*nc))) == NULL ||
	    sbx_net_pool(topsh_conf->sandbox.network_pool, &nc->base,
	    &nc->nsub) == -1) {
		free(nc);
		cb(b, "bad network-pool", arg);
		return;
	}
	nc->box = b;
	nc->cb = cb;
	nc->arg = arg;
	nc->idx = (uint32_t)(net_hash(b->user) % nc->nsub);
	net_create(nc);
}

/*
 * The user's bridge forwards nothing (with the privileged helper; the
 * engine's iptables rules otherwise).  -1 with e when it could not be
 * made so: the container must not start.
 */
int
sbx_net_seal(struct box *b, struct fserr *e)
{
	if (!sbx_priv_active())
		return (0);
	return (sbx_priv_call(PRIV_NOFORWARD, b->user, e));
}

static void
net_removed(const struct dresp *r, void *arg)
{
	int64_t	*user = arg;

	if (r->status != 204 && r->status != 404)
		log_warnx("user %" PRId64 ": cannot remove the network: %s",
		    *user, r->err != NULL ? r->err : "unexpected reply");
	free(user);
}

/* the user's container is gone: so goes its network */
void
sbx_net_remove(int64_t user)
{
	char	 name[96], path[160];
	int64_t	*u;

	if ((u = malloc(sizeof(*u))) == NULL)
		return;
	*u = user;
	snprintf(path, sizeof(path), "/networks/%s", sbx_net_name(user, name,
	    sizeof(name)));
	if (docker_call("DELETE", path, NULL, 30000, net_removed, u) == NULL)
		free(u);
}

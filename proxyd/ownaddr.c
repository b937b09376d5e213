/*
 * ownaddr.c - the host's own addresses, learnt through netlink
 * (RTM_GETLINK, RTM_GETADDR), so that fetch_page and the egress proxy never
 * connect to the machine they run on by one of its public or private
 * interface addresses (an SSRF to the host's own services).  Loopback
 * interfaces are left to the network rules (net-loopback), which an
 * operator may loosen for a local service.  The list is read again
 * when it is older than OWNADDR_TTL seconds, so an address the host
 * gains later is refused too.  When the list cannot be read, every
 * address counts as the host's own: the check fails closed.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proxyd.h"

#define OWNADDR_TTL	5
#define OWNADDR_MAX	128

struct own {
	int		 af;
	uint8_t		 addr[16];
};
static struct own	 owns[OWNADDR_MAX];
static size_t		 nowns;
static time_t		 read_at;	/* monotonic; 0: never */
static int		 read_ok;

static time_t
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static void
own_add(int af, const void *addr)
{
	struct own	*o;

	if (nowns >= OWNADDR_MAX)
		return;
	o = &owns[nowns++];
	memset(o, 0, sizeof(*o));
	o->af = af;
	memcpy(o->addr, addr, af == AF_INET ? 4 : 16);
}

/* the interfaces that are loopback ones, by index: RTM_GETLINK */
static int
nl_dump(int s, int type, uint32_t seq)
{
	struct {
		struct nlmsghdr	nh;
		struct rtgenmsg	g;
	} req;
	struct sockaddr_nl	 sa;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = seq;
	req.g.rtgen_family = AF_UNSPEC;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	return (sendto(s, &req, sizeof(req), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == (ssize_t)sizeof(req) ? 0 : -1);
}

/*
 * Read one dump's answers; for RTM_GETLINK mark loopback interfaces in
 * lo[] (by index), for RTM_GETADDR add the addresses of the others.
 * 0 at NLMSG_DONE, -1 on error.
 */
static int
nl_read(int s, uint32_t seq, uint8_t *lo, size_t nlo)
{
	static uint8_t		 buf[16384];
	struct nlmsghdr		*nh;
	struct ifinfomsg	*ifi;
	struct ifaddrmsg	*ifa;
	struct rtattr		*rta;
	ssize_t			 n;
	int			 len;

	for (;;) {
		if ((n = recv(s, buf, sizeof(buf), 0)) <= 0)
			return (-1);
		for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, n);
		    nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				return (0);
			if (nh->nlmsg_type == NLMSG_ERROR)
				return (-1);
			if (nh->nlmsg_type == RTM_NEWLINK) {
				ifi = NLMSG_DATA(nh);
				if ((ifi->ifi_flags & IFF_LOOPBACK) &&
				    ifi->ifi_index >= 0 &&
				    (size_t)ifi->ifi_index < nlo)
					lo[ifi->ifi_index] = 1;
				continue;
			}
			if (nh->nlmsg_type != RTM_NEWADDR)
				continue;
			ifa = NLMSG_DATA(nh);
			if (ifa->ifa_index < nlo && lo[ifa->ifa_index])
				continue;
			if (ifa->ifa_family != AF_INET &&
			    ifa->ifa_family != AF_INET6)
				continue;
			len = IFA_PAYLOAD(nh);
			for (rta = IFA_RTA(ifa); RTA_OK(rta, len);
			    rta = RTA_NEXT(rta, len))
				if ((rta->rta_type == IFA_ADDRESS ||
				    rta->rta_type == IFA_LOCAL) &&
				    RTA_PAYLOAD(rta) >= (ifa->ifa_family ==
				    AF_INET ? 4u : 16u))
					own_add(ifa->ifa_family,
					    RTA_DATA(rta));
		}
	}
}

/*
 * The addresses of every non-loopback interface, asked of the kernel
 * over a netlink socket (no bind(2): the kernel binds it on the first
 * send, and the confined egress worker may not bind).
 */
static void
own_read(void)
{
	static uint32_t	 seq;
	static int	 tried;
	uint8_t		 lo[4096];
	int		 s, ok = 0;

	read_at = mono();
	nowns = 0;
	memset(lo, 0, sizeof(lo));
	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) != -1) {
		ok = nl_dump(s, RTM_GETLINK, ++seq) == 0 &&
		    nl_read(s, seq, lo, sizeof(lo)) == 0 &&
		    nl_dump(s, RTM_GETADDR, ++seq) == 0 &&
		    nl_read(s, seq, lo, sizeof(lo)) == 0;
		close(s);
	}
	if (!ok) {
		if (read_ok || !tried)
			log_warn("netlink: the host's own addresses are "
			    "unknown; every destination is refused");
		read_ok = 0;
		tried = 1;
		nowns = 0;
		return;
	}
	read_ok = 1;
	tried = 1;
}

/*
 * 1 when addr (numeric text, IPv4-mapped IPv6 too) is one of the host's
 * own non-loopback addresses, or when they cannot be learnt.
 */
int
ownaddr_is(const char *addr)
{
	struct own	 a;
	size_t		 i;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (read_at == 0 || mono() - read_at >= OWNADDR_TTL)
		own_read();
	if (!read_ok)
		return (1);
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, addr, a.addr) == 1)
		a.af = AF_INET;
	else if (inet_pton(AF_INET6, addr, a.addr) == 1) {
		a.af = AF_INET6;
		if (memcmp(a.addr, mapped, 12) == 0) {
			memmove(a.addr, a.addr + 12, 4);
			memset(a.addr + 4, 0, 12);
			a.af = AF_INET;
		}
	} else
		return (0);
	for (i = 0; i < nowns; i++)
		if (owns[i].af == a.af && memcmp(owns[i].addr, a.addr,
		    a.af == AF_INET ? 4 : 16) == 0)
			return (1);
	return (0);
}

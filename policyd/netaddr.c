/*
 * netaddr.c - addresses for network rules: CIDR prefixes, IP literals
 * in every spelling a resolver or a URL parser accepts (IPv4-mapped and
 * NAT64 IPv6, 127.1, 0x7f000001, 2130706433, [::1], fe80::1%eth0), host
 * names lower-cased without their trailing dot, and port lists.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static const uint8_t mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};
static const uint8_t nat64_prefix[12] = {
	0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0
};
static const uint8_t zero12[12];

/* an IPv6 address that carries an IPv4 one becomes that IPv4 address */
static void
ip_unmap(struct cidr *c)
{
	int	embedded = 0;

	if (c->af != AF_INET6 || c->bits < 96)
		return;
	if (memcmp(c->addr, mapped_prefix, 12) == 0 ||
	    memcmp(c->addr, nat64_prefix, 12) == 0)
		embedded = 1;
	/* deprecated IPv4-compatible ::a.b.c.d, but not :: or ::1 */
	else if (memcmp(c->addr, zero12, 12) == 0 && c->bits == 128 &&
	    (c->addr[12] | c->addr[13] | c->addr[14]) != 0)
		embedded = 1;
	if (!embedded)
		return;
	memmove(c->addr, c->addr + 12, 4);
	memset(c->addr + 4, 0, 12);
	c->af = AF_INET;
	c->bits -= 96;
}

static void
cidr_mask(struct cidr *c)
{
	int	i, max = c->af == AF_INET ? 4 : 16, bits = c->bits;

	for (i = 0; i < max; i++) {
		if (bits >= 8)
			bits -= 8;
		else {
			c->addr[i] &= (uint8_t)(0xff << (8 - bits));
			bits = 0;
		}
	}
}

/* digits, dots and hex only: what inet_aton(3) may take for IPv4 */
static int
ipv4_lenient(const char *s, struct cidr *c)
{
	struct in_addr	 in;
	const char	*p;

	if (!isdigit((unsigned char)*s))
		return (-1);
	for (p = s; *p != '\0'; p++)
		if (!isxdigit((unsigned char)*p) && *p != '.' && *p != 'x' &&
		    *p != 'X')
			return (-1);
	if (inet_aton(s, &in) == 0)
		return (-1);
	memset(c, 0, sizeof(*c));
	c->af = AF_INET;
	memcpy(c->addr, &in, 4);
	c->bits = 32;
	return (0);
}

int
pol_ip_parse(const char *s, struct cidr *c)
{
	char	 buf[INET6_ADDRSTRLEN + 32], *p;
	size_t	 len = strlen(s);

	if (len >= sizeof(buf) || len == 0)
		return (-1);
	if (s[0] == '[' && s[len - 1] == ']') {
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
	} else
		memcpy(buf, s, len + 1);
	if ((p = strchr(buf, '%')) != NULL)
		*p = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->af = AF_INET6;
		c->bits = 128;
		ip_unmap(c);
		return (0);
	}
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->af = AF_INET;
		c->bits = 32;
		return (0);
	}
	return (ipv4_lenient(buf, c));
}

int
pol_cidr_parse(const char *s, struct cidr *c)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash;
	const char	*errstr;
	long long	 bits = -1;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return (-1);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		bits = strtonum(slash, 0, 128, &errstr);
		if (errstr != NULL)
			return (-1);
	}
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->af = AF_INET;
		if (bits > 32)
			return (-1);
		c->bits = bits == -1 ? 32 : (int)bits;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->af = AF_INET6;
		c->bits = bits == -1 ? 128 : (int)bits;
		ip_unmap(c);
	} else
		return (-1);
	cidr_mask(c);
	return (0);
}

int
pol_cidr_match(const struct cidr *net, const struct cidr *ip)
{
	int	full, rest;

	if (net->af != ip->af)
		return (0);
	full = net->bits / 8;
	rest = net->bits % 8;
	if (memcmp(net->addr, ip->addr, full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	return ((ip->addr[full] & (uint8_t)(0xff << (8 - rest))) ==
	    net->addr[full]);
}

int
pol_host_normalise(const char *in, char *out, size_t outlen)
{
	size_t	len = strlen(in), i;

	if (len > 0 && in[0] == '[' && in[len - 1] == ']') {
		in++;
		len -= 2;
	}
	while (len > 0 && in[len - 1] == '.')
		len--;
	if (len >= outlen)
		return (-1);
	for (i = 0; i < len; i++) {
		if (!isgraph((unsigned char)in[i]) || in[i] == '/')
			return (-1);
		out[i] = tolower((unsigned char)in[i]);
	}
	out[len] = '\0';
	return (0);
}

/* 80  80,443  6000-6100  1:1024 */
int
pol_ports_parse(const char *s, struct portrange *pr, int *n)
{
	char		 buf[128], *p, *next, *sep;
	const char	*errstr;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return (-1);
	*n = 0;
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		if (*n >= RULE_MAXPORTS)
			return (-1);
		if ((sep = strpbrk(p, "-:")) != NULL)
			*sep++ = '\0';
		pr[*n].lo = strtonum(p, 1, 65535, &errstr);
		if (errstr != NULL)
			return (-1);
		pr[*n].hi = pr[*n].lo;
		if (sep != NULL) {
			pr[*n].hi = strtonum(sep, pr[*n].lo, 65535, &errstr);
			if (errstr != NULL)
				return (-1);
		}
		(*n)++;
	}
	return (0);
}

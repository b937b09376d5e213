/*
 * netaddr.c - what host does a URL really name?
 *
 * Before a destination is checked with policyd, its host is normalised
 * the way a resolver or a browser would read it, so that no spelling
 * slips past a rule written for the canonical form: every numeric IPv4
 * form inet_aton(3) accepts (2130706433, 0x7f000001, 0177.0.0.1,
 * 127.1), IPv6 literals with or without brackets, and IPv6 addresses
 * that carry an IPv4 address (::ffff:a.b.c.d mapped, ::a.b.c.d
 * compatible, 64:ff9b::/96 NAT64) which are checked as that IPv4
 * address.  A host name is lower-cased and loses one trailing dot; a
 * name whose last label is numeric, or with characters outside
 * [a-z0-9.-_], is refused.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "proxyd.h"

static int
v6_embedded_v4(const struct in6_addr *a6, struct in_addr *a4)
{
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char zero[12];

	if (IN6_IS_ADDR_V4MAPPED(a6) ||
	    memcmp(a6->s6_addr, nat64, 12) == 0 ||
	    (memcmp(a6->s6_addr, zero, 12) == 0 &&
	    !IN6_IS_ADDR_UNSPECIFIED(a6) && !IN6_IS_ADDR_LOOPBACK(a6))) {
		memcpy(&a4->s_addr, a6->s6_addr + 12, 4);
		return (1);
	}
	return (0);
}

static int
last_label_numeric(const char *h)
{
	const char	*l;

	if ((l = strrchr(h, '.')) == NULL)
		l = h;
	else
		l++;
	if (*l == '\0')
		return (0);
	if (l[0] == '0' && (l[1] == 'x' || l[1] == 'X'))
		return (1);
	for (; *l != '\0'; l++)
		if (!isdigit((unsigned char)*l))
			return (0);
	return (1);
}

int
netaddr_host(const char *host, int *kind, char *out, size_t outlen)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		 buf[256];
	size_t		 len, i;

	len = strlen(host);
	if (len == 0 || len >= sizeof(buf))
		return (-1);
	if (host[0] == '[') {
		if (host[len - 1] != ']' || len < 3)
			return (-1);
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return (-1);
	} else {
		memcpy(buf, host, len + 1);
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			goto notv6;
	}
	if (v6_embedded_v4(&a6, &a4)) {
		*kind = NETADDR_V4;
		return (inet_ntop(AF_INET, &a4, out, outlen) == NULL ? -1 : 0);
	}
	*kind = NETADDR_V6;
	return (inet_ntop(AF_INET6, &a6, out, outlen) == NULL ? -1 : 0);

 notv6:
	/* one trailing dot names the same host */
	if (len > 1 && buf[len - 1] == '.')
		buf[--len] = '\0';
	for (i = 0; i < len; i++) {
		buf[i] = tolower((unsigned char)buf[i]);
		if (!isalnum((unsigned char)buf[i]) && buf[i] != '-' &&
		    buf[i] != '.' && buf[i] != '_')
			return (-1);
	}
	if (last_label_numeric(buf)) {
		/* an IPv4 address in any form, or nothing valid */
		if (inet_aton(buf, &a4) == 0)
			return (-1);
		*kind = NETADDR_V4;
		return (inet_ntop(AF_INET, &a4, out, outlen) == NULL ? -1 : 0);
	}
	if (buf[0] == '.' || buf[len - 1] == '.' || strstr(buf, "..") !=
	    NULL || len > 253)
		return (-1);
	*kind = NETADDR_NAME;
	return (strlcpy(out, buf, outlen) >= outlen ? -1 : 0);
}

int
netaddr_canon(const struct sockaddr *sa, char *out, size_t outlen)
{
	const struct sockaddr_in6	*s6;
	struct in_addr			 a4;

	switch (sa->sa_family) {
	case AF_INET:
		return (inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)sa)->sin_addr, out, outlen) ==
		    NULL ? -1 : 0);
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)sa;
		if (v6_embedded_v4(&s6->sin6_addr, &a4))
			return (inet_ntop(AF_INET, &a4, out, outlen) == NULL ?
			    -1 : 0);
		return (inet_ntop(AF_INET6, &s6->sin6_addr, out, outlen) ==
		    NULL ? -1 : 0);
	}
	return (-1);
}

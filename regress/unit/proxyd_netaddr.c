/*
 * proxyd_netaddr.c - URL host normalisation before policy checks: every
 * spelling of an address must come out as the address a connection
 * would reach.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include "regress.h"
#include "../../proxyd/proxyd.h"

static void
host_is(const char *in, int kind, const char *want)
{
	char	 out[256];
	int	 k = -1, rv;

	rv = netaddr_host(in, &k, out, sizeof(out));
	ok(rv == 0 && k == kind && strcmp(out, want) == 0,
	    "%s -> %s (got %s, kind %d)", in, want, rv == 0 ? out : "error",
	    k);
}

static void
host_bad(const char *in)
{
	char	 out[256];
	int	 k;

	ok(netaddr_host(in, &k, out, sizeof(out)) == -1, "%s refused", in);
}

int
main(void)
{
	struct sockaddr_in6	 s6;
	char			 out[64];

	host_is("127.0.0.1", NETADDR_V4, "127.0.0.1");
	host_is("2130706433", NETADDR_V4, "127.0.0.1");
	host_is("0x7f000001", NETADDR_V4, "127.0.0.1");
	host_is("0X7F000001", NETADDR_V4, "127.0.0.1");
	host_is("0177.0.0.1", NETADDR_V4, "127.0.0.1");
	host_is("0177.0000.0000.0001", NETADDR_V4, "127.0.0.1");
	host_is("127.1", NETADDR_V4, "127.0.0.1");
	host_is("127.0.1", NETADDR_V4, "127.0.0.1");
	host_is("0x7f.1", NETADDR_V4, "127.0.0.1");
	host_is("169.254.169.254", NETADDR_V4, "169.254.169.254");
	host_is("2852039166", NETADDR_V4, "169.254.169.254");
	host_is("0xa9fea9fe", NETADDR_V4, "169.254.169.254");
	host_is("0", NETADDR_V4, "0.0.0.0");
	host_is("10.0.0.1.", NETADDR_V4, "10.0.0.1");
	host_is("[::1]", NETADDR_V6, "::1");
	host_is("::1", NETADDR_V6, "::1");
	host_is("[::ffff:127.0.0.1]", NETADDR_V4, "127.0.0.1");
	host_is("[::ffff:7f00:1]", NETADDR_V4, "127.0.0.1");
	host_is("[::ffff:a9fe:a9fe]", NETADDR_V4, "169.254.169.254");
	host_is("[::127.0.0.1]", NETADDR_V4, "127.0.0.1");
	host_is("[64:ff9b::a9fe:a9fe]", NETADDR_V4, "169.254.169.254");
	host_is("[0:0:0:0:0:0:0:1]", NETADDR_V6, "::1");
	host_is("[fe80::1]", NETADDR_V6, "fe80::1");
	host_is("[::]", NETADDR_V6, "::");
	host_is("Example.COM", NETADDR_NAME, "example.com");
	host_is("example.com.", NETADDR_NAME, "example.com");
	host_is("LOCALHOST", NETADDR_NAME, "localhost");
	host_is("metadata.google.internal", NETADDR_NAME,
	    "metadata.google.internal");
	host_is("a-b_c.example", NETADDR_NAME, "a-b_c.example");
	host_bad("");
	host_bad("1.2.3.4.5");
	host_bad("999.1.1.1");
	host_bad("0x1g");
	host_bad("example.123");
	host_bad("exa mple.com");
	host_bad("exa%2ample.com");
	host_bad("a..b");
	host_bad(".a");
	host_bad("z..");
	host_bad("[127.0.0.1]");
	host_bad("[::1");
	host_bad("[zz::1]");

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &s6.sin6_addr);
	ok(netaddr_canon((struct sockaddr *)&s6, out, sizeof(out)) == 0 &&
	    strcmp(out, "10.1.2.3") == 0, "a v4-mapped answer is checked as "
	    "IPv4");
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	ok(netaddr_canon((struct sockaddr *)&s6, out, sizeof(out)) == 0 &&
	    strcmp(out, "2001:db8::1") == 0, "IPv6 stays IPv6");
	return (done_testing());
}

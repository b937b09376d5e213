/*
 * fuzz_http_host.c - libFuzzer target for proxyd's URL host
 * normalisation (netaddr.c), the step every SSRF check rests on: any
 * input is either refused or comes out canonical, and the canonical
 * form is a fixed point (normalising it again gives the same result).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proxyd/proxyd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	 in[300], out[256], again[256];
	int	 kind, kind2;

	if (len >= sizeof(in))
		return (0);
	memcpy(in, data, len);
	in[len] = '\0';
	if (netaddr_host(in, &kind, out, sizeof(out)) == -1)
		return (0);
	if (kind == NETADDR_V6) {
		/* a URL carries IPv6 in brackets */
		char	 br[260];

		br[0] = '[';
		memcpy(br + 1, out, strlen(out));
		br[strlen(out) + 1] = ']';
		br[strlen(out) + 2] = '\0';
		if (netaddr_host(br, &kind2, again, sizeof(again)) == -1)
			abort();
	} else if (netaddr_host(out, &kind2, again, sizeof(again)) == -1)
		abort();
	if (kind2 != kind || strcmp(out, again) != 0)
		abort();
	return (0);
}

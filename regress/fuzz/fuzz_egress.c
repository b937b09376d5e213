/*
 * fuzz_egress.c - libFuzzer target for the egress proxy's request-head
 * parser (proxyd/egress_head.c), the first code that reads what a
 * sandbox sends: any bytes are refused with a status code or come out
 * as a destination (a non-empty host, a port in 1..65535) and, for a
 * plain request, a head in origin form that ends in
 * "Connection: close" and a blank line and carries no NUL.
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
	static const char	 tail[] = "Connection: close\r\n\r\n";
	struct eg_head		 h;
	const char		*why = NULL;
	int			 code;

	if (len > 16 * 1024)
		return (0);
	code = egress_head_parse((const char *)data, len, &h, &why);
	if (code != 0) {
		if ((code != 400 && code != 500) || why == NULL ||
		    h.host != NULL || h.head != NULL)
			abort();
		return (0);
	}
	if (h.host == NULL || h.host[0] == '\0' || h.port < 1 ||
	    h.port > 65535)
		abort();
	if (h.is_connect) {
		if (h.head != NULL)
			abort();
	} else {
		if (h.head == NULL || h.headlen < sizeof(tail) - 1 ||
		    memcmp(h.head + h.headlen - (sizeof(tail) - 1), tail,
		    sizeof(tail) - 1) != 0 ||
		    memchr(h.head, '\0', h.headlen) != NULL)
			abort();
	}
	egress_head_free(&h);
	return (0);
}

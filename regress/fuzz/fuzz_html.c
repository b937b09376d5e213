/*
 * fuzz_html.c - libFuzzer target for html2text: any input converts,
 * the output is valid UTF-8 (dlp_utf8_valid, unit-tested against known
 * vectors in proxyd_html) without NUL bytes and respects the cap.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proxyd/dlp.h"
#include "../../proxyd/html2text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 caps[] = { 0, 1, 13, 64, 500, 4096 };
	char			*out;
	size_t			 outlen, cap;

	if (size < 1)
		return (0);
	cap = caps[data[0] % 6];
	out = html2text((const char *)data + 1, size - 1, cap, &outlen);
	if (out == NULL)
		abort();
	if (strlen(out) != outlen || !dlp_utf8_valid(out, outlen))
		abort();
	if (cap != 0 && outlen > cap)
		abort();
	free(out);
	return (0);
}

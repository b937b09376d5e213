/*
 * fuzz_config.c - topsh.conf parsing and checking on arbitrary text:
 * accepted configurations print back to text that parses again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct topsh_conf	*conf, *again;
	struct cferrs		 errs;
	char			*out = NULL;
	size_t			 outlen = 0;
	FILE			*fp;

	cferrs_init(&errs);
	if (config_load_buffer("fuzz", (const char *)data, len, NULL, &conf,
	    &errs) == 0) {
		if ((fp = open_memstream(&out, &outlen)) != NULL) {
			config_print_all(fp, conf, 1);
			fclose(fp);
			if (config_load_buffer("again", out, outlen, NULL,
			    &again, &errs) != 0)
				abort();	/* our own output must parse */
			config_free(again);
			free(out);
		}
		config_free(conf);
	}
	cferrs_free(&errs);
	return (0);
}

/*
 * confcheck.c - check a topsh.conf(5) file with the parser and keyword
 * tables alone (no daemon-specific checks): "configuration OK" or every
 * error as file:line.  Used to test the manual's example.
 */
#include <stdio.h>

#include "config.h"

int
main(int argc, char *argv[])
{
	struct topsh_conf	*conf;
	struct cferrs		 errs;

	if (argc != 2) {
		fprintf(stderr, "usage: confcheck file\n");
		return (2);
	}
	cferrs_init(&errs);
	if (config_load(argv[1], NULL, &conf, &errs) == -1) {
		cferrs_print(&errs, stderr);
		cferrs_free(&errs);
		return (1);
	}
	config_free(conf);
	cferrs_free(&errs);
	printf("configuration OK\n");
	return (0);
}

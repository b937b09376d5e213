/*
 * topshctl.h - topshctl's files: topshctl.c (requests and printing),
 * parser.c (the command grammar), vis.c (safe terminal output).
 */
#ifndef TOPSHCTL_H
#define TOPSHCTL_H

#include <stdio.h>

void	 vis_write(FILE *, const void *, size_t);
void	 vis_puts(FILE *, const char *);

#endif

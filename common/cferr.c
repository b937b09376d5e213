/*
 * cferr.c - configuration errors, collected as "file:line: message".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfparse.h"

void
cferrs_init(struct cferrs *e)
{
	e->msgs = NULL;
	e->n = 0;
}

void
cferrs_free(struct cferrs *e)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	cferrs_init(e);
}

static void
cferr_vadd(struct cferrs *e, const char *file, int line, const char *fmt,
    va_list ap)
{
	char	  msg[1024];
	char	 *s, **msgs;

	if (e == NULL || e->n >= CF_MAXERRS)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0) {
		if (asprintf(&s, "%s:%d: %s", file, line, msg) == -1)
			return;
	} else if (asprintf(&s, "%s: %s", file, msg) == -1)
		return;
	if ((msgs = reallocarray(e->msgs, e->n + 1, sizeof(*msgs))) == NULL) {
		free(s);
		return;
	}
	e->msgs = msgs;
	e->msgs[e->n++] = s;
}

void
cf_error(struct cferrs *e, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cferr_vadd(e, file, line, fmt, ap);
	va_end(ap);
}

void
cf_error_node(struct cferrs *e, const struct cfnode *n, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cferr_vadd(e, n->file, n->line, fmt, ap);
	va_end(ap);
}

void
cferrs_print(const struct cferrs *e, FILE *fp)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		fprintf(fp, "%s\n", e->msgs[i]);
}

char *
cferrs_join(const struct cferrs *e)
{
	size_t	 i, len = 1;
	char	*s;

	for (i = 0; i < e->n; i++)
		len += strlen(e->msgs[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return (NULL);
	s[0] = '\0';
	for (i = 0; i < e->n; i++) {
		strlcat(s, e->msgs[i], len);
		if (i + 1 < e->n)
			strlcat(s, "\n", len);
	}
	return (s);
}

void
cf_print_string(FILE *fp, const char *s)
{
	const char	*p;
	int		 bare = *s != '\0';

	for (p = s; *p != '\0' && bare; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_./:*@+,%", *p)))
			bare = 0;
	if (bare && strcmp(s, "include") != 0) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			/* keep regex escapes as they were written */
			if (p[1] == '\0' || strchr("\"\\nt", p[1]) != NULL)
				fputs("\\\\", fp);
			else
				fputc('\\', fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

/*
 * dlp_custom.c - operator patterns (pcre2), compiled once with JIT
 * when the system allows it and run by the interpreter otherwise.
 * Matching is bounded (match and depth limits, a 1 MiB JIT stack); a
 * pattern that hits a limit stops for that buffer and is counted in
 * dlp_errors().
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "dlp_int.h"

#define MATCH_LIMIT	10000000
#define DEPTH_LIMIT	10000
#define JIT_STACK_MAX	(1024 * 1024)

struct dlp_custom *
dlp_custom_compile(const char *name, const char *label, const char *regex,
    char *err, size_t errlen)
{
	struct dlp_custom	*c;
	pcre2_code		*code;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 off;
	int			 ec;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	if (name == NULL || strlcpy(c->name, name, sizeof(c->name)) >=
	    sizeof(c->name) || c->name[0] == '\0' ||
	    dlp_make_label(c->label, sizeof(c->label),
	    label != NULL && *label != '\0' ? label : name) == -1) {
		snprintf(err, errlen, "bad pattern name or label");
		free(c);
		return (NULL);
	}
	if (regex == NULL || *regex == '\0') {
		snprintf(err, errlen, "%s: empty pattern", c->name);
		free(c);
		return (NULL);
	}
	code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
	if (code == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "%s: %s at offset %zu", c->name,
		    (char *)msg, (size_t)off);
		free(c);
		return (NULL);
	}
	c->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	c->code = code;
	c->enabled = 1;
	return (c);
}

/*
 * Match data, context and JIT stack, made with the first pattern so
 * that nothing is allocated for pcre2 after proxyd is confined.
 */
int
dlp_custom_setup(struct dlp *d)
{
	if (d->mdata != NULL)
		return (0);
	if ((d->mctx = pcre2_match_context_create(NULL)) == NULL)
		return (-1);
	pcre2_set_match_limit(d->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(d->mctx, DEPTH_LIMIT);
	d->jstack = pcre2_jit_stack_create(32 * 1024, JIT_STACK_MAX, NULL);
	if (d->jstack != NULL)
		pcre2_jit_stack_assign(d->mctx, NULL, d->jstack);
	if ((d->mdata = pcre2_match_data_create(1, NULL)) == NULL)
		return (-1);
	return (0);
}

static void
custom_run(struct dlp *d, struct dlp_custom *c, const char *p, size_t len,
    size_t start)
{
	PCRE2_SIZE	*ov;
	PCRE2_SIZE	 off = start;
	uint32_t	 opts = 0;
	int		 rc;

	while (off <= len) {
		if (c->jit)
			rc = pcre2_jit_match(c->code, (PCRE2_SPTR)p, len, off,
			    opts, d->mdata, d->mctx);
		else
			rc = pcre2_match(c->code, (PCRE2_SPTR)p, len, off,
			    opts, d->mdata, d->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return;
		if (rc < 0) {
			d->errors++;
			return;
		}
		ov = pcre2_get_ovector_pointer(d->mdata);
		if (ov[1] < ov[0])	/* \K tricks */
			return;
		if (ov[1] == ov[0]) {
			/* empty match: try again one byte on */
			off = ov[1] + 1;
			continue;
		}
		dlp_add_match(d, ov[0], ov[1], c->label, DLP_P_CUSTOM);
		off = ov[1];
	}
}

void
dlp_custom_scan(struct dlp *d, const char *p, size_t len, size_t start)
{
	struct dlp_custom	*c;

	if (TAILQ_EMPTY(&d->customs))
		return;
	if (dlp_custom_setup(d) == -1) {
		d->nomem = 1;
		return;
	}
	TAILQ_FOREACH(c, &d->customs, entry)
		if (c->enabled)
			custom_run(d, c, p, len, start);
}

void
dlp_custom_free(struct dlp *d)
{
	struct dlp_custom	*c;

	while ((c = TAILQ_FIRST(&d->customs)) != NULL) {
		TAILQ_REMOVE(&d->customs, c, entry);
		pcre2_code_free(c->code);
		free(c);
	}
	pcre2_match_data_free(d->mdata);
	pcre2_match_context_free(d->mctx);
	pcre2_jit_stack_free(d->jstack);
	d->mdata = d->mctx = d->jstack = NULL;
}

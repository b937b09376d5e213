/*
 * dlp.c - the redaction engine: detector set, match collection,
 * overlap resolution and the redacted copy of a buffer.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp_int.h"

/*
 * The built-in personal-data detectors (dlp_pii.c, dlp_num.c); every
 * credential is a line of the detector table (dlp_rules.c).
 * NULL-terminated for dlp_detector_names().
 */
const char *const dlp_builtin_name[DLP_D_COUNT + 1] = {
	"email", "phone", "credit_card", "ssn", "iban", NULL
};

const char *const dlp_builtin_label[DLP_D_COUNT] = {
	"EMAIL", "PHONE", "CREDIT_CARD", "SSN", "IBAN"
};

#define REDACT_PRE	"[REDACTED:"
#define REDACT_PRELEN	(sizeof(REDACT_PRE) - 1)

const char * const *
dlp_detector_names(void)
{
	return (dlp_builtin_name);
}

struct dlp *
dlp_new(void)
{
	struct dlp	*d;

	dlp_scan_init();
	dlp_hs_allocator();
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (NULL);
	d->mode = DLP_REDACT;
	d->enabled = (1U << DLP_D_COUNT) - 1;
	TAILQ_INIT(&d->customs);
	if (dlp_rules_load(&d->rules, dlp_table_text, "dlp.rules", d->tab_err,
	    sizeof(d->tab_err)) == -1) {
		dlp_free(d);
		errno = EINVAL;
		return (NULL);
	}
	return (d);
}

/*
 * A redactor of secrets only: DLP_OFF and no detector table (proxyd's
 * log scrubber).  dlp_new() parses and compiles the whole shipped
 * table, which such a redactor never runs.  Its secrets are matched
 * without a vectorscan database (dlp_secret.c, plain): ready at once,
 * with nothing to compile, for proxyd's first log line and reply.
 */
struct dlp *
dlp_new_secrets(void)
{
	struct dlp	*d;

	dlp_scan_init();
	dlp_hs_allocator();
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (NULL);
	d->mode = DLP_OFF;
	d->enabled = (1U << DLP_D_COUNT) - 1;
	d->secrets.plain = 1;
	TAILQ_INIT(&d->customs);
	return (d);
}

void
dlp_free(struct dlp *d)
{
	if (d == NULL)
		return;
	dlp_custom_free(d);
	dlp_rules_free(&d->rules);
	dlp_rules_teardown(d);
	dlp_secret_free(&d->secrets);
	dlp_secret_view_free(d);
	free(d->m);
	free(d);
}

void
dlp_set_mode(struct dlp *d, int mode)
{
	d->mode = mode == DLP_OFF ? DLP_OFF : mode == DLP_TOKENIZE ?
	    DLP_TOKENIZE : DLP_REDACT;
}

int
dlp_get_mode(const struct dlp *d)
{
	return (d->mode);
}

unsigned long
dlp_errors(const struct dlp *d)
{
	return (d->errors);
}

/*
 * Copy name upper-cased into label; only [A-Za-z0-9_] are kept as they
 * are, anything else becomes '_'.  Returns -1 if empty or too long.
 */
int
dlp_make_label(char *label, size_t sz, const char *name)
{
	size_t	i, n;

	if (name == NULL || (n = strlen(name)) == 0 || n >= sz)
		return (-1);
	for (i = 0; i < n; i++) {
		unsigned char c = name[i];

		label[i] = isalnum(c) && c < 0x80 ? toupper(c) : '_';
	}
	label[n] = '\0';
	return (0);
}

static int
dlp_toggle(struct dlp *d, const char *name, int on)
{
	struct dlp_custom	*c;
	int			 i, found = 0;

	for (i = 0; i < DLP_D_COUNT; i++) {
		if (strcasecmp(name, dlp_builtin_name[i]) != 0)
			continue;
		if (on)
			d->enabled |= 1U << i;
		else
			d->enabled &= ~(1U << i);
		found = 1;
	}
	TAILQ_FOREACH(c, &d->customs, entry) {
		if (strcasecmp(name, c->name) != 0)
			continue;
		c->enabled = on;
		found = 1;
	}
	for (i = 0; i < (int)d->rules.n; i++) {
		if (strcasecmp(name, d->rules.r[i].name) != 0)
			continue;
		d->rules.r[i].enabled = on;
		found = 1;
	}
	return (found ? 0 : -1);
}

int
dlp_disable(struct dlp *d, const char *name)
{
	return (dlp_toggle(d, name, 0));
}

int
dlp_enable(struct dlp *d, const char *name)
{
	return (dlp_toggle(d, name, 1));
}

int
dlp_add_custom(struct dlp *d, const char *name, const char *label,
    const char *regex, char *err, size_t errlen)
{
	struct dlp_custom	*c;

	if ((c = dlp_custom_compile(name, label, regex, err, errlen)) == NULL)
		return (-1);
	TAILQ_INSERT_TAIL(&d->customs, c, entry);
	if (dlp_custom_setup(d) == -1) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	return (0);
}

int
dlp_add_detectors(struct dlp *d, const char *text, const char *file,
    char *err, size_t errlen)
{
	if (dlp_rules_load(&d->rules, text, file, err, errlen) == -1)
		return (-1);
	return (0);
}

int
dlp_prepare(struct dlp *d)
{
	/* with DLP_OFF no detector runs: built if the mode changes */
	if (d->mode != DLP_OFF && !d->rules.built &&
	    dlp_rules_build(&d->rules) == -1)
		return (-1);
	if (!d->secrets.built && dlp_secret_build(&d->secrets) == -1)
		return (-1);
	return (0);
}

size_t
dlp_table_count(const struct dlp *d)
{
	return (d->rules.n);
}

const char *
dlp_table_name(const struct dlp *d, size_t i, const char **label)
{
	if (i >= d->rules.n)
		return (NULL);
	if (label != NULL)
		*label = d->rules.r[i].label;
	return (d->rules.r[i].name);
}

int
dlp_add_secret(struct dlp *d, const char *name, const void *value,
    size_t len)
{
	return (dlp_secret_add(&d->secrets, name, value, len));
}

struct dlp_match *
dlp_add_match(struct dlp *d, size_t so, size_t eo, const char *label,
    int prio)
{
	struct dlp_match	*m;
	size_t			 ncap;

	if (eo <= so)
		return (NULL);
	if (d->nm == d->mcap) {
		ncap = d->mcap == 0 ? 64 : d->mcap * 2;
		m = reallocarray(d->m, ncap, sizeof(*m));
		if (m == NULL) {
			d->nomem = 1;
			return (NULL);
		}
		d->m = m;
		d->mcap = ncap;
	}
	m = &d->m[d->nm++];
	m->anchor = m->so = so;
	m->eo = eo;
	m->label = label;
	m->prio = prio;
	return (m);
}

/*
 * A built-in match; its anchor is where the scan was when it was found,
 * so that dlp_fd.c does not cut between the two.
 */
void
dlp_builtin_match(struct dlp_scan *s, size_t so, size_t eo, enum dlp_det det)
{
	struct dlp_match	*m;

	if ((s->d->enabled & (1U << det)) == 0)
		return;
	if (so < s->start)
		so = s->start;
	m = dlp_add_match(s->d, so, eo, dlp_builtin_label[det], DLP_P_PII);
	if (m != NULL && s->anchor < so)
		m->anchor = s->anchor < s->start ? s->start : s->anchor;
}

static int
match_cmp(const void *a, const void *b)
{
	const struct dlp_match	*x = a, *y = b;

	if (x->so != y->so)
		return (x->so < y->so ? -1 : 1);
	if (x->eo != y->eo)
		return (x->eo > y->eo ? -1 : 1);
	if (x->prio != y->prio)
		return (x->prio < y->prio ? -1 : 1);
	return (strcmp(x->label, y->label));
}

/*
 * Sort the matches and merge overlapping ones into clusters, in place.
 * A cluster keeps the label of its first match (earliest, longest)
 * unless a higher-priority class takes part: secret, custom pattern,
 * credential, personal data, in that order.
 */
size_t
dlp_merge(struct dlp *d)
{
	struct dlp_match	*m = d->m, *c;
	size_t			 i, n = 0;

	if (d->nm == 0)
		return (0);
	qsort(m, d->nm, sizeof(*m), match_cmp);
	for (i = 0; i < d->nm; i++) {
		if (n > 0 && m[i].so < m[n - 1].eo) {
			c = &m[n - 1];
			if (m[i].eo > c->eo)
				c->eo = m[i].eo;
			if (m[i].anchor < c->anchor)
				c->anchor = m[i].anchor;
			if (m[i].prio < c->prio) {
				c->prio = m[i].prio;
				c->label = m[i].label;
			}
			continue;
		}
		m[n++] = m[i];
	}
	d->nm = n;
	return (n);
}

/* Collect every match in p[start, len) into d->m and merge them. */
int
dlp_collect(struct dlp *d, const char *p, size_t len, size_t start)
{
	d->nm = 0;
	d->nomem = 0;
	if (d->mode != DLP_OFF) {
		dlp_scan_builtin(d, p, len, start);
		dlp_rules_scan(d, p, len, start);
		dlp_custom_scan(d, p, len, start);
	}
	dlp_secret_scan(d, p, len, start);
	if (d->nomem)
		return (-1);
	dlp_merge(d);
	return (0);
}

/*
 * Write the redacted form of p[from, to) into a new buffer, using the
 * first nm clusters (all inside [from, to)).
 */
/*
 * What replaces cluster m: its placeholder when tokenizing (not for a
 * secret, nor once the map is full), else "[REDACTED:LABEL]" (in buf).
 */
static const char *
replacement(struct dlp *d, const char *p, const struct dlp_match *m,
    char *buf, size_t bufsz)
{
	const char	*ph;

	if (d->tok != NULL && m->prio != DLP_P_SECRET &&
	    (ph = dlp_tokens_put(d->tok, m->label, p + m->so, m->eo - m->so))
	    != NULL)
		return (ph);
	snprintf(buf, bufsz, REDACT_PRE "%s]", m->label);
	return (buf);
}

char *
dlp_build(struct dlp *d, const char *p, size_t from, size_t to, size_t nm,
    size_t *outlen)
{
	const char	**rep;
	char		*out, *o, (*bufs)[DLP_NAME_MAX + 16];
	size_t		 i, sz = to - from, pos = from, l;

	if ((rep = calloc(nm + 1, sizeof(*rep))) == NULL ||
	    (bufs = calloc(nm + 1, sizeof(*bufs))) == NULL) {
		free(rep);
		return (NULL);
	}
	for (i = 0; i < nm; i++) {
		rep[i] = replacement(d, p, &d->m[i], bufs[i], sizeof(bufs[i]));
		sz += strlen(rep[i]);
	}
	if ((out = malloc(sz + 1)) == NULL) {
		free(rep);
		free(bufs);
		return (NULL);
	}
	o = out;
	for (i = 0; i < nm; i++) {
		memcpy(o, p + pos, d->m[i].so - pos);
		o += d->m[i].so - pos;
		l = strlen(rep[i]);
		memcpy(o, rep[i], l);
		o += l;
		pos = d->m[i].eo;
	}
	memcpy(o, p + pos, to - pos);
	o += to - pos;
	*o = '\0';
	if (outlen != NULL)
		*outlen = o - out;
	free(rep);
	free(bufs);
	return (out);
}

char *
dlp_redact(struct dlp *d, const char *in, size_t len, size_t *outlen,
    unsigned int *nfound)
{
	char	*out;

	if (in == NULL)
		len = 0;
	if (nfound != NULL)
		*nfound = 0;
	if (dlp_collect(d, in == NULL ? "" : in, len, 0) == -1) {
		errno = ENOMEM;
		return (NULL);
	}
	out = dlp_build(d, in == NULL ? "" : in, 0, len, d->nm, outlen);
	if (out != NULL && nfound != NULL)
		*nfound = d->nm;
	return (out);
}

/*
 * Move cut back to the anchor of any cluster that crosses it, so that
 * the next window finds that match again whole; a cluster that starts
 * at the window's start (longer than the overlap) is taken whole
 * instead, and the cut never goes back before it.
 */
static size_t
window_cut(struct dlp *d, size_t start, size_t cut)
{
	struct dlp_match	*m;
	size_t			 i, floor = start;
	int			 moved;

	do {
		moved = 0;
		for (i = 0; i < d->nm; i++) {
			m = &d->m[i];
			if (m->eo <= cut || m->anchor >= cut)
				continue;
			if (m->anchor > floor)
				cut = m->anchor;
			else
				cut = floor = m->eo;
			moved = 1;
		}
	} while (moved);
	return (cut);
}

/*
 * For dlp_fd.c: collect in p[start, len) and build the redaction of
 * p[start, cut) where cut <= *cutp is moved so that no cluster
 * straddles it.  Returns the buffer, its length in *outlen and the
 * number of clusters used in *nused.
 */
char *
dlp_redact_window(struct dlp *d, const char *p, size_t len, size_t start,
    size_t *cutp, size_t *outlen, size_t *nused)
{
	size_t	i, cut;

	if (dlp_collect(d, p, len, start) == -1) {
		errno = ENOMEM;
		return (NULL);
	}
	cut = window_cut(d, start, *cutp);
	for (i = 0; i < d->nm && d->m[i].eo <= cut; i++)
		;
	*cutp = cut;
	*nused = i;
	return (dlp_build(d, p, start, cut, i, outlen));
}

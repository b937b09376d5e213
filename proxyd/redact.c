/*
 * redact.c - DLP set-up from the configuration, and proxyd -R: copy standard input to standard output through
 * the same DLP proxyd applies to everything leaving it, for operators
 * and tests.  The secrets are loaded too (so they are redacted), which
 * needs read access to the secrets directory; nothing is logged about
 * them.  Exit status 0, or 1 on an error.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dlp.h"
#include "log.h"
#include "proxyd.h"

#define DETECTORS_MAX	(1024 * 1024)

/* An operator's detector file, added to d. */
static int
detectors_file(struct dlp *d, const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	*text;
	size_t	 n;
	int	 rv;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "dlp-detectors %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if ((text = malloc(DETECTORS_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	n = fread(text, 1, DETECTORS_MAX + 1, f);
	if (ferror(f) || n > DETECTORS_MAX) {
		snprintf(err, errlen, "dlp-detectors %s: %s", path,
		    ferror(f) ? strerror(errno) : "larger than 1 MiB");
		fclose(f);
		free(text);
		return (-1);
	}
	fclose(f);
	text[n] = '\0';
	rv = dlp_add_detectors(d, text, path, err, errlen);
	free(text);
	return (rv);
}

/*
 * dlp-pattern "name" "label" "regex", repeatable; dlp-detectors files;
 * dlp-disable names; the mode.  With prepare, the keyword filter is
 * built here, before proxyd confines itself; else the caller builds it
 * (dlpstart.c).
 */
int
proxyd_dlp_setup(struct topsh_conf *conf, struct dlp *d, int prepare,
    char *err, size_t errlen)
{
	const struct cfstrlist	*l = &conf->proxy.dlp_patterns;
	const struct cfstrlist	*df = &conf->proxy.dlp_detectors;
	const struct cfstrlist	*dd = &conf->proxy.dlp_disable;
	char			 e[256];
	size_t			 i;

	if (l->n % 3 != 0) {
		snprintf(err, errlen, "dlp-pattern takes a name, a label and "
		    "a regular expression");
		return (-1);
	}
	for (i = 0; i + 2 < l->n; i += 3)
		if (dlp_add_custom(d, l->v[i], l->v[i + 1], l->v[i + 2], e,
		    sizeof(e)) == -1) {
			snprintf(err, errlen, "dlp-pattern %s: %s", l->v[i], e);
			return (-1);
		}
	for (i = 0; i < df->n; i++)
		if (detectors_file(d, df->v[i], err, errlen) == -1)
			return (-1);
	for (i = 0; i < dd->n; i++)
		if (dlp_disable(d, dd->v[i]) == -1) {
			snprintf(err, errlen, "dlp-disable %s: no such "
			    "detector", dd->v[i]);
			return (-1);
		}
	dlp_set_mode(d, conf->proxy.dlp);
	if (prepare && dlp_prepare(d) == -1) {
		snprintf(err, errlen, "dlp: cannot build the keyword filter");
		return (-1);
	}
	return (0);
}

int
redact_stdio(struct topsh_conf *conf)
{
	struct secrets	 sec;
	struct dlp	*d;
	char		 err[1024];
	int		 n;

	err[0] = '\0';
	if (secrets_load(secrets_dir(conf), &sec, err, sizeof(err)) == -1) {
		log_warnx("secrets: %s", err);
		return (1);
	}
	if ((d = dlp_new()) == NULL) {
		secrets_clear(&sec);
		log_warnx("out of memory");
		return (1);
	}
	if (proxyd_dlp_setup(conf, d, 1, err, sizeof(err)) == -1 ||
	    secrets_register(&sec, d) == -1) {
		log_warnx("%s", err[0] ? err : "cannot register the secrets");
		secrets_clear(&sec);
		dlp_free(d);
		return (1);
	}
	secrets_clear(&sec);
	n = dlp_redact_fd(d, STDIN_FILENO, STDOUT_FILENO);
	dlp_free(d);
	if (n == -1) {
		log_warn("redact");
		return (1);
	}
	log_debug("%d redactions", n);
	return (0);
}

/*
 * proxyd_dlp_isolated.c - the vectorscan databases compiled in a child
 * process at start-up (proxyd/dlp_hschild.c) redact exactly as those
 * compiled in the process: a secret in its raw, base64 and URL-encoded
 * forms, a table detector behind its keyword, case-folded keywords, and
 * a text with nothing to redact; and the child leaves no process behind.
 * Then proxyd's other start-up redactor, the log scrubber's
 * (dlp_new_secrets): secrets only, no detector table, no keyword
 * database.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../proxyd/dlp.h"
#include "../../proxyd/dlp_int.h"

static const char *texts[] = {
	"my token is Zq9secretCanary42xYz, keep it",
	"b64: WnE5c2VjcmV0Q2FuYXJ5NDJ4WXo= and url Zq9secret%43anary42xYz",
	"aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
	"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE; GITHUB ghp_"
	    "0123456789abcdefABCDEF0123456789abcd",
	"nothing secret in here at all",
};

static struct dlp *
make(int isolated)
{
	struct dlp	*d;

	dlp_compile_isolated(isolated);
	if ((d = dlp_new()) == NULL ||
	    dlp_add_secret(d, "canary", "Zq9secretCanary42xYz", 20) == -1 ||
	    dlp_prepare(d) == -1)
		abort();
	dlp_compile_isolated(0);
	return (d);
}

int
main(void)
{
	struct dlp	*in, *iso;
	char		*a, *b;
	size_t		 i, la, lb;
	unsigned int	 na, nb;
	int		 st;

	in = make(0);
	is_int(dlp_hs_child_count(), 0, "not isolated: compiled in the "
	    "process");
	iso = make(1);
	is_int(dlp_hs_child_count(), 2, "isolated: both databases (keywords, "
	    "secrets) came from a child");
	ok(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD,
	    "the compiling children are gone (reaped)");
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		a = dlp_redact(in, texts[i], strlen(texts[i]), &la, &na);
		b = dlp_redact(iso, texts[i], strlen(texts[i]), &lb, &nb);
		ok(a != NULL && b != NULL && la == lb && na == nb &&
		    memcmp(a, b, la) == 0, "text %zu: same redaction (%u "
		    "found): %s", i, nb, b != NULL ? b : "(null)");
		if (i < 4)
			ok(nb > 0 && strstr(b, "Zq9secret") == NULL &&
			    strstr(b, "AKIAIOSFODNN7EXAMPLE") == NULL,
			    "text %zu: redacted by the child-built databases",
			    i);
		else
			ok(nb == 0 && strcmp(b, texts[i]) == 0,
			    "text %zu: nothing redacted", i);
		free(a);
		free(b);
	}
	dlp_free(in);
	dlp_free(iso);

	/* the log scrubber's redactor: the secret, and no detector */
	if ((in = dlp_new_secrets()) == NULL ||
	    dlp_add_secret(in, "canary", "Zq9secretCanary42xYz", 20) == -1 ||
	    dlp_prepare(in) == -1)
		abort();
	ok(dlp_get_mode(in) == DLP_OFF && dlp_table_count(in) == 0,
	    "secrets only: DLP_OFF, no detector table");
	a = dlp_redact(in, texts[3], strlen(texts[3]), &la, &na);
	ok(a != NULL && na == 0 && strcmp(a, texts[3]) == 0,
	    "an AWS key and a GitHub token are left to the detectors");
	free(a);
	a = dlp_redact(in, texts[1], strlen(texts[1]), &la, &na);
	ok(a != NULL && na == 2 && strstr(a, "Zq9secret") == NULL,
	    "the secret's forms are redacted: %s", a != NULL ? a : "");
	free(a);
	dlp_free(in);
	return (done_testing());
}

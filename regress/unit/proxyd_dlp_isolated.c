/*
 * proxyd_dlp_isolated.c - the vectorscan databases compiled in a child
 * process at start-up (proxyd/dlp_hschild.c) redact exactly as those
 * compiled in the process: a secret in its raw, base64 and URL-encoded
 * forms, a table detector behind its keyword, case-folded keywords, and
 * a text with nothing to redact; and the child leaves no process behind.
 * Then proxyd's other start-up redactor, the log scrubber's
 * (dlp_new_secrets): secrets only, no detector table, no keyword
 * database, and its plain matcher (no vectorscan database) finds what
 * the database finds, in 3000 random texts with the secrets' forms
 * planted in them.  Last, the databases built by one child while the
 * caller goes on (dlp_build_spawn, dlp_build_collect: proxyd's start)
 * redact as those built in the process.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
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

static const char *const secrets[] = {
	"Zq9secretCanary42xYz", "sk-plain-0123456789abcdefXYZ",
	"123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "p@ss w/rd+&=?",
};

/* the secrets' forms as they travel, for planting */
static const char *const planted[] = {
	"Zq9secretCanary42xYz", "WnE5c2VjcmV0Q2FuYXJ5NDJ4WXo=",
	"WnE5c2VjcmV0Q2FuYXJ5NDJ4WXo", "5a71397365637265744361",
	"sk-plain-0123456789abcdefXYZ",
	"c2stcGxhaW4tMDEyMzQ1Njc4OWFiY2RlZlhZWg",
	"123456%3AAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
	"p%40ss%20w%2Frd%2B%26%3D%3F", "p%40ss+w%2Frd%2B%26%3D%3F",
	"p@ss w\\/rd+&=?", "p\\u0040ss w/rd", "Zq9secret", "AAHdq",
	"\\u005aq9secretCanary42xYz", "Zq9secret\\nCanary42xYz",
};

static struct dlp *
secrets_dlp(int plain)
{
	struct dlp	*d;
	size_t		 i;

	if ((d = plain ? dlp_new_secrets() : dlp_new()) == NULL)
		abort();
	dlp_set_mode(d, DLP_OFF);
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (dlp_add_secret(d, "s", secrets[i], strlen(secrets[i])) ==
		    -1)
			abort();
	if (dlp_prepare(d) == -1)
		abort();
	return (d);
}

/* random text with some planted forms, in buf (NUL-terminated) */
static size_t
random_text(char *buf, size_t cap)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO"
	    "PQRSTUVWXYZ0123456789 +/=%\\\"{}:,.-_\n";
	const char	*f;
	size_t		 n = 0, want = (size_t)(random() % (cap - 64));

	while (n < want) {
		if (random() % 40 == 0) {
			f = planted[random() % (sizeof(planted) /
			    sizeof(planted[0]))];
			if (n + strlen(f) >= cap - 1)
				break;
			memcpy(buf + n, f, strlen(f));
			n += strlen(f);
		} else
			buf[n++] = abc[random() % (sizeof(abc) - 1)];
	}
	buf[n] = '\0';
	return (n);
}

static void
test_plain(void)
{
	struct dlp	*hs, *pl;
	char		 buf[2048], *a, *b;
	size_t		 la, lb, n;
	unsigned int	 na, nb, found = 0, same = 0, shown = 0, i;

	hs = secrets_dlp(0);
	pl = secrets_dlp(1);
	srandom(16);
	for (i = 0; i < 3000; i++) {
		n = random_text(buf, sizeof(buf));
		a = dlp_redact(hs, buf, n, &la, &na);
		b = dlp_redact(pl, buf, n, &lb, &nb);
		if (a != NULL && b != NULL && la == lb && na == nb &&
		    memcmp(a, b, la) == 0)
			same++;
		else if (!shown++)
			printf("# differs: %s\n#  vectorscan: %s\n"
			    "#  plain: %s\n", buf, a != NULL ? a : "",
			    b != NULL ? b : "");
		found += nb;
		free(a);
		free(b);
	}
	is_int(same, 3000, "plain matcher: the same redaction as the "
	    "vectorscan database in 3000 random texts");
	ok(found > 3000, "with secrets found in them (%u)", found);
	a = dlp_redact(pl, "abc", 3, &la, &na);
	ok(a != NULL && na == 0 && strcmp(a, "abc") == 0,
	    "plain matcher: a text shorter than any form");
	free(a);
	dlp_free(hs);
	dlp_free(pl);
}

static void
test_build_child(void)
{
	struct dlp_build	*b;
	struct dlp		*in, *bg;
	struct pollfd		 pfd;
	char			*x, *y;
	size_t			 i, lx, ly;
	unsigned int		 nx, ny, before = dlp_hs_child_count();
	int			 rv = 0, st;

	in = make(0);
	if ((bg = dlp_new()) == NULL ||
	    dlp_add_secret(bg, "canary", "Zq9secretCanary42xYz", 20) == -1)
		abort();
	b = dlp_build_spawn(bg, 0);
	ok(b != NULL, "build child started");
	if (b == NULL)
		return;
	ok(!bg->rules.built && !bg->secrets.built,
	    "nothing built in the process meanwhile");
	pfd.fd = dlp_build_fd(b);
	pfd.events = POLLIN;
	while (rv == 0 && poll(&pfd, 1, 30000) == 1)
		rv = dlp_build_collect(b, bg);
	is_int(rv, 1, "the child's databases are in place");
	ok(bg->rules.built && bg->rules.db != NULL && bg->secrets.built &&
	    bg->secrets.db != NULL, "keyword filter and secrets' database");
	is_int(dlp_hs_child_count(), before + 1, "counted as from a child");
	ok(waitpid(dlp_build_pid(b), &st, 0) == dlp_build_pid(b) &&
	    WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the confined child exited 0");
	dlp_build_free(b);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		x = dlp_redact(in, texts[i], strlen(texts[i]), &lx, &nx);
		y = dlp_redact(bg, texts[i], strlen(texts[i]), &ly, &ny);
		ok(x != NULL && y != NULL && lx == ly && nx == ny &&
		    memcmp(x, y, lx) == 0, "built by the child, text %zu: "
		    "same redaction (%u found)", i, ny);
		free(x);
		free(y);
	}
	dlp_free(in);
	dlp_free(bg);
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
	test_plain();
	test_build_child();
	return (done_testing());
}

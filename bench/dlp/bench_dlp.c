/*
 * bench_dlp.c - DLP throughput on a realistic 1 MiB model request: an
 * OpenAI-style chat body (prose, code, logs, numbers, JSON-escaped
 * newlines) with a little personal data in it, all detectors on.
 * Prints MB/s (1 MB = 10^6 bytes) as the median and the best of 21 runs for
 * dlp_redact on the raw body, dlp_redact with secrets and a custom
 * pattern added, and dlp_redact_json on the parsed body.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../../proxyd/dlp.h"

#define TARGET	(1024 * 1024)
#define RUNS	21

static const char *const prose[] = {
	"The quick brown fox jumps over the lazy dog while the scheduler "
	"keeps 42 workers busy for 3.5 seconds on average. ",
	"Please refactor the function so that it returns an error instead "
	"of calling exit(1), and add a test for the empty input case. ",
	"In 2023 the team shipped version 2.14.0 with 1,234 fixes; the "
	"release notes are at https://example.org/releases/2.14.0. ",
	"Our server at 10.0.0.12:8080 answered 200 OK in 35 ms, then 503 "
	"Service Unavailable after 1700000000 seconds since the epoch. ",
	"Summarise the meeting of 2024-03-15: budget 12,500 EUR, deadline "
	"end of Q2, owner Alice, reviewers Bob and Carol. ",
};

static const char *const code[] = {
	"static int\nparse(const char *s, size_t len)\n{\n\tsize_t i;\n\n"
	"\tfor (i = 0; i < len; i++)\n\t\tif (s[i] == '\\\\n')\n"
	"\t\t\treturn (-1);\n\treturn (0);\n}\n",
	"def handler(event, context):\n    items = [x * 2 for x in "
	"range(100)]\n    return {\"statusCode\": 200, \"body\": "
	"json.dumps(items)}\n",
	"2024-03-15T10:30:45.123Z INFO request id=7f3a9c2e-1b4d-4e8f-9a6b-"
	"3c5d7e9f1a2b method=GET path=/api/v1/users/12345 status=200 "
	"bytes=5123 dur=12.7ms\n",
	"SELECT u.id, u.name, count(o.id) FROM users u JOIN orders o ON "
	"o.user_id = u.id WHERE o.created_at > '2023-01-01' GROUP BY u.id "
	"LIMIT 50;\n",
};

static const char *const pii[] = {
	"contact me at jane.doe@example.com ",
	"call +1 415 555 2671 tomorrow ",
	"card 4111 1111 1111 1111 exp 12/29 ",
};

/*
 * Wall time, or with BENCH_CPU=1 in the environment the thread's CPU
 * time: on a machine shared with other work, the engine's own cost
 * without the time spent waiting for a CPU.
 */
static clockid_t	clk = CLOCK_MONOTONIC;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(clk, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static size_t
dlp_builtin_count(void)
{
	const char * const	*n = dlp_detector_names();
	size_t			 i;

	for (i = 0; n[i] != NULL; i++)
		;
	return (i);
}

static int
dcmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static json_t *
make_body(void)
{
	json_t		*msgs = json_array();
	char		*buf = malloc(64 * 1024);
	size_t		 total = 0, len;
	unsigned int	 seed = 1, k = 0;

	json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system",
	    "content", "You are a helpful assistant with a shell."));
	while (total < TARGET - 20000) {
		len = 0;
		while (len < 8000) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 40 == 0)
				len += snprintf(buf + len, 64 * 1024 - len, "%s",
				    pii[k++ % 3]);
			else if ((seed >> 16) % 3 == 0)
				len += snprintf(buf + len, 64 * 1024 - len, "%s",
				    code[(seed >> 20) % 4]);
			else
				len += snprintf(buf + len, 64 * 1024 - len, "%s",
				    prose[(seed >> 20) % 5]);
		}
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "role",
		    (seed >> 8) % 2 ? "user" : "assistant", "content", buf));
		total += len + 40;
	}
	free(buf);
	return (json_pack("{s:s,s:o,s:f,s:i}", "model", "gpt-4o-mini",
	    "messages", msgs, "temperature", 0.2, "max_tokens", 4096));
}

/* the fastest run of the last run_raw() or run_json(), MB/s */
static double	best;

static double
run_raw(struct dlp *d, const char *body, size_t len, unsigned int *nf)
{
	double	 t[RUNS], t0;
	size_t	 outlen;
	char	*out;
	int	 i;

	for (i = 0; i < RUNS; i++) {
		t0 = now();
		out = dlp_redact(d, body, len, &outlen, nf);
		t[i] = now() - t0;
		free(out);
	}
	qsort(t, RUNS, sizeof(t[0]), dcmp);
	best = len / t[0] / 1e6;
	return (len / t[RUNS / 2] / 1e6);
}

static double
run_json(struct dlp *d, json_t *j, size_t len, int *nf)
{
	double	 t[RUNS], t0;
	json_t	*c;
	int	 i;

	for (i = 0; i < RUNS; i++) {
		c = json_deep_copy(j);
		t0 = now();
		*nf = dlp_redact_json(d, c);
		t[i] = now() - t0;
		json_decref(c);
	}
	qsort(t, RUNS, sizeof(t[0]), dcmp);
	best = len / t[0] / 1e6;
	return (len / t[RUNS / 2] / 1e6);
}

/*
 * Inputs made to hit the slow paths: a pattern repeated to 1 MiB.
 * Prints the slowest, so a quadratic path would show here.
 */
static void
run_adversarial(struct dlp *d)
{
	static const char *const pats[] = { "a@", "x@a.", "1 ", "(5", "+1 ",
	    "0 ", "1-", "4111 ", "DE89 ", "sk-proj-", "github_pat_", "AIza-",
	    "xoxb-", "eyJaaaaaaaaaa.", "-----BEGIN PRIVATE KEY-----",
	    "aws_secret_access_key=", "123456789:", "\\n",
	    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t", "?password=", "://:",
	    NULL };
	double		 t0, t, worst = 0;
	const char	*wp = "";
	char		*b, *out;
	size_t		 n = TARGET, l, i, k, outlen;
	unsigned int	 nf;

	if ((b = malloc(n)) == NULL)
		return;
	for (k = 0; pats[k] != NULL; k++) {
		l = strlen(pats[k]);
		for (i = 0; i < n; i++)
			b[i] = pats[k][i % l];
		t0 = now();
		out = dlp_redact(d, b, n, &outlen, &nf);
		t = now() - t0;
		free(out);
		if (t > worst) {
			worst = t;
			wp = pats[k];
		}
	}
	printf("adversarial, slowest of %zu repeated patterns (\"%s\"): "
	    "%.0f MB/s\n", k, wp, n / worst / 1e6);
	free(b);
}

static int
run_file(const char *path)
{
	struct dlp	*d;
	FILE		*f;
	char		*b;
	size_t		 len;
	long		 sz;
	unsigned int	 nf;
	double		 r;

	if ((f = fopen(path, "r")) == NULL || fseek(f, 0, SEEK_END) == -1 ||
	    (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1 ||
	    (b = malloc(sz + 1)) == NULL ||
	    (len = fread(b, 1, sz, f)) != (size_t)sz) {
		perror(path);
		return (1);
	}
	fclose(f);
	d = dlp_new();
	r = run_raw(d, b, len, &nf);
	printf("proxyd dlp_redact on %s: %zu bytes, %.0f MB/s (median of %d, "
	    "best %.0f, %u matches)\n", path, len, r, RUNS, best, nf);
	dlp_free(d);
	free(b);
	return (0);
}

/* the secrets proxyd registers (its three keys) */
static void
add_secrets(struct dlp *d)
{
	dlp_add_secret(d, "telegram_token",
	    "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0", 45);
	dlp_add_secret(d, "llm_api_key", "sk-test-0123456789abcdefABCDEF", 30);
	dlp_add_secret(d, "zai_api_key", "5f3a9c2e1b4d4e8f9a6b.Qx7Zk", 26);
}

static void
add_custom(struct dlp *d)
{
	char	err[128];

	if (dlp_add_custom(d, "ticket", "ticket", "\\bTICKET-[0-9]{4,}\\b",
	    err, sizeof(err)) == -1)
		printf("custom: %s\n", err);
}

int
main(int argc, char *argv[])
{
	struct dlp	*d, *ds;
	json_t		*j;
	char		*body;
	size_t		 len;
	unsigned int	 nf;
	int		 jn;
	double		 r;

	if (getenv("BENCH_CPU") != NULL &&
	    strcmp(getenv("BENCH_CPU"), "1") == 0) {
		clk = CLOCK_THREAD_CPUTIME_ID;
		printf("timing: CPU time of the thread (BENCH_CPU=1)\n");
	}
	/* -f FILE: redact the file (the gitleaks comparison), MB/s */
	if (argc == 3 && strcmp(argv[1], "-f") == 0)
		return (run_file(argv[2]));
	j = make_body();
	body = json_dumps(j, JSON_COMPACT);
	len = strlen(body);
	/* -o FILE: write the body for other tools (gitleaks) and stop */
	if (argc == 3 && strcmp(argv[1], "-o") == 0) {
		FILE	*f = fopen(argv[2], "w");

		if (f == NULL || fwrite(body, 1, len, f) != len ||
		    fclose(f) != 0) {
			perror(argv[2]);
			return (1);
		}
		return (0);
	}
	printf("body: %zu bytes JSON chat request, %zu messages\n", len,
	    json_array_size(json_object_get(j, "messages")));

	d = dlp_new();
	printf("detectors: %zu built-in (personal data), %zu in the table\n",
	    dlp_builtin_count(), dlp_table_count(d));
	r = run_raw(d, body, len, &nf);
	printf("dlp_redact, every detector: %.0f MB/s "
	    "(median of %d, best %.0f, %u matches)\n", r, RUNS, best, nf);
	r = run_json(d, j, len, &jn);
	printf("dlp_redact_json, every detector: %.0f MB/s "
	    "(median of %d, best %.0f, %d matches, parse not included)\n", r,
	    RUNS, best, jn);

	/* proxyd's secrets alone, then the custom pattern alone */
	ds = dlp_new();
	add_secrets(ds);
	r = run_raw(ds, body, len, &nf);
	printf("dlp_redact, + 3 secrets: %.0f MB/s (median of %d, "
	    "best %.0f, %u matches)\n", r, RUNS, best, nf);
	if (argc == 2 && strcmp(argv[1], "-s") == 0) {
		/* -s: only that case, many times (for perf record) */
		for (jn = 0; jn < 200; jn++)
			run_raw(ds, body, len, &nf);
		return (0);
	}
	dlp_free(ds);
	ds = dlp_new();
	add_custom(ds);
	r = run_raw(ds, body, len, &nf);
	printf("dlp_redact, + 1 custom pattern: %.0f MB/s (median of %d, "
	    "best %.0f, %u matches)\n", r, RUNS, best, nf);
	dlp_free(ds);

	add_secrets(d);
	add_custom(d);
	r = run_raw(d, body, len, &nf);
	printf("dlp_redact, + 3 secrets + 1 custom pattern: %.0f MB/s "
	    "(median of %d, best %.0f, %u matches)\n", r, RUNS, best, nf);
	run_adversarial(d);
	dlp_free(d);
	free(body);
	json_decref(j);
	return (0);
}

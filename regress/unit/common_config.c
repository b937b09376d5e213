/*
 * common_config.c - topsh.conf: golden -nv output, canonical output that
 * parses back to itself, every error listed with file:line, macros,
 * includes, and the shipped sample configuration.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "regress.h"

static char	 dir[1024];

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = calloc(1, len + 1);
	if (fread(buf, 1, len, fp) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return (buf);
}

static char *
printed(struct topsh_conf *conf)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&out, &len);

	config_print(fp, conf);
	fclose(fp);
	return (out);
}

/* drop the directory so messages compare across checkouts */
static void
strip_dir(char *s)
{
	char	*p;
	size_t	 dl = strlen(dir) + 1;

	while ((p = strstr(s, dir)) != NULL)
		memmove(p, p + dl, strlen(p + dl) + 1);
}

static void
golden(const char *name)
{
	struct topsh_conf	*conf, *again;
	struct cferrs		 errs;
	char			 path[2048], *out, *want, *out2;

	cferrs_init(&errs);
	snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
	ok(config_load(path, NULL, &conf, &errs) == 0, "%s parses", name);
	cferrs_print(&errs, stdout);
	if (conf == NULL)
		return;
	out = printed(conf);
	snprintf(path, sizeof(path), "%s/%s.ok", dir, name);
	want = slurp(path);
	is_str(out, want, "%s -nv output matches %s.ok", name, name);
	ok(config_load_buffer("printed", out, strlen(out), NULL, &again,
	    &errs) == 0, "%s canonical output parses", name);
	if (again != NULL) {
		out2 = printed(again);
		is_str(out2, out, "%s canonical output prints the same", name);
		free(out2);
		config_free(again);
	}
	free(out);
	free(want);
	config_free(conf);
	cferrs_free(&errs);
}

static void
errors(void)
{
	struct topsh_conf	*conf;
	struct cferrs		 errs;
	char			 path[2048], *all, *want;

	cferrs_init(&errs);
	snprintf(path, sizeof(path), "%s/err-many.conf", dir);
	ok(config_load(path, NULL, &conf, &errs) == -1 && conf == NULL,
	    "a file with errors is refused");
	all = cferrs_join(&errs);
	strip_dir(all);
	snprintf(path, sizeof(path), "%s/err-many.errors", dir);
	want = slurp(path);
	if (want != NULL && want[strlen(want) - 1] == '\n')
		want[strlen(want) - 1] = '\0';
	is_str(all, want, "every error is listed with file:line");
	ok(errs.n >= 10, "at least ten errors reported in one run (%zu)",
	    errs.n);
	free(all);
	free(want);
	cferrs_free(&errs);
}

static void
macros(void)
{
	struct topsh_conf	*conf;
	struct cferrs		 errs;
	struct cfmacros		 m;
	const char		*text = "mem = 128M\nsandbox { memory $mem }\n";

	cferrs_init(&errs);
	cf_macros_init(&m);
	ok(cf_macro_define(&m, "mem=1G") == 0, "-D mem=1G accepted");
	ok(cf_macro_define(&m, "bad name=1") == -1, "-D with a bad name "
	    "refused");
	ok(cf_macro_define(&m, "novalue") == -1, "-D without = refused");
	ok(config_load_buffer("m", text, strlen(text), &m, &conf, &errs) == 0,
	    "macro file parses");
	is_int(conf ? conf->sandbox.memory : 0, 1LL << 30,
	    "-D overrides the file's definition");
	config_free(conf);
	cf_macros_free(&m);
	ok(config_load_buffer("m", text, strlen(text), NULL, &conf, &errs) ==
	    0 && conf->sandbox.memory == 128LL << 20,
	    "without -D the file's value is used");
	config_free(conf);
	cferrs_free(&errs);
}

/* a number key that also takes a word: max-containers auto */
static void
words(void)
{
	struct topsh_conf	*conf;
	struct cferrs		 errs;
	const char		*a = "sandbox { max-containers auto }\n";
	const char		*n = "sandbox { max-containers 7 }\n";
	const char		*bad = "sandbox { max-containers lots }\n";
	char			*out;
	size_t			 len;
	FILE			*fp;

	cferrs_init(&errs);
	ok(config_load_buffer("w", "", 0, NULL, &conf, &errs) == 0 &&
	    conf->sandbox.max_containers == -1,
	    "max-containers is auto by default");
	config_free(conf);
	ok(config_load_buffer("w", a, strlen(a), NULL, &conf, &errs) == 0 &&
	    conf->sandbox.max_containers == -1, "max-containers auto parses");
	if (conf != NULL) {
		out = NULL;
		len = 0;
		fp = open_memstream(&out, &len);
		config_print_all(fp, conf, 1);
		fclose(fp);
		ok(strstr(out, "max-containers auto\n") != NULL,
		    "and prints back as auto");
		free(out);
	}
	config_free(conf);
	ok(config_load_buffer("w", n, strlen(n), NULL, &conf, &errs) == 0 &&
	    conf->sandbox.max_containers == 7, "max-containers 7 is a number");
	config_free(conf);
	ok(config_load_buffer("w", bad, strlen(bad), NULL, &conf, &errs) ==
	    -1, "max-containers lots is refused");
	cferrs_free(&errs);
}

static void
values(void)
{
	long long	 v;
	int		 b;

	ok(cf_parse_size("512M", &v) == 0 && v == 512LL << 20, "512M");
	ok(cf_parse_size("1.5G", &v) == 0 && v == 3LL << 29, "1.5G");
	ok(cf_parse_size("64kb", &v) == 0 && v == 65536, "64kb");
	ok(cf_parse_size("-1", &v) == -1, "negative size refused");
	ok(cf_parse_size("12Q", &v) == -1, "unknown unit refused");
	ok(cf_parse_size("99999999999T", &v) == -1, "overflow refused");
	ok(cf_parse_time("90", &v) == 0 && v == 90, "90 seconds");
	ok(cf_parse_time("5m", &v) == 0 && v == 300, "5m");
	ok(cf_parse_time("2d", &v) == 0 && v == 172800, "2d");
	ok(cf_parse_time("m", &v) == -1, "unit without number refused");
	ok(cf_parse_bool("on", &b) == 0 && b == 1, "on");
	ok(cf_parse_bool("maybe", &b) == -1, "maybe refused");
}

static void
fuzzish(void)
{
	struct topsh_conf	*conf;
	struct cferrs		 errs;
	const char *bad[] = { "{", "}", "a {", "sandbox { memory }",
	    "\"unterminated", "x = ", "= y", "sandbox { sandbox { } }",
	    "include", "a\\", "\x01\x02", "$", "a { b { c { d } } }",
	    "sandbox {\n memory 1M", NULL };
	int			 i, all = 1;

	for (i = 0; bad[i] != NULL; i++) {
		cferrs_init(&errs);
		if (config_load_buffer("bad", bad[i], strlen(bad[i]), NULL,
		    &conf, &errs) != -1 || errs.n == 0)
			all = 0;
		config_free(conf);
		cferrs_free(&errs);
	}
	ok(all, "malformed inputs are all refused with an error");
}

static void
includes(void)
{
	struct topsh_conf	*conf;
	struct cferrs		 errs;
	char			 d[] = "/tmp/topsh-cfinc.XXXXXX", path[256];
	char			*all;
	FILE			*fp;

	if (mkdtemp(d) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/sub.conf", d);
	fp = fopen(path, "w");
	fprintf(fp, "# line 1\nsandbox { pids 1 }\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/main.conf", d);
	fp = fopen(path, "w");
	fprintf(fp, "include \"sub.conf\"\npolicy { rules \"p/a.rules\" }\n"
	    "bogus 1\n");
	fclose(fp);
	cferrs_init(&errs);
	ok(config_load(path, NULL, &conf, &errs) == -1, "errors in an included "
	    "file fail the load");
	all = cferrs_join(&errs);
	ok(all != NULL && strstr(all, "/sub.conf:2: pids: 1 out of range") !=
	    NULL, "an included file's error names that file and its line");
	ok(all != NULL && strstr(all, "/main.conf:3: unknown keyword") != NULL,
	    "the including file's lines still count right after the include");
	free(all);
	cferrs_free(&errs);
	fp = fopen(path, "w");
	fprintf(fp, "policy { rules \"p/a.rules\" /abs/b.rules }\n");
	fclose(fp);
	cferrs_init(&errs);
	ok(config_load(path, NULL, &conf, &errs) == 0 && conf->policy.rules.n ==
	    2 && strncmp(conf->policy.rules.v[0], d, strlen(d)) == 0 &&
	    strcmp(conf->policy.rules.v[1], "/abs/b.rules") == 0,
	    "relative rule files are taken from the config's directory");
	config_free(conf);
	cferrs_free(&errs);
	snprintf(path, sizeof(path), "rm -rf %s", d);
	(void)system(path);
}

static void
sample(void)
{
	struct topsh_conf	*conf;
	struct cferrs		 errs;
	char			 path[2048];
	const char		*src = getenv("TOPSH_SRC");

	cferrs_init(&errs);
	snprintf(path, sizeof(path), "%s/etc/topsh.conf", src ? src : ".");
	ok(config_load(path, NULL, &conf, &errs) == 0,
	    "the shipped etc/topsh.conf parses");
	cferrs_print(&errs, stdout);
	config_free(conf);
	cferrs_free(&errs);
}

/* issue 14: workspace-root "/" and a duplicated section */
static int
loads(const char *text, const char *want_error)
{
	struct topsh_conf	*conf = NULL;
	struct cferrs		 errs;
	size_t			 i;
	int			 rv, found = want_error == NULL;

	cferrs_init(&errs);
	rv = config_load_buffer("t.conf", text, strlen(text), NULL, &conf,
	    &errs);
	for (i = 0; i < errs.n; i++)
		if (want_error != NULL && strstr(errs.msgs[i], want_error) !=
		    NULL)
			found = 1;
	config_free(conf);
	cferrs_free(&errs);
	return (rv == 0 ? want_error == NULL : found);
}

static void
refusals(void)
{
	ok(loads("sandbox { workspace-root \"/\" }", "root directory"),
	    "workspace-root / refused");
	ok(loads("sandbox { workspace-root \"//.\" }", "root directory"),
	    "workspace-root //. refused");
	ok(loads("sandbox { workspace-root \"/srv/..\" }", "root directory"),
	    "workspace-root /srv/.. refused");
	ok(loads("sandbox { workspace-root \"/srv/ws\" }", NULL),
	    "workspace-root /srv/ws accepted");
	ok(loads("sandbox { memory 1G }\nsandbox { memory 1G }",
	    "memory set twice"), "a duplicated section refused");
	ok(loads("sandbox { memory 1G; pids 50 }\nsandbox { pids 5000 }",
	    "pids set twice"), "a setting overridden in a later block refused");
	ok(loads("sandbox { memory 1G }\nsandbox { pids 50 }", NULL),
	    "a section split over blocks with different settings accepted");
}

/* issue 12: errors that say how to fix them */
static void
hints(void)
{
	ok(loads("runtme-dir \"/run/x\"",
	    "unknown keyword \"runtme-dir\"; did you mean \"runtime-dir\"?"),
	    "a misspelt top-level keyword gets a suggestion");
	ok(loads("gateway {\n\tmax-iteratons 5\n}",
	    "unknown keyword \"max-iteratons\" in gateway section; did you "
	    "mean \"max-iterations\"?"), "a misspelt section keyword too");
	ok(loads("gatway {\n}", "did you mean \"gateway\"?"),
	    "a misspelt section name too");
	ok(loads("proxy {\n\tmodel \"m\"\n}", "unknown keyword \"model\" "
	    "in proxy section; it belongs in the gateway section"),
	    "a keyword of another section says which");
	ok(loads("sandbox {\n\tstate-dir \"/x\"\n}",
	    "it belongs at the top level"), "a top-level keyword in a section");
	ok(loads("xyzzy 1", "unknown keyword \"xyzzy\"") &&
	    !loads("xyzzy 1", "did you mean"),
	    "no suggestion when nothing is near");
	ok(loads("gateway {\n\tmax-jobs 3\n\nproxy {\n}\n",
	    "unclosed { opened at line 1"), "a missing } names the line of "
	    "its {");
	ok(loads("gateway {\n}\n}\n", "3: } closes no {"),
	    "a } too many is named");
	ok(loads("gateway {\n\tmax-jobs 3\n}\nproxy {\n}\n", NULL),
	    "balanced braces load");
}

int
main(void)
{
	const char	*src = getenv("TOPSH_SRC");

	snprintf(dir, sizeof(dir), "%s/regress/config", src ? src : ".");
	golden("minimal");
	golden("full");
	errors();
	macros();
	words();
	values();
	fuzzish();
	refusals();
	hints();
	includes();
	sample();
	return (done_testing());
}

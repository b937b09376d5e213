/*
 * policyd_rules.c - rule files: parse errors (all of them), precedence,
 * file and network rules, the prefilter against brute force, reload
 * with a broken file, and the shipped rule set; the command index
 * against brute force, on the corpora and every input of the benchmark.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "regress.h"
#include "config.h"
#include "../../policyd/policy.h"
#include "../../policyd/policyd.h"
#include "../../bench/policy/inputs.h"

static const char *src;

static int
load(struct ruleset *rs, const char *text, struct cferrs *errs)
{
	ruleset_init(rs);
	cferrs_init(errs);
	return (ruleset_load_buffer(rs, "t.rules", text, strlen(text), errs));
}

static const char *
cmd(struct ruleset *rs, const char *c)
{
	static char		 buf[256];
	struct pol_result	 r;

	pol_check_command(rs, c, strlen(c), &r);
	snprintf(buf, sizeof(buf), "%s %s", pol_decision_name(r.decision),
	    r.rule != NULL ? r.rule : "-");
	return (buf);
}

static const char *
file(struct ruleset *rs, unsigned int op, const char *path)
{
	static char		 buf[256];
	struct pol_result	 r;

	pol_check_file(rs, op, path, &r);
	snprintf(buf, sizeof(buf), "%s %s", pol_decision_name(r.decision),
	    r.rule != NULL ? r.rule : "-");
	return (buf);
}

static const char *
net(struct ruleset *rs, const char *host, const char *addr, int port)
{
	static char		 buf[256];
	struct pol_result	 r;

	pol_check_net(rs, host, addr, port, &r);
	snprintf(buf, sizeof(buf), "%s %s", pol_decision_name(r.decision),
	    r.rule != NULL ? r.rule : "-");
	return (buf);
}

static void
t_errors(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;
	const char	*bad =
	    "block b1 category c pattern 'a(' message m\n"
	    "block b2 category c message m\n"
	    "approve a1 category c pattern x message m timeout forever\n"
	    "command frobnicate c1 match x\n"
	    "file deny f1 path /x ops read,chew\n"
	    "network deny n1 cidr 10.0.0.0/33\n"
	    "network allow n2 message m\n"
	    "block ok1 category c pattern y message m\n"
	    "frob x\n"
	    "default network sometimes\n"
	    "block ok1 category c pattern z message m\n";

	ok(load(&rs, bad, &errs) == -1, "a rule file with errors is refused");
	is_int(errs.n, 10, "every error is reported, not just the first");
	if (errs.n == 10) {
		ok(strncmp(errs.msgs[0], "t.rules:1: rule b1: bad pattern at "
		    "offset 2", 38) == 0, "pcre2 error with file and line: %s",
		    errs.msgs[0]);
		is_str(errs.msgs[1], "t.rules:2: rule b2: needs category, "
		    "pattern and message", "missing pattern");
		is_str(errs.msgs[2], "t.rules:3: rule a1: bad timeout "
		    "\"forever\" (1s to 1d)", "bad timeout");
		is_str(errs.msgs[3], "t.rules:4: command: expected allow, deny "
		    "or approve", "bad decision");
		ok(strstr(errs.msgs[4], "t.rules:5: rule f1: bad ops") != NULL,
		    "bad ops: %s", errs.msgs[4]);
		is_str(errs.msgs[5], "t.rules:6: rule n1: bad or repeated cidr "
		    "\"10.0.0.0/33\"", "bad cidr");
		is_str(errs.msgs[6], "t.rules:7: rule n2: needs domain, cidr or "
		    "port", "network rule without a match");
		is_str(errs.msgs[7], "t.rules:9: unknown statement \"frob\"",
		    "unknown statement");
		ok(strncmp(errs.msgs[8], "t.rules:10: default:", 20) == 0,
		    "bad default: %s", errs.msgs[8]);
		is_str(errs.msgs[9], "t.rules:11: rule ok1: name used twice",
		    "duplicate name");
	}
	cferrs_free(&errs);
	ok(load(&rs, "default network sometimes\n", &errs) == -1 &&
	    errs.n == 1, "bad default");
	cferrs_free(&errs);
	ok(load(&rs, "block x category c pattern p message m timeout 5m\n",
	    &errs) == -1 && errs.n == 1, "timeout only for approve rules");
	cferrs_free(&errs);
	ok(load(&rs, "file soft-delete x path '*' ops read\n", &errs) == -1 &&
	    errs.n == 1, "soft-delete only for deletes");
	cferrs_free(&errs);
}

static void
t_precedence(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;
	const char	*text =
	    "approve a-curl category c pattern 'curl' message m timeout 90\n"
	    "block b-evil category c pattern 'evil' message m\n"
	    "block b-evil2 category c pattern 'evil\\.com' message m\n"
	    "command allow c-ls match ls\n"
	    "command deny c-rm match rm args '-rf' message 'no'\n"
	    "command approve c-rm2 match rm message 'sure?'\n"
	    "command deny c-path match '/opt/bad/*'\n";

	if (load(&rs, text, &errs) == -1) {
		cferrs_print(&errs, stdout);
		ok(0, "precedence rules load");
		return;
	}
	ok(1, "precedence rules load");
	is_str(cmd(&rs, "echo hi"), "allow -", "nothing matches: default");
	is_str(cmd(&rs, "curl x"), "approve a-curl", "approve rule");
	is_str(cmd(&rs, "curl evil.com"), "deny b-evil",
	    "deny beats approve; the first deny is reported");
	is_str(cmd(&rs, "rm x"), "approve c-rm2", "command approve");
	is_str(cmd(&rs, "rm -rf x"), "deny c-rm", "command deny with args "
	    "beats the approve");
	is_str(cmd(&rs, "ls; rm x"), "approve c-rm2",
	    "approve beats allow across commands");
	is_str(cmd(&rs, "nice -n 3 rm -rf x"), "deny c-rm",
	    "wrapped commands are checked");
	is_str(cmd(&rs, "sh -c 'rm -rf y'"), "deny c-rm",
	    "sh -c commands are checked");
	is_str(cmd(&rs, "/opt/bad/tool"), "deny c-path", "full path globs");
	is_str(cmd(&rs, "tool"), "allow -", "a path glob needs the path");
	is_str(cmd(&rs, "sh -c 'ev\"\"il'"), "deny b-evil",
	    "regex rules see the decoded sh -c text and de-quoted words");
	{
		struct pol_result r;

		pol_check_command(&rs, "curl x", 6, &r);
		is_int(r.timeout, 90, "a rule's own approval timeout");
		pol_check_command(&rs, "rm x", 4, &r);
		is_int(r.timeout, 300, "the default approval timeout");
		pol_check_command(&rs, "ls", 2, &r);
		is_int(r.timeout, 0, "no timeout for allow");
	}
	ruleset_free(&rs);

	ok(load(&rs, "command allow only-ls match ls\n"
	    "default command deny\n", &errs) == 0, "default deny loads");
	is_str(cmd(&rs, "ls -l"), "allow only-ls", "allow rule under "
	    "default deny");
	is_str(cmd(&rs, "cat x"), "deny default", "default deny");
	is_str(cmd(&rs, "ls | cat"), "deny default", "every command must be "
	    "allowed");
	ruleset_free(&rs);
}

static void
t_globs(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;

	ok(load(&rs, "command deny multi match 'foo,/opt/x/*,ba?' "
	    "message m\n", &errs) == 0, "a list of globs loads");
	is_str(cmd(&rs, "foo -x"), "deny multi", "first glob");
	is_str(cmd(&rs, "/usr/bin/foo"), "deny multi", "by basename");
	is_str(cmd(&rs, "/opt/x/tool"), "deny multi", "full path glob");
	is_str(cmd(&rs, "tool"), "allow -", "a path glob needs the path");
	is_str(cmd(&rs, "bar; baz"), "deny multi", "wildcard glob");
	is_str(cmd(&rs, "bark"), "allow -", "? is one character");
	ruleset_free(&rs);
	cferrs_free(&errs);
	ok(load(&rs, "command approve a-git match git message m\n"
	    "command deny d-first match 'cp,/opt/bin/tool' message m\n"
	    "command deny d-second match 'mv,cp,git' message m\n"
	    "command deny d-wild match 'g*' message m\n", &errs) == 0,
	    "plain and wildcard command rules load");
	is_str(cmd(&rs, "git push"), "deny d-second", "the index finds every "
	    "rule of a name, the most severe decides");
	is_str(cmd(&rs, "/usr/bin/cp a b"), "deny d-first", "by basename, "
	    "the first of equal rules");
	is_str(cmd(&rs, "/opt/bin/tool"), "deny d-first", "a plain path glob");
	is_str(cmd(&rs, "tool"), "allow -", "a plain path glob needs the path");
	is_str(cmd(&rs, "/usr/opt/bin/tool"), "allow -", "a plain path glob "
	    "is the whole name");
	is_str(cmd(&rs, "gcc x"), "deny d-wild", "wildcard rules on every "
	    "command");
	is_str(cmd(&rs, "ls; mv a b"), "deny d-second", "each command looked "
	    "up");
	ruleset_free(&rs);
	cferrs_free(&errs);
	ok(load(&rs, "command deny bad match 'a,,b'\n", &errs) == -1 &&
	    errs.n == 1, "an empty glob in the list is an error");
	cferrs_free(&errs);
}

static void
t_builtin(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;
	char		*big;

	ok(load(&rs, "block x category c pattern 'shadow' message m\n",
	    &errs) == 0, "builtin: rules load");
	is_str(cmd(&rs, "echo 'open"), "deny shell-parse", "unparseable");
	is_str(cmd(&rs, "echo 'open; cat /etc/shadow"), "deny x",
	    "unparseable but a regex rule names it");
	is_str(cmd(&rs, "$(echo rm) -rf /"), "deny shell-dynamic",
	    "a computed command name");
	is_str(cmd(&rs, "$(echo x)$(echo y)"), "deny shell-dynamic",
	    "a computed command name again");
	big = malloc(rs.maxinput + 2);
	memset(big, 'a', rs.maxinput + 1);
	big[rs.maxinput + 1] = '\0';
	is_str(cmd(&rs, big), "deny input-size", "too long");
	free(big);
	ruleset_free(&rs);
}

static void
t_files(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;
	char		 buf[PATH_MAX];
	const char	*text =
	    "file deny f-environ path '/proc/*/environ'\n"
	    "file approve f-env path '.env' ops read,write\n"
	    "file approve f-ssh path '*/.ssh/*'\n"
	    "file deny f-escape path '../*'\n"
	    "file soft-delete f-trash path '*' ops delete\n"
	    "file deny f-etc path '/etc/*' ops write,create,delete\n";

	ok(load(&rs, text, &errs) == 0, "file rules load");
	is_str(file(&rs, FOP_READ, "/proc/1/environ"), "deny f-environ",
	    "glob on the full path");
	is_str(file(&rs, FOP_READ, "/proc/self/../1/environ"),
	    "deny f-environ", "normalised before matching");
	is_str(file(&rs, FOP_READ, "app/.env"), "approve f-env",
	    "basename glob");
	is_str(file(&rs, FOP_READ, ".env/bin/activate"), "allow -",
	    "a basename glob does not match a directory");
	is_str(file(&rs, FOP_LIST, ".env"), "allow -", "ops limit a rule");
	is_str(file(&rs, FOP_READ, "/home/u/.ssh/id_rsa"), "approve f-ssh",
	    "*/ glob");
	is_str(file(&rs, FOP_READ, ".ssh/id_rsa"), "approve f-ssh",
	    "*/ glob at the start of a relative path");
	is_str(file(&rs, FOP_WRITE, "a/../../b"), "deny f-escape",
	    "climbing out of the workspace");
	is_str(file(&rs, FOP_DELETE, "notes.txt"), "soft-delete f-trash",
	    "soft-delete");
	is_str(file(&rs, FOP_DELETE, "/etc/passwd"), "deny f-etc",
	    "deny beats soft-delete");
	is_str(file(&rs, FOP_READ, "/etc/passwd"), "allow -",
	    "reading /etc is not writing it");
	is_str(file(&rs, FOP_READ, ""), "deny path-invalid", "empty path");
	ruleset_free(&rs);

	ok(pol_path_normalise("/a//b/./c/../d/", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/a/b/d") == 0, "normalise an absolute path");
	ok(pol_path_normalise("/../../etc", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/etc") == 0, "/.. is /");
	ok(pol_path_normalise("a/../../x", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "../x") == 0, "a relative path keeps its climb");
	ok(pol_path_normalise("./", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, ".") == 0, "the current directory");
}

static void
t_network(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;
	const char	*text =
	    "network deny n-meta cidr 169.254.169.254/32\n"
	    "network deny n-lo cidr 127.0.0.0/8\n"
	    "network deny n-lo6 cidr ::1/128\n"
	    "network deny n-ula cidr fc00::/7\n"
	    "network deny n-mine port 3333\n"
	    "network approve n-ssh port 22\n"
	    "network allow n-pypi domain pypi.org\n"
	    "network allow n-gh domain '*.github.com'\n"
	    "network allow n-web port 80,443,8000-8100\n"
	    "network deny n-bad domain '*.evil.example' port 443\n"
	    "default network deny\n";

	ok(load(&rs, text, &errs) == 0, "network rules load");
	is_str(net(&rs, "169.254.169.254", NULL, 80), "deny n-meta",
	    "metadata by literal");
	is_str(net(&rs, "example.com", "169.254.169.254", 80), "deny n-meta",
	    "metadata by resolved address");
	is_str(net(&rs, "::ffff:169.254.169.254", NULL, 80), "deny n-meta",
	    "IPv4-mapped IPv6 is normalised");
	is_str(net(&rs, "[::ffff:a9fe:a9fe]", NULL, 80), "deny n-meta",
	    "IPv4-mapped IPv6 in hex");
	is_str(net(&rs, "64:ff9b::a9fe:a9fe", NULL, 80), "deny n-meta",
	    "NAT64");
	is_str(net(&rs, "2852039166", NULL, 80), "deny n-meta",
	    "decimal IPv4");
	is_str(net(&rs, "0xa9.0xfe.0xa9.0xfe", NULL, 80), "deny n-meta",
	    "hex IPv4");
	is_str(net(&rs, "127.1", NULL, 80), "deny n-lo", "short IPv4");
	is_str(net(&rs, "[::1]", NULL, 443), "deny n-lo6", "IPv6 loopback");
	is_str(net(&rs, "x", "fd12::1", 443), "deny n-ula", "ULA");
	is_str(net(&rs, "pool.example", NULL, 3333), "deny n-mine",
	    "port rule");
	is_str(net(&rs, "host.example", NULL, 22), "approve n-ssh",
	    "approve by port");
	is_str(net(&rs, "PyPI.org.", NULL, 8443), "allow n-pypi",
	    "domain: case and trailing dot");
	is_str(net(&rs, "api.github.com", NULL, 9418), "allow n-gh",
	    "wildcard domain");
	is_str(net(&rs, "github.com", NULL, 9418), "deny default",
	    "*.x does not match x");
	is_str(net(&rs, "example.org", NULL, 8080), "allow n-web",
	    "port range");
	is_str(net(&rs, "example.org", NULL, 25), "deny default",
	    "default deny");
	is_str(net(&rs, "a.evil.example", NULL, 443), "deny n-bad",
	    "domain and port together; deny beats allow");
	is_str(net(&rs, "a.evil.example", NULL, 80), "allow n-web",
	    "domain and port together: both must match");
	is_str(net(&rs, "bad host", NULL, 80), "deny host-invalid",
	    "malformed host");
	/* an address instead of a name: issue 14 item 10 */
	is_str(net(&rs, "93.184.215.14", NULL, 443), "deny default",
	    "IP literal: a port-only allow does not allow an address");
	is_str(net(&rs, "1572395790", NULL, 443), "deny default",
	    "IP literal in decimal: the same");
	is_str(net(&rs, NULL, "93.184.215.14", 443), "deny default",
	    "no host, only an address: the same");
	is_str(net(&rs, "example.org", "93.184.215.14", 443), "allow n-web",
	    "the same address behind a name is allowed by the port rule");
	is_str(net(&rs, "10.9.8.7", NULL, 22), "approve n-ssh",
	    "IP literal: approve rules still apply");
	ruleset_free(&rs);

	ok(load(&rs, "network deny n-bad domain 'evil.example'\n"
	    "network deny n-mine port 3333\n"
	    "network allow n-cdn cidr 151.101.0.0/16 port 443\n"
	    "default network allow\n", &errs) == 0,
	    "network rules with default allow load");
	is_str(net(&rs, "evil.example", "203.0.113.5", 443), "deny n-bad",
	    "a denied domain by name");
	is_str(net(&rs, "203.0.113.5", NULL, 443), "deny net-ip-literal",
	    "the denied domain's address, dotted: denied even under default "
	    "allow");
	is_str(net(&rs, "3405803781", NULL, 443), "deny net-ip-literal",
	    "decimal");
	is_str(net(&rs, "0313.0.0161.5", NULL, 443), "deny net-ip-literal",
	    "octal");
	is_str(net(&rs, "0xcb.0x0.0x71.0x5", NULL, 443),
	    "deny net-ip-literal", "hex");
	is_str(net(&rs, "[::ffff:203.0.113.5]", NULL, 443),
	    "deny net-ip-literal", "IPv4-mapped IPv6");
	is_str(net(&rs, "[2001:db8::5]", NULL, 443), "deny net-ip-literal",
	    "IPv6");
	is_str(net(&rs, "good.example", "203.0.113.5", 443), "allow -",
	    "a name that is not denied: the default");
	is_str(net(&rs, "151.101.0.223", NULL, 443), "allow n-cdn",
	    "an address a cidr allow rule holds");
	is_str(net(&rs, "0x97.0x65.0.223", NULL, 443), "allow n-cdn",
	    "the same in hex");
	is_str(net(&rs, "151.101.0.223", NULL, 3333), "deny n-mine",
	    "a deny rule beats the cidr allow");
	is_str(net(&rs, "151.101.0.223", NULL, 80), "deny net-ip-literal",
	    "the cidr allow's port must match too");
	ruleset_free(&rs);
}

/*
 * A literal run longer than the prefilter keeps is cut in pieces; a
 * later piece does not start the match (found by fuzz_rules: the rule
 * was tried anchored in the wrong place and never matched).
 */
static void
t_long_literal(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;
	char		 rule[512], line[512], lit[160];
	char		**v;
	size_t		 n, i;
	int		 pfx;

	memset(lit, 'c', 127);
	memcpy(lit + 127, "#", 2);
	snprintf(rule, sizeof(rule), "block long category c pattern '%s' "
	    "message m\n", lit);
	if (prefilter_literals(lit, 0, &v, &n, &pfx) == 1) {
		ok(n == 1 && strchr(v[0], '#') == NULL && pfx,
		    "the first piece of a long run starts the match, not "
		    "the second");
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
	} else
		ok(0, "a long run gives a literal");
	if (load(&rs, rule, &errs) == -1) {
		cferrs_print(&errs, stdout);
		ok(0, "long literal rule loads");
		return;
	}
	snprintf(line, sizeof(line), "echo %s", lit);
	is_str(cmd(&rs, line), "deny long", "a rule with a 128-byte literal "
	    "matches");
	ruleset_free(&rs);
	cferrs_free(&errs);
}

static void
t_literals(void)
{
	char	**v;
	size_t	  n, i;
	int	  r;

	int	  pfx;

	r = prefilter_literals("[a-z]+/proc/[^/]+/environ", 0, &v, &n, &pfx);
	ok(r == 1 && n == 1 && strcmp(v[0], "/environ") == 0,
	    "longest mandatory run");
	ok(!pfx, "a match does not start with /environ");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	r = prefilter_literals("/proc/[^/]+/environ", 0, &v, &n, &pfx);
	ok(r == 1 && n == 1 && strcmp(v[0], "/proc/") == 0 && pfx,
	    "a literal that starts every match is preferred");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	r = prefilter_literals("\\b(?:nmap|MASSCAN)\\s", 0, &v, &n, &pfx);
	ok(r == 1 && n == 2 && strcmp(v[1], "masscan") == 0,
	    "alternatives, lower-cased");
	ok(pfx, "a match starts with nmap or masscan");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	ok(prefilter_literals("ab?c|x", 0, &v, &n, NULL) == 0, "a short branch gives "
	    "no literal");
	ok(prefilter_literals("(?:abc)?def", 0, &v, &n, &pfx) == 1 && n == 1 &&
	    strcmp(v[0], "def") == 0 && !pfx, "optional groups are skipped");
	free(v[0]);
	free(v);
	ok(prefilter_literals("abc", PCRE2_EXTENDED, &v, &n, NULL) == 0,
	    "extended mode is not filtered");
	ok(prefilter_literals("\\Qabc\\E", 0, &v, &n, NULL) == 0, "\\Q is not filtered");
	t_long_literal();
}

/* the corpora and the long lines of bench/policy */
static void
load_inputs(struct inputs *in)
{
	char	 a[PATH_MAX], e[PATH_MAX];
	char	*corpora[2] = { a, e };

	snprintf(a, sizeof(a), "%s/regress/policy/attack.txt", src);
	snprintf(e, sizeof(e), "%s/regress/policy/everyday.txt", src);
	memset(in, 0, sizeof(*in));
	inputs_load(in, corpora, 2);
}

struct pfcount {
	size_t	lines;
	size_t	runs;		/* patterns the filter let through */
	size_t	hits;		/* pcre2 matches */
	size_t	misses;		/* a match the filter or anchoring hid */
};

/* every pattern that matches must have been let through by the filter */
static void
pf_line(struct ruleset *rs, const char *line, size_t len, struct pfcount *c)
{
	size_t	i;
	int	pass;

	c->lines++;
	regex_scan(rs, line, len);
	for (i = 0; i < rs->nregex; i++) {
		pass = regex_candidate(rs, i);
		c->runs += pass;
		if (!rule_re_match(rs, rs->regex[i]->re, line, len))
			continue;
		c->hits++;
		if (pass && !regex_rule_matches(rs, i, line, len)) {
			c->misses++;
			printf("# anchored match missed %s on %.100s\n",
			    rs->regex[i]->name, line);
		}
		if (!pass) {
			c->misses++;
			printf("# prefilter missed %s on %.100s\n",
			    rs->regex[i]->name, line);
		}
	}
}

static void
t_prefilter(struct ruleset *rs)
{
	const char	*files[] = { "attack.txt", "everyday.txt" };
	char		 path[PATH_MAX], *line = NULL;
	struct pfcount	 c;
	struct inputs	 in;
	size_t		 cap = 0, k, i;
	ssize_t		 len;
	FILE		*fp;

	memset(&c, 0, sizeof(c));
	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/regress/policy/%s", src,
		    files[k]);
		if ((fp = fopen(path, "r")) == NULL) {
			ok(0, "open %s", path);
			continue;
		}
		while ((len = getline(&line, &cap, fp)) != -1) {
			if (len > 0 && line[len - 1] == '\n')
				line[--len] = '\0';
			pf_line(rs, line, len, &c);
		}
		fclose(fp);
	}
	free(line);
	ok(c.lines > 400 && c.hits > 200, "prefilter checked on %zu lines "
	    "(%zu matches)", c.lines, c.hits);
	is_int(c.misses, 0, "the prefilter and anchored matching never hide "
	    "a match");
	ok(c.runs < c.lines * rs->nregex / 4, "the prefilter skips most "
	    "patterns (%zu of %zu run)", c.runs, c.lines * rs->nregex);
	/* the benchmark's inputs, the sh -c scripts decoded from each too */
	memset(&c, 0, sizeof(c));
	load_inputs(&in);
	for (k = 0; k < in.n; k++) {
		pf_line(rs, in.v[k], in.len[k], &c);
		if (shparse(&rs->sp, in.v[k], in.len[k]) == 0)
			for (i = 0; i < rs->sp.ntexts; i++)
				pf_line(rs, rs->sp.texts[i],
				    strlen(rs->sp.texts[i]), &c);
	}
	ok(in.n > 600 && in.n - in.nbase == 68 && c.lines > in.n &&
	    c.hits > 300, "prefilter checked on the %zu benchmark inputs, "
	    "%zu texts (%zu matches)", in.n, c.lines, c.hits);
	is_int(c.misses, 0, "nor on the benchmark's long lines");
	inputs_free(&in);
}

static int
lfind_u32(const uint32_t *v, size_t n, uint32_t x)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return (1);
	return (0);
}

/*
 * A command rule's globs, the slow way: fnmatch() or, plain, strcmp();
 * but a rule whose globs all start with a plain byte or a backslash
 * only sees names that start with one of those bytes (so \d* alone
 * matches nothing, as it always has).
 */
static int
command_glob(const struct rule *r, const char *argv0, const char *base)
{
	const char	*name;
	size_t		 i;
	int		 any = 0, first = 0;

	for (i = 0; i < r->nglobs; i++) {
		if (strchr("*?[", r->globs[i][0]) != NULL ||
		    (r->globflags[i] & GLOB_PATH))
			any = 1;
		else if (r->globs[i][0] == base[0])
			first = 1;
	}
	if (!any && !first)
		return (0);
	for (i = 0; i < r->nglobs; i++) {
		name = (r->globflags[i] & GLOB_PATH) ? argv0 : base;
		if ((r->globflags[i] & GLOB_WILD) ?
		    fnmatch(r->globs[i], name, 0) == 0 :
		    strcmp(r->globs[i], name) == 0)
			return (1);
	}
	return (0);
}

/*
 * Random lines made of pieces of the attack corpus, separators and
 * noise, up to 4 KiB, with the pieces at every alignment: whatever the
 * prefilter, the follow literals and the span windows skip, full pcre2
 * must not match either.
 */
static void
t_prefilter_random(struct ruleset *rs)
{
	static const char *const glue[] = {
		" ", " && ", "; ", " | ", "\n", " || ", "'", "\"", "$(", ")",
		"`", " > ", "\\", "-", "/", "x", "A", "9", "=", ": ", "&",
		"\t", "{", "}", "*", "?",
	};
	struct pfcount	 c;
	struct inputs	 in;
	char		*buf;
	size_t		 k, off, cap = 4096, j, want, len;
	unsigned int	 seed = 12345;

	memset(&c, 0, sizeof(c));
	load_inputs(&in);
	if ((buf = malloc(cap + 1)) == NULL)
		return;
	for (k = 0; k < 3000; k++) {
		want = 16 + rand_r(&seed) % (k % 10 == 0 ? cap - 16 : 400);
		for (off = 0; off < want;) {
			const char *piece;

			if (rand_r(&seed) % 3 == 0)
				piece = glue[rand_r(&seed) %
				    (sizeof(glue) / sizeof(glue[0]))];
			else {
				j = rand_r(&seed) % in.nbase;
				piece = in.v[j];
				if (in.len[j] > 8 && rand_r(&seed) % 2) {
					/* a random slice of it */
					size_t a = rand_r(&seed) % in.len[j];
					size_t l = 1 + rand_r(&seed) %
					    (in.len[j] - a);

					if (off + l > want)
						break;
					memcpy(buf + off, piece + a, l);
					off += l;
					continue;
				}
			}
			len = strlen(piece);
			if (off + len > want)
				break;
			memcpy(buf + off, piece, len);
			off += len;
		}
		buf[off] = '\0';
		pf_line(rs, buf, off, &c);
	}
	ok(c.lines == 3000 && c.hits > 1000, "prefilter checked on %zu random "
	    "lines (%zu matches)", c.lines, c.hits);
	is_int(c.misses, 0, "follow literals and span windows hide no match");
	free(buf);
	inputs_free(&in);
}

/*
 * Lines of one piece repeated (beyond the prefilter's limits too) and
 * ended by a piece that differs in its last byte, or by the text's end:
 * an attempt that reads the same bytes as the last one is skipped,
 * and that must never skip a match.
 */
static void
t_repeats(struct ruleset *rs)
{
	static const char *const sep[] = { " && ", "; ", " ", "\n", " | ",
	    "" };
	static const size_t counts[] = { 2, 5, 40, 120, 300 };
	struct pfcount	 c;
	struct inputs	 in;
	char		 buf[4200], *p;
	size_t		 k, j, n, l, off, v;

	memset(&c, 0, sizeof(c));
	load_inputs(&in);
	for (k = 0; k < in.nbase; k++) {
		l = in.len[k];
		if (l < 2 || l > 200)
			continue;
		p = in.v[k];
		for (v = 0; v < 3; v++) {
			n = counts[(k + v) % 5];
			j = (k / 5 + v) % (sizeof(sep) / sizeof(sep[0]));
			for (off = 0; n > 0 && off + 2 * l + 4 < 4096; n--) {
				memcpy(buf + off, p, l - (v != 2));
				off += l - (v != 2);
				if (v == 2)	/* the last byte changed */
					buf[off - 1] ^= 0x20;
				memcpy(buf + off, sep[j], strlen(sep[j]));
				off += strlen(sep[j]);
			}
			/* the piece whole, cut short, or the text ends */
			if (v != 1) {
				memcpy(buf + off, p, l);
				off += l;
			}
			buf[off] = '\0';
			pf_line(rs, buf, off, &c);
		}
	}
	ok(c.lines > 1500 && c.hits > 500, "repeated pieces checked on %zu "
	    "lines (%zu matches)", c.lines, c.hits);
	is_int(c.misses, 0, "skipping repeated reads hides no match");
	inputs_free(&in);
}

/* a set of one rule, "block r category c BODY message m"; -1 failed */
static int
load_one(struct ruleset *rs, struct cferrs *errs, const char *body)
{
	char	rule[256];

	snprintf(rule, sizeof(rule), "block r category c %s message m\n",
	    body);
	if (load(rs, rule, errs) == -1) {
		cferrs_print(errs, stdout);
		ok(0, "%s loads", body);
		return (-1);
	}
	return (0);
}

/*
 * The same bytes read twice, but the second time at the text's end
 * ($ matches before a final newline), or after a different byte that a
 * lookbehind sees: pcre2 must be asked again.
 */
static void
t_repeat_edges(void)
{
	static const struct {
		const char	*pattern;
		const char	*line;
	} cases[] = {
		{ "ab[^\\n;]*c$", " abxc\n abxc\n" },
		{ "(?<=x)ab[^;]*c", " yabc; xabc;" },
		{ "(?<=z;)ab[^;]*c", "xy;abc;z;abc;x" },
		{ "\\bab[^;]*c", "xabc; abc;" },
	};
	struct ruleset	 rs;
	struct cferrs	 errs;
	char		 body[128];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "pattern '%s'", cases[i].pattern);
		if (load_one(&rs, &errs, body) == -1)
			continue;
		ok(rs.regex[0]->rspanned, "%s: reads can be compared",
		    cases[i].pattern);
		is_str(cmd(&rs, cases[i].line), "deny r", "%s matches the "
		    "second of two like places", cases[i].pattern);
		ruleset_free(&rs);
		cferrs_free(&errs);
	}
}

/*
 * A literal seen in more places than the prefilter notes: the match is
 * found past the noted places too, and only there.
 */
static void
t_past_noted(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;
	char		 line[4200];
	size_t		 off = 0;

	if (load_one(&rs, &errs, "pattern '\\|\\s*nc\\b'") == -1)
		return;
	while (off < 3000) {
		memcpy(line + off, "a | b; ", 7);
		off += 7;
	}
	line[off] = '\0';
	is_str(cmd(&rs, line), "allow -", "%zu places of |, none a match",
	    off / 7);
	strlcpy(line + off, "a |  nc x", sizeof(line) - off);
	is_str(cmd(&rs, line), "deny r", "the match past the noted places");
	line[off + 2] = 'x';
	is_str(cmd(&rs, line), "allow -", "nor one there without its literal");
	ruleset_free(&rs);
	cferrs_free(&errs);

	/* many places, and a byte every match needs (pcre2's last unit) */
	if (load_one(&rs, &errs, "pattern '\\bab\\w*:'") == -1)
		return;
	for (off = 0; off < 400; off += 5)
		memcpy(line + off, "ab x ", 5);
	line[off] = '\0';
	is_str(cmd(&rs, line), "allow -", "%zu places of ab, no colon",
	    off / 5);
	strlcpy(line + off, "abc:", sizeof(line) - off);
	is_str(cmd(&rs, line), "deny r", "the colon that one needs");
	strlcpy(line + off, "Abc:", sizeof(line) - off);
	is_str(cmd(&rs, line), "allow -", "a match needs its literal too");
	ruleset_free(&rs);
	cferrs_free(&errs);
}

/*
 * A follow literal counts only after bytes the pattern can hold before
 * it (its gap); a newline is one of them when the rule has flag s.
 */
static void
t_follow_gap(void)
{
	static const struct {
		const char	*rule;
		const char	*line;
		const char	*want;
	} cases[] = {
		{ "pattern 'abcdefg.*hijklmn' flags s", "abcdefg\nhijklmn",
		    "deny r" },
		{ "pattern 'abcdefg.*hijklmn'", "abcdefg\nhijklmn",
		    "allow -" },
		{ "pattern 'abcdefg[^;]*hijklmn'", "abcdefg x hijklmn",
		    "deny r" },
		{ "pattern 'abcdefg[^;]*hijklmn'", "abcdefg; hijklmn",
		    "allow -" },
		{ "pattern 'abcdefg\\s+(?:hijklmn|opqrstu)' flags i",
		    "ABCDEFG \t OPQRSTU", "deny r" },
		{ "pattern 'abcdefg\\s+(?:hijklmn|opqrstu)'",
		    "abcdefg x opqrstu", "allow -" },
	};
	struct ruleset	 rs;
	struct cferrs	 errs;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (load_one(&rs, &errs, cases[i].rule) == -1)
			continue;
		ok(rs.regex[0]->follow >= 0, "%s: has follow literals",
		    cases[i].rule);
		is_str(cmd(&rs, cases[i].line), cases[i].want, "%s on %s",
		    cases[i].rule, cases[i].line);
		ruleset_free(&rs);
		cferrs_free(&errs);
	}
}

static int
next_has(const struct rxnext *nx, int c)
{
	return ((nx->set[c / 8] >> (c % 8)) & 1);
}

/* what rx_next() says follows a leading literal, and a rule using it */
static void
t_next(void)
{
	struct rxnext	 nx;
	struct ruleset	 rs;
	struct cferrs	 errs;

	ok(!rx_next("ab+c", 0, &nx) || next_has(&nx, 'b'),
	    "ab+c: a quantified literal byte is not skipped");
	ok(rx_next("\\bgit\\s+(?:checkout|stash)\\b", PCRE2_CASELESS,
	    &nx) && nx.len == 3 && nx.skipws && next_has(&nx, 'c') &&
	    next_has(&nx, 'C') && next_has(&nx, 'S') && !next_has(&nx, 'x'),
	    "git\\s+(?:checkout|stash): c or s after the spaces, any case");
	ok(rx_next("(?:curl|wget)x", 0, &nx) && nx.len == 4 &&
	    next_has(&nx, 'x') && !next_has(&nx, 'y'), "(?:curl|wget)x");
	ok(!rx_next("(?:ba|zsh)x", 0, &nx), "literals of two lengths: none");
	ok(!rx_next("ab(?i)c", 0, &nx), "an inline option: none");
	ok(!rx_next("ab\\s*\\sc", 0, &nx) || !nx.skipws,
	    "a rest that starts with a space does not skip spaces");
	is_int(rx_maxlen("\\b(?:ba|z|da|k)?sh", 16), 2,
	    "at most 2 bytes before sh in \\b(?:ba|z|da|k)?sh");
	is_int(rx_maxlen("(?:ab|c){2,3}(?<=b)x", 19), 6,
	    "a bounded repeat and a lookbehind");
	ok(rx_maxlen("a*x", 2) == SIZE_MAX && rx_maxlen("\\s+x", 3) ==
	    SIZE_MAX && rx_maxlen("(a|b", 4) == SIZE_MAX,
	    "unbounded or cut heads have no bound");
	if (load_one(&rs, &errs, "pattern 'abcd\\s+efgh' flags i") == -1)
		return;
	ok(rs.regex[0]->next.len == 4, "the rule knows what follows abcd");
	is_str(cmd(&rs, "x ABCD \t EFGH"), "deny r", "caseless: EFGH after "
	    "ABCD and spaces");
	is_str(cmd(&rs, "abcd efgx; abcd"), "allow -", "and nothing else");
	ruleset_free(&rs);
	cferrs_free(&errs);
}

/* which bytes rx_span() lets a match hold */
static void
t_span(void)
{
	static const struct {
		const char	*pattern;
		const char	*in;	/* bytes that must be in the span */
		const char	*out;	/* bytes that must not */
	} cases[] = {
		{ "\\bgit\\b[^|;&]*\\bpush\\b", "gitGIT push\n\"'", "|;&" },
		{ "a.b", "ab\t", "\n" },
		{ "\\n|a.", "\nab", "" },
		{ "(?s)a.b", "\n", "" },
		{ "[^a-z]", "AZ09;", "az" },
		{ "(?i)[^a-z]", "AZ09;", "az" },
		{ "ab(?=;)c", "abcABC", ";" },
		{ "(?<=;)x", "xX", ";" },
		{ "\\S+\\s", " \t\nab;", "" },
		{ "\\d+x", "0123456789xX", "a;" },
		{ "[\\w.-]+", "aZ_9.-", " ;/" },
		{ "x{2,3}", "xX", "{},23" },
		{ "x{,3}", "x{,3}", "" },
		{ "[]a]", "]aA", "b" },
		{ "[\\]x]", "]x", "\\" },
		{ "a\\.b", ".", ";" },
		{ "(?:cat|dog)\\s", "catdogCATDOG \n", ";" },
		{ "\\x41", "", "" },
		{ "[[:alpha:]]", ";\n", "" },
		{ "(?P=n)", ";", "" },
		{ "(?R)", ";", "" },
	};
	uint8_t		 set[32];
	size_t		 i;
	const char	*p;
	int		 bad, useful;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		useful = rx_span(cases[i].pattern, 0, set);
		bad = 0;
		for (p = cases[i].in; *p != '\0'; p++)
			if (!(set[(unsigned char)*p / 8] &
			    (1 << ((unsigned char)*p % 8))))
				bad = 1;
		for (p = cases[i].out; *p != '\0'; p++)
			if (set[(unsigned char)*p / 8] &
			    (1 << ((unsigned char)*p % 8)))
				bad = 1;
		ok(!bad && (useful || cases[i].out[0] == '\0'),
		    "span of /%s/", cases[i].pattern);
	}
	ok(rx_span("a.b", PCRE2_DOTALL, set) == 0, "a dot with s spans all");
	ok(rx_span("a b", PCRE2_EXTENDED, set) == 0, "x mode: every byte");
}

struct cicount {
	size_t	cmds;
	size_t	hits;
	size_t	looked;
	size_t	wrong;
	size_t	skipped;	/* args patterns not run: no literal */
	size_t	badskip;
};

/* the arguments joined by spaces, as check.c gives them to pcre2 */
static size_t
ci_join(const struct shcmd *c, char *buf, size_t size)
{
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	for (i = 1; i < c->argc && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%s", i > 1 ? " " : "",
		    c->argv[i]);
	return (off);
}

/* the index's answer for one command against brute force */
static void
ci_command(struct ruleset *rs, const char *argv0, const struct shcmd *c,
    struct cicount *cc)
{
	static char	 args[70000];
	const char	*base = sh_basename(argv0);
	const struct rule *r;
	struct ciargs	 ca;
	size_t		 n, i, len;
	int		 want, got;

	n = cmdindex_lookup(rs->ci, argv0, rs->cmdcand);
	cc->cmds++;
	cc->looked += n;
	for (i = 1; i < n; i++)
		if (rs->cmdcand[i - 1] >= rs->cmdcand[i])
			cc->wrong++;
	for (i = 0; i < rs->count[RK_COMMAND]; i++) {
		r = rs->bykind[RK_COMMAND][i];
		want = command_glob(r, argv0, base);
		got = lfind_u32(rs->cmdcand, n, (uint32_t)i);
		cc->hits += want;
		if (want != got) {
			cc->wrong++;
			printf("# index %s %s on %s\n",
			    got ? "added" : "missed", r->name, argv0);
		}
		if (!want || c == NULL || r->re == NULL)
			continue;
		len = ci_join(c, args, sizeof(args));
		if (len >= sizeof(args))
			continue;
		ca.argv = c->argv + 1;
		ca.argc = c->argc - 1;
		ca.known = 0;
		if (cmdindex_args(rs->ci, (uint32_t)i, &ca))
			continue;
		cc->skipped++;
		if (rule_re_match(rs, r->re, args, len)) {
			cc->badskip++;
			printf("# %s skipped on %s\n", r->name, args);
		}
	}
}

/* the command index gives exactly the rules whose globs match */
static void
t_cmdindex(struct ruleset *rs)
{
	struct inputs		 in;
	struct cicount		 cc;
	size_t			 k, j;

	memset(&cc, 0, sizeof(cc));
	load_inputs(&in);
	for (k = 0; k < in.n; k++) {
		if (shparse(&rs->sp, in.v[k], in.len[k]) == -1)
			continue;
		for (j = 0; j < rs->sp.ncmds; j++)
			ci_command(rs, rs->sp.cmds[j].argv[0],
			    &rs->sp.cmds[j], &cc);
	}
	ok(cc.cmds > 2000 && cc.hits > 200, "command index checked on %zu "
	    "commands (%zu glob matches)", cc.cmds, cc.hits);
	is_int(cc.wrong, 0, "the command index gives exactly the matching "
	    "rules, in order");
	ok(cc.looked < cc.cmds * rs->count[RK_COMMAND] / 4, "the index "
	    "narrows the rules down (%zu of %zu)", cc.looked,
	    cc.cmds * rs->count[RK_COMMAND]);
	ok(cc.skipped > 100, "args patterns skipped for want of a literal: "
	    "%zu", cc.skipped);
	is_int(cc.badskip, 0, "never one that would have matched");
	inputs_free(&in);
}

/* wildcards, classes, escapes and path globs against brute force */
static void
t_cmdindex_globs(void)
{
	static const char *const names[] = {
		"ls", "/bin/ls", "./ls", "ls/", "/", "", "nc", "ncat",
		"/usr/bin/nc.openbsd", "n", "bat", "cat", "dat", "Xyz", "xyz",
		"x[", "x", "a*b", "a\\*b", "a[b", "ab", "tst", "test", "t\\est",
		"/opt/a/bin/tool", "/opt/tool", "/opt//bin/x", "opt/a/bin/b",
		"run.sh", "sh", "bash", "/tmp/x/y", "tmp/", "a/b/", "[", "[[",
		"]", "*", "?", "\\", "$x$y", "$", "LS", "l", "lx", "\xc3\xa9x",
		"\xff", "py3", "python3.12", "pip3", "pipx", "ax", "/ax",
		"docker", "d", "\\d", "tst", "tast", "/usr/bin/docker",
	};
	struct ruleset	 rs;
	struct cferrs	 errs;
	struct cicount	 cc;
	size_t		 i;

	ok(load(&rs, "command allow a match 'ls,/bin/ls,py[0-9]*,pip?'\n"
	    "command deny b match 'nc*,[a-c]at,[!a-z]y*,x[,a\\\\*b,a\\\\[b'\n"
	    "command approve c match '/opt/*/bin/*,/opt/tool,*sh,l?'\n"
	    "command deny d match 't\\\\e?st,*/tmp/*,*/,[[]*,[]]*,$*$*'\n"
	    "command deny e match '*,?x' args 'x'\n"
	    "command deny f match '\\\\d*,t\\\\e?st'\n"
	    "command deny g match '\\\\d*,?d'\n"
	    "default command deny\n", &errs) == 0, "wildcard rules load");
	memset(&cc, 0, sizeof(cc));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ci_command(&rs, names[i], NULL, &cc);
	ok(cc.hits > 40, "%zu glob matches on %zu names", cc.hits, cc.cmds);
	is_int(cc.wrong, 0, "wildcard, class, escape and path globs as "
	    "fnmatch() has them");
	ruleset_free(&rs);
	cferrs_free(&errs);
}

/* inputs on which rs decides otherwise than the interpreted ri, shown */
static size_t
decide_differ(struct ruleset *ri, struct ruleset *rs, struct inputs *in)
{
	char	want[256];
	size_t	k, differ = 0;

	for (k = 0; k < in->n; k++) {
		strlcpy(want, cmd(ri, in->v[k]), sizeof(want));
		if (strcmp(cmd(rs, in->v[k]), want) != 0) {
			differ++;
			printf("# %s, interpreted %s: %.100s\n",
			    cmd(rs, in->v[k]), want, in->v[k]);
		}
	}
	fflush(stdout);
	return (differ);
}

/*
 * The decisions with patterns JIT-compiled on use are those of the
 * interpreter, input for input of the corpora and the long lines.
 */
static void
t_interpreter_same(struct ruleset *rs, char **files)
{
	struct ruleset	*ri;
	struct cferrs	 errs;
	struct inputs	 in;
	size_t		 differ;

	cferrs_init(&errs);
	ruleset_set_jit(0);
	ri = pd_engine_build(files, 1, NULL, NULL, &errs);
	ruleset_set_jit(1);
	cferrs_free(&errs);
	ok(ri != NULL && !ri->jit, "the shipped rules, interpreted");
	if (ri == NULL)
		return;
	load_inputs(&in);
	differ = decide_differ(ri, rs, &in);
	ok(in.n > 600 && differ == 0, "JIT on use and the interpreter "
	    "decide alike on %zu inputs (%zu differ)", in.n, differ);
	inputs_free(&in);
	ok(ri->njit == 0 && rs->jit, "the interpreted set compiled nothing; "
	    "the other still uses the JIT (%zu patterns)", rs->njit);
	pd_engine_free(ri);
}

/* no new executable memory from here on: what an exhausted host does */
static int
no_exec_memory(void)
{
	scmp_filter_ctx	ctx;
	int		rc = -1;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return (-1);
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOMEM), SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) == 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOMEM), SCMP_SYS(mprotect),
	    1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) == 0 &&
	    seccomp_load(ctx) == 0)
		rc = 0;
	seccomp_release(ctx);
	return (rc);
}

/*
 * A pattern's JIT compile fails after load (no executable memory left):
 * the rule set goes on through the interpreter, decides as before, and
 * says so (jit_lost: the daemon logs it).  In a child: the filter stays.
 */
static void
t_jit_lost(char **files)
{
	struct ruleset	*ri, *rj;
	struct cferrs	 errs;
	struct inputs	 in;
	pid_t		 pid;
	int		 st = -1;

	if ((pid = fork()) == 0) {
		cferrs_init(&errs);
		ruleset_set_jit(0);
		ri = pd_engine_build(files, 1, NULL, NULL, &errs);
		ruleset_set_jit(1);
		rj = pd_engine_build(files, 1, NULL, NULL, &errs);
		if (ri == NULL || rj == NULL || !rj->jit)
			_exit(2);
		load_inputs(&in);
		if (no_exec_memory() == -1)
			_exit(3);
		if (decide_differ(ri, rj, &in) > 0)
			_exit(4);
		/* some fit in executable memory the allocator kept */
		if (rj->jit || rj->jit_lost != 1) {
			printf("# jit %d lost %d njit %zu\n", rj->jit,
			    rj->jit_lost, rj->njit);
			fflush(stdout);
			_exit(5);
		}
		_exit(0);
	}
	if (pid > 0)
		(void)waitpid(pid, &st, 0);
	ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a JIT compile "
	    "failing after load: the interpreter decides alike, and the "
	    "rule set says it lost the JIT (status %d)",
	    pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void
t_shipped(void)
{
	struct ruleset	*rs;
	struct cferrs	 errs;
	char		 path[PATH_MAX];
	char		*files[1];
	size_t		 i, block = 0;

	snprintf(path, sizeof(path), "%s/etc/policy/default.rules", src);
	files[0] = path;
	cferrs_init(&errs);
	rs = pd_engine_build(files, 1, NULL, NULL, &errs);
	ok(rs != NULL, "the shipped rules load");
	if (rs == NULL) {
		cferrs_print(&errs, stdout);
		cferrs_free(&errs);
		return;
	}
	for (i = 0; i < rs->nregex; i++)
		block += rs->regex[i]->decision == POL_DENY;
	ok(rs->nregex >= 247, "%zu regex rules (at least 247)", rs->nregex);
	ok(block >= 191 && rs->nregex - block >= 56, "%zu block and %zu "
	    "approve rules", block, rs->nregex - block);
	ok(rs->count[RK_COMMAND] > 20 && rs->count[RK_FILE] > 20 &&
	    rs->count[RK_NET] > 40, "structured rules: %zu command, %zu file, "
	    "%zu network", rs->count[RK_COMMAND], rs->count[RK_FILE],
	    rs->count[RK_NET]);
	ok(rs->jit && rs->njit == 0, "pcre2 JIT in use; no pattern "
	    "compiled before a check runs it (%zu)", rs->njit);
	is_str(net(rs, "169.254.169.254", NULL, 80), "deny net-metadata-aws",
	    "shipped: metadata");
	is_str(cmd(rs, "sh -c 'ls' && sh -c 'ls' && sh -c 'ls'"), "allow -",
	    "shipped: the same inline script three times");
	is_str(cmd(rs, "sh -c ls && sh -c ls && sh -c 'cat /etc/sha''dow'"),
	    "deny secrets-shadow", "shipped: a different script after "
	    "repeated ones is still checked");
	is_str(net(rs, "100.100.100.200", NULL, 80),
	    "deny net-metadata-alibaba", "shipped: Alibaba metadata");
	is_str(net(rs, "::ffff:10.1.2.3", NULL, 443), "deny net-private-10",
	    "shipped: mapped private address");
	is_str(net(rs, "0.0.0.0", NULL, 80), "deny net-this-network",
	    "shipped: 0.0.0.0/8");
	is_str(net(rs, "fe80::1%eth0", NULL, 80), "deny net-link-local-v6",
	    "shipped: link-local with zone");
	is_str(net(rs, "files.pythonhosted.org", "151.101.0.223", 443),
	    "allow net-pypi-files", "shipped: registry allowed");
	is_str(net(rs, "example.org", "93.184.215.14", 22), "deny default",
	    "shipped: other ports denied");
	is_str(net(rs, "github.com", "140.82.121.4", 22), "allow net-github",
	    "shipped: github on any port");
	is_str(file(rs, FOP_READ, "/proc/42/environ"),
	    "deny file-proc-environ", "shipped: environ file");
	is_str(file(rs, FOP_DELETE, "old.txt"), "soft-delete file-trash",
	    "shipped: soft delete");
	ok(rs->njit > 0 && rs->njit < rs->nregex / 4, "JIT-compiled on "
	    "first use: %zu of %zu patterns", rs->njit, rs->nregex);
	t_interpreter_same(rs, files);
	t_jit_lost(files);
	t_prefilter(rs);
	t_prefilter_random(rs);
	t_repeats(rs);
	t_cmdindex(rs);
	pd_engine_free(rs);
	cferrs_free(&errs);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		return;
	fputs(text, fp);
	fclose(fp);
}

static void
t_reload(void)
{
	struct conf_policy	 pc;
	struct ruleset		*cur = NULL;
	char			 dir[] = "/tmp/policyd-rules-XXXXXX";
	char			 path[PATH_MAX], err[4096], *v[1];

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/t.rules", dir);
	memset(&pc, 0, sizeof(pc));
	v[0] = path;
	pc.rules.v = v;
	pc.rules.n = 1;
	pc.approve_timeout = 120;
	pc.max_depth = 5;
	pc.max_input = 65536;
	write_file(path, "block old category c pattern 'old' message m\n");
	ok(pd_engine_reload(&cur, &pc, err, sizeof(err)) == 0 && cur != NULL,
	    "first load");
	write_file(path, "block new category c pattern 'new' message m\n"
	    "block broken category c pattern 'x(' message m\n"
	    "approve worse category c message m\n");
	ok(pd_engine_reload(&cur, &pc, err, sizeof(err)) == -1,
	    "a broken file is refused");
	ok(strstr(err, "2 errors") != NULL && strstr(err, "t.rules:2:") !=
	    NULL && strstr(err, "t.rules:3:") != NULL, "every error listed");
	is_str(cmd(cur, "old"), "deny old", "the old rules stay in force");
	is_str(cmd(cur, "new"), "allow -", "nothing of the new file is used");
	write_file(path, "block new category c pattern 'new' message m\n");
	ok(pd_engine_reload(&cur, &pc, err, sizeof(err)) == 0, "a good file "
	    "loads");
	is_str(cmd(cur, "new"), "deny new", "the new rules apply");
	is_str(cmd(cur, "old"), "allow -", "the old rules are gone");
	ok(cur->checks == 4, "counters carry over a reload");
	unlink(path);
	ok(pd_engine_reload(&cur, &pc, err, sizeof(err)) == -1 &&
	    cmd(cur, "new")[0] == 'd', "a missing file is refused too");
	pd_engine_free(cur);
	cur = NULL;

	/* a file named twice, directly and through include, is read once */
	{
		char	a[PATH_MAX], b[PATH_MAX], *two[2];

		snprintf(a, sizeof(a), "%s/a.rules", dir);
		snprintf(b, sizeof(b), "%s/b.rules", dir);
		write_file(a, "block in-a category c pattern 'aaa' message m\n");
		write_file(b, "include \"a.rules\"\n"
		    "block in-b category c pattern 'bbb' message m\n");
		two[0] = a;
		two[1] = b;
		pc.rules.v = two;
		pc.rules.n = 2;
		ok(pd_engine_reload(&cur, &pc, err, sizeof(err)) == 0 &&
		    cur->nrules == 2, "a file named twice is read once");
		is_str(cmd(cur, "aaa bbb"), "deny in-a", "in the order first "
		    "named");
		pd_engine_free(cur);
		unlink(a);
		unlink(b);
	}
	rmdir(dir);
}

int
main(void)
{
	if ((src = getenv("TOPSH_SRC")) == NULL)
		src = ".";
	t_errors();
	t_precedence();
	t_globs();
	t_builtin();
	t_files();
	t_network();
	t_literals();
	t_span();
	t_repeat_edges();
	t_past_noted();
	t_follow_gap();
	t_next();
	t_shipped();
	t_cmdindex_globs();
	t_reload();
	return (done_testing());
}

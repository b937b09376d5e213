/*
 * policyd_server.c - requests as the other daemons send them: answers,
 * refusals of malformed requests, and the audit log lines.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regress.h"
#include "log.h"
#include "topsh.h"
#include "../../policyd/policy.h"
#include "../../policyd/policyd.h"

static struct ruleset *rs;

/* the answer as "decision rule", or "ERROR: message" */
static const char *
ask(uint32_t type, const char *req)
{
	static char	 buf[512];
	const char	*err = NULL;
	json_t		*o, *out;
	json_error_t	 je;

	if ((o = json_loads(req, JSON_ALLOW_NUL, &je)) == NULL) {
		snprintf(buf, sizeof(buf), "BAD TEST JSON");
		return (buf);
	}
	out = pd_server_answer(rs, type, o, &err);
	json_decref(o);
	if (out == NULL) {
		snprintf(buf, sizeof(buf), "ERROR: %s", err ? err : "?");
		return (buf);
	}
	snprintf(buf, sizeof(buf), "%s %s%s",
	    json_string_value(json_object_get(out, "decision")),
	    json_is_string(json_object_get(out, "rule")) ?
	    json_string_value(json_object_get(out, "rule")) : "-",
	    json_object_get(out, "input") != NULL ? " +input" : "");
	json_decref(out);
	return (buf);
}

static size_t
count_lines(const char *path, const char *needle)
{
	char	 line[4096];
	size_t	 n = 0;
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (needle == NULL || strstr(line, needle) != NULL)
			n++;
	fclose(fp);
	return (n);
}

/* the "scripts" an answer lists as run but not carried, joined by , */
static const char *
missing(const char *req)
{
	static char	 buf[256];
	const char	*err = NULL;
	json_t		*o, *out, *v;
	size_t		 i;

	buf[0] = '\0';
	if ((o = json_loads(req, 0, NULL)) == NULL)
		return ("BAD TEST JSON");
	out = pd_server_answer(rs, IMSG_POLICY_CHECK_CMD, o, &err);
	json_decref(o);
	json_array_foreach(json_object_get(out, "scripts"), i, v) {
		if (i > 0)
			strlcat(buf, ",", sizeof(buf));
		strlcat(buf, json_string_value(v), sizeof(buf));
	}
	json_decref(out);
	return (buf);
}

#define ABSENT	((const char *)1)	/* the requester found no such file */
#define UNREAD	((const char *)2)	/* it could not read it */

/*
 * cmd checked with the texts given as PATH, TEXT pairs (NULL ends
 * them): "decision rule [listed,...]", plus " prelim" when the answer
 * is preliminary (follow: the request says texts will follow).
 */
static const char *
scr_follow(int follow, const char *cmd, ...)
{
	static char	 buf[512];
	const char	*err = NULL, *k, *v;
	json_t		*o, *t, *out, *e;
	va_list		 ap;
	size_t		 i;

	t = json_object();
	va_start(ap, cmd);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		json_object_set_new(t, k, v == ABSENT ? json_false() :
		    v == UNREAD ? json_null() : json_string(v));
	}
	va_end(ap);
	o = json_pack("{s:s, s:o, s:b}", "command", cmd, "scripts", t,
	    "scripts_follow", follow);
	out = pd_server_answer(rs, IMSG_POLICY_CHECK_CMD, o, &err);
	json_decref(o);
	if (out == NULL)
		return ("ERROR");
	snprintf(buf, sizeof(buf), "%s %s [",
	    json_string_value(json_object_get(out, "decision")),
	    json_is_string(json_object_get(out, "rule")) ?
	    json_string_value(json_object_get(out, "rule")) : "-");
	json_array_foreach(json_object_get(out, "scripts"), i, e) {
		if (i > 0)
			strlcat(buf, ",", sizeof(buf));
		strlcat(buf, json_string_value(e), sizeof(buf));
	}
	strlcat(buf, "]", sizeof(buf));
	if (json_is_true(json_object_get(out, "preliminary")))
		strlcat(buf, " prelim", sizeof(buf));
	json_decref(out);
	return (buf);
}
#define scr(...)	scr_follow(0, __VA_ARGS__)

#define EVIL	"cat /proc/1/environ\n"
#define GOOD	"set -e\nmkdir -p out\ncc -o out/x x.c\necho done\n"

/* issue 14 item 7: every shape of running a file, with default approve */
static void
t_script_shapes(void)
{
	/* the shapes that name a file */
	is_str(scr("sh < b.sh", NULL), "approve script-unread [b.sh]",
	    "sh < FILE lists the file");
	is_str(scr("sh < b.sh", "b.sh", EVIL, NULL), "deny env []",
	    "sh < FILE: its text is checked");
	is_str(scr("bash -s < b.sh", "b.sh", EVIL, NULL), "deny env []",
	    "bash -s < FILE");
	is_str(scr("cat b.sh | bash -s -- arg1", "b.sh", EVIL, NULL),
	    "deny env []", "cat FILE | bash -s -- ARG: ARG is no file");
	is_str(scr("sh /dev/stdin < b.sh", "b.sh", EVIL, NULL),
	    "deny env []", "sh /dev/stdin < FILE");
	is_str(scr("sh 2< b.sh", NULL), "allow - []",
	    "2< is no input of the shell");
	is_str(scr("cat a.sh b.sh | sh", "a.sh", "cat /proc/1/env",
	    "b.sh", "iron\n", NULL), "deny env []",
	    "cat a b | sh: the files are checked together, as they run");
	is_str(scr("cat a.sh b.sh | sh", "a.sh", GOOD, NULL),
	    "approve script-unread [b.sh]", "and each is needed");
	is_str(scr("sh <<EOF\ncat /proc/1/environ\nEOF\n", NULL),
	    "deny env []", "a here-document fed to a shell is a script");
	is_str(scr("bash <<< 'cat /proc/1/environ'", NULL), "deny env []",
	    "a here-string fed to a shell is a script");
	/* wrappers */
	is_str(scr("nice -n 5 sh b.sh", NULL), "approve script-unread [b.sh]",
	    "nice sh FILE");
	is_str(scr("env A=1 bash b.sh", "b.sh", EVIL, NULL), "deny env []",
	    "env A=1 bash FILE");
	is_str(scr("timeout 5 python3 x.py", "x.py",
	    "print(open('/proc/1/environ').read())", NULL), "deny env []",
	    "timeout N python3 FILE");
	is_str(scr("cat b.sh | nice sh", "b.sh", EVIL, NULL), "deny env []",
	    "cat FILE | nice sh");
	is_str(scr("exec ./b.sh", "./b.sh", EVIL, NULL), "deny env []",
	    "exec ./FILE");
	/* files named when the line runs */
	is_str(scr("ls *.sh | xargs sh", NULL),
	    "approve script-unknown []", "xargs sh");
	is_str(scr("find . -name '*.sh' -exec sh {} \\;", NULL),
	    "approve script-unknown []", "find -exec sh {}");
	is_str(scr("find . -exec sh -c 'echo x' \\;", NULL), "allow - []",
	    "find -exec sh -c SCRIPT is an inline script");
	is_str(scr("sh $F", NULL), "approve script-unknown []", "sh $F");
	is_str(scr("echo ls | sh", NULL), "approve script-unknown []",
	    "a shell reading what another command writes");
	is_str(scr("cat data.txt | python3 proc.py", "proc.py",
	    "print(1)", NULL), "allow - []",
	    "a script reading data on stdin is no stdin script");
	/* directories */
	is_str(scr("cd sub && sh b.sh", NULL),
	    "approve script-unread [sub/b.sh]", "cd DIR && sh FILE: DIR/FILE");
	is_str(scr("cd /workspace/sub; cd x; ./r.sh", NULL),
	    "approve script-unread [sub/x/./r.sh]", "cd /workspace/...");
	is_str(scr("cd $D && ./r.sh", NULL), "approve script-unknown []",
	    "cd to a directory named at run time");
	is_str(scr("cd /tmp && sh b.sh", NULL), "approve script-unknown []",
	    "cd out of the workspace");
	is_str(scr("sh /workspace/b.sh && sh /tmp/x.sh && sh /usr/bin/y",
	    NULL), "approve script-unread [/workspace/b.sh,/tmp/x.sh]",
	    "absolute paths: the workspace and /tmp listed, the image not");
	/* nested */
	is_str(scr("sh n.sh", "n.sh", "echo a\nsh ./b.sh\n", NULL),
	    "approve script-unread [./b.sh]",
	    "a script that runs a script: the inner one is listed");
	is_str(scr("sh n.sh", "n.sh", "echo a\nsh ./b.sh\n", "./b.sh", EVIL,
	    NULL), "deny env []", "and its text is checked");
	is_str(scr("sh n.sh", "n.sh", "cd sub\n. ./lib.sh\n", NULL),
	    "approve script-unread [sub/./lib.sh]",
	    "a cd inside a script moves the files it runs");
	is_str(scr("sh a.sh", "a.sh", "sh a.sh\n", NULL), "allow - []",
	    "a script running itself ends: each file once");
	is_str(scr("sh 1.sh", "1.sh", "sh 2.sh", "2.sh", "sh 3.sh", "3.sh",
	    "sh 4.sh", "4.sh", "sh 5.sh", NULL), "approve script-unknown []",
	    "nesting is followed three levels deep; a deeper script that "
	    "runs files is held");
	is_str(scr("sh 1.sh", "1.sh", "sh 2.sh", "2.sh", "sh 3.sh", "3.sh",
	    "sh 4.sh", "4.sh", "echo end", NULL), "allow - []",
	    "three levels of harmless scripts run");
	is_str(scr("sh 1.sh;sh 2.sh;sh 3.sh;sh 4.sh;sh 5.sh;sh 6.sh;sh 7.sh;"
	    "sh 8.sh;sh 9.sh;sh 10.sh;sh 11.sh;sh 12.sh;sh 13.sh;sh 14.sh;"
	    "sh 15.sh;sh 16.sh;sh 17.sh", NULL), "approve script-unread "
	    "[1.sh,2.sh,3.sh,4.sh,5.sh,6.sh,7.sh,8.sh,9.sh,10.sh,11.sh,12.sh,"
	    "13.sh,14.sh,15.sh,16.sh]", "a line running more files than are "
	    "checked is held");
	/* python -m */
	is_str(scr("python3 -m tool --x", NULL),
	    "approve script-unread [tool.py,tool/__main__.py]",
	    "python3 -m MODULE: the workspace's module files");
	is_str(scr("python3 -m pkg.tool", "pkg/tool.py",
	    "import os; print(open('/proc/1/environ').read())",
	    "pkg/tool/__main__.py", ABSENT, NULL), "deny env []",
	    "python3 -m pkg.mod: pkg/mod.py checked");
	is_str(scr("python3 -m http.server 8000", "http/server.py", ABSENT,
	    "http/server/__main__.py", ABSENT, NULL), "allow - []",
	    "python3 -m of a module not in the workspace");
	/* how texts come */
	is_str(scr("sh b.sh", "b.sh", ABSENT, NULL), "allow - []",
	    "a file that is not there runs nothing");
	is_str(scr("sh b.sh", "b.sh", UNREAD, NULL),
	    "approve script-unread [b.sh]", "one that could not be read is held");
	is_str(scr_follow(1, "sh b.sh", NULL),
	    "approve script-unread [b.sh] prelim",
	    "texts to follow: the answer is preliminary");
	is_str(scr_follow(1, "cat /proc/1/environ; sh b.sh", NULL),
	    "deny env []", "a denied line is denied at once");
	is_str(scr_follow(1, "sh b.sh", "b.sh", GOOD, NULL), "allow - []",
	    "with every text the answer is final");
	is_str(scr("./x.py", "./x.py", "#!/usr/bin/env python3\n"
	    "def f(x):\n    return [i for i in x if i]\nprint(f([1, 0]))\n",
	    NULL), "allow - []", "./FILE with #! python is checked as python");
	is_str(scr("./x.py", "./x.py", "#!/usr/bin/python3\n"
	    "print(open('/proc/self/environ').read())\n", NULL),
	    "deny env []", "and its rules still apply");
	is_str(scr("sh b.sh", "b.sh", "if then fi ((\n", NULL),
	    "approve script-unknown []",
	    "a script the parser cannot follow is held, not denied");
	/* everyday */
	is_str(scr("sh build.sh", "build.sh", GOOD, NULL), "allow - []",
	    "an ordinary build script runs");
	is_str(scr("python3 hello.py", "hello.py", "print('hello')\n", NULL),
	    "allow - []", "python3 hello.py runs");
	is_str(scr("make -j2 && ./configure --prefix=/x", "./configure",
	    "echo configured\n", NULL), "allow - []", "make runs no script");
}

/* issue 14 item 7: a command that runs a file is checked with its text */
static void
t_scripts(void)
{
	struct ruleset	*saved = rs;
	struct cferrs	 errs;
	const char	*rules =
	    "block env category procfs pattern '/proc/[^/]+/environ' "
	    "message 'environ'\n"
	    "approve rmrf category destructive pattern 'rm\\s+-rf' "
	    "message 'sure?' timeout 1m\n"
	    "default script approve\n";

	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"sh b.sh\", "
	    "\"scripts\": {\"b.sh\": \"cat /proc/1/environ; env\\n\"}}"),
	    "deny env", "sh FILE: the file's text is checked");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"sh -x b.sh arg\", "
	    "\"scripts\": {\"b.sh\": \"echo 'it'\\\"'\\\"'s'; cat "
	    "/proc/self/environ\"}}"), "deny env",
	    "sh -x FILE, a text with quotes of both kinds");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"python3 -u x.py "
	    "--in a\", \"scripts\": {\"x.py\": \"print(open('/proc/1/"
	    "environ').read())\"}}"), "deny env",
	    "python3 FILE: checked as python3 -c TEXT");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"A=1 ./run.sh\", "
	    "\"scripts\": {\"./run.sh\": \"#!/bin/sh\\nrm -rf build\"}}"),
	    "approve rmrf", "./FILE: the file's text is checked");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"cd x && . ./lib.sh "
	    "&& source env.sh\", \"scripts\": {\"x/./lib.sh\": \"f() { ls; "
	    "}\", \"x/env.sh\": \"cat /proc/1/environ\"}}"), "deny env",
	    "source FILE and . FILE: each file's text, in the directory cd "
	    "went to");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"cat b.sh | bash\", "
	    "\"scripts\": {\"b.sh\": \"cat /proc/1/environ\"}}"), "deny env",
	    "cat FILE | sh: the file's text is checked");
	is_str(missing("{\"command\": \"cat b.sh | sh -s && echo x | sh -c "
	    "read && cat a b | sh\"}"), "b.sh,a,b", "cat FILE | sh -s and "
	    "cat a b | sh listed; an inline script is not");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"node app.js\", "
	    "\"scripts\": {\"app.js\": \"console.log(1)\"}}"), "allow -",
	    "a harmless script is allowed");
	is_str(missing("{\"command\": \"sh b.sh && python3 x.py && node "
	    "-e 1 && bash -c ls && python3 -m http.server && perl /usr/bin/x "
	    "&& bin/tool\"}"), "b.sh,x.py,http/server.py,"
	    "http/server/__main__.py,bin/tool", "files run but not carried "
	    "are listed, python3 -m's module as a workspace file; inline "
	    "scripts and absolute paths of the image are not");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"sh b.sh\"}"),
	    "allow -", "default script allow: a file not carried is allowed");

	if ((rs = malloc(sizeof(*rs))) == NULL)
		return;
	ruleset_init(rs);
	cferrs_init(&errs);
	ok(ruleset_load_buffer(rs, "s.rules", rules, strlen(rules), &errs) ==
	    0, "rules with default script approve load");
	cferrs_free(&errs);
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"bash build.sh\"}"),
	    "approve script-unread", "default script approve: a file run "
	    "whose text is not carried is held");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"bash build.sh\", "
	    "\"scripts\": {\"build.sh\": \"make\"}}"), "allow -",
	    "with its text, a harmless file is allowed");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"ls\"}"),
	    "allow -", "a line that runs no file is not held");
	t_script_shapes();
	ruleset_free(rs);
	free(rs);
	rs = saved;
}

int
main(void)
{
	struct cferrs	 errs;
	char		 audit[] = "/tmp/policyd-audit-XXXXXX";
	const char	*rules =
	    "block env category procfs pattern '/proc/[^/]+/environ' "
	    "message 'environ'\n"
	    "approve rmrf category destructive pattern 'rm\\s+-rf' "
	    "message 'sure?' timeout 1m\n"
	    "file deny shadow path /etc/shadow\n"
	    "file soft-delete trash path '*' ops delete\n"
	    "network deny meta cidr 169.254.169.254/32 category metadata\n"
	    "network allow web port 443\n"
	    "default network deny\n";
	int		 fd;

	log_init(1, 0);
	if ((fd = mkstemp(audit)) == -1)
		return (1);
	close(fd);
	if ((rs = malloc(sizeof(*rs))) == NULL)
		return (1);
	ruleset_init(rs);
	cferrs_init(&errs);
	ok(ruleset_load_buffer(rs, "t.rules", rules, strlen(rules), &errs) ==
	    0, "rules load");
	cferrs_free(&errs);
	ok(pd_audit_open(audit) == 0, "audit log opens");

	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"user\": 5, \"chat\": 6, "
	    "\"command\": \"ls -la\"}"), "allow -", "command allowed");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"user\": 5, \"chat\": 6, "
	    "\"command\": \"cat /proc/1/environ\"}"), "deny env",
	    "command denied");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"user\": 5, \"chat\": 6, "
	    "\"command\": \"rm -rf build\"}"), "approve rmrf",
	    "command held");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": \"ls\\u0000; "
	    "cat /proc/1/environ\"}"), "deny env",
	    "an embedded NUL does not hide the rest");
	is_str(ask(IMSG_POLICY_CHECK_CMD, "{\"command\": 42}"),
	    "ERROR: \"command\" must be a string", "command must be a string");
	is_str(ask(IMSG_POLICY_CHECK_FILE, "{\"user\": 5, \"op\": \"read\", "
	    "\"path\": \"/etc/shadow\"}"), "deny shadow", "file denied");
	is_str(ask(IMSG_POLICY_CHECK_FILE, "{\"op\": \"delete\", "
	    "\"path\": \"notes.txt\"}"), "soft-delete trash", "soft delete");
	is_str(ask(IMSG_POLICY_CHECK_FILE, "{\"op\": \"chew\", "
	    "\"path\": \"x\"}"), "ERROR: \"op\" must be read, write, create, "
	    "delete or list, or a comma-separated list of them", "bad op");
	is_str(ask(IMSG_POLICY_CHECK_FILE, "{\"op\": \"read,write\", "
	    "\"path\": \"/etc/shadow\"}"), "deny shadow",
	    "an op list (edit: read,write) gets the strictest rule");
	is_str(ask(IMSG_POLICY_CHECK_FILE, "{\"op\": \"read,chew\", "
	    "\"path\": \"x\"}"), "ERROR: \"op\" must be read, write, create, "
	    "delete or list, or a comma-separated list of them",
	    "a bad op in a list");
	is_str(ask(IMSG_POLICY_CHECK_FILE, "{\"op\": \"read\"}"),
	    "ERROR: \"path\" must be a string", "path needed");
	is_str(ask(IMSG_POLICY_CHECK_NET, "{\"user\": 5, \"host\": "
	    "\"example.org\", \"addr\": \"93.184.215.14\", \"port\": 443}"),
	    "allow web", "destination allowed");
	is_str(ask(IMSG_POLICY_CHECK_NET, "{\"host\": \"x.example\", "
	    "\"addr\": \"::ffff:169.254.169.254\", \"port\": 80}"),
	    "deny meta", "metadata behind a name");
	is_str(ask(IMSG_POLICY_CHECK_NET, "{\"host\": null, "
	    "\"addr\": \"1.2.3.4\", \"port\": 22}"), "deny default",
	    "default deny");
	is_str(ask(IMSG_POLICY_CHECK_NET, "{\"port\": 22}"),
	    "ERROR: a \"host\" or an \"addr\" is needed", "host needed");
	is_str(ask(IMSG_POLICY_CHECK_NET, "{\"host\": \"a\", \"port\": "
	    "70000}"), "ERROR: \"port\" must be an integer from 0 to 65535",
	    "port range");
	is_str(ask(IMSG_CTL_POLICY_TEST, "{\"command\": \"cat "
	    "/proc/self/environ\"}"), "deny env +input",
	    "topshctl test answers with the input");
	is_str(ask(IMSG_CTL_POLICY_TEST, "{\"path\": \"/etc/shadow\"}"),
	    "deny shadow +input", "topshctl test of a path");
	is_str(ask(IMSG_CTL_POLICY_TEST, "{\"host\": \"169.254.169.254\", "
	    "\"port\": 80}"), "deny meta +input", "topshctl test of a host");

	/*
	 * deny, approve, NUL deny, file deny, soft-delete, the op list's
	 * deny, 2 net denies
	 */
	is_int(count_lines(audit, NULL), 8, "one audit line per non-allow "
	    "decision of a real request, none for tests");
	is_int(count_lines(audit, "\"user\":5,\"chat\":6,\"kind\":\"command\""),
	    2, "user, chat and kind recorded");
	is_int(count_lines(audit, "\"decision\":\"approve\",\"rule\":\"rmrf\""),
	    1, "the approval is audited with its rule");
	is_int(count_lines(audit, "\"kind\":\"file\""), 3, "file decisions");
	is_int(count_lines(audit, "\"op\":\"delete\""), 1, "with the op");
	is_int(count_lines(audit, "\"kind\":\"network\""), 2,
	    "network decisions");
	is_int(count_lines(audit, "\"input\":\"x.example:80\""), 1,
	    "network input is host:port");
	is_int(count_lines(audit, "\"time\":\"20"), 8, "every line has a "
	    "time");
	ok(rs->checks == 13 && rs->denied == 9 && rs->held == 1,
	    "counters: %llu checks, %llu denied, %llu held", rs->checks,
	    rs->denied, rs->held);
	{
		json_t *st = json_object();

		pd_server_init(rs);
		pd_server_status(st);
		ok(json_integer_value(json_object_get(json_object_get(st,
		    "policy"), "regex")) == 2, "status shows the rule counts");
		json_decref(st);
	}
	t_scripts();
	pd_server_shutdown();
	unlink(audit);
	return (done_testing());
}

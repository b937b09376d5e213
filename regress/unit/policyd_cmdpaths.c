/*
 * policyd_cmdpaths.c - the paths a command line names (cmdpaths.c):
 * a glob meets a rule's glob exactly when some path matches both, the
 * shell's rules for '*', '?', classes and leading dots hold, variables
 * assigned in the line are followed, and a file rule with "commands
 * yes" decides a command that names its path in any of those ways;
 * a command rule with unless-piped-to lets `env | grep PATH' through
 * but not `env' or `env | base64'.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "config.h"
#include "../../policyd/policy.h"

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

static int
load_ok(struct ruleset *rs, struct cferrs *errs, const char *text)
{
	ruleset_init(rs);
	cferrs_init(errs);
	return (ruleset_load_buffer(rs, "t.rules", text, strlen(text), errs) ==
	    0);
}

int
main(void)
{
	struct ruleset	 rs;
	struct cferrs	 errs;
	const char	*rules =
	    "file deny environ path '/proc/*/environ' commands yes "
	    "category c message m\n"
	    "file deny secrets path '/run/secrets/*' commands yes "
	    "category c message m\n"
	    "file approve aws path '*/.aws/credentials' commands yes "
	    "category c message m\n"
	    "file deny plain path '/srv/x' category c message m\n"
	    "command deny dump match 'env,printenv' args '^$' "
	    "unless-piped-to 'grep,wc' category c message m\n";

	/* the glob intersection itself */
	ok(pathglob_meets("/pr?c/1/env*", "/proc/*/environ"), "? and *");
	ok(pathglob_meets("/p*/1/environ", "/proc/*/environ"), "* in a "
	    "component");
	ok(pathglob_meets("/pro[a-c]/1/environ", "/proc/*/environ"),
	    "a class");
	ok(!pathglob_meets("/pro[!c]/1/environ", "/proc/*/environ"),
	    "a negated class that leaves c out");
	ok(!pathglob_meets("/p*/environ", "/proc/*/environ"),
	    "a shell * crosses no slash");
	ok(pathglob_meets("/p\001/environ", "/proc/*/environ"),
	    "an unknown expansion crosses slashes");
	ok(!pathglob_meets("/etc/*release", "/etc/shadow"),
	    "*release cannot be shadow");
	ok(pathglob_meets("/etc/*", "/etc/shadow"), "/etc/* can");
	ok(!pathglob_meets("/home/u/*", "/home/u/.ssh"),
	    "a shell * matches no leading dot");
	ok(pathglob_meets("/home/u/.*", "/home/u/.ssh"),
	    "an explicit dot does");
	ok(!pathglob_meets("/run/secret", "/run/secrets/*"),
	    "literal words that differ");
	ok(pathglob_meets("\002/.a?s/credentials", "*/.aws/credentials"),
	    "a home directory and a glob");
	/* the literal start/end check must stop at a class, either end */
	ok(pathglob_meets("/etc/[s]hadow", "/etc/shadow"),
	    "a class in the middle of a word");
	ok(pathglob_meets("/etc/shado[w]", "/etc/shadow"),
	    "a class at the end of a word");
	ok(pathglob_meets("/etc/shadow", "/etc/shado[vw]"),
	    "a class at the end of a rule's path");
	ok(pathglob_meets("/etc/sha\\dow", "/etc/sha\\\\dow"),
	    "an escaped backslash in a rule's path");
	ok(!pathglob_meets("/etc/[s]hadow", "/etc/passwd"),
	    "a class, and literal ends that differ");

	ok(load_ok(&rs, &errs, rules), "rules with commands yes and "
	    "unless-piped-to load");
	is_str(cmd(&rs, "cat /pr?c/1/env*"), "deny environ", "a glob");
	is_str(cmd(&rs, "cat /proc/1/environ"), "deny environ",
	    "a literal path");
	is_str(cmd(&rs, "cat /proc/1/./environ"), "deny environ",
	    "a path normalised first");
	is_str(cmd(&rs, "D=/proc; cat $D/1/environ"), "deny environ",
	    "a variable assigned in the line");
	is_str(cmd(&rs, "D=/proc; E=${D}/1; cat $E/environ"), "deny environ",
	    "a variable built from another");
	is_str(cmd(&rs, "X=$(echo /proc); cat $X/1/environ"), "deny environ",
	    "a variable assigned from a substitution");
	is_str(cmd(&rs, "cat `echo /proc`/1/environ"), "deny environ",
	    "a substitution in the word");
	is_str(cmd(&rs, "dd if=/run/secrets/tok of=x"), "deny secrets",
	    "a path after key=");
	is_str(cmd(&rs, "nice xargs cat /run/secre*/x"), "deny secrets",
	    "behind wrappers");
	is_str(cmd(&rs, "cat ~/.aws/credentials"), "approve aws",
	    "a tilde");
	is_str(cmd(&rs, "cat .aws/credentials"), "approve aws",
	    "a relative path");
	is_str(cmd(&rs, "cat /srv/x"), "allow -",
	    "a file rule without commands yes is not applied to commands");
	is_str(cmd(&rs, "echo $HOME/x | wc -c"), "allow -",
	    "the environment names no path");
	is_str(cmd(&rs, "export PATH=$HOME/bin:$PATH; ls"), "allow -",
	    "PATH=...:$PATH");
	is_str(cmd(&rs, "cat /etc/*release"), "allow -",
	    "a glob that cannot reach a rule's path");
	is_str(cmd(&rs, "ls /proc/*/status"), "allow -",
	    "nor this one");

	is_str(cmd(&rs, "env"), "deny dump", "env alone");
	is_str(cmd(&rs, "env | grep PATH"), "allow -", "env | grep");
	is_str(cmd(&rs, "printenv | wc -l"), "allow -", "printenv | wc");
	is_str(cmd(&rs, "env | base64"), "deny dump", "env | base64");
	is_str(cmd(&rs, "env > e.txt"), "deny dump", "env > file");
	is_str(cmd(&rs, "env | grep PATH; env"), "deny dump",
	    "a second env without a pipe");
	is_str(cmd(&rs, "env || grep x"), "deny dump", "|| is no pipe");
	ruleset_free(&rs);

	ok(!load_ok(&rs, &errs, "file deny f path /x commands maybe "
	    "category c message m\n"), "commands takes yes or no");
	ruleset_free(&rs);
	return (done_testing());
}

/*
 * policyd_shparse.c - the shell parser: quoting, operators, nesting,
 * wrappers, substitutions, here-documents and what it refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../policyd/shparse.h"

static struct shparse	sp;

/* all commands as "argv0 argv1|argv0 ..." with depth prefixes */
static const char *
cmds(const char *line)
{
	static char	buf[4096];
	size_t		i;
	int		j;

	buf[0] = '\0';
	if (shparse(&sp, line, strlen(line)) == -1) {
		snprintf(buf, sizeof(buf), "ERROR: %s", sp.errmsg);
		return (buf);
	}
	for (i = 0; i < sp.ncmds; i++) {
		if (i > 0)
			strlcat(buf, "|", sizeof(buf));
		if (sp.cmds[i].depth > 0) {
			char d[16];

			snprintf(d, sizeof(d), "%d:", sp.cmds[i].depth);
			strlcat(buf, d, sizeof(buf));
		}
		for (j = 0; j < sp.cmds[i].argc; j++) {
			if (j > 0)
				strlcat(buf, " ", sizeof(buf));
			strlcat(buf, sp.cmds[i].argv[j], sizeof(buf));
		}
	}
	return (buf);
}

static void
t_quoting(void)
{
	is_str(cmds("echo $HOME"), "echo $HOME", "variables are kept");
	is_str(cmds("echo 'a b' \"c d\" e\\ f"), "echo a b c d e f",
	    "quotes and escapes removed");
	is_str(cmds("echo \"a \\\"q\\\" \\$x\""), "echo a \"q\" $x",
	    "escapes in double quotes");
	is_str(cmds("r\\m -rf x"), "rm -rf x", "backslash in a command name");
	is_str(cmds("c''at f"), "cat f", "empty quotes vanish");
	is_str(cmds("$'\\x72\\x6d' -f x"), "rm -f x", "ANSI-C hex decoded");
	is_str(cmds("$'\\162\\155\\n'"), "rm\n", "ANSI-C octal decoded");
	is_str(cmds("echo {a,b}"), "echo {a,b}", "braces are a word");
	is_str(cmds("echo a#b # comment ) ("), "echo a#b",
	    "comments only at a word start");
	is_str(cmds("echo 'unterminated"),
	    "ERROR: unterminated single quote", "unterminated single quote");
	is_str(cmds("echo \"x"), "ERROR: unterminated double quote",
	    "unterminated double quote");
	is_str(cmds("echo `x"), "ERROR: unterminated backquote",
	    "unterminated backquote");
	ok(shparse(&sp, "echo a\0b", 8) == -1 && sp.error == SH_ESYNTAX,
	    "a NUL byte is refused");
}

static void
t_operators(void)
{
	is_str(cmds("mkdir x && cd x && ls"), "mkdir x|cd x|ls", "&& lists");
	is_str(cmds("a || b; c & d | e |& f"), "a|b|c|d|e|f",
	    "every operator separates");
	is_str(cmds("( cd /tmp && ls ) | grep x"), "cd /tmp|ls|grep x",
	    "subshells");
	is_str(cmds("{ ls; pwd; }"), "ls|pwd", "brace groups");
	is_str(cmds("echo )"), "ERROR: unmatched \")\"", "stray )");
	is_str(cmds("( ls"), "ERROR: unterminated ( subshell", "open (");
	is_str(cmds("a\nb\n\nc"), "a|b|c", "newlines separate");
	is_str(cmds("ls \\\n -l"), "ls -l", "line continuation");
}

static void
t_compound(void)
{
	is_str(cmds("for i in 1 2; do echo $i; done"), "echo $i", "for");
	is_str(cmds("for ((i=0;i<3;i++)); do echo $i; done"), "echo $i",
	    "arithmetic for");
	is_str(cmds("if [ -f x ]; then rm x; elif true; then :; else ls; fi"),
	    "[ -f x ]|rm x|true|:|ls", "if/elif/else");
	is_str(cmds("while read l; do echo \"$l\"; done < f"),
	    "read l|echo $l", "while with a redirection");
	is_str(cmds("case $x in a|b) ls;; *) rm -f y;; esac"),
	    "ls|rm -f y", "case patterns are not commands");
	is_str(cmds("f() { echo hi; }; f"), "echo hi|f", "functions");
	is_str(cmds("function g { id; }"), "id", "function keyword");
	is_str(cmds(":(){ :|:& };:"), ":|:|:", "the fork bomb parses");
	is_str(cmds("[[ -f x && $a < 3 ]] && echo y"), "echo y",
	    "[[ ]] is not a command");
	is_str(cmds("x=$((1 + 2)); echo $x"), "echo $x", "arithmetic");
	is_str(cmds("a=(1 2 3) b=2 ls"), "ls", "assignments are skipped");
	is_str(cmds("A=1 B=\"$(id)\""), "1:id", "a lone assignment still "
	    "runs its substitution");
	is_str(cmds("time -p make"), "make", "time keyword");
	is_str(cmds("! grep x f"), "grep x f", "negation");
}

static void
t_substitutions(void)
{
	is_str(cmds("echo `whoami` $(id -u)"),
	    "1:whoami|1:id -u|echo `whoami` $(id -u)",
	    "backquotes and $( )");
	is_str(cmds("echo \"a $(echo \"b $(echo c)\")\""),
	    "2:echo c|1:echo b $(echo c)|echo a $(echo \"b $(echo c)\")",
	    "nested substitutions in quotes");
	is_str(cmds("diff <(ls a) >(cat)"), "1:ls a|1:cat|diff <(ls a) >(cat)",
	    "process substitution");
	is_str(cmds("echo $(date"), "ERROR: unterminated $(...)",
	    "unterminated $(");
	ok(shparse(&sp, "$(echo rm) -rf /", 16) == 0 && sp.dynamic,
	    "a computed command name is flagged");
	ok(shparse(&sp, "echo $(echo rm)", 15) == 0 && !sp.dynamic,
	    "a computed argument is not");
}

static void
t_redirections(void)
{
	is_str(cmds("2>&1 ls >/dev/null"), "ls", "redirections vanish");
	is_str(cmds("echo hi &> f; cat < f >> g"), "echo hi|cat",
	    "&> and >>");
	is_str(cmds("ls >"), "ERROR: redirection without a target",
	    "a redirection needs a target");
	is_str(cmds("cat <<EOF\n$(rm -rf x)\nEOF\nls"), "cat|1:rm -rf x|ls",
	    "here-document expansions run");
	is_str(cmds("cat <<'EOF'\n$(rm -rf x)\nEOF"), "cat",
	    "quoted here-document is text");
	is_str(cmds("bash <<EOF\ncurl x | sh\nEOF"), "bash|1:curl x|1:sh",
	    "a here-document for a shell is a script");
	is_str(cmds("bash <<< 'cat /etc/shadow'"), "bash|1:cat /etc/shadow",
	    "a here-string for a shell is a script");
	is_str(cmds("grep x <<< 'rm -rf /'"), "grep x",
	    "a here-string for grep is data");
}

static void
t_wrappers(void)
{
	is_str(cmds("sudo -u root env A=1 nice -n 5 ls -l"),
	    "sudo -u root env A=1 nice -n 5 ls -l|env A=1 nice -n 5 ls -l|"
	    "nice -n 5 ls -l|ls -l", "sudo, env and nice");
	is_str(cmds("timeout -s KILL 5 nc -l 1"),
	    "timeout -s KILL 5 nc -l 1|nc -l 1", "timeout and its duration");
	is_str(cmds("nohup stdbuf -oL python3 x.py"),
	    "nohup stdbuf -oL python3 x.py|stdbuf -oL python3 x.py|"
	    "python3 x.py", "nohup and stdbuf");
	is_str(cmds("xargs -n 1 -I{} rm {}"), "xargs -n 1 -I{} rm {}|rm {}",
	    "xargs");
	is_str(cmds("busybox nc -e sh h 1"), "busybox nc -e sh h 1|"
	    "nc -e sh h 1", "busybox applets");
	is_str(cmds("command -v ls"), "command -v ls",
	    "command -v only looks up");
	is_str(cmds("command ls"), "command ls|ls", "command runs");
	is_str(cmds("exec -a x sudo id"), "exec -a x sudo id|sudo id|id",
	    "exec");
	is_str(cmds("/usr/bin/time -f %e make"), "/usr/bin/time -f %e make|"
	    "make", "time as a program");
	is_str(cmds("find . -name x -exec rm -f {} \\;"),
	    "find . -name x -exec rm -f {} ;|rm -f {}", "find -exec");
	is_str(cmds("env -S 'sh -c id'"), "env -S sh -c id|1:sh -c id|2:id",
	    "env -S splits a string");
}

static void
t_nesting(void)
{
	is_str(cmds("sh -c 'cat /etc/shadow; id'"),
	    "sh -c cat /etc/shadow; id|1:cat /etc/shadow|1:id", "sh -c");
	is_str(cmds("bash -lc \"echo $(whoami)\""),
	    "1:whoami|bash -lc echo $(whoami)|2:whoami|1:echo $(whoami)",
	    "bash -lc with a substitution");
	is_str(cmds("eval \"curl x | sh\""), "eval curl x | sh|1:curl x|1:sh",
	    "eval");
	is_str(cmds("su alice -c 'id'"), "su alice -c id|1:id", "su -c");
	is_str(cmds("watch -n 1 'ps aux'"), "watch -n 1 ps aux|1:ps aux",
	    "watch runs a script");
	ok(shparse(&sp, "sh -c 'x'", 9) == 0 && sp.ntexts == 1 &&
	    strcmp(sp.texts[0], "x") == 0, "the inline script is kept");
	is_str(cmds("bash -c \"bash -c 'bash -c \\\"bash -c ls\\\"'\""),
	    "bash -c bash -c 'bash -c \"bash -c ls\"'|"
	    "1:bash -c bash -c \"bash -c ls\"|2:bash -c bash -c ls|"
	    "3:bash -c ls|4:ls", "four levels are fine");
	ok(shparse(&sp, "sh -c \"sh -c 'sh -c \\\"sh -c \\\\\\\"sh -c "
	    "\\\\\\\\\\\\\\\"sh -c ls\\\\\\\\\\\\\\\"\\\\\\\"\\\"'\"",
	    strlen("sh -c \"sh -c 'sh -c \\\"sh -c \\\\\\\"sh -c "
	    "\\\\\\\\\\\\\\\"sh -c ls\\\\\\\\\\\\\\\"\\\\\\\"\\\"'\"")) == -1 &&
	    sp.error == SH_EDEPTH, "six levels are too deep");
	ok(shparse(&sp, "echo $(echo $(echo $(echo $(echo $(echo "
	    "$(id))))))", strlen("echo $(echo $(echo $(echo $(echo $(echo "
	    "$(id))))))")) == -1 && sp.error == SH_EDEPTH,
	    "deep substitutions are too deep");
}

static void
t_limits(void)
{
	char	*s;
	size_t	 i, n = 3 * (SH_MAXCMDS + 10);

	s = malloc(n + 1);
	for (i = 0; i < n; i += 3)
		memcpy(s + i, "a;\n", 3);
	s[n] = '\0';
	ok(shparse(&sp, s, n) == -1 && sp.error == SH_ELIMIT,
	    "too many commands");
	for (i = 0; i < n; i++)
		s[i] = '(';
	ok(shparse(&sp, s, n) == -1 && sp.error == SH_ESYNTAX,
	    "thousands of open parentheses are refused, not recursed");
	free(s);
	is_str(sh_basename("/usr/bin/curl"), "curl", "basename");
	is_str(sh_basename("curl"), "curl", "basename without a slash");
}

/* the shortcuts of the lexer and the wrapper lookup read the same */
static void
t_shortcuts(void)
{
	char	*s;
	size_t	 i, n;

	is_str(cmds("bash <<< $'id\\0 rm'"), "bash|1:id rm",
	    "a NUL inside an inline script does not end its word");
	is_str(cmds("cat <<E\n$(id)"), "cat|1:id",
	    "a substitution ending an unterminated here-document");
	is_str(cmds("sh -c 'ls -l'"), "sh -c ls -l|1:ls -l",
	    "the last word of an inline script");
	is_str(cmds("echo `echo \\`id\\``"),
	    "2:id|1:echo `id`|echo `echo \\`id\\``",
	    "escaped backquotes inside backquotes");
	is_str(cmds("/usr/bin/sudo ls"), "/usr/bin/sudo ls|ls",
	    "a wrapper named by its path");
	is_str(cmds("'sudo' ls"), "sudo ls|ls", "a quoted wrapper name");
	is_str(cmds("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/"
	    "0123456789/nice ls"), "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/"
	    "u/v/w/x/y/z/0123456789/nice ls|ls", "a long path to a wrapper");
	is_str(cmds("sh/ ls"), "sh/ ls", "a trailing slash is no basename");
	is_str(cmds("sh +- -c id"), "sh +- -c id|1:id", "+- is no --");
	is_str(cmds("functions x; dont y; fi"), "functions x|dont y",
	    "words that start like reserved words");
	is_str(cmds("a=1 b[2]=3 c+=4 ls"), "ls", "assignments in front");
	is_str(cmds("ls a=(1) b(2)"), "ERROR: syntax error near \"(\"",
	    "a=(...) is one word, b( is not");

	n = 2 * (SH_MAXWORDS + 1);
	s = malloc(n + 1);
	for (i = 0; i < n; i += 2)
		memcpy(s + i, "a ", 2);
	s[n] = '\0';
	ok(shparse(&sp, s, n - 2) == 0 && sp.ncmds == 1 &&
	    sp.cmds[0].argc == SH_MAXWORDS, "SH_MAXWORDS words");
	ok(shparse(&sp, s, n) == -1 && sp.error == SH_ELIMIT,
	    "one more word is too many");
	free(s);
}

int
main(void)
{
	shparse_init(&sp, SH_MAXDEPTH);
	t_quoting();
	t_operators();
	t_compound();
	t_substitutions();
	t_redirections();
	t_wrappers();
	t_nesting();
	t_limits();
	t_shortcuts();
	shparse_free(&sp);
	return (done_testing());
}

/*
 * scripts.c - commands that run a file: sh FILE, bash FILE, python3
 * FILE, node FILE, perl FILE, ruby FILE, php FILE, ./FILE, dir/FILE,
 * source FILE, . FILE and cat FILE | sh.  What such a command does is in the file, so
 * the command rules are applied to the file's text as well: policyd
 * cannot read a workspace, so the requester (sandboxd) sends the texts
 * of the files in the request ("scripts": {PATH: TEXT}), read beneath
 * the workspace.  A text is checked as the inline script of its
 * interpreter (sh -c TEXT, python3 -c TEXT, node -e TEXT, ...), so the
 * same rules, wrappers and paths apply as to a one-liner.  A file the
 * command runs whose text the request does not carry is listed in the
 * answer ("scripts": [PATH, ...]) and decided by "default script"
 * (topsh-policy(5)); a requester that can read it asks again with its
 * text.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy.h"

#define SCRIPTS_MAX	8	/* files one command line may run */

struct interp {
	const char	*name;
	const char	*inline_opt;	/* its inline-script option */
	const char	*stopopts;	/* options after which no file comes */
};

/* sorted by name */
static const struct interp interps[] = {
	{ "ash", "-c", "c" },
	{ "bash", "-c", "c" },
	{ "dash", "-c", "c" },
	{ "ksh", "-c", "c" },
	{ "mksh", "-c", "c" },
	{ "node", "-e", "ep" },
	{ "nodejs", "-e", "ep" },
	{ "perl", "-e", "eE" },
	{ "php", "-r", "r" },
	{ "python", "-c", "cm" },
	{ "python2", "-c", "cm" },
	{ "python3", "-c", "cm" },
	{ "ruby", "-e", "e" },
	{ "sh", "-c", "c" },
	{ "zsh", "-c", "c" },
};
#define NINTERPS	(sizeof(interps) / sizeof(interps[0]))

static const struct interp shell = { "sh", "-c", "c" };

static const struct interp *
interp_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NINTERPS; i++)
		if (strcmp(interps[i].name, name) == 0)
			return (&interps[i]);
	/* python3.11 and the like */
	if (strncmp(name, "python", 6) == 0 && name[6] != '\0' &&
	    strspn(name + 6, "0123456789.") == strlen(name + 6))
		return (&interps[11]);
	return (NULL);
}

/*
 * The file an interpreter runs: its first operand, unless an option
 * says the script is inline (-c, -e) or a module (-m), or reads stdin.
 */
static const char *
interp_file(const struct interp *ip, struct shcmd *c, int *reads_stdin)
{
	int	 i;

	*reads_stdin = 0;
	for (i = 1; i < c->argc; i++) {
		const char	*a = c->argv[i];

		if (strcmp(a, "--") == 0)
			return (i + 1 < c->argc ? c->argv[i + 1] : NULL);
		if (a[0] != '-' || a[1] == '\0') {
			*reads_stdin = a[0] == '-';
			return (a[0] == '-' ? NULL : a);
		}
		if (a[1] != '-' && strpbrk(a + 1, ip->stopopts) != NULL)
			return (NULL);
		/* options taking a value: bash -o opt, python -W arg, -X */
		if (strcmp(a, "-o") == 0 || strcmp(a, "-O") == 0 ||
		    strcmp(a, "-W") == 0 || strcmp(a, "-X") == 0 ||
		    strcmp(a, "-r") == 0 || strcmp(a, "--require") == 0)
			i++;
	}
	*reads_stdin = 1;	/* no operand: the script is its input */
	return (NULL);
}

/*
 * Up to max files the parsed line in sp runs, each with its
 * interpreter, copied out (the caller frees paths[i]).
 */
static size_t
scripts_named(struct shparse *sp, char **paths,
    const struct interp **ips, size_t max)
{
	const struct interp	*ip;
	const char		*name, *file;
	struct shcmd		*c, *prev;
	size_t			 i, k, n = 0;
	int			 reads_stdin;

	for (i = 0; i < sp->ncmds && n < max; i++) {
		c = &sp->cmds[i];
		if (c->argc == 0 || c->dynamic)
			continue;
		name = sh_basename(c->argv[0]);
		file = NULL;
		ip = &shell;
		if ((strcmp(c->argv[0], "source") == 0 ||
		    strcmp(c->argv[0], ".") == 0) && c->argc > 1)
			file = c->argv[1];
		else if ((ip = interp_find(name)) != NULL) {
			file = interp_file(ip, c, &reads_stdin);
			/* cat FILE | sh: the file is the script */
			prev = i > 0 ? &sp->cmds[i - 1] : NULL;
			if (file == NULL && reads_stdin && prev != NULL &&
			    prev->pipeto == i && prev->argc == 2 &&
			    !prev->dynamic &&
			    strcmp(sh_basename(prev->argv[0]), "cat") == 0 &&
			    prev->argv[1][0] != '-')
				file = prev->argv[1];
		}
		else if (strchr(c->argv[0], '/') != NULL &&
		    c->argv[0][0] != '/') {
			/* ./run.sh, bin/tool: a file of the workspace */
			file = c->argv[0];
			ip = &shell;
		}
		if (file == NULL || *file == '\0')
			continue;
		/* an absolute path is no workspace file: the rules see it */
		if (file[0] == '/' || strncmp(file, "/dev/", 5) == 0)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(paths[k], file) == 0)
				break;
		if (k < n)
			continue;
		if ((paths[n] = strdup(file)) == NULL)
			break;
		ips[n++] = ip != NULL ? ip : &shell;
	}
	return (n);
}

/* 'text' quoted for sh: ' becomes '\'' */
static char *
squote(const char *pre, const char *text)
{
	size_t		 len = strlen(pre) + 3, i, o;
	const char	*p;
	char		*s;

	for (p = text; *p != '\0'; p++)
		len += *p == '\'' ? 4 : 1;
	if ((s = malloc(len)) == NULL)
		return (NULL);
	o = strlcpy(s, pre, len);
	s[o++] = '\'';
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == '\'') {
			memcpy(s + o, "'\\''", 4);
			o += 4;
		} else
			s[o++] = text[i];
	}
	s[o++] = '\'';
	s[o] = '\0';
	return (s);
}

/*
 * After pol_check_command() decided res for cmd: check the texts of the
 * files cmd runs that scripts (a JSON object, or NULL) carries, and let
 * the most severe decision stand; the files it runs whose text is not
 * carried go into *missing (a JSON array, NULL when none) and, unless
 * the line is denied already, are decided by "default script".
 */
void
pol_check_scripts(struct ruleset *rs, const char *cmd, size_t len,
    json_t *scripts, struct pol_result *res, json_t **missing)
{
	const struct interp	*ips[SCRIPTS_MAX];
	struct pol_result	 sres;
	char			*paths[SCRIPTS_MAX], *line;
	const char		*text, *pre;
	char			 prefix[16], msg[sizeof(res->buf)];
	json_t			*v;
	size_t			 n, i;

	*missing = NULL;
	if (res->decision == POL_DENY || shparse(&rs->sp, cmd, len) == -1)
		return;
	n = scripts_named(&rs->sp, paths, ips, SCRIPTS_MAX);
	for (i = 0; i < n; i++) {
		v = json_is_object(scripts) ? json_object_get(scripts,
		    paths[i]) : NULL;
		if (!json_is_string(v)) {
			if (*missing == NULL)
				*missing = json_array();
			if (*missing != NULL)
				json_array_append_new(*missing,
				    pol_json_string(paths[i]));
			continue;
		}
		text = json_string_value(v);
		(void)snprintf(prefix, sizeof(prefix), "%s %s ", ips[i]->name,
		    ips[i]->inline_opt);
		pre = prefix;
		if ((line = squote(pre, text)) == NULL) {
			res->decision = POL_DENY;
			res->rule = "shell-memory";
			res->category = "shell";
			res->message = "cannot check a script: out of memory";
			res->timeout = 0;
			continue;
		}
		pol_check_command(rs, line, strlen(line), &sres);
		free(line);
		if (sres.decision > res->decision) {
			(void)snprintf(msg, sizeof(msg), "in %s: %s", paths[i],
			    sres.message != NULL ? sres.message : "");
			*res = sres;
			strlcpy(res->buf, msg, sizeof(res->buf));
			res->message = res->buf;
		}
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	if (*missing != NULL && res->decision < rs->def_script &&
	    rs->def_script != POL_ALLOW) {
		res->decision = rs->def_script;
		res->rule = "script-unread";
		res->category = "shell";
		(void)snprintf(res->buf, sizeof(res->buf), "runs a file whose "
		    "text could not be checked: %s", json_string_value(
		    json_array_get(*missing, 0)));
		res->message = res->buf;
		res->timeout = res->decision == POL_APPROVE ?
		    rs->approve_timeout : 0;
	}
}

/*
 * rules.c - read topsh-policy(5) rule files: interpret the statements
 * of the cfnode tree, check them, compile them.  Every error is
 * reported ("file:line: message") and loading goes on, so one run lists
 * every mistake; a rule set with any error is never used.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "policy.h"

#define RULE_MAXNAME	64

static const char *const decision_names[] = {
	"allow", "soft-delete", "approve", "deny"
};

static const char *const kind_names[] = {
	"regex", "command", "file", "network"
};

static int	use_jit = 1;

struct loader {
	struct ruleset	*rs;
	struct cferrs	*errs;
	size_t		 cap;
	int		 seen_default[RK_MAX];
	int		 seen_default_script;
	char		**seen;		/* files read by earlier trees */
	size_t		 nseen;
	struct disabled	*disable;	/* disable NAME, applied last */
	size_t		 ndisable;
};

struct disabled {
	char		*name;
	const char	*file;		/* kept in the rule set */
	int		 line;
};

const char *
pol_decision_name(enum pol_decision d)
{
	if ((unsigned int)d < sizeof(decision_names) / sizeof(decision_names[0]))
		return (decision_names[d]);
	return ("deny");
}

const char *
rule_kind_name(enum rule_kind k)
{
	if ((unsigned int)k < RK_MAX)
		return (kind_names[k]);
	return ("?");
}

void
ruleset_set_jit(int on)
{
	use_jit = on;
}

void
ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->def[RK_REGEX] = POL_ALLOW;
	rs->def[RK_COMMAND] = POL_ALLOW;
	rs->def[RK_FILE] = POL_ALLOW;
	rs->def[RK_NET] = POL_ALLOW;
	rs->def_script = POL_ALLOW;
	rs->approve_timeout = 300;
	rs->maxdepth = SH_MAXDEPTH;
	rs->maxinput = 64 * 1024;
	rs->jit = 1;
}

static void
rule_free(struct rule *r)
{
	free(r->name);
	free(r->category);
	free(r->message);
	free(r->pattern);
	free(r->match);
	if (r->globs != NULL)
		free(r->globs[0]);
	free(r->globs);
	free(r->globflags);
	free(r->path);
	free(r->unless_pipe);
	free(r->domain);
	pcre2_code_free(r->re);
	pcre2_code_free(r->re_anch);
	pcre2_code_free(r->re_lim);
}

void
ruleset_free(struct ruleset *rs)
{
	size_t	i;

	for (i = 0; i < rs->nrules; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	free(rs->regex);
	free(rs->cmdfile);
	for (i = 0; i < RK_MAX; i++)
		free(rs->bykind[i]);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	cmdindex_free(rs->ci);
	free(rs->cmdcand);
	prefilter_free(rs->pf);
	pcre2_match_data_free(rs->md);
	pcre2_jit_stack_free(rs->jstack);
	pcre2_match_context_free(rs->mctx);
	free(rs->cand);
	free(rs->always);
	free(rs->pos);
	free(rs->npos);
	free(rs->joined);
	shparse_free(&rs->sp);
	memset(rs, 0, sizeof(*rs));
}

static int
parse_decision(const char *s, enum pol_decision *d, int softdelete)
{
	if (strcmp(s, "allow") == 0)
		*d = POL_ALLOW;
	else if (strcmp(s, "deny") == 0)
		*d = POL_DENY;
	else if (strcmp(s, "approve") == 0)
		*d = POL_APPROVE;
	else if (softdelete && strcmp(s, "soft-delete") == 0)
		*d = POL_SOFTDELETE;
	else
		return (-1);
	return (0);
}

static int
valid_name(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && strchr("-_.:", *s) == NULL)
			return (0);
	return (n > 0 && n <= RULE_MAXNAME);
}

/* remember a file name for the life of the rule set */
static const char *
keep_file(struct loader *ld, const char *file)
{
	struct ruleset	*rs = ld->rs;
	char		**v;
	size_t		 i;

	if (file == NULL)
		return ("-");
	for (i = 0; i < rs->nfiles; i++)
		if (strcmp(rs->files[i], file) == 0)
			return (rs->files[i]);
	if ((v = reallocarray(rs->files, rs->nfiles + 1, sizeof(*v))) ==
	    NULL)
		return ("-");
	rs->files = v;
	if ((v[rs->nfiles] = strdup(file)) == NULL)
		return ("-");
	return (v[rs->nfiles++]);
}

static struct rule *
new_rule(struct loader *ld, const struct cfnode *n, enum rule_kind kind)
{
	struct ruleset	*rs = ld->rs;
	struct rule	*r;
	size_t		 ncap;

	if (rs->nrules == ld->cap) {
		ncap = ld->cap ? ld->cap * 2 : 256;
		if ((r = reallocarray(rs->rules, ncap, sizeof(*r))) == NULL) {
			cf_error_node(ld->errs, n, "out of memory");
			return (NULL);
		}
		rs->rules = r;
		ld->cap = ncap;
	}
	r = &rs->rules[rs->nrules];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->index = rs->nrules;
	r->timeout = -1;
	r->file = keep_file(ld, n->file);
	r->line = n->line;
	return (r);
}

static int
dup_arg(struct loader *ld, const struct cfnode *n, char **dst,
    const char *key, const char *val)
{
	if (*dst != NULL) {
		cf_error_node(ld->errs, n, "\"%s\" given twice", key);
		return (-1);
	}
	if ((*dst = strdup(val)) == NULL) {
		cf_error_node(ld->errs, n, "out of memory");
		return (-1);
	}
	return (0);
}

/* "a,b*,/opt/c": the globs of a command rule, none of them empty */
static int
split_globs(struct rule *r)
{
	char	*copy, *p, **v = NULL;
	size_t	 n = 1;

	for (p = r->match; *p != '\0'; p++)
		n += *p == ',';
	if ((copy = strdup(r->match)) == NULL ||
	    (v = calloc(n, sizeof(*v))) == NULL ||
	    (r->globflags = calloc(n, 1)) == NULL) {
		free(copy);
		free(v);
		return (-1);
	}
	r->globs = v;
	r->nglobs = 0;
	for (p = copy; p != NULL; ) {
		v[r->nglobs++] = p;
		if ((p = strchr(p, ',')) != NULL)
			*p++ = '\0';
	}
	for (n = 0; n < r->nglobs; n++) {
		if (v[n][0] == '\0')
			return (-1);
		if (strchr(v[n], '/') != NULL)
			r->globflags[n] |= GLOB_PATH;
		if (strpbrk(v[n], "*?[") != NULL)
			r->globflags[n] |= GLOB_WILD;
	}
	return (0);
}

/* one "key value" pair of a rule statement */
static int
rule_option(struct loader *ld, const struct cfnode *n, struct rule *r,
    const char *key, const char *val, char **flags)
{
	long long	 t;

	if (strcmp(key, "category") == 0)
		return (dup_arg(ld, n, &r->category, key, val));
	if (strcmp(key, "message") == 0)
		return (dup_arg(ld, n, &r->message, key, val));
	if (strcmp(key, "flags") == 0)
		return (dup_arg(ld, n, flags, key, val));
	if (strcmp(key, "timeout") == 0) {
		if (r->decision != POL_APPROVE) {
			cf_error_node(ld->errs, n, "rule %s: timeout is only "
			    "for approve rules", r->name);
			return (-1);
		}
		if (cf_parse_time(val, &t) == -1 || t < 1 || t > 86400) {
			cf_error_node(ld->errs, n, "rule %s: bad timeout "
			    "\"%s\" (1s to 1d)", r->name, val);
			return (-1);
		}
		r->timeout = t;
		return (0);
	}
	switch (r->kind) {
	case RK_REGEX:
		if (strcmp(key, "pattern") == 0)
			return (dup_arg(ld, n, &r->pattern, key, val));
		break;
	case RK_COMMAND:
		if (strcmp(key, "match") == 0)
			return (dup_arg(ld, n, &r->match, key, val));
		if (strcmp(key, "args") == 0)
			return (dup_arg(ld, n, &r->pattern, key, val));
		if (strcmp(key, "unless-piped-to") == 0)
			return (dup_arg(ld, n, &r->unless_pipe, key, val));
		break;
	case RK_FILE:
		if (strcmp(key, "path") == 0)
			return (dup_arg(ld, n, &r->path, key, val));
		if (strcmp(key, "ops") == 0) {
			if (fop_parse(val, &r->ops) == -1) {
				cf_error_node(ld->errs, n, "rule %s: bad ops "
				    "\"%s\" (read, write, create, delete, "
				    "list)", r->name, val);
				return (-1);
			}
			return (0);
		}
		if (strcmp(key, "commands") == 0) {
			if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0) {
				cf_error_node(ld->errs, n, "rule %s: commands "
				    "is yes or no", r->name);
				return (-1);
			}
			r->in_commands = strcmp(val, "yes") == 0;
			return (0);
		}
		break;
	case RK_NET:
		if (strcmp(key, "domain") == 0)
			return (dup_arg(ld, n, &r->domain, key, val));
		if (strcmp(key, "cidr") == 0) {
			if (r->has_cidr || pol_cidr_parse(val, &r->cidr) == -1) {
				cf_error_node(ld->errs, n, "rule %s: bad or "
				    "repeated cidr \"%s\"", r->name, val);
				return (-1);
			}
			r->has_cidr = 1;
			return (0);
		}
		if (strcmp(key, "port") == 0) {
			if (r->nports > 0 ||
			    pol_ports_parse(val, r->ports, &r->nports) == -1) {
				cf_error_node(ld->errs, n, "rule %s: bad or "
				    "repeated port \"%s\"", r->name, val);
				return (-1);
			}
			return (0);
		}
		break;
	default:
		break;
	}
	cf_error_node(ld->errs, n, "rule %s: unknown keyword \"%s\"", r->name,
	    key);
	return (-1);
}

/* what each kind of rule must have, and compiling its pattern */
static int
rule_finish(struct loader *ld, const struct cfnode *n, struct rule *r,
    const char *flags)
{
	char		 msg[256];
	uint32_t	 rf = 0;
	int		 bad = 0;

	if (flags != NULL && rule_re_flags(flags, &rf) == -1) {
		cf_error_node(ld->errs, n, "rule %s: bad flags \"%s\" "
		    "(i, m, s, x)", r->name, flags);
		bad = 1;
	}
	r->reflags = rf;
	switch (r->kind) {
	case RK_REGEX:
		if (r->category == NULL || r->pattern == NULL ||
		    r->message == NULL) {
			cf_error_node(ld->errs, n, "rule %s: needs category, "
			    "pattern and message", r->name);
			return (-1);
		}
		break;
	case RK_COMMAND:
		if (r->match == NULL) {
			cf_error_node(ld->errs, n, "rule %s: needs match",
			    r->name);
			return (-1);
		}
		if (split_globs(r) == -1) {
			cf_error_node(ld->errs, n, "rule %s: bad match \"%s\"",
			    r->name, r->match);
			return (-1);
		}
		break;
	case RK_FILE:
		if (r->path == NULL) {
			cf_error_node(ld->errs, n, "rule %s: needs path",
			    r->name);
			return (-1);
		}
		if (r->ops == 0)
			r->ops = FOP_ALL;
		r->path_component = strchr(r->path, '/') == NULL;
		if (r->decision == POL_SOFTDELETE && r->ops != FOP_DELETE) {
			cf_error_node(ld->errs, n, "rule %s: soft-delete "
			    "applies to ops delete only", r->name);
			return (-1);
		}
		break;
	case RK_NET:
		if (r->domain == NULL && !r->has_cidr && r->nports == 0) {
			cf_error_node(ld->errs, n, "rule %s: needs domain, "
			    "cidr or port", r->name);
			return (-1);
		}
		if (r->domain != NULL) {
			char	*p;

			for (p = r->domain; *p != '\0'; p++)
				*p = tolower((unsigned char)*p);
		}
		break;
	default:
		break;
	}
	if (r->category == NULL &&
	    (r->category = strdup(rule_kind_name(r->kind))) == NULL)
		return (-1);
	if (r->pattern != NULL && rule_compile(r->pattern, rf, &r->re, msg,
	    sizeof(msg)) == -1) {
		cf_error_node(ld->errs, n, "rule %s: %s", r->name, msg);
		return (-1);
	}
	return (bad ? -1 : 0);
}

static int
name_taken(struct ruleset *rs, const char *name, size_t upto)
{
	size_t	i;

	for (i = 0; i < upto; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return (1);
	return (0);
}

/*
 * block NAME key value ...      approve NAME key value ...
 * command|file|network DECISION NAME key value ...
 */
static void
load_rule(struct loader *ld, const struct cfnode *n, enum rule_kind kind)
{
	struct rule		*r;
	enum pol_decision	 d;
	char			*flags = NULL;
	int			 i, first, bad = 0;

	if (kind == RK_REGEX) {
		d = strcmp(n->name, "block") == 0 ? POL_DENY : POL_APPROVE;
		first = 0;
	} else {
		if (n->argc < 1 || parse_decision(n->argv[0], &d,
		    kind == RK_FILE) == -1) {
			cf_error_node(ld->errs, n, "%s: expected allow, deny%s "
			    "or approve", n->name,
			    kind == RK_FILE ? ", soft-delete" : "");
			return;
		}
		first = 1;
	}
	if (n->argc <= first || !valid_name(n->argv[first])) {
		cf_error_node(ld->errs, n, "%s: missing or bad rule name "
		    "(letters, digits, - _ . :)", n->name);
		return;
	}
	if (n->hasblock) {
		cf_error_node(ld->errs, n, "%s: a rule takes no { block }",
		    n->name);
		return;
	}
	if (name_taken(ld->rs, n->argv[first], ld->rs->nrules)) {
		cf_error_node(ld->errs, n, "rule %s: name used twice",
		    n->argv[first]);
		return;
	}
	if ((r = new_rule(ld, n, kind)) == NULL)
		return;
	r->decision = d;
	if ((r->name = strdup(n->argv[first])) == NULL) {
		cf_error_node(ld->errs, n, "out of memory");
		return;
	}
	if ((n->argc - first - 1) % 2 != 0) {
		cf_error_node(ld->errs, n, "rule %s: keyword \"%s\" without a "
		    "value", r->name, n->argv[n->argc - 1]);
		bad = 1;
	}
	for (i = first + 1; i + 1 < n->argc; i += 2)
		if (rule_option(ld, n, r, n->argv[i], n->argv[i + 1],
		    &flags) == -1)
			bad = 1;
	if (!bad && rule_finish(ld, n, r, flags) == -1)
		bad = 1;
	free(flags);
	if (bad)
		rule_free(r);
	else
		ld->rs->nrules++;
}

/* default command|file|network allow|deny|approve */
static void
load_default(struct loader *ld, const struct cfnode *n)
{
	enum pol_decision	d;
	enum rule_kind		k;

	if (n->argc != 2) {
		cf_error_node(ld->errs, n, "default: expected "
		    "command|file|network|script and a decision");
		return;
	}
	if (strcmp(n->argv[0], "script") == 0) {
		/* scripts.c: a file a command runs, its text not sent */
		if (parse_decision(n->argv[1], &d, 0) == -1) {
			cf_error_node(ld->errs, n, "default: expected allow, "
			    "deny or approve, not \"%s\"", n->argv[1]);
			return;
		}
		if (ld->seen_default_script++) {
			cf_error_node(ld->errs, n, "default script given "
			    "twice");
			return;
		}
		ld->rs->def_script = d;
		return;
	}
	if (strcmp(n->argv[0], "command") == 0)
		k = RK_COMMAND;
	else if (strcmp(n->argv[0], "file") == 0)
		k = RK_FILE;
	else if (strcmp(n->argv[0], "network") == 0)
		k = RK_NET;
	else {
		cf_error_node(ld->errs, n, "default: unknown kind \"%s\"",
		    n->argv[0]);
		return;
	}
	if (parse_decision(n->argv[1], &d, 0) == -1) {
		cf_error_node(ld->errs, n, "default: expected allow, deny or "
		    "approve, not \"%s\"", n->argv[1]);
		return;
	}
	if (ld->seen_default[k]) {
		cf_error_node(ld->errs, n, "default %s given twice",
		    n->argv[0]);
		return;
	}
	ld->seen_default[k] = 1;
	ld->rs->def[k] = d;
}

/* disable NAME ...: taken out once every file is read */
static void
load_disable(struct loader *ld, const struct cfnode *n)
{
	struct disabled	*v;
	int		 i;

	if (n->argc < 1 || n->hasblock) {
		cf_error_node(ld->errs, n, "disable: expected one or more "
		    "rule names");
		return;
	}
	for (i = 0; i < n->argc; i++) {
		if (!valid_name(n->argv[i])) {
			cf_error_node(ld->errs, n, "disable: bad rule name "
			    "\"%s\"", n->argv[i]);
			continue;
		}
		if ((v = reallocarray(ld->disable, ld->ndisable + 1,
		    sizeof(*v))) == NULL) {
			cf_error_node(ld->errs, n, "out of memory");
			return;
		}
		ld->disable = v;
		v += ld->ndisable;
		if ((v->name = strdup(n->argv[i])) == NULL) {
			cf_error_node(ld->errs, n, "out of memory");
			return;
		}
		v->file = keep_file(ld, n->file);
		v->line = n->line;
		ld->ndisable++;
	}
}

/*
 * Take the disabled rules out, wherever they were defined (a shipped
 * file read before or after the disable statement), and renumber.  A
 * name that matches no rule is an error: a typo must not leave the
 * rule on unnoticed.
 */
static void
apply_disable(struct loader *ld)
{
	struct ruleset	*rs = ld->rs;
	size_t		 d, i;
	int		 found;

	for (d = 0; d < ld->ndisable; d++) {
		found = 0;
		for (i = 0; i < rs->nrules; i++) {
			if (strcmp(rs->rules[i].name, ld->disable[d].name) != 0)
				continue;
			rule_free(&rs->rules[i]);
			memmove(&rs->rules[i], &rs->rules[i + 1],
			    (rs->nrules - i - 1) * sizeof(rs->rules[0]));
			rs->nrules--;
			found = 1;
			break;
		}
		if (!found)
			cf_error(ld->errs, ld->disable[d].file,
			    ld->disable[d].line, "disable: no rule named "
			    "\"%s\"", ld->disable[d].name);
	}
	for (i = 0; i < rs->nrules; i++)
		rs->rules[i].index = i;
}

/* was this file read already, named directly or through include? */
static int
seen_file(struct loader *ld, const char *file)
{
	char	rp[PATH_MAX];
	size_t	i;

	if (file == NULL || realpath(file, rp) == NULL)
		return (0);
	for (i = 0; i < ld->nseen; i++)
		if (strcmp(ld->seen[i], rp) == 0)
			return (1);
	return (0);
}

static void
mark_seen(struct loader *ld, const struct cftree *t)
{
	char	 rp[PATH_MAX], **v;
	size_t	 i;

	for (i = 0; i < t->nfiles; i++) {
		if (realpath(t->files[i], rp) == NULL || seen_file(ld, rp))
			continue;
		if ((v = reallocarray(ld->seen, ld->nseen + 1,
		    sizeof(*v))) == NULL)
			return;
		ld->seen = v;
		if ((v[ld->nseen] = strdup(rp)) != NULL)
			ld->nseen++;
	}
}

static void
loader_free(struct loader *ld)
{
	size_t	i;

	for (i = 0; i < ld->nseen; i++)
		free(ld->seen[i]);
	free(ld->seen);
	for (i = 0; i < ld->ndisable; i++)
		free(ld->disable[i].name);
	free(ld->disable);
}

static void
load_tree(struct loader *ld, const struct cftree *t)
{
	const struct cfnode	*n;
	const char		*last = NULL;
	int			 skip = 0;

	TAILQ_FOREACH(n, &t->nodes, entry) {
		/* a file named twice is read once */
		if (n->file != last) {
			last = n->file;
			skip = seen_file(ld, n->file);
		}
		if (skip)
			continue;
		if (strcmp(n->name, "block") == 0 ||
		    strcmp(n->name, "approve") == 0)
			load_rule(ld, n, RK_REGEX);
		else if (strcmp(n->name, "command") == 0)
			load_rule(ld, n, RK_COMMAND);
		else if (strcmp(n->name, "file") == 0)
			load_rule(ld, n, RK_FILE);
		else if (strcmp(n->name, "network") == 0)
			load_rule(ld, n, RK_NET);
		else if (strcmp(n->name, "default") == 0)
			load_default(ld, n);
		else if (strcmp(n->name, "disable") == 0)
			load_disable(ld, n);
		else
			cf_error_node(ld->errs, n, "unknown statement \"%s\"",
			    n->name);
	}
}

int
ruleset_looks_like_rules(const struct cftree *t)
{
	const struct cfnode	*n;
	static const char *const kw[] = {
		"block", "approve", "command", "file", "network", "default",
		"disable", NULL
	};
	int			 i;

	TAILQ_FOREACH(n, &t->nodes, entry)
		for (i = 0; kw[i] != NULL; i++)
			if (strcmp(n->name, kw[i]) == 0)
				return (1);
	return (0);
}

/* the regex index, the prefilter and the scratch space */
static int
ruleset_finish(struct ruleset *rs, struct cferrs *errs)
{
	char	msg[256];
	size_t	i;

	if ((rs->regex = calloc(rs->nrules + 1, sizeof(*rs->regex))) == NULL ||
	    (rs->cmdfile = calloc(rs->nrules + 1, sizeof(*rs->cmdfile))) ==
	    NULL)
		goto nomem;
	for (i = 0; i < RK_MAX; i++)
		if ((rs->bykind[i] = calloc(rs->nrules + 1,
		    sizeof(*rs->bykind[i]))) == NULL)
			goto nomem;
	for (i = 0; i < rs->nrules; i++) {
		rs->bykind[rs->rules[i].kind][rs->count[rs->rules[i].kind]] =
		    &rs->rules[i];
		rs->count[rs->rules[i].kind]++;
		if (rs->rules[i].kind == RK_REGEX)
			rs->regex[rs->nregex++] = &rs->rules[i];
		if (rs->rules[i].kind == RK_FILE && rs->rules[i].in_commands &&
		    rs->rules[i].decision != POL_ALLOW &&
		    rs->rules[i].decision != POL_SOFTDELETE)
			rs->cmdfile[rs->ncmdfile++] = &rs->rules[i];
	}
	if ((rs->pf = prefilter_build(rs->regex, rs->nregex)) == NULL)
		goto nomem;
	if ((rs->ci = cmdindex_build(rs->bykind[RK_COMMAND],
	    rs->count[RK_COMMAND])) == NULL ||
	    (rs->cmdcand = calloc(cmdindex_max(rs->ci),
	    sizeof(*rs->cmdcand))) == NULL)
		goto nomem;
	rs->nids = prefilter_nids(rs->pf);
	if ((rs->cand = calloc(rs->nids / 64 + 1, sizeof(*rs->cand))) ==
	    NULL ||
	    (rs->pos = calloc(rs->nids + 1, PF_MAXPOS * sizeof(*rs->pos))) ==
	    NULL || (rs->npos = calloc(rs->nids + 1, 1)) == NULL ||
	    (rs->always = calloc(rs->nregex / 64 + 1,
	    sizeof(*rs->always))) == NULL)
		goto nomem;
	for (i = 0; i < rs->nregex; i++)
		if (rs->regex[i]->always)
			rs->always[i / 64] |= 1ULL << (i % 64);
	if (ruleset_anchor(rs, msg, sizeof(msg)) == -1 ||
	    ruleset_scratch(rs, msg, sizeof(msg)) == -1) {
		cf_error(errs, "-", 0, "%s", msg);
		return (-1);
	}
	shparse_init(&rs->sp, rs->maxdepth);
	return (0);
 nomem:
	cf_error(errs, "-", 0, "out of memory");
	return (-1);
}

static int
ruleset_done(struct loader *ld, size_t nerrs)
{
	if (ld->errs->n > nerrs || ruleset_finish(ld->rs, ld->errs) == -1) {
		ruleset_free(ld->rs);
		return (-1);
	}
	return (0);
}

int
ruleset_load(struct ruleset *rs, char *const *files, size_t nfiles,
    struct cfmacros *macros, struct cferrs *errs)
{
	struct loader	 ld;
	struct cftree	*t;
	size_t		 i, nerrs = errs->n;

	memset(&ld, 0, sizeof(ld));
	ld.rs = rs;
	ld.errs = errs;
	rs->jit = use_jit;
	if (nfiles == 0)
		cf_error(errs, "-", 0, "no rule files given");
	for (i = 0; i < nfiles; i++) {
		size_t	before = errs->n;

		if ((t = cf_parse_file(files[i], macros, errs)) == NULL) {
			if (errs->n == before)
				cf_error(errs, files[i], 0, "cannot read the "
				    "rule file");
			continue;
		}
		load_tree(&ld, t);
		mark_seen(&ld, t);
		cf_free(t);
	}
	apply_disable(&ld);
	loader_free(&ld);
	return (ruleset_done(&ld, nerrs));
}

int
ruleset_load_buffer(struct ruleset *rs, const char *name, const char *buf,
    size_t len, struct cferrs *errs)
{
	struct loader	 ld;
	struct cftree	*t;
	size_t		 nerrs = errs->n;

	memset(&ld, 0, sizeof(ld));
	ld.rs = rs;
	ld.errs = errs;
	rs->jit = use_jit;
	if ((t = cf_parse_buffer(name, buf, len, NULL, errs)) == NULL) {
		cf_error(errs, name, 0, "cannot parse");
		ruleset_free(rs);
		return (-1);
	}
	load_tree(&ld, t);
	cf_free(t);
	apply_disable(&ld);
	loader_free(&ld);
	return (ruleset_done(&ld, nerrs));
}

/*
 * check.c - the decisions: may this command line, this file operation,
 * this network destination go ahead?
 *
 * Every rule that matches is a candidate; the most severe decision wins
 * (deny > approve > soft-delete > allow) and among rules with that
 * decision the one loaded first is reported.  When no rule matches, the
 * rule set's default for that kind applies.  A rule that could not
 * change the outcome is not even evaluated.
 */
#include <sys/types.h>

#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define CMD_LOOKBACK	4	/* commands a repeated one is looked for in */

struct best {
	const struct rule	*r;
};

static const char *const fop_names[] = {
	"read", "write", "create", "delete", "list"
};

static int
can_beat(const struct best *b, const struct rule *r)
{
	if (b->r == NULL)
		return (1);
	if (r->decision != b->r->decision)
		return (r->decision > b->r->decision);
	return (r->index < b->r->index);
}

static void
consider(struct best *b, const struct rule *r)
{
	if (can_beat(b, r))
		b->r = r;
}

int
fop_parse(const char *s, unsigned int *ops)
{
	const char	*p, *e;
	size_t		 len, i;
	unsigned int	 m = 0;

	for (p = s; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		len = e - p;
		if (len == 3 && strncmp(p, "all", 3) == 0) {
			m |= FOP_ALL;
			continue;
		}
		for (i = 0; i < sizeof(fop_names) / sizeof(fop_names[0]); i++)
			if (strlen(fop_names[i]) == len &&
			    strncmp(p, fop_names[i], len) == 0)
				break;
		if (i == sizeof(fop_names) / sizeof(fop_names[0]))
			return (-1);
		m |= 1U << i;
	}
	if (m == 0)
		return (-1);
	*ops = m;
	return (0);
}

const char *
fop_name(unsigned int op)
{
	size_t	i;

	for (i = 0; i < sizeof(fop_names) / sizeof(fop_names[0]); i++)
		if (op == 1U << i)
			return (fop_names[i]);
	return ("?");
}

static void
result_rule(struct ruleset *rs, struct pol_result *res, const struct rule *r)
{
	res->decision = r->decision;
	res->rule = r->name;
	res->category = r->category;
	res->message = r->message;
	res->timeout = 0;
	if (r->decision == POL_APPROVE)
		res->timeout = r->timeout >= 0 ? r->timeout :
		    rs->approve_timeout;
}

static void
result_builtin(struct pol_result *res, const char *rule, const char *prefix,
    const char *detail)
{
	res->decision = POL_DENY;
	res->rule = rule;
	res->category = "shell";
	(void)snprintf(res->buf, sizeof(res->buf), "%s%s", prefix, detail);
	res->message = res->buf;
	res->timeout = 0;
}

/* the best rule, or the default for the kind */
static void
resolve(struct ruleset *rs, const struct best *b, enum rule_kind kind,
    struct pol_result *res)
{
	if (b->r != NULL)
		result_rule(rs, res, b->r);
	else {
		res->decision = rs->def[kind];
		res->rule = NULL;
		res->category = NULL;
		res->message = NULL;
		res->timeout = 0;
		if (res->decision != POL_ALLOW) {
			res->rule = "default";
			res->category = rule_kind_name(kind);
			(void)snprintf(res->buf, sizeof(res->buf),
			    "no %s rule allows this", rule_kind_name(kind));
			res->message = res->buf;
			if (res->decision == POL_APPROVE)
				res->timeout = rs->approve_timeout;
		}
	}
	if (res->decision == POL_DENY)
		rs->denied++;
	else if (res->decision == POL_APPROVE)
		rs->held++;
}

static void
check_rule(struct ruleset *rs, size_t i, const char *s, size_t len,
    struct best *b)
{
	const struct rule	*r = rs->regex[i];

	if (regex_candidate(rs, i) && can_beat(b, r) &&
	    regex_rule_matches(rs, i, s, len))
		consider(b, r);
}

/*
 * The regex rules on one text: those that look for a literal seen in
 * it, and those without a literal.
 */
static void
check_text(struct ruleset *rs, const char *s, size_t len, struct best *b)
{
	const uint32_t	*v;
	uint64_t	 w;
	size_t		 k, id, j, n;

	regex_scan(rs, s, len);
	for (k = 0; k <= rs->nids / 64; k++)
		for (w = rs->cand[k]; w != 0; w &= w - 1) {
			id = k * 64 + (size_t)__builtin_ctzll(w);
			n = prefilter_rules(rs->pf, id, &v);
			for (j = 0; j < n; j++)
				check_rule(rs, v[j], s, len, b);
		}
	for (k = 0; k <= rs->nregex / 64; k++)
		for (w = rs->always[k]; w != 0; w &= w - 1)
			check_rule(rs, k * 64 + (size_t)__builtin_ctzll(w), s,
			    len, b);
}

/* room for len more bytes in rs->joined */
static int
joined_reserve(struct ruleset *rs, size_t len)
{
	char	*n;
	size_t	 cap;

	if (len <= rs->joinedcap)
		return (0);
	cap = rs->joinedcap ? rs->joinedcap : 1024;
	while (cap < len)
		cap *= 2;
	if ((n = realloc(rs->joined, cap)) == NULL)
		return (-1);
	rs->joined = n;
	rs->joinedcap = cap;
	return (0);
}

/* words joined by spaces, from argv[from]; NULL on allocation failure */
static const char *
join_words(struct ruleset *rs, const struct shcmd *c, int from, size_t *lenp)
{
	size_t	off = 0, l;
	int	i;

	if (joined_reserve(rs, 1) == -1)
		return (NULL);
	for (i = from; i < c->argc; i++) {
		l = strlen(c->argv[i]);
		if (joined_reserve(rs, off + l + 2) == -1)
			return (NULL);
		if (i > from)
			rs->joined[off++] = ' ';
		memcpy(rs->joined + off, c->argv[i], l);
		off += l;
	}
	rs->joined[off] = '\0';
	*lenp = off;
	return (rs->joined);
}

/* a command's arguments, joined when a pattern first needs them */
struct cmdargs {
	const struct shcmd	*c;
	struct ciargs		 lit;	/* for cmdindex_args() */
	const char		*s;
	size_t			 len;
};

/*
 * The rest of command rule i once its glob matched (cmdindex.c): the
 * args pattern, if any, tried only when one of its literals is there.
 */
static int
piped_into(const struct ruleset *rs, const struct shcmd *c, const char *globs)
{
	const char	*name, *p, *e;
	char		 g[64];
	size_t		 len;

	if (c->pipeto == 0 || c->pipeto >= rs->sp.ncmds)
		return (0);
	name = sh_basename(rs->sp.cmds[c->pipeto].argv[0]);
	for (p = globs; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if ((len = e - p) == 0 || len >= sizeof(g))
			continue;
		memcpy(g, p, len);
		g[len] = '\0';
		if (fnmatch(g, name, 0) == 0)
			return (1);
	}
	return (0);
}

static inline int
command_match(struct ruleset *rs, uint32_t i, const struct rule *r,
    struct cmdargs *a)
{
	if (r->unless_pipe != NULL && piped_into(rs, a->c, r->unless_pipe))
		return (0);
	if (r->re == NULL)
		return (1);
	if (!cmdindex_args(rs->ci, i, &a->lit))
		return (0);
	if (a->s == NULL &&
	    (a->s = join_words(rs, a->c, 1, &a->len)) == NULL)
		return (1);	/* fail closed */
	return (rule_re_match(rs, r->re, a->s, a->len));
}

/*
 * Are two words the same?  Inline: they are a few bytes long, shorter
 * than a call to strcmp() takes, and a line can ask a thousand times.
 */
static inline int
same_word(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (*a == *b);
}

/*
 * Are command k's words those of one of the few commands before it
 * (rm -f a && rm -f a ...)?  The same words get the same rules.
 */
static int
cmd_repeats(const struct shparse *sp, size_t k)
{
	const struct shcmd	*c = &sp->cmds[k], *d;
	size_t			 j;
	int			 i;

	if (c->pipeto != 0)
		return (0);	/* where its output goes may matter */
	for (j = k > CMD_LOOKBACK ? k - CMD_LOOKBACK : 0; j < k; j++) {
		d = &sp->cmds[j];
		if (d->argc != c->argc || d->argv[0][0] != c->argv[0][0] ||
		    d->pipeto != 0)
			continue;	/* most differ here */
		for (i = 0; i < c->argc && same_word(c->argv[i], d->argv[i]);
		    i++)
			;
		if (i == c->argc)
			return (1);
	}
	return (0);
}

/*
 * Every simple command against the command rules whose globs match its
 * name (cmdindex.c).  Returns how many commands no rule matched: under
 * a default other than allow, each of them gets the default.
 */
static size_t
check_commands(struct ruleset *rs, struct best *b)
{
	const struct rule	*r;
	struct cmdargs		 a;
	uint32_t		 ri;
	size_t			 i, k, n, unmatched = 0;
	int			 matched, track;

	track = rs->def[RK_COMMAND] != POL_ALLOW;
	for (k = 0; k < rs->sp.ncmds; k++) {
		if (cmd_repeats(&rs->sp, k))
			continue;	/* counted, if unmatched, already */
		a.c = &rs->sp.cmds[k];
		a.lit.argv = a.c->argv + 1;
		a.lit.argc = a.c->argc - 1;
		a.lit.known = 0;
		a.s = NULL;
		matched = 0;
		n = cmdindex_lookup(rs->ci, a.c->argv[0], rs->cmdcand);
		for (i = 0; i < n; i++) {
			ri = rs->cmdcand[i];
			r = rs->bykind[RK_COMMAND][ri];
			if (can_beat(b, r)) {
				if (command_match(rs, ri, r, &a)) {
					consider(b, r);
					matched = 1;
				}
			} else if (track && !matched &&
			    command_match(rs, ri, r, &a))
				matched = 1;
		}
		unmatched += !matched;
	}
	return (unmatched);
}

/*
 * The commands that had quotes or escapes, with those removed, one a
 * line, in *dqp: regex rules see through c''at /e\tc/shadow too.  1
 * with such a text, 0 when no command had any, -1 when there was no
 * memory for it (the caller fails closed).
 */
static int
dequoted(struct ruleset *rs, const char *raw, size_t rawlen,
    const char **dqp, size_t *lenp)
{
	const struct shcmd	*c;
	size_t			 len = 1, off = 0, k, l;
	int			 i;

	if (memchr(raw, '\'', rawlen) == NULL &&
	    memchr(raw, '"', rawlen) == NULL &&
	    memchr(raw, '\\', rawlen) == NULL)
		return (0);
	for (k = 0; k < rs->sp.ncmds; k++)
		if (!rs->sp.cmds[k].inner && rs->sp.cmds[k].quoted)
			for (i = 0; i < rs->sp.cmds[k].argc; i++)
				len += strlen(rs->sp.cmds[k].argv[i]) + 1;
	if (joined_reserve(rs, len) == -1)
		return (-1);
	for (k = 0; k < rs->sp.ncmds; k++) {
		c = &rs->sp.cmds[k];
		if (c->inner || !c->quoted)
			continue;
		if (off > 0)
			rs->joined[off++] = '\n';
		for (i = 0; i < c->argc; i++) {
			l = strlen(c->argv[i]);
			if (i > 0)
				rs->joined[off++] = ' ';
			memcpy(rs->joined + off, c->argv[i], l);
			off += l;
		}
	}
	rs->joined[off] = '\0';
	*dqp = rs->joined;
	*lenp = off;
	return (off > 0);
}

/*
 * Has inline script i already been checked in this command line (sh -c
 * 'ls' && sh -c 'ls' ...)?  The same text gets the same answer.
 */
static int
text_seen(struct ruleset *rs, size_t i, size_t len)
{
	const char	*t = rs->sp.texts[i];
	size_t		 k;

	if (i >= TEXTSLOTS / 2)
		return (0);	/* the table stays half empty */
	for (k = fnv1a(t, len) % TEXTSLOTS; rs->textslot[k].gen == rs->textgen;
	    k = (k + 1) % TEXTSLOTS)
		if (same_word(rs->sp.texts[rs->textslot[k].idx], t))
			return (1);
	rs->textslot[k].gen = rs->textgen;
	rs->textslot[k].idx = (uint32_t)i;
	return (0);
}

void
pol_check_command(struct ruleset *rs, const char *cmd, size_t len,
    struct pol_result *res)
{
	struct best	 b = { NULL };
	const struct rule *fr;
	const char	*dq = NULL;
	char		*sub;
	size_t		 i, dqlen = 0, tlen, sublen;
	const char	*rule;
	int		 m;

	memset(res, 0, sizeof(*res));
	rs->checks++;
	if (len > rs->maxinput) {
		char	lim[32];

		(void)snprintf(lim, sizeof(lim), "%zu bytes", rs->maxinput);
		result_builtin(res, "input-size", "the command is longer than ",
		    lim);
		rs->denied++;
		return;
	}
	check_text(rs, cmd, len, &b);
	if (shparse(&rs->sp, cmd, len) == -1) {
		if (b.r != NULL && b.r->decision == POL_DENY) {
			resolve(rs, &b, RK_COMMAND, res);
			return;
		}
		rule = rs->sp.error == SH_EDEPTH ? "shell-depth" :
		    rs->sp.error == SH_ELIMIT ? "shell-limit" : "shell-parse";
		result_builtin(res, rule, "cannot check this command line: ",
		    rs->sp.errmsg);
		rs->denied++;
		return;
	}
	if (++rs->textgen == 0) {	/* wrapped: old marks would count */
		memset(rs->textslot, 0, sizeof(rs->textslot));
		rs->textgen = 1;
	}
	for (i = 0; i < rs->sp.ntexts; i++) {
		tlen = strlen(rs->sp.texts[i]);
		if (!text_seen(rs, i, tlen))
			check_text(rs, rs->sp.texts[i], tlen, &b);
	}
	if ((m = dequoted(rs, cmd, len, &dq, &dqlen)) == -1) {
		result_builtin(res, "shell-memory", "cannot check this "
		    "command line: ", "out of memory");
		rs->denied++;
		return;
	}
	if (m == 1)
		check_text(rs, dq, dqlen, &b);
	/* D=/proc; cat $D/1/environ: the line with $D replaced */
	if (cmdpaths_substituted(cmd, len, &sub, &sublen) == 1) {
		check_text(rs, sub, sublen, &b);
		free(sub);
	}
	/* the paths it names, globs and expansions included */
	if ((fr = cmdpaths_check(rs, cmd, len)) != NULL)
		consider(&b, fr);
	if (check_commands(rs, &b) > 0 && rs->def[RK_COMMAND] != POL_ALLOW &&
	    (b.r == NULL || b.r->decision < rs->def[RK_COMMAND]))
		b.r = NULL;	/* the default decides */
	if (rs->sp.dynamic && (b.r == NULL || b.r->decision != POL_DENY)) {
		result_builtin(res, "shell-dynamic", "the command name is "
		    "computed by a command substitution", "");
		rs->denied++;
		return;
	}
	resolve(rs, &b, RK_COMMAND, res);
}

/*
 * A glob without a slash matches the last component; "*" crosses
 * slashes; a glob starting with "*\/" also matches at the start of a
 * relative path.
 */
int
pol_file_match(const struct rule *r, const char *path)
{
	const char	*base;

	if (r->path_component) {
		base = strrchr(path, '/');
		return (fnmatch(r->path, base != NULL ? base + 1 : path,
		    0) == 0);
	}
	if (fnmatch(r->path, path, 0) == 0)
		return (1);
	return (path[0] != '/' && r->path[0] == '*' && r->path[1] == '/' &&
	    fnmatch(r->path + 2, path, 0) == 0);
}

void
pol_check_file(struct ruleset *rs, unsigned int op, const char *path,
    struct pol_result *res)
{
	struct best	 b = { NULL };
	char		 norm[PATH_MAX];
	size_t		 i;

	memset(res, 0, sizeof(*res));
	rs->checks++;
	if (pol_path_normalise(path, norm, sizeof(norm)) == -1) {
		result_builtin(res, "path-invalid", "the path is empty or too "
		    "long", "");
		res->category = "file";
		rs->denied++;
		return;
	}
	for (i = 0; i < rs->count[RK_FILE]; i++) {
		const struct rule *r = rs->bykind[RK_FILE][i];

		if (!(r->ops & op) || !can_beat(&b, r))
			continue;
		if (r->decision == POL_SOFTDELETE && op != FOP_DELETE)
			continue;
		if (pol_file_match(r, norm))
			consider(&b, r);
	}
	resolve(rs, &b, RK_FILE, res);
}

static int
port_match(const struct rule *r, int port)
{
	int	i;

	if (port <= 0)
		return (0);
	for (i = 0; i < r->nports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return (1);
	return (0);
}

/*
 * A destination named by an address, not a name: the host is an IP
 * literal in any form (dotted, decimal, octal, hex, IPv4-mapped IPv6)
 * or absent.  Domain rules never match it, and a rule that names no
 * address (a port-only allow) does not allow it either, else a denied
 * domain would be reached by its address through "allow port 443".
 * Only an allow rule with a cidr that holds the address allows it;
 * deny and approve rules (cidr or port) apply as to any destination.
 * Anything else is denied by the built-in rule "net-ip-literal", even
 * under "default network allow".
 */
void
pol_check_net(struct ruleset *rs, const char *host, const char *addr,
    int port, struct pol_result *res)
{
	struct best	 b = { NULL };
	struct cidr	 ips[2];
	char		 h[256];
	int		 nips = 0, literal = 0, k, hit;
	size_t		 i;

	memset(res, 0, sizeof(*res));
	rs->checks++;
	h[0] = '\0';
	if (host != NULL && pol_host_normalise(host, h, sizeof(h)) == -1) {
		result_builtin(res, "host-invalid", "the host name is malformed",
		    "");
		res->category = "network";
		rs->denied++;
		return;
	}
	if (h[0] != '\0' && pol_ip_parse(h, &ips[nips]) == 0) {
		nips++;
		literal = 1;
	}
	if (h[0] == '\0')
		literal = 1;
	if (addr != NULL && pol_ip_parse(addr, &ips[nips]) == 0)
		nips++;
	for (i = 0; i < rs->count[RK_NET]; i++) {
		const struct rule *r = rs->bykind[RK_NET][i];

		if (!can_beat(&b, r))
			continue;
		if (r->domain != NULL && (literal ||
		    fnmatch(r->domain, h, 0) != 0))
			continue;
		if (literal && r->decision == POL_ALLOW && !r->has_cidr)
			continue;
		if (r->nports > 0 && !port_match(r, port))
			continue;
		if (r->has_cidr) {
			for (k = 0, hit = 0; k < nips && !hit; k++)
				hit = pol_cidr_match(&r->cidr, &ips[k]);
			if (!hit)
				continue;
		}
		consider(&b, r);
	}
	if (literal && b.r == NULL && rs->def[RK_NET] == POL_ALLOW) {
		result_builtin(res, "net-ip-literal", "an address, not a "
		    "name: only a network rule with a cidr holding it allows "
		    "it", "");
		res->category = "network";
		rs->denied++;
		return;
	}
	resolve(rs, &b, RK_NET, res);
}

/* a JSON string even for bytes that are not UTF-8 */
json_t *
pol_json_string(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if ((j = json_string(s)) != NULL)
		return (j);
	if ((copy = strdup(s)) == NULL)
		return (NULL);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return (j);
}

json_t *
pol_result_json(const struct pol_result *res, const char *input)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if ((input != NULL && json_object_set_new(o, "input",
	    pol_json_string(input)) == -1) ||
	    json_object_set_new(o, "decision",
	    json_string(pol_decision_name(res->decision))) == -1 ||
	    json_object_set_new(o, "rule", res->rule != NULL ?
	    pol_json_string(res->rule) : json_null()) == -1 ||
	    json_object_set_new(o, "category", res->category != NULL ?
	    pol_json_string(res->category) : json_null()) == -1 ||
	    json_object_set_new(o, "message", res->message != NULL ?
	    pol_json_string(res->message) : json_null()) == -1 ||
	    json_object_set_new(o, "timeout",
	    json_integer(res->timeout)) == -1) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

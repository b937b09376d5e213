/*
 * policy.h - policyd's rule engine: the compiled rule set of
 * topsh-policy(5) and the three questions it answers (may this command,
 * this file operation, this network destination go ahead?).
 */
#ifndef POLICYD_POLICY_H
#define POLICYD_POLICY_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <jansson.h>

#include "cfparse.h"
#include "shparse.h"

/* in order of severity: the most severe matching rule decides */
enum pol_decision {
	POL_ALLOW = 0,
	POL_SOFTDELETE,
	POL_APPROVE,
	POL_DENY,
};

enum rule_kind {
	RK_REGEX,		/* block / approve: a pattern on the text */
	RK_COMMAND,		/* command: each parsed simple command */
	RK_FILE,		/* file: a path and an operation */
	RK_NET,			/* network: host, address, port */
	RK_MAX
};

/* file operations */
#define FOP_READ	0x01
#define FOP_WRITE	0x02
#define FOP_CREATE	0x04
#define FOP_DELETE	0x08
#define FOP_LIST	0x10
#define FOP_ALL		0x1f

#define RULE_MAXPORTS	8

#define GLOB_PATH	0x01	/* holds a /: matched against the full name */
#define GLOB_WILD	0x02	/* holds * ? or [ */

/* literal sets a match holds in this order */
#define PF_MAXCHAIN	8
struct litchain {
	char		***sets;
	size_t		 *nset;
	size_t		  n;
	size_t		  start;	/* where the first set is in the text */
};

struct cidr {
	int		 af;		/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];
	int		 bits;
};

struct portrange {
	int		 lo;
	int		 hi;
};

/* rxnext.c: the bytes that can follow the literal a match starts with */
struct rxnext {
	size_t		 len;		/* the literal's; 0: nothing known */
	int		 skipws;	/* after the spaces there */
	uint8_t		 set[32];
};

struct rule {
	enum rule_kind	 kind;
	enum pol_decision decision;
	unsigned int	 index;		/* load order: earlier wins a tie */
	char		*name;
	char		*category;
	char		*message;
	long long	 timeout;	/* approvals; -1: approve-timeout */
	const char	*file;		/* owned by the ruleset */
	int		 line;
	/* RK_REGEX; RK_COMMAND's args */
	char		*pattern;
	uint32_t	 reflags;	/* PCRE2_CASELESS ... */
	pcre2_code	*re;
	int		 always;	/* no literal for the prefilter */
	int		 prefix;	/* every match starts at its literal */
	pcre2_code	*re_anch;	/* the same, anchored */
	pcre2_code	*re_lim;	/* the same, with an offset limit */
	int		 lit;		/* prefilter id of its literals */
	int		 wordstart;	/* \b then a word byte starts a match */
	struct rxnext	 next;		/* prefix rules: what follows it */
	int		 preid[PF_MAXCHAIN];	/* .* rules: literal sets */
	size_t		 npre;		/* before lit, by prefilter id */
	size_t		 prelead;	/* most bytes a match has before */
					/* the first of them */
	int		 postid[PF_MAXCHAIN];	/* and after it */
	size_t		 npost;
	int		 follow;	/* prefilter id of later literals */
	int		 spanned;	/* span leaves some byte out */
	uint8_t		 span[32];	/* the bytes a match can hold */
	uint8_t		 gap[32];	/* and before its follow literal */
	int		 gapped;	/* gap leaves some byte out */
	int		 follow2;	/* prefilter id of literals after */
					/* the follow ones; -1 none */
	uint8_t		 gap2[32];	/* the bytes from those to these */
	int		 rspanned;	/* rspan leaves some byte out */
	uint8_t		 rspan[32];	/* and lookarounds too: rx_readspan */
	uint32_t	 behind;	/* bytes read before a start, >= 1 */
	uint8_t		 needcu[2];	/* bytes every match holds: pcre2's */
					/* first and last code units; 0 */
	/* RK_COMMAND */
	char		*match;		/* globs on argv[0], comma-separated */
	char		**globs;	/* match split at commas */
	uint8_t		*globflags;	/* GLOB_PATH, GLOB_WILD */
	size_t		 nglobs;
	char		*unless_pipe;	/* globs: not when piped into one */
	/* RK_FILE */
	char		*path;
	int		 path_component;	/* no '/': any component */
	unsigned int	 ops;
	int		 in_commands;	/* also the paths commands name */
	/* RK_NET */
	char		*domain;
	int		 has_cidr;
	struct cidr	 cidr;
	struct portrange ports[RULE_MAXPORTS];
	int		 nports;
};

struct prefilter;
struct cmdindex;

#define TEXTSLOTS	2048

struct ruleset {
	struct rule	*rules;
	size_t		 nrules;
	size_t		 count[RK_MAX];
	struct rule	**regex;	/* the regex rules, in order */
	size_t		 nregex;
	struct rule	**bykind[RK_MAX];	/* each kind's rules, in order */
	enum pol_decision def[RK_MAX];	/* when no rule matches */
	enum pol_decision def_script;	/* a file run, its text unread */
	long long	 approve_timeout;
	int		 maxdepth;
	size_t		 maxinput;
	int		 jit;		/* patterns are JIT-compiled on use */
	int		 jit_lost;	/* 1: a JIT compile failed after load */
	size_t		 njit;		/* how many so far */
	char		**files;
	size_t		 nfiles;
	struct prefilter *pf;
	struct cmdindex	*ci;		/* command rules by name */
	uint32_t	*cmdcand;	/* cmdindex_lookup() output */
	/* scratch space for one check at a time */
	pcre2_match_data *md;
	pcre2_jit_stack	*jstack;
	pcre2_match_context *mctx;
	size_t		 nids;		/* prefilter ids: rules, follow sets */
	uint64_t	*cand;		/* prefilter hits, one bit an id */
	uint64_t	*always;	/* the regex rules without a literal */
	struct {
		uint32_t	 gen;
		uint32_t	 idx;
	}		 textslot[TEXTSLOTS];	/* inline scripts checked */
	uint32_t	 textgen;
	uint32_t	*pos;		/* where, PF_MAXPOS a rule */
	uint8_t		*npos;
	struct shparse	 sp;
	struct rule	**cmdfile;	/* file rules with commands yes */
	size_t		 ncmdfile;
	char		*joined;
	size_t		 joinedcap;
	/* counters */
	unsigned long long checks;
	unsigned long long denied;
	unsigned long long held;
};

struct pol_result {
	enum pol_decision decision;
	const char	*rule;		/* NULL: no rule matched */
	const char	*category;
	const char	*message;
	long long	 timeout;	/* approve: seconds */
	char		 buf[256];	/* message of a built-in check */
};

/* rules.c: load and compile; 0 ok, -1 with every error in errs */
void		 ruleset_init(struct ruleset *);
int		 ruleset_load(struct ruleset *, char *const *, size_t,
		    struct cfmacros *, struct cferrs *);
int		 ruleset_load_buffer(struct ruleset *, const char *,
		    const char *, size_t, struct cferrs *);
void		 ruleset_free(struct ruleset *);
/* is this parsed file a rule file (rather than topsh.conf)? */
int		 ruleset_looks_like_rules(const struct cftree *);
void		 ruleset_set_jit(int);
const char	*pol_decision_name(enum pol_decision);
const char	*rule_kind_name(enum rule_kind);

/* rules_re.c */
int		 rule_compile(const char *, uint32_t, pcre2_code **, char *,
		    size_t);
int		 ruleset_scratch(struct ruleset *, char *, size_t);
int		 ruleset_anchor(struct ruleset *, char *, size_t);
int		 rule_re_match(struct ruleset *, pcre2_code *, const char *,
		    size_t);
int		 rule_re_match_at(struct ruleset *, pcre2_code *, const char *,
		    size_t, size_t);
int		 rule_re_match_upto(struct ruleset *, pcre2_code *,
		    const char *, size_t, size_t, size_t);
void		 regex_scan(struct ruleset *, const char *, size_t);
int		 regex_rule_matches(struct ruleset *, size_t, const char *,
		    size_t);
int		 rule_re_flags(const char *, uint32_t *);

/* cmdindex.c: the command rules whose globs match a command name */
struct cmdindex	*cmdindex_build(struct rule **, size_t);
void		 cmdindex_free(struct cmdindex *);
size_t		 cmdindex_max(const struct cmdindex *);
size_t		 cmdindex_lookup(const struct cmdindex *, const char *,
		    uint32_t *);
/* a command's arguments, as cmdindex_args() sees them */
struct ciargs {
	char *const	*argv;		/* argv[1] on */
	int		 argc;
	int		 known;		/* bytes worked out: set it to 0 */
	uint64_t	 bytes;		/* bit b: a byte folding to b mod 64 */
};
/* 0: the args pattern of rule i cannot match these arguments */
int		 cmdindex_args(const struct cmdindex *, uint32_t,
		    struct ciargs *);

/* prefilter.c: which regex rules may match a text */
#define PF_MAXPOS	254	/* places noted an id; npos is a uint8_t */
#define PF_LITMAX	8	/* longer literals: their first bytes */

/* is id's bit set (prefilter hits, rules without a literal)? */
static inline int
pf_bit(const uint64_t *bits, size_t id)
{
	return ((bits[id / 64] >> (id % 64)) & 1);
}

/* FNV-1a, for the command index and the inline-script table */
#define FNV_BASIS	2166136261U
#define FNV_PRIME	16777619U
static inline uint32_t
fnv1a(const char *s, size_t len)
{
	uint32_t	h = FNV_BASIS;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
	return (h);
}
/* may regex rule i match the text regex_scan() saw? */
static inline int
regex_candidate(const struct ruleset *rs, size_t i)
{
	const struct rule	*r = rs->regex[i];

	if (r->always)
		return (1);
	return (pf_bit(rs->cand, (size_t)r->lit) &&
	    (r->follow < 0 || pf_bit(rs->cand, (size_t)r->follow)));
}

/* the bytes \s matches in pcre2 without UCP (and two more, to be safe) */
static inline int
rx_is_ws(int c)
{
	return ((c >= 9 && c <= 13) || c == ' ' || c == 0x85 || c == 0xa0);
}

/* is c in the 256-bit set (span, gap, rspan, rxnext's bytes)? */
static inline int
byte_in(const uint8_t *set, char c)
{
	unsigned char	u = (unsigned char)c;

	return ((set[u / 8] >> (u % 8)) & 1);
}

/* may a match of the pattern nx was made for (rx_next()) start at p? */
static inline int
rx_next_ok(const struct rxnext *nx, const char *s, size_t len, size_t p)
{
	size_t	q = p + nx->len;

	if (nx->skipws)
		while (q < len && rx_is_ws((unsigned char)s[q]))
			q++;
	return (q < len && byte_in(nx->set, s[q]));
}

struct prefilter *prefilter_build(struct rule **, size_t);
void		 prefilter_free(struct prefilter *);
void		 prefilter_scan(const struct prefilter *, const char *, size_t,
		    uint64_t *, uint32_t *, uint8_t *);
size_t		 prefilter_always(const struct prefilter *);
size_t		 prefilter_nids(const struct prefilter *);
int		 prefilter_chain(const char *, uint32_t, struct litchain *,
		    struct litchain *);
void		 litchain_free(struct litchain *);
size_t		 prefilter_rules(const struct prefilter *, size_t,
		    const uint32_t **);
/* literals every match holds past its first atoms (prefix rules) */
int		 prefilter_follow(const char *, uint32_t, size_t, int,
		    char ***, size_t *, uint8_t *);
int		 prefilter_follow2(const char *, uint32_t, int, char ***,
		    size_t *, char ***, size_t *, uint8_t *);

/* rxspan.c: the bytes a match can hold; 0 when that is every byte */
int		 rx_span(const char *, uint32_t, uint8_t *);
/* and what lookarounds consume: the bytes an attempt can read */
int		 rx_readspan(const char *, uint32_t, uint8_t *);
int		 rx_next(const char *, uint32_t, struct rxnext *);
size_t		 rx_maxlen(const char *, size_t);
/* prefilter.c, for rxnext.c */
int		 prefilter_lead(const char *, size_t *, size_t *);
size_t		 prefilter_branches(const char *, size_t *, size_t);
/* a literal that any match of the pattern must contain; 0 none */
int		 prefilter_literals(const char *, uint32_t, char ***, size_t *,
		    int *);

/* check.c */
void		 pol_check_command(struct ruleset *, const char *, size_t,
		    struct pol_result *);
/* scripts.c: the texts of the files a command runs */
void		 pol_check_scripts(struct ruleset *, const char *, size_t,
		    json_t *, struct pol_result *, json_t **);
void		 pol_check_file(struct ruleset *, unsigned int,
		    const char *, struct pol_result *);
void		 pol_check_net(struct ruleset *, const char *,
		    const char *, int, struct pol_result *);
json_t		*pol_result_json(const struct pol_result *, const char *);
json_t		*pol_json_string(const char *);
int		 fop_parse(const char *, unsigned int *);
const char	*fop_name(unsigned int);

/* netaddr.c */
int		 pol_cidr_parse(const char *, struct cidr *);
int		 pol_cidr_match(const struct cidr *, const struct cidr *);
/* an IP literal in any of its spellings, normalised; 0 ok, -1 not one */
int		 pol_ip_parse(const char *, struct cidr *);
int		 pol_host_normalise(const char *, char *, size_t);
int		 pol_ports_parse(const char *, struct portrange *, int *);

/* check.c */
int		 pol_file_match(const struct rule *, const char *);

/* cmdpaths.c */
int		 pathglob_meets(const char *, const char *);
const struct rule *cmdpaths_check(struct ruleset *, const char *, size_t);
int		 cmdpaths_substituted(const char *, size_t, char **, size_t *);

/* pathnorm.c */
int		 pol_path_normalise(const char *, char *, size_t);

#endif

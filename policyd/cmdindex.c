/*
 * cmdindex.c - which command rules can match a simple command, found by
 * its name in a hash table instead of trying every rule on every
 * command.  A rule whose globs are all plain names is filed under each
 * of them (its path globs under the full name, the others under the
 * last component); a rule with a wildcard glob is tried on every
 * command.  The index only narrows the rules down: command_match()
 * still decides.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define CI_NONE	UINT32_MAX

struct cient {
	const char	*key;		/* a glob of the rule, owned by it */
	int		 path;		/* against the full name */
	uint32_t	 rule;		/* index in bykind[RK_COMMAND] */
	uint32_t	 next;
};

struct cmdindex {
	uint32_t	*heads;
	size_t		 mask;
	struct cient	*ent;
	size_t		 nent;
	uint32_t	*wild;		/* rules tried on every command */
	size_t		 nwild;
};

static uint32_t
ci_hash(const char *s)
{
	uint32_t	h = 2166136261U;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619U;
	return (h);
}

static int
rule_plain(const struct rule *r)
{
	size_t	i;

	for (i = 0; i < r->nglobs; i++)
		if (r->globflags[i] & GLOB_WILD)
			return (0);
	return (1);
}

void
cmdindex_free(struct cmdindex *ci)
{
	if (ci == NULL)
		return;
	free(ci->heads);
	free(ci->ent);
	free(ci->wild);
	free(ci);
}

struct cmdindex *
cmdindex_build(struct rule **rules, size_t n)
{
	struct cmdindex	*ci;
	struct cient	*e;
	size_t		 i, k, nglobs = 0, nb = 16;
	uint32_t	 h;

	for (i = 0; i < n; i++)
		nglobs += rules[i]->nglobs;
	while (nb < nglobs * 2)
		nb *= 2;
	if ((ci = calloc(1, sizeof(*ci))) == NULL)
		return (NULL);
	if ((ci->heads = calloc(nb, sizeof(*ci->heads))) == NULL ||
	    (ci->ent = calloc(nglobs + 1, sizeof(*ci->ent))) == NULL ||
	    (ci->wild = calloc(n + 1, sizeof(*ci->wild))) == NULL) {
		cmdindex_free(ci);
		return (NULL);
	}
	memset(ci->heads, 0xff, nb * sizeof(*ci->heads));
	ci->mask = nb - 1;
	for (i = 0; i < n; i++) {
		if (!rule_plain(rules[i])) {
			ci->wild[ci->nwild++] = (uint32_t)i;
			continue;
		}
		for (k = 0; k < rules[i]->nglobs; k++) {
			e = &ci->ent[ci->nent];
			e->key = rules[i]->globs[k];
			e->path = (rules[i]->globflags[k] & GLOB_PATH) != 0;
			e->rule = (uint32_t)i;
			h = ci_hash(e->key) & ci->mask;
			e->next = ci->heads[h];
			ci->heads[h] = (uint32_t)ci->nent++;
		}
	}
	return (ci);
}

/* room cmdindex_lookup() may need */
size_t
cmdindex_max(const struct cmdindex *ci)
{
	return (ci->nent + ci->nwild + 1);
}

static size_t
ci_find(const struct cmdindex *ci, const char *name, int path, uint32_t *out,
    size_t n)
{
	const struct cient	*e;
	uint32_t		 j;

	for (j = ci->heads[ci_hash(name) & ci->mask]; j != CI_NONE;
	    j = e->next) {
		e = &ci->ent[j];
		if (e->path == path && e->key[0] == name[0] &&
		    strcmp(e->key, name) == 0)
			out[n++] = e->rule;
	}
	return (n);
}

/*
 * The command rules that may match a command named argv0 (base: its
 * last component), in rule order without repeats, into out (room for
 * cmdindex_max()).  Returns how many.
 */
size_t
cmdindex_lookup(const struct cmdindex *ci, const char *argv0,
    const char *base, uint32_t *out)
{
	size_t		 n, i, j, k;
	uint32_t	 v;

	memcpy(out, ci->wild, ci->nwild * sizeof(*out));
	n = ci_find(ci, base, 0, out, ci->nwild);
	if (strchr(argv0, '/') != NULL)
		n = ci_find(ci, argv0, 1, out, n);
	if (n == ci->nwild)
		return (n);
	/* few: insertion sort, then drop repeats */
	for (i = 1; i < n; i++) {
		v = out[i];
		for (j = i; j > 0 && out[j - 1] > v; j--)
			out[j] = out[j - 1];
		out[j] = v;
	}
	for (i = 1, k = 1; i < n; i++)
		if (out[i] != out[k - 1])
			out[k++] = out[i];
	return (k);
}

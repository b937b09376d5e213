/*
 * ports.c - the published-port pool.  port-range is cut into slots of
 * ports-per-user consecutive ports; a user gets the lowest free slot on
 * first use and keeps it while the container lives: a reaped or killed
 * container gives its slot back.  Assignments live in STATEDIR/sandbox-ports
 * ("user slot" lines, rewritten atomically), so a restart never hands a
 * user's ports to somebody else.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandboxd.h"

int
portent_cmp(struct portent *a, struct portent *b)
{
	return (a->user < b->user ? -1 : a->user > b->user);
}

RB_GENERATE(porttree, portent, entry, portent_cmp)

static int
slot_used(struct portpool *pp, int slot)
{
	return (pp->used[slot / 8] & (1 << (slot % 8))) != 0;
}

static void
slot_set(struct portpool *pp, int slot)
{
	pp->used[slot / 8] |= 1 << (slot % 8);
}

static int
ports_add(struct portpool *pp, int64_t user, int slot)
{
	struct portent	*pe;

	if (slot < 0 || slot >= pp->nslots || slot_used(pp, slot))
		return (-1);
	if ((pe = calloc(1, sizeof(*pe))) == NULL)
		return (-1);
	pe->user = user;
	pe->slot = slot;
	if (RB_INSERT(porttree, &pp->tree, pe) != NULL) {
		free(pe);
		return (-1);
	}
	slot_set(pp, slot);
	return (0);
}

static int
ports_load(struct portpool *pp)
{
	FILE		*f;
	char		 line[128];
	long long	 user;
	int		 slot, lineno = 0;

	if ((f = fopen(pp->path, "re")) == NULL) {
		if (errno == ENOENT)
			return (0);
		log_warn("%s", pp->path);
		return (-1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (sscanf(line, "%lld %d", &user, &slot) != 2 || user <= 0 ||
		    ports_add(pp, user, slot) == -1)
			log_warnx("%s:%d: ignored", pp->path, lineno);
	}
	fclose(f);
	return (0);
}

static int
ports_save(struct portpool *pp)
{
	struct portent	*pe;
	char		 tmp[PATH_MAX];
	FILE		*f;
	int		 fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", pp->path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return (-1);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("%s", tmp);
		return (-1);
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return (-1);
	}
	RB_FOREACH(pe, porttree, &pp->tree)
		fprintf(f, "%" PRId64 " %d\n", pe->user, pe->slot);
	if (fflush(f) != 0 || fsync(fileno(f)) == -1) {
		log_warn("%s", tmp);
		fclose(f);
		unlink(tmp);
		return (-1);
	}
	fclose(f);
	if (rename(tmp, pp->path) == -1) {
		log_warn("rename %s", tmp);
		unlink(tmp);
		return (-1);
	}
	return (0);
}

int
sbx_ports_init(struct portpool *pp, int lo, int hi, int per, const char *path)
{
	memset(pp, 0, sizeof(*pp));
	RB_INIT(&pp->tree);
	pp->lo = lo;
	pp->per = per;
	pp->nslots = per > 0 && hi >= lo ? (hi - lo + 1) / per : 0;
	if ((pp->used = calloc(pp->nslots / 8 + 1, 1)) == NULL)
		return (-1);
	if (path == NULL)
		return (0);
	if (strlcpy(pp->path, path, sizeof(pp->path)) >= sizeof(pp->path))
		return (-1);
	return (ports_load(pp));
}

void
sbx_ports_free(struct portpool *pp)
{
	struct portent	*pe, *next;

	RB_FOREACH_SAFE(pe, porttree, &pp->tree, next) {
		RB_REMOVE(porttree, &pp->tree, pe);
		free(pe);
	}
	free(pp->used);
	pp->used = NULL;
}

/*
 * The first port of the user's range, allocating a slot when alloc is
 * set: 0 and *first, or -1 (no slot, pool exhausted or ports disabled).
 */
int
sbx_ports_get(struct portpool *pp, int64_t user, int alloc, int *first)
{
	struct portent	 key, *pe;
	int		 slot;

	key.user = user;
	if ((pe = RB_FIND(porttree, &pp->tree, &key)) != NULL) {
		*first = pp->lo + pe->slot * pp->per;
		return (0);
	}
	if (!alloc || pp->nslots == 0)
		return (-1);
	for (slot = 0; slot < pp->nslots; slot++)
		if (!slot_used(pp, slot))
			break;
	if (slot == pp->nslots) {
		log_warnx("port pool exhausted (%d slots)", pp->nslots);
		return (-1);
	}
	if (ports_add(pp, user, slot) == -1)
		return (-1);
	if (pp->path[0] != '\0' && ports_save(pp) == -1) {
		pe = RB_FIND(porttree, &pp->tree, &key);
		RB_REMOVE(porttree, &pp->tree, pe);
		pp->used[slot / 8] &= ~(1 << (slot % 8));
		free(pe);
		return (-1);
	}
	*first = pp->lo + slot * pp->per;
	return (0);
}

/* the user's container is gone: the slot goes back to the pool */
void
sbx_ports_put(struct portpool *pp, int64_t user)
{
	struct portent	 key, *pe;

	key.user = user;
	if ((pe = RB_FIND(porttree, &pp->tree, &key)) == NULL)
		return;
	RB_REMOVE(porttree, &pp->tree, pe);
	pp->used[pe->slot / 8] &= ~(1 << (pe->slot % 8));
	free(pe);
	if (pp->path[0] != '\0')
		(void)ports_save(pp);
}

/*
 * privdrop.h - becoming an unprivileged user for good.
 */
#ifndef TOPSH_PRIVDROP_H
#define TOPSH_PRIVDROP_H

#include <sys/types.h>

#include <stdint.h>

/*
 * setgroups (the user's primary group, plus keep_gid unless -1),
 * setresgid, setresuid, then verify that none of it can be undone:
 * fatal on any failure.
 */
void	privdrop(uid_t, gid_t, gid_t);
/*
 * Before privdrop: keep these capabilities (a mask of 1 << CAP_*), and
 * no others, after the uid changed (sandboxd: CAP_CHOWN, CAP_FOWNER,
 * CAP_DAC_OVERRIDE to manage workspaces owned by each user's own uid).
 */
void	privdrop_keepcaps(uint64_t);
/* look up a user: 0 found, -1 with a message in errbuf */
int	privdrop_lookup(const char *, uid_t *, gid_t *, char *, size_t);

#endif

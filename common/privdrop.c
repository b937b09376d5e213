/*
 * privdrop.c - dropping root for good: supplementary groups first, then
 * the gid, then the uid, and a check that none of it can be taken back.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

int
privdrop_lookup(const char *name, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "user \"%s\" does not exist%s%s", name,
		    errno ? ": " : "", errno ? strerror(errno) : "");
		return (-1);
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user \"%s\" is root", name);
		return (-1);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return (0);
}

void
privdrop(uid_t uid, gid_t gid, gid_t keep_gid)
{
	gid_t	 groups[2];
	uid_t	 r, e, s;
	gid_t	 rg, eg, sg;
	int	 ngroups = 1;

	if (uid == 0)
		fatalx("refusing to run as root");
	groups[0] = gid;
	if (keep_gid != (gid_t)-1 && keep_gid != gid)
		groups[ngroups++] = keep_gid;
	if (setgroups(ngroups, groups) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid");
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid");
	/* verify: every id is the new one and root cannot come back */
	if (getresuid(&r, &e, &s) == -1 || r != uid || e != uid || s != uid)
		fatalx("uid did not change");
	if (getresgid(&rg, &eg, &sg) == -1 || rg != gid || eg != gid ||
	    sg != gid)
		fatalx("gid did not change");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("could regain root after dropping privileges");
}

/*
 * privdrop.c - dropping root for good: supplementary groups first, then
 * the gid, then the uid, and a check that none of it can be taken back.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>

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

static uint64_t	keep_caps;

void
privdrop_keepcaps(uint64_t caps)
{
	keep_caps = caps;
}

/* only the capabilities in keep_caps stay, effective and permitted */
static void
caps_apply(void)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = (uint32_t)keep_caps;
	data[1].effective = data[1].permitted = (uint32_t)(keep_caps >> 32);
	if (syscall(SYS_capset, &hdr, data) == -1)
		fatal("capset");
	if (prctl(PR_SET_KEEPCAPS, 0) == -1)
		fatal("prctl PR_SET_KEEPCAPS");
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
	if (keep_caps != 0 && prctl(PR_SET_KEEPCAPS, 1) == -1)
		fatal("prctl PR_SET_KEEPCAPS");
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid");
	if (keep_caps != 0)
		caps_apply();
	/* verify: every id is the new one and root cannot come back */
	if (getresuid(&r, &e, &s) == -1 || r != uid || e != uid || s != uid)
		fatalx("uid did not change");
	if (getresgid(&rg, &eg, &sg) == -1 || rg != gid || eg != gid ||
	    sg != gid)
		fatalx("gid did not change");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("could regain root after dropping privileges");
}

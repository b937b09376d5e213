/*
 * sandboxd_uids.c - the uids of the warm pool (uids.c): a slot's uid is
 * reserved before its user is known, bound to exactly one user, never
 * to a second one, never one that was not reserved or is avoided; the
 * first uid never handed out survives a restart, so a reserved uid is
 * not given to somebody else later; a slot's passwd and group files are
 * rewritten in place (same inode, as bind-mounted) to name the user.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regress.h"
#include "../../sandboxd/sandboxd.h"

static int
file_has(const char *path, const char *text)
{
	char	 buf[4096];
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (strstr(buf, text) != NULL);
}

int
main(void)
{
	char		 dir[] = "/tmp/topsh-uids.XXXXXX";
	char		 path[PATH_MAX], pw[PATH_MAX], gr[PATH_MAX];
	const uid_t	 avoid[] = { 5002 };
	struct stat	 st;
	ino_t		 ino;
	uid_t		 uid = 0, r1 = 0, r2 = 0;

	if (mkdtemp(dir) == NULL)
		return (1);
	ok(sbx_uids_init(5000, 5009, avoid, 1, dir) == 0, "uids init");
	ok(sbx_uid_get(1, &uid) == 0 && uid == 5000, "user 1 gets 5000");
	ok(sbx_uid_reserve(&r1) == 0 && r1 == 5001, "a slot reserves 5001");
	ok(sbx_uid_reserve(&r2) == 0 && r2 == 5003,
	    "the next slot 5003 (5002 is avoided)");
	ok(!sbx_uid_known(2), "user 2 has no uid yet");
	ok(sbx_uid_bind(2, r1) == 0, "the slot's uid is bound to user 2");
	ok(sbx_uid_known(2) && sbx_uid_get(2, &uid) == 0 && uid == 5001,
	    "user 2 has 5001 now");
	ok(sbx_uid_bind(3, r1) == -1, "never to a second user");
	ok(sbx_uid_bind(3, 5000) == -1, "nor another user's uid");
	ok(sbx_uid_bind(3, 5009) == -1, "nor a uid never reserved");
	ok(sbx_uid_bind(3, 5002) == -1, "nor an avoided uid");
	ok(sbx_uid_bind(2, r2) == -1, "a user keeps the uid it has");
	snprintf(path, sizeof(path), "%s/uids", dir);
	ok(file_has(path, "2 5001\n") && file_has(path, "0 5004\n"),
	    "the state file keeps the binding and the next uid");
	/* a restart: 5003 stays reserved for good, nobody gets it */
	ok(sbx_uids_init(5000, 5009, avoid, 1, dir) == 0, "uids init again");
	ok(sbx_uid_get(4, &uid) == 0 && uid == 5004,
	    "after a restart a new user gets 5004, not the reserved 5003");

	ok(sbx_passwd_write(dir, -7, r2, NULL, pw, sizeof(pw), gr,
	    sizeof(gr)) == 0, "a slot's passwd and group files");
	ok(strstr(pw, "/passwd/pool-7.passwd") != NULL &&
	    file_has(pw, "topsh-pool:x:5003:5003:"), "name nobody's login");
	ok(stat(pw, &st) == 0, "stat passwd");
	ino = st.st_ino;
	ok(sbx_passwd_adopt(dir, 7, 42, r2, "Ann: B,\n") == 0,
	    "the slot is taken by user 42");
	ok(file_has(pw, "u42:x:5003:5003:Ann B:/workspace:/bin/sh\n") &&
	    !file_has(pw, "topsh-pool"), "passwd names the user now");
	ok(file_has(gr, "u42:x:5003:\n") && !file_has(gr, "topsh-pool"),
	    "so does group");
	ok(stat(pw, &st) == 0 && st.st_ino == ino,
	    "rewritten in place: the bind-mounted inode");
	sbx_passwd_unlink(dir, 7);
	ok(stat(pw, &st) == -1 && stat(gr, &st) == -1,
	    "the slot's files go with it");

	unlink(path);
	snprintf(path, sizeof(path), "%s/passwd", dir);
	rmdir(path);
	rmdir(dir);
	return (done_testing());
}

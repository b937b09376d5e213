/*
 * scripts.c - the texts of the files a command runs, for policyd.
 *
 * A command such as sh b.sh, python3 x.py or ./run.sh does what the
 * file says, and policyd, which reads no workspace, answers a command
 * check with the files the line runs ("scripts": [PATH, ...]).  Before
 * the command runs, such a check is asked again with their texts
 * ("scripts": {PATH: TEXT}); policyd checks each text as the inline
 * script of its interpreter (policyd/scripts.c, topsh-policy(5)):
 *
 *   IMSG_POLICY_CHECK_CMD            answer lists scripts not yet read
 *   pool (worker)                    each file read beneath the
 *                                    workspace: openat2 RESOLVE_BENEATH
 *                                    | RESOLVE_NO_SYMLINKS | ..., a
 *                                    regular file of at most
 *                                    SCRIPT_MAXSIZE bytes
 *   IMSG_POLICY_CHECK_CMD again      with the texts; its answer decides
 *
 * A text is sent as a string; a file that is not there as false (the
 * command finds nothing to run either); a file that cannot be read, is
 * no regular file, is larger than SCRIPT_MAXSIZE or holds a NUL byte (a
 * program, not a script) or would take the texts of one check past
 * SCRIPT_BUDGET bytes as null: policyd decides it by its "default
 * script".  A script that runs another script is answered with that
 * one listed in turn: at most SCRIPT_ROUNDS re-asks, each for files not
 * asked for before, and at most SCRIPT_FILES files in all, so a check
 * never loops.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "sandboxd.h"
#include "topsh.h"

#define SCRIPT_MAXSIZE	(64 * 1024)	/* bytes of one file */
#define SCRIPT_FILES	16		/* files read for one command */
#define SCRIPT_ROUNDS	3		/* re-asks: nested scripts' depth */
#define SCRIPT_BUDGET	(128 * 1024)	/* text bytes of one check: JSON
					   escapes at most 6x, < POLICY_MAXSIZE */

enum { SF_TEXT, SF_ABSENT, SF_UNREADABLE };

struct scriptfile {
	char	*path;
	int	 state;
	char	*buf;
	size_t	 len;
};

struct cmdcheck {
	int64_t			 user;
	json_t			*req;	/* the check, "scripts" as read */
	json_t			*texts;	/* PATH: TEXT | false | null */
	struct ws		 ws;
	struct scriptfile	 files[SCRIPT_FILES];
	size_t			 nfiles;	/* read this round */
	size_t			 total;		/* asked for in all */
	size_t			 bytes;		/* of text sent */
	int			 rounds;
	int			 follow;	/* told policyd we may */
	policy_cb		 cb;
	void			*arg;
};

static void	cmd_checked(const struct polres *, void *);
static void	scripts_done(void *);
static int	cmd_ask(struct cmdcheck *);

static void
files_clear(struct cmdcheck *cc)
{
	size_t	i;

	for (i = 0; i < cc->nfiles; i++) {
		free(cc->files[i].path);
		free(cc->files[i].buf);
	}
	memset(cc->files, 0, sizeof(cc->files));
	cc->nfiles = 0;
}

static void
cmdcheck_free(struct cmdcheck *cc)
{
	files_clear(cc);
	sbx_ws_close(&cc->ws);
	json_decref(cc->req);
	json_decref(cc->texts);
	free(cc);
}

/* in a worker: one file beneath the workspace into sf */
static void
script_read(struct ws *ws, struct scriptfile *sf)
{
	struct fserr	 e;
	struct stat	 st;
	char		 rel[PATH_MAX];
	ssize_t		 n;
	int		 fd;

	sf->state = SF_UNREADABLE;
	/* the command runs in WS_MOUNTPATH: other absolute paths are not ours */
	if (sf->path[0] == '/' && (strncmp(sf->path, WS_MOUNTPATH "/",
	    strlen(WS_MOUNTPATH) + 1) != 0))
		return;
	if (sbx_ws_relpath(sf->path, rel, sizeof(rel), &e) == -1)
		return;
	/* O_NONBLOCK: a FIFO planted as the script must not block us */
	if ((fd = sbx_ws_openat(ws, ws->rootfd, rel, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY, 0, &e)) == -1) {
		if (strcmp(e.code, "not-found") == 0)
			sf->state = SF_ABSENT;
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > SCRIPT_MAXSIZE ||
	    (sf->buf = malloc(SCRIPT_MAXSIZE + 1)) == NULL) {
		close(fd);
		return;
	}
	while (sf->len <= SCRIPT_MAXSIZE) {
		n = read(fd, sf->buf + sf->len, SCRIPT_MAXSIZE + 1 - sf->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			close(fd);
			return;
		}
		if (n == 0)
			break;
		sf->len += (size_t)n;
	}
	close(fd);
	/* grown since fstat, or a program rather than a script */
	if (sf->len > SCRIPT_MAXSIZE || memchr(sf->buf, '\0', sf->len) != NULL)
		return;
	sf->state = SF_TEXT;
}

static void
scripts_work(void *arg)
{
	struct cmdcheck	*cc = arg;
	size_t		 i;

	for (i = 0; i < cc->nfiles; i++)
		script_read(&cc->ws, &cc->files[i]);
}

static void
scripts_done(void *arg)
{
	struct cmdcheck		*cc = arg;
	struct scriptfile	*sf;
	json_t			*v;
	size_t			 i;

	for (i = 0; i < cc->nfiles; i++) {
		sf = &cc->files[i];
		v = NULL;
		/* the frame to policyd is bounded (POLICY_MAXSIZE) */
		if (sf->state == SF_TEXT && cc->bytes + sf->len > SCRIPT_BUDGET)
			sf->state = SF_UNREADABLE;
		if (sf->state == SF_TEXT) {
			v = sbx_utf8_json(sf->buf, sf->len);
			cc->bytes += sf->len;
		} else if (sf->state == SF_ABSENT)
			v = json_false();
		if (v == NULL)
			v = json_null();
		log_debug("user %lld: script %s: %s", (long long)cc->user,
		    sf->path, sf->state == SF_TEXT ? "read" :
		    sf->state == SF_ABSENT ? "not there" : "unreadable");
		/* a path that is no UTF-8 is not carried: the default decides */
		(void)json_object_set_new(cc->texts, sf->path, v);
	}
	files_clear(cc);
	sbx_ws_close(&cc->ws);
	if (cmd_ask(cc) == -1) {
		cc->cb(NULL, cc->arg);
		cmdcheck_free(cc);
	}
}

/*
 * The files of list not read yet go into cc->files: how many.  A path
 * policyd lists is a string it took from the command line; empty or
 * overlong ones are sent as unreadable without a look.
 */
static size_t
scripts_wanted(struct cmdcheck *cc, json_t *list)
{
	json_t		*v;
	const char	*p;
	size_t		 i;

	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || cc->total >= SCRIPT_FILES)
			break;
		p = json_string_value(v);
		if (json_object_get(cc->texts, p) != NULL)
			continue;
		if ((cc->files[cc->nfiles].path = strdup(p)) == NULL)
			break;
		cc->files[cc->nfiles].state = SF_UNREADABLE;
		cc->nfiles++;
		cc->total++;
	}
	return (cc->nfiles);
}

/* ask policyd again, saying whether another round may follow */
static int
cmd_ask(struct cmdcheck *cc)
{
	cc->follow = cc->rounds < SCRIPT_ROUNDS && cc->total < SCRIPT_FILES;
	if (json_object_set(cc->req, "scripts", cc->texts) == -1 ||
	    json_object_set_new(cc->req, "scripts_follow",
	    json_boolean(cc->follow)) == -1)
		return (-1);
	return (sbx_policy_check(IMSG_POLICY_CHECK_CMD, cc->req, cmd_checked,
	    cc));
}

/*
 * A preliminary answer (policyd was told we follow up, and the line
 * runs files whose texts it lacks: it neither audited nor decided it)
 * is followed up: with the texts of files not read yet, or else at
 * once, saying that no more will follow.  Any other answer is final.
 */
static void
cmd_checked(const struct polres *res, void *arg)
{
	struct cmdcheck	*cc = arg;
	struct fserr	 e;

	if (res == NULL || !res->preliminary || !cc->follow) {
		cc->cb(res, cc->arg);
		cmdcheck_free(cc);
		return;
	}
	if (res->scripts == NULL || scripts_wanted(cc, res->scripts) == 0) {
		cc->rounds = SCRIPT_ROUNDS;
		if (cmd_ask(cc) == -1) {
			cc->cb(NULL, cc->arg);
			cmdcheck_free(cc);
		}
		return;
	}
	cc->rounds++;
	if (box_ws(cc->user, 1, &cc->ws, &e) == -1) {
		log_warnx("user %lld: scripts not read: %s",
		    (long long)cc->user, e.msg);
		scripts_done(cc);	/* all unreadable */
		return;
	}
	if (sbx_pool_run(cc->user, scripts_work, scripts_done, cc) == -1) {
		log_warnx("user %lld: scripts not read: no worker",
		    (long long)cc->user);
		scripts_done(cc);
	}
}

/*
 * Check command request req (IMSG_POLICY_CHECK_CMD) of user, with the
 * texts of the scripts it runs; cb gets the final answer, later (never
 * from inside this call).  -1: policyd is not connected, nothing sent.
 */
int
sbx_policy_check_cmd(int64_t user, json_t *req, policy_cb cb, void *arg)
{
	struct cmdcheck	*cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return (-1);
	cc->ws.rootfd = cc->ws.trashfd = -1;
	cc->user = user;
	cc->cb = cb;
	cc->arg = arg;
	if ((cc->req = json_copy(req)) == NULL ||
	    (cc->texts = json_object()) == NULL || cmd_ask(cc) == -1) {
		cmdcheck_free(cc);
		return (-1);
	}
	return (0);
}

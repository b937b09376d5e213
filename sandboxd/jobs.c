/*
 * jobs.c - processes a user's commands left behind.
 *
 * A command may start a server in the background (with its output
 * redirected, so the command itself ends): such a background job is a
 * feature, and an explicit one:
 *   - `topshctl sandbox ps USER' lists every process in the user's
 *     container, each marked as part of a running command or as a
 *     background job (IMSG_CTL_SANDBOX_PS);
 *   - `topshctl sandbox stop USER' and the user's /clear
 *     (IMSG_SANDBOX_CLEAR from gatewayd) end the background jobs; the
 *     commands still running are spared;
 *   - idle reaping and `topshctl sandbox kill' remove the container and
 *     everything in it;
 *   - a restarted sandboxd ends whatever its predecessor's commands left
 *     in the containers it adopts (box.c), since nobody owns it now.
 * A command that hits its time limit loses every process it started,
 * background or not (kill.c).  Listing runs a fixed script through the
 * Engine's exec API as the container user; ending uses kill.c's killer.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sandboxd.h"

#define PS_TIMEOUT	30000	/* ms */
#define PS_OUTPUT	(256 * 1024)

/*
 * One line a process: PID SID TAG ARGS, TAG the TOPSH_EXEC of the
 * command that started it ("-" none).  The init session and the
 * script's own are left out.
 */
static const char ps_script[] =
    "me=$$\n"
    "for d in /proc/[0-9]*; do p=${d#/proc/}\n"
    "  read -r s <$d/stat 2>/dev/null || continue; s=${s##*) }\n"
    "  set -- $s; case $4 in 1|0|$me) continue;; esac; sid=$4\n"
    "  t=$(tr '\\0' '\\n' <$d/environ 2>/dev/null | grep '^TOPSH_EXEC=')\n"
    "  t=${t#TOPSH_EXEC=}\n"
    "  a=$(tr '\\0' ' ' <$d/cmdline 2>/dev/null)\n"
    "  [ -n \"$a\" ] || continue\n"
    "  echo \"$p $sid ${t:--} $a\"\n"
    "done\n";

struct psctx {
	struct box	*box;
	void		(*cb)(json_t *, const char *, void *);
	void		*arg;
	char		 execid[72];
	struct demux	 dm;
	struct outcap	 out;
};

static void
ps_finish(struct psctx *pc, json_t *list, const char *err)
{
	pc->cb(list, err, pc->arg);
	json_decref(list);
	sbx_outcap_free(&pc->out);
	free(pc);
}

static json_t *
ps_parse(struct psctx *pc)
{
	char		*buf, *line, *next, *args, tag[64];
	long		 pid, sid;
	size_t		 len;
	json_t		*list;
	int		 n;

	if ((list = json_array()) == NULL ||
	    (buf = sbx_outcap_result(&pc->out, &len)) == NULL)
		return (list);
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (sscanf(line, "%ld %ld %63s %n", &pid, &sid, tag, &n) != 3)
			continue;
		args = line + n;
		json_array_append_new(list, json_pack("{s:I, s:I, s:s, s:s}",
		    "pid", (json_int_t)pid, "session", (json_int_t)sid,
		    "kind", strcmp(tag, "-") != 0 && sbx_exec_tag_running(
		    pc->box, tag) ? "command" : "background",
		    "args", args));
	}
	free(buf);
	return (list);
}

static void
ps_demux_cb(int stream, const void *buf, size_t len, void *arg)
{
	struct psctx	*pc = arg;

	if (stream == 1)
		sbx_outcap_add(&pc->out, buf, len);
}

static int
ps_data(const void *buf, size_t len, void *arg)
{
	struct psctx	*pc = arg;

	return (sbx_demux_feed(&pc->dm, buf, len, ps_demux_cb, pc));
}

static void
ps_ended(const struct dresp *r, void *arg)
{
	struct psctx	*pc = arg;

	if (r->status != 200) {
		ps_finish(pc, NULL, r->err != NULL ? r->err :
		    "the process list could not be read");
		return;
	}
	ps_finish(pc, ps_parse(pc), NULL);
}

static void
ps_created(const struct dresp *r, void *arg)
{
	struct psctx	*pc = arg;
	json_t		*id, *body;
	char		 path[128];

	id = json_object_get(r->json, "Id");
	if (r->status != 201 || !json_is_string(id)) {
		ps_finish(pc, NULL, r->err != NULL ? r->err :
		    "the process list could not be read");
		return;
	}
	strlcpy(pc->execid, json_string_value(id), sizeof(pc->execid));
	snprintf(path, sizeof(path), "/exec/%s/start", pc->execid);
	body = json_pack("{s:b, s:b}", "Detach", 0, "Tty", 0);
	sbx_demux_init(&pc->dm);
	if (docker_stream(path, body, PS_TIMEOUT, ps_data, pc, ps_ended,
	    pc) == NULL)
		ps_finish(pc, NULL, "the process list could not be read");
	json_decref(body);
}

/*
 * The processes in b's container: cb(list, NULL, arg) with a JSON array
 * of {"pid", "session", "kind": "command"|"background", "args"}, or
 * cb(NULL, error, arg).
 */
void
sbx_jobs_list(struct box *b, void (*cb)(json_t *, const char *, void *),
    void *arg)
{
	struct psctx	*pc;
	json_t		*body;
	char		 path[128], user[64];

	if ((pc = calloc(1, sizeof(*pc))) == NULL ||
	    sbx_outcap_init(&pc->out, PS_OUTPUT) == -1) {
		free(pc);
		cb(NULL, "out of memory", arg);
		return;
	}
	pc->box = b;
	pc->cb = cb;
	pc->arg = arg;
	/* the user's own uid (uid-range), as the commands run */
	box_user_spec(b, user, sizeof(user));
	body = json_pack("{s:b, s:b, s:[s, s, s, s], s:s}", "AttachStdout", 1,
	    "AttachStderr", 1, "Cmd", "sh", "-c", ps_script, "topsh-ps",
	    "User", user);
	snprintf(path, sizeof(path), "/containers/%s/exec", b->id);
	if (body == NULL || docker_call("POST", path, body, PS_TIMEOUT,
	    ps_created, pc) == NULL)
		ps_finish(pc, NULL, "cannot start a request");
	json_decref(body);
}

/*
 * End b's background jobs: every process but those of the commands
 * still running.  done(arg) when over (may be NULL).
 */
int
sbx_jobs_end(struct box *b, void (*done)(void *), void *arg)
{
	if (b->state != BOX_RUNNING || b->id[0] == '\0')
		return (-1);
	log_info("user %" PRId64 ": ending background jobs", b->user);
	if (sbx_kill_start(b, sbx_exec_tags(b), done, arg) == NULL)
		return (-1);
	return (0);
}

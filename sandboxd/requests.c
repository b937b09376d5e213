/*
 * requests.c - gatewayd's requests (imsg_sandbox.h): commands, file
 * operations and ports, each checked with policyd, and the replies,
 * which go to the peer looked up again by its serial (it may be gone).
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"
#include "sandboxd.h"
#include "topsh.h"

void
sbx_reqctx_free(struct reqctx *rc)
{
	if (rc == NULL)
		return;
	json_decref(rc->req);
	free(rc->approved);
	free(rc);
}

struct reqctx *
sbx_reqctx_new(struct peer *p, struct imsg *imsg, json_t *req, int64_t user)
{
	struct reqctx	*rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return (NULL);
	rc->serial = p->serial;
	rc->reqid = imsg_get_id(imsg);
	rc->ctl = p->control;
	rc->user = user;
	rc->req = json_incref(req);
	return (rc);
}

/* reply to a peer that may have gone meanwhile; the fd is always used */
void
sbx_reply(struct reqctx *rc, uint32_t type, int fd, json_t *o)
{
	struct peer	*p;
	json_t		*e;

	if ((p = proc_peer_by_serial(rc->serial)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (peer_compose_json(p, type, rc->reqid, fd, o) == 0)
		return;
	log_warnx("cannot reply to %s (request %u)", proc_name(p->id),
	    rc->reqid);
	if (fd != -1)
		close(fd);
	/* most likely over the channel's frame size: say so instead */
	if (type != IMSG_ERROR && type != IMSG_CTL_FAIL &&
	    (e = json_pack("{s:s, s:s}", "error", "the reply is too large "
	    "for the channel", "code", "too-large")) != NULL) {
		peer_compose_json(p, rc->ctl ? IMSG_CTL_FAIL : IMSG_ERROR,
		    rc->reqid, -1, e);
		json_decref(e);
	}
}

/*
 * An error answer for user's request: {"error", "code"}, and with code
 * "full" the user's "place" in line for a sandbox (1: next).
 */
json_t *
sbx_error_json(int64_t user, const char *code, const char *msg)
{
	json_t	*o;

	o = json_pack("{s:s, s:s}", "error", msg, "code", code);
	if (o != NULL && strcmp(code, "full") == 0)
		(void)json_object_set_new(o, "place",
		    json_integer((json_int_t)box_line_place(user)));
	return (o);
}

void
sbx_reply_error(struct reqctx *rc, const char *code, const char *msg)
{
	json_t	*o;

	o = sbx_error_json(rc->user, code, msg);
	sbx_reply(rc, rc->ctl ? IMSG_CTL_FAIL : IMSG_ERROR, -1, o);
	json_decref(o);
}

/* an error object from exec or policy: to gatewayd as is */
void
sbx_reply_error_obj(struct reqctx *rc, json_t *e)
{
	sbx_reply(rc, rc->ctl ? IMSG_CTL_FAIL : IMSG_ERROR, -1, e);
}

void
sbx_reply_ctl_end(struct reqctx *rc)
{
	struct peer	*p;

	if ((p = proc_peer_by_serial(rc->serial)) != NULL)
		peer_compose(p, IMSG_CTL_END, rc->reqid, -1, NULL, 0);
}

int
sbx_get_user(json_t *req, int64_t *user)
{
	json_t	*u = json_object_get(req, "user");

	if (!json_is_integer(u) || json_integer_value(u) <= 0)
		return (-1);
	*user = json_integer_value(u);
	return (0);
}

int64_t
sbx_get_chat(json_t *req)
{
	json_t	*c = json_object_get(req, "chat");

	return (json_is_integer(c) ? json_integer_value(c) : 0);
}

/* a string without embedded NUL, or NULL */
const char *
sbx_get_str(json_t *req, const char *key)
{
	json_t	*s = json_object_get(req, key);

	if (!json_is_string(s) ||
	    strlen(json_string_value(s)) != json_string_length(s))
		return (NULL);
	return (json_string_value(s));
}

/* --- exec ------------------------------------------------------------ */

static void
exec_done(json_t *res, const char *code, json_t *err, void *arg)
{
	struct reqctx	*rc = arg;

	if (res == NULL) {
		if (err != NULL)
			sbx_reply_error_obj(rc, err);
		else
			sbx_reply_error(rc, code, "cannot run the command");
	} else if (rc->ctl) {
		sbx_reply(rc, IMSG_CTL_DATA, -1, res);
		sbx_reply_ctl_end(rc);
	} else
		sbx_reply(rc, IMSG_SANDBOX_EXEC_RESULT, -1, res);
	sbx_reqctx_free(rc);
}

void
sbx_do_exec(struct reqctx *rc)
{
	const char	*cmd, *approved;
	json_t		*t;

	cmd = sbx_get_str(rc->req, "command");
	t = json_object_get(rc->req, "timeout");
	approved = sbx_get_str(rc->req, "approved");
	if (cmd == NULL || *cmd == '\0' || strlen(cmd) > EXEC_MAX_COMMAND ||
	    (t != NULL && !json_is_integer(t))) {
		sbx_reply_error(rc, "invalid", "\"command\" must be a non-empty "
		    "string of at most 12288 bytes, \"timeout\" an integer");
		sbx_reqctx_free(rc);
		return;
	}
	sbx_exec_start(rc->user, sbx_get_chat(rc->req), cmd, t != NULL ?
	    json_integer_value(t) : 0, approved, exec_done, rc);
}

/* --- file operations ------------------------------------------------- */

static void
prepared(struct box *b, const char *code, const char *msg, void *arg)
{
	int64_t	*user = arg;

	if (code != NULL)
		log_debug("user %" PRId64 ": container not prepared: %s",
		    *user, msg);
	free(user);
}

/*
 * A job begins: start the user's container now, while the model thinks,
 * instead of at the first command.  Only within max-containers: no
 * other user's idle container is stopped for a job that may never run
 * a command.
 */
static void
box_prepare_bg(int64_t user)
{
	long long	 max = box_max();
	struct box	*b;
	int64_t		*u;
	size_t		 act, pool;

	if ((b = box_get(user, 0)) != NULL && b->state != BOX_NONE)
		return;
	/* a warm pool container may give way */
	act = box_active();
	pool = warm_count();
	if (max > 0 && ((act > pool ? act - pool : 0) >= (size_t)max ||
	    box_line_length() > 0))
		return;
	if ((u = malloc(sizeof(*u))) == NULL)
		return;
	*u = user;
	box_ensure(user, prepared, u);
}

static void
do_ports(struct reqctx *rc)
{
	const struct conf_sandbox	*c = &topsh_conf->sandbox;
	json_t				*o, *arr;
	int				 first, i;

	arr = json_array();
	if (strcmp(c->network, "none") != 0 && c->ports_per_user > 0 &&
	    sbx_ports_get(sbx.ports, rc->user, 1, &first) == 0)
		for (i = 0; i < c->ports_per_user; i++)
			json_array_append_new(arr, json_integer(first + i));
	o = json_pack("{s:s, s:o}", "addr", c->port_bind, "ports", arr);
	sbx_reply(rc, IMSG_SANDBOX_PORTS_RESULT, -1, o);
	json_decref(o);
	if (json_is_true(json_object_get(rc->req, "prepare")))
		box_prepare_bg(rc->user);
	sbx_reqctx_free(rc);
}

static int
file_op_of(uint32_t type, enum fileop *op)
{
	static const struct {
		uint32_t	type;
		enum fileop	op;
	} map[] = {
		{ IMSG_SANDBOX_FILE_READ, FOP_READ },
		{ IMSG_SANDBOX_FILE_WRITE, FOP_WRITE },
		{ IMSG_SANDBOX_FILE_EDIT, FOP_EDIT },
		{ IMSG_SANDBOX_FILE_DELETE, FOP_DELETE },
		{ IMSG_SANDBOX_FILE_LIST, FOP_LIST },
		{ IMSG_SANDBOX_FILE_GLOB, FOP_GLOB },
		{ IMSG_SANDBOX_FILE_GREP, FOP_GREP },
		{ IMSG_SANDBOX_FILE_STAT, FOP_STAT },
		{ IMSG_SANDBOX_FILE_OPEN, FOP_OPEN },
	};
	size_t	i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].type == type) {
			*op = map[i].op;
			return (0);
		}
	return (-1);
}

/* policyd's answer whether proxyd vouched for the request's user */
static void
user_vouched(const struct polres *res, void *arg)
{
	struct reqctx	*rc = arg;
	json_t		*err;

	if ((err = sbx_policy_refusal(res, NULL)) != NULL) {
		log_warnx("gatewayd: request %u for user %" PRId64 " refused: "
		    "%s", rc->reqid, rc->user, json_string_value(
		    json_object_get(err, "error")));
		sbx_reply_error_obj(rc, err);
		json_decref(err);
		sbx_reqctx_free(rc);
		return;
	}
	/* the user's display name: the gecos field of a new container */
	if (sbx_get_str(rc->req, "name") != NULL)
		box_set_name(rc->user, sbx_get_str(rc->req, "name"));
	if (rc->type == IMSG_SANDBOX_EXEC)
		sbx_do_exec(rc);
	else if (rc->type == IMSG_SANDBOX_PORTS)
		do_ports(rc);
	else if (rc->type == IMSG_SANDBOX_CLEAR)
		sbx_jobs_stop(rc);
	else
		sbx_file_request(rc, rc->op);
}

int
sbx_dispatch_gateway(struct peer *p, struct imsg *imsg)
{
	struct reqctx	*rc;
	enum fileop	 op = FOP_READ;
	uint32_t	 type = imsg_get_type(imsg);
	json_t		*req, *q;
	int64_t		 user = 0;
	int		 fd;

	if ((fd = imsg_get_fd(imsg)) != -1)
		close(fd);
	if (type != IMSG_SANDBOX_EXEC && type != IMSG_SANDBOX_PORTS &&
	    type != IMSG_SANDBOX_CLEAR && file_op_of(type, &op) == -1) {
		log_warnx("gatewayd: unexpected message type %u", type);
		return (-1);
	}
	req = imsg_get_json(imsg);
	if ((rc = sbx_reqctx_new(p, imsg, req, 0)) == NULL) {
		json_decref(req);
		return (0);
	}
	json_decref(req);
	if (req == NULL || sbx_get_user(req, &user) == -1) {
		log_warnx("gatewayd: request %u without a valid user",
		    imsg_get_id(imsg));
		sbx_reply_error(rc, "invalid", "a JSON object with \"user\" "
		    "(integer > 0) is required");
		sbx_reqctx_free(rc);
		return (0);
	}
	rc->user = user;
	rc->type = type;
	rc->op = op;
	/* the user is gatewayd's claim: policyd knows whether it holds */
	q = json_pack("{s:I, s:I}", "user", (json_int_t)user, "chat",
	    (json_int_t)sbx_get_chat(rc->req));
	if (q == NULL || sbx_policy_check(IMSG_POLICY_CHECK_USER, q,
	    user_vouched, rc) == -1)
		user_vouched(NULL, rc);
	json_decref(q);
	return (0);
}

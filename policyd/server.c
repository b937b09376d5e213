/*
 * server.c - policyd's answers: IMSG_POLICY_CHECK_CMD, _FILE and _NET
 * from gatewayd, sandboxd and proxyd, IMSG_CTL_POLICY_TEST from
 * topshctl, the status fields and the reload hook.  Each request is
 * answered at once (a check takes microseconds) with IMSG_POLICY_RESULT
 * carrying the request's id; a malformed request gets IMSG_ERROR and
 * the connection stays.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "imsg.h"
#include "log.h"
#include "policy.h"
#include "policyd.h"
#include "proc.h"
#include "topsh.h"

static struct ruleset	*rules;

void
pd_server_init(struct ruleset *rs)
{
	rules = rs;
}

struct ruleset *
pd_server_rules(void)
{
	return (rules);
}

void
pd_server_shutdown(void)
{
	pd_engine_free(rules);
	rules = NULL;
	pd_audit_close();
}

static long long
req_int(json_t *req, const char *key)
{
	json_t	*v = json_object_get(req, key);

	return (json_is_integer(v) ? json_integer_value(v) : 0);
}

/* a string member, or NULL when absent or null; -1 for another type */
static int
req_str(json_t *req, const char *key, const char **s)
{
	json_t	*v = json_object_get(req, key);

	*s = NULL;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v))
		return (-1);
	*s = json_string_value(v);
	return (0);
}

static int
answer_file(struct ruleset *rs, json_t *req, struct pol_result *res,
    char **input, json_t **extra, const char **err)
{
	const char	*op, *path;
	unsigned int	 ops;

	if (req_str(req, "path", &path) == -1 || path == NULL) {
		*err = "\"path\" must be a string";
		return (-1);
	}
	if (req_str(req, "op", &op) == -1)
		op = "?";
	if (op == NULL)
		op = "read";
	/* a list ("read,write": edit) gets the strictest of its ops */
	if (fop_parse(op, &ops) == -1) {
		*err = "\"op\" must be read, write, create, delete or list, "
		    "or a comma-separated list of them";
		return (-1);
	}
	pol_check_file(rs, ops, path, res);
	*input = strdup(path);
	*extra = json_pack("{s:s}", "op", (ops & (ops - 1)) == 0 ?
	    fop_name(ops) : op);
	return (0);
}

static int
answer_net(struct ruleset *rs, json_t *req, struct pol_result *res,
    char **input, json_t **extra, const char **err)
{
	const char	*host, *addr;
	json_t		*v;
	long long	 port = 0;

	if (req_str(req, "host", &host) == -1 ||
	    req_str(req, "addr", &addr) == -1) {
		*err = "\"host\" and \"addr\" must be strings";
		return (-1);
	}
	if (host == NULL && addr == NULL) {
		*err = "a \"host\" or an \"addr\" is needed";
		return (-1);
	}
	if ((v = json_object_get(req, "port")) != NULL) {
		if (!json_is_integer(v) || (port = json_integer_value(v)) < 0 ||
		    port > 65535) {
			*err = "\"port\" must be an integer from 0 to 65535";
			return (-1);
		}
	}
	pol_check_net(rs, host, addr, (int)port, res);
	if (asprintf(input, "%s:%lld", host != NULL ? host : addr, port) ==
	    -1)
		*input = NULL;
	*extra = json_pack("{s:s?}", "addr", addr);
	return (0);
}

/*
 * One request object to one result object; non-allow decisions of
 * real requests (not topshctl tests) go to the audit log.
 */
json_t *
pd_server_answer(struct ruleset *rs, uint32_t type, json_t *req,
    const char **err)
{
	struct pol_result	 res;
	const char		*kind = "command", *cmd;
	char			*input = NULL;
	json_t			*extra = NULL, *v, *out, *missing = NULL;
	int			 test = type == IMSG_CTL_POLICY_TEST, rv;
	int			 prelim = 0;

	if (rs == NULL) {
		*err = "no rules loaded";
		return (NULL);
	}
	if (test && json_object_get(req, "command") == NULL)
		type = json_object_get(req, "path") != NULL ?
		    IMSG_POLICY_CHECK_FILE : IMSG_POLICY_CHECK_NET;
	switch (type) {
	case IMSG_POLICY_CHECK_FILE:
		kind = "file";
		rv = answer_file(rs, req, &res, &input, &extra, err);
		break;
	case IMSG_POLICY_CHECK_NET:
		kind = "network";
		rv = answer_net(rs, req, &res, &input, &extra, err);
		break;
	default:
		v = json_object_get(req, "command");
		if (!json_is_string(v)) {
			*err = "\"command\" must be a string";
			return (NULL);
		}
		cmd = json_string_value(v);
		pol_check_command(rs, cmd, json_string_length(v), &res);
		/* the files it runs, with the texts the request carries */
		pol_check_scripts(rs, cmd, json_string_length(v),
		    json_object_get(req, "scripts"), &res, &missing);
		input = strdup(cmd);
		rv = 0;
		break;
	}
	if (rv == -1) {
		json_decref(extra);
		json_decref(missing);
		free(input);
		return (NULL);
	}
	out = pol_result_json(&res, test ? (input ? input : "") : NULL);
	if (out != NULL && extra != NULL && test)
		json_object_update(out, extra);
	if (out != NULL && missing != NULL)
		json_object_set(out, "scripts", missing);
	/*
	 * The requester reads the files listed and asks again: this
	 * answer only says which; the next one is audited.
	 */
	prelim = missing != NULL && res.decision != POL_DENY &&
	    json_is_true(json_object_get(req, "scripts_follow"));
	json_decref(missing);
	if (out != NULL && prelim)
		json_object_set_new(out, "preliminary", json_true());
	if (res.decision != POL_ALLOW && !test && !prelim)
		pd_audit_record(kind, req_int(req, "user"), req_int(req, "chat"),
		    input != NULL ? input : "", extra, &res);
	if (out == NULL)
		*err = "out of memory";
	json_decref(extra);
	free(input);
	return (out);
}

static void
reply_error(struct peer *p, uint32_t type, uint32_t id, const char *msg)
{
	json_t	*o;

	if ((o = json_pack("{s:s}", "error", msg)) == NULL)
		return;
	(void)peer_compose_json(p, type, id, -1, o);
	json_decref(o);
}

/*
 * IMSG_POLICY_VOUCH (from proxyd only) and IMSG_POLICY_CHECK_USER.
 */
static int
dispatch_vouch(struct peer *p, struct imsg *imsg)
{
	uint32_t		 type = imsg_get_type(imsg), id = imsg_get_id(imsg);
	struct pol_result	 res;
	json_t			*req, *out;
	int64_t			 user;
	char			 msg[160];

	if (type == IMSG_POLICY_VOUCH && p->id != PROC_PROXYD) {
		log_warnx("%s (uid %u pid %d) tried to vouch for users: only "
		    "proxyd may; connection closed", proc_name(p->id),
		    (unsigned)p->uid, (int)p->pid);
		return (-1);
	}
	if ((req = imsg_get_json(imsg)) == NULL) {
		log_warnx("%s: request %u is not a JSON object",
		    proc_name(p->id), id);
		reply_error(p, IMSG_ERROR, id, "the request is not a JSON "
		    "object");
		return (0);
	}
	if (type == IMSG_POLICY_VOUCH) {
		if (pd_vouch_record(req) == -1)
			reply_error(p, IMSG_ERROR, id, "\"writes\" and "
			    "\"presses\" must be arrays");
		else if ((out = json_pack("{s:s}", "decision", "allow")) !=
		    NULL) {
			(void)peer_compose_json(p, IMSG_POLICY_RESULT, id, -1,
			    out);
			json_decref(out);
		}
		json_decref(req);
		return (0);
	}
	user = req_int(req, "user");
	if (user > 0 && pd_vouch_user(user))
		out = json_pack("{s:s, s:n, s:n, s:n, s:i}", "decision", "allow",
		    "rule", "category", "message", "timeout", 0);
	else {
		snprintf(msg, sizeof(msg), "user %lld has not written to the "
		    "bot recently (no message or button press vouched for by "
		    "proxyd)", (long long)user);
		memset(&res, 0, sizeof(res));
		res.decision = POL_DENY;
		res.rule = "unvouched-user";
		res.category = "trust";
		res.message = msg;
		out = pol_result_json(&res, NULL);
		pd_audit_record("user", user, req_int(req, "chat"), "", NULL,
		    &res);
		log_warnx("%s asked to act for user %lld, who has not written "
		    "recently: refused", proc_name(p->id), (long long)user);
	}
	if (out != NULL) {
		(void)peer_compose_json(p, IMSG_POLICY_RESULT, id, -1, out);
		json_decref(out);
	}
	json_decref(req);
	return (0);
}

int
pd_server_dispatch(struct peer *p, struct imsg *imsg)
{
	const char	*err = "malformed request";
	uint32_t	 type = imsg_get_type(imsg), id = imsg_get_id(imsg);
	json_t		*req, *out;

	switch (type) {
	case IMSG_POLICY_CHECK_CMD:
	case IMSG_POLICY_CHECK_FILE:
	case IMSG_POLICY_CHECK_NET:
		break;
	case IMSG_POLICY_VOUCH:
	case IMSG_POLICY_CHECK_USER:
		return (dispatch_vouch(p, imsg));
	default:
		log_warnx("%s: unexpected message type %u", proc_name(p->id),
		    type);
		return (-1);
	}
	if ((req = imsg_get_json(imsg)) == NULL) {
		log_warnx("%s: request %u is not a JSON object",
		    proc_name(p->id), id);
		reply_error(p, IMSG_ERROR, id, "the request is not a JSON "
		    "object");
		return (0);
	}
	out = pd_server_answer(rules, type, req, &err);
	if (rules->jit_lost == 1) {
		log_warnx("pcre2 JIT compile failed (out of memory?): the "
		    "rule set matches through the interpreter until reloaded");
		rules->jit_lost = 2;
	}
	if (out == NULL) {
		log_warnx("%s: request %u refused: %s", proc_name(p->id), id,
		    err);
		reply_error(p, IMSG_ERROR, id, err);
	} else {
		/* approvals are sandboxd's: it is the one that acts */
		if (p->id == PROC_SANDBOXD && type != IMSG_POLICY_CHECK_NET &&
		    strcmp(json_string_value(json_object_get(out, "decision")),
		    "approve") == 0 &&
		    !json_is_true(json_object_get(out, "preliminary")))
			pd_vouch_approval(type, req, out);
		(void)peer_compose_json(p, IMSG_POLICY_RESULT, id, -1, out);
		json_decref(out);
	}
	json_decref(req);
	return (0);
}

int
pd_server_control(struct peer *p, struct imsg *imsg)
{
	const char	*err = "malformed request";
	uint32_t	 id = imsg_get_id(imsg);
	json_t		*req, *out;

	if (imsg_get_type(imsg) != IMSG_CTL_POLICY_TEST) {
		reply_error(p, IMSG_CTL_FAIL, id, "unknown request");
		return (-1);
	}
	if ((req = imsg_get_json(imsg)) == NULL) {
		reply_error(p, IMSG_CTL_FAIL, id, "the request is not a JSON "
		    "object");
		return (0);
	}
	if ((out = pd_server_answer(rules, IMSG_CTL_POLICY_TEST, req,
	    &err)) == NULL)
		reply_error(p, IMSG_CTL_FAIL, id, err);
	else {
		(void)peer_compose_json(p, IMSG_CTL_DATA, id, -1, out);
		(void)peer_compose(p, IMSG_CTL_END, id, -1, NULL, 0);
		json_decref(out);
	}
	json_decref(req);
	return (0);
}

void
pd_server_status(json_t *o)
{
	json_t	*s;

	if (rules == NULL)
		return;
	s = json_pack("{s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:I, s:I, "
	    "s:s?}",
	    "regex", (json_int_t)rules->count[RK_REGEX],
	    "command", (json_int_t)rules->count[RK_COMMAND],
	    "file", (json_int_t)rules->count[RK_FILE],
	    "network", (json_int_t)rules->count[RK_NET],
	    "jit", rules->jit,
	    "jit_compiled", (json_int_t)rules->njit,
	    "prefilter_always", (json_int_t)prefilter_always(rules->pf),
	    "checks", (json_int_t)rules->checks,
	    "denied", (json_int_t)rules->denied,
	    "held", (json_int_t)rules->held,
	    "audit_log", pd_audit_path());
	if (s != NULL) {
		json_object_set_new(s, "vouch", pd_vouch_status());
		json_object_set_new(o, "policy", s);
	}
}

int
pd_server_reload(struct topsh_conf *old, struct topsh_conf *new, char *err,
    size_t errlen)
{
	const char	*o = old->policy.audit_log, *n = new->policy.audit_log;

	if (pd_engine_reload(&rules, &new->policy, err, errlen) == -1)
		return (-1);
	pd_vouch_init(new->policy.vouch_window);
	if (strcmp(o != NULL ? o : "", n != NULL ? n : "") != 0)
		log_warnx("audit-log changes need a restart; still writing "
		    "to %s", o != NULL && *o != '\0' ? o : "the daemon log");
	return (0);
}

/*
 * request.c - one request from gatewayd, from its frame to its reply.
 *
 * Every request is answered exactly once with IMSG_PROXY_REPLY.  The
 * reply is scrubbed of proxyd's own secrets (the exact values and their
 * encodings, through a DLP instance holding nothing but the secrets)
 * before it is sent, so no remote answer, curl message or echo can
 * carry a secret to gatewayd; its error text also of the secrets' parts
 * (scrub.c: the host, port and path of a secret URL).  Replies go to the peer by serial: if
 * gatewayd went away meanwhile, the reply is dropped.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "dlp.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"
#include "proxyd.h"

struct proxyd_env	*env;

TAILQ_HEAD(preqs, preq);
static struct preqs	 preqs = TAILQ_HEAD_INITIALIZER(preqs);
static int		 npreqs;

static const char *const type_names[] = {
	"reply", "tg_call", "tg_updates", "tg_download", "llm_chat",
	"search_web", "fetch_page", "gdrive_auth_url", "gdrive_auth_code",
	"gdrive_status", "gdrive_logout", "gdrive_list", "gdrive_search",
	"gdrive_download", "services"
};

const char *
preq_name(uint32_t type)
{
	if (type >= IMSG_PROXY_BASE && type <= IMSG_PROXY_SERVICES)
		return (type_names[type - IMSG_PROXY_BASE]);
	return ("unknown");
}

struct preq *
preq_new(uint32_t serial, uint32_t reqid, uint32_t type, json_t *msg,
    int fd)
{
	struct preq	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->serial = serial;
	r->reqid = reqid;
	r->type = type;
	r->msg = msg;
	r->fd = fd;
	r->user = json_int_or(msg, "user", 0);
	TAILQ_INSERT_TAIL(&preqs, r, entry);
	npreqs++;
	env->stats.requests++;
	return (r);
}

static void
preq_free(struct preq *r)
{
	if (r->cancel != NULL)
		r->cancel(r);
	r->cancel = NULL;
	TAILQ_REMOVE(&preqs, r, entry);
	npreqs--;
	if (r->fd != -1)
		close(r->fd);
	json_decref(r->msg);
	free(r);
}

/*
 * An error text or a log line as it may leave proxyd: the secrets'
 * whole values and encodings replaced (DLP), then their parts, such as
 * the host and port of a secret URL (scrub.c).
 */
char *
proxyd_scrub(const char *s)
{
	size_t	 outlen;
	char	*d, *out;

	if (s == NULL)
		return (NULL);
	if (env == NULL || env->scrub == NULL)
		return (scrub_text(s));
	if ((d = dlp_redact(env->scrub, s, strlen(s), &outlen, NULL)) ==
	    NULL)
		return (NULL);
	out = scrub_text(d);
	free(d);
	return (out);
}

void
preq_reply(struct preq *r, int ok, long status, long retry_after,
    const char *error, json_t *result)
{
	struct peer	*p;
	json_t		*o;
	char		*err = NULL;

	if (!ok)
		env->stats.failed++;
	if (error != NULL && (err = proxyd_scrub(error)) == NULL)
		err = strdup("out of memory");
	o = json_pack("{s:b, s:s?, s:I, s:I, s:o}", "ok", ok, "error", err,
	    "status", (json_int_t)status,
	    "retry_after", (json_int_t)(retry_after > 0 ? retry_after : 0),
	    "result", result != NULL ? result : json_null());
	free(err);
	if (o == NULL) {
		log_warnx("%s %u: cannot build the reply", preq_name(r->type),
		    r->reqid);
		preq_free(r);
		return;
	}
	if (env->scrub != NULL && dlp_redact_json(env->scrub, o) > 0)
		log_warnx("%s %u: a secret in the reply was replaced",
		    preq_name(r->type), r->reqid);
	if ((p = proc_peer_by_serial(r->serial)) == NULL)
		log_debug("%s %u: gatewayd went away, reply dropped",
		    preq_name(r->type), r->reqid);
	else if (peer_compose_json(p, IMSG_PROXY_REPLY, r->reqid, -1, o) ==
	    -1)
		log_warn("%s %u: cannot send the reply", preq_name(r->type),
		    r->reqid);
	else
		log_debug("%s %u: %s%s%s", preq_name(r->type), r->reqid,
		    ok ? "ok" : "failed", ok ? "" : ": ",
		    ok ? "" : json_string_value(json_object_get(o, "error")));
	json_decref(o);
	preq_free(r);
}

void
preq_fail(struct preq *r, long status, long retry_after, const char *fmt,
    ...)
{
	va_list	 ap;
	char	 buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	preq_reply(r, 0, status, retry_after, buf, NULL);
}

void
preq_ok(struct preq *r, json_t *result)
{
	preq_reply(r, 1, 0, 0, NULL, result);
}

void
preq_cancel_all(void)
{
	struct preq	*r;

	while ((r = TAILQ_FIRST(&preqs)) != NULL)
		preq_free(r);
}

int
preq_count(void)
{
	return (npreqs);
}

static int
skipped(const char *key, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strcmp(key, *skip) == 0)
			return (1);
	return (0);
}

/*
 * DLP over an object leaving proxyd: every string inside, except the
 * values of the top-level keys in skip (identifiers such as file_id
 * that a detector could mistake for a key).  Returns the number of
 * redactions, -1 on error.
 */
int
proxyd_redact_json(json_t *o, const char *const *skip)
{
	json_t		*tmp, *v;
	const char	*k;
	int		 n;

	if (!json_is_object(o) || skip == NULL)
		n = dlp_redact_json(env->dlp, o);
	else {
		if ((tmp = json_object()) == NULL)
			return (-1);
		json_object_foreach(o, k, v)
			if (!skipped(k, skip))
				json_object_set(tmp, k, v);
		n = dlp_redact_json(env->dlp, tmp);
		/* strings are immutable in place only if replaced: copy back */
		json_object_foreach(tmp, k, v)
			json_object_set(o, k, v);
		json_decref(tmp);
	}
	if (n > 0)
		env->stats.redactions += n;
	return (n);
}

long long
json_int_or(json_t *o, const char *key, long long def)
{
	json_t	*v;

	if ((v = json_object_get(o, key)) == NULL || !json_is_integer(v))
		return (def);
	return (json_integer_value(v));
}

const char *
json_str_or(json_t *o, const char *key, const char *def)
{
	json_t	*v;

	if ((v = json_object_get(o, key)) == NULL || !json_is_string(v))
		return (def);
	return (json_string_value(v));
}

int
preq_write_fd(int fd, const void *data, size_t len, long long *written,
    int *failed)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			*failed = errno;
			return (-1);
		}
		p += n;
		len -= n;
		*written += n;
	}
	return (0);
}

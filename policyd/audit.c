/*
 * audit.c - the audit trail: one JSON line for every decision other
 * than allow (time, user, chat, kind, input, decision, rule, category,
 * message).  The file is opened once, before confinement, for appending;
 * each record is one write(2), so lines from one process never mix.
 * Without a file the records go to the daemon log.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"
#include "log.h"
#include "policy.h"
#include "policyd.h"

static int	audit_fd = -1;
static char	audit_file[PATH_MAX];

int
pd_audit_open(const char *path)
{
	int	fd;

	pd_audit_close();
	if (path == NULL || *path == '\0')
		return (0);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1) {
		log_warn("audit log %s (records go to the daemon log)", path);
		return (-1);
	}
	audit_fd = fd;
	if (strlcpy(audit_file, path, sizeof(audit_file)) >=
	    sizeof(audit_file))
		audit_file[0] = '\0';
	return (0);
}

/*
 * SIGUSR1 after logrotate: open the file of that name again (it must
 * exist, made by logrotate's create with policyd's user as owner) and
 * switch to it; on failure keep writing to the old one and say why.
 */
void
pd_audit_reopen(void)
{
	int	fd;

	if (audit_fd == -1 || audit_file[0] == '\0') {
		log_info("SIGUSR1: no audit log to reopen");
		return;
	}
	if ((fd = open(audit_file, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1) {
		if (errno == EACCES)
			confine_report_traverse(audit_file);
		log_warn("audit log %s not reopened, still writing to the old "
		    "file (it must exist and be writable by policyd's user: "
		    "logrotate's create 0640 topsh-policy adm)", audit_file);
		return;
	}
	close(audit_fd);
	audit_fd = fd;
	log_info("audit log %s reopened", audit_file);
}

/* started as root: the log belongs to the user policyd runs as */
int
pd_audit_chown(uid_t uid)
{
	if (audit_fd == -1 || uid == (uid_t)-1)
		return (0);
	if (fchown(audit_fd, uid, (gid_t)-1) == -1) {
		log_warn("chown %s", audit_file);
		return (-1);
	}
	return (0);
}

void
pd_audit_close(void)
{
	if (audit_fd != -1)
		close(audit_fd);
	audit_fd = -1;
	audit_file[0] = '\0';
}

const char *
pd_audit_path(void)
{
	return (audit_fd != -1 ? audit_file : NULL);
}

static json_t *
now_json(void)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 buf[64];
	size_t		 n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL)
		return (json_null());
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(buf + n, sizeof(buf) - n, ".%03ldZ",
	    ts.tv_nsec / 1000000);
	return (json_string(buf));
}

char *
pd_audit_format(const char *kind, long long user, long long chat,
    const char *input, json_t *extra, const struct pol_result *res)
{
	json_t	*o, *r;
	char	*line;

	if ((o = json_object()) == NULL)
		return (NULL);
	json_object_set_new(o, "time", now_json());
	json_object_set_new(o, "user", json_integer(user));
	json_object_set_new(o, "chat", json_integer(chat));
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "input", pol_json_string(input));
	if (res != NULL && (r = pol_result_json(res, NULL)) != NULL) {
		json_object_update(o, r);
		json_decref(r);
	}
	if (extra != NULL)
		json_object_update(o, extra);
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return (line);
}

void
pd_audit_record(const char *kind, long long user, long long chat,
    const char *input, json_t *extra, const struct pol_result *res)
{
	char	*line, *nl;
	size_t	 len;
	ssize_t	 w;

	if ((line = pd_audit_format(kind, user, chat, input, extra, res)) ==
	    NULL) {
		log_warnx("audit: cannot format a record");
		return;
	}
	if (audit_fd == -1) {
		log_info("audit: %s", line);
		free(line);
		return;
	}
	len = strlen(line);
	if ((nl = realloc(line, len + 2)) == NULL) {
		free(line);
		log_warnx("audit: out of memory");
		return;
	}
	nl[len] = '\n';
	nl[len + 1] = '\0';
	while ((w = write(audit_fd, nl, len + 1)) == -1 && errno == EINTR)
		;
	if (w != (ssize_t)(len + 1))
		log_warn("audit: write to %s", audit_file);
	free(nl);
}

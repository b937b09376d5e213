/*
 * secrets.c - proxyd's secrets, read once at start from a directory of
 * files: $CREDENTIALS_DIRECTORY when systemd's LoadCredential= set it,
 * otherwise the secrets-dir of topsh.conf.
 *
 * Each secret is one file holding the value (a trailing newline is
 * dropped).  telegram_token, llm_base_url and llm_api_key are required;
 * zai_api_key (web search) and the Google Drive pair are optional, and
 * secrets_services() tells gatewayd which of those services exist.  A missing required file, an empty one, one that is not a
 * regular file, or one that group or others may read or write stops
 * proxyd with a message naming the file.  The raw read buffers are wiped;
 * the values are never logged.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dlp.h"
#include "proxyd.h"

struct secret_file {
	const char	*name;
	size_t		 off;
	int		 required;
	int		 dlp;		/* registered with DLP */
};

#define S(n, f, r, d)	{ n, offsetof(struct secrets, f), r, d }
static const struct secret_file files[] = {
	S("telegram_token", telegram_token, 1, 1),
	S("llm_base_url", llm_base_url, 1, 1),
	S("llm_api_key", llm_api_key, 1, 1),
	S("zai_api_key", zai_api_key, 0, 1),	/* search_web */
	/*
	 * An OAuth client id is public by design: it is part of the
	 * consent URL shown to the user, so it is not redacted.
	 */
	S("gdrive_client_id", gdrive_client_id, 0, 0),
	S("gdrive_client_secret", gdrive_client_secret, 0, 1),
};
#undef S

const char *
secrets_dir(const struct topsh_conf *conf)
{
	const char	*d;

	if ((d = getenv("CREDENTIALS_DIRECTORY")) != NULL && *d != '\0')
		return (d);
	return (conf->proxy.secrets_dir);
}

/* 1 read, 0 absent, -1 refused (message in err) */
static int
read_secret(const char *dir, const char *name, char **out, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 path[1100], *buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		snprintf(err, errlen, "%s/%s: name too long", dir, name);
		return (-1);
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: readable or writable by group or "
		    "others (mode %04o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return (-1);
	}
	if ((buf = calloc(1, SECRET_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return (-1);
	}
	while (len < SECRET_MAX &&
	    (n = read(fd, buf + len, SECRET_MAX - len)) > 0)
		len += n;
	close(fd);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	if (len == 0 || strlen(buf) != len) {
		snprintf(err, errlen, "%s: empty or not text", path);
		freezero(buf, SECRET_MAX + 1);
		return (-1);
	}
	*out = strdup(buf);
	freezero(buf, SECRET_MAX + 1);
	if (*out == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return (-1);
	}
	return (1);
}

int
secrets_load(const char *dir, struct secrets *s, char *err, size_t errlen)
{
	const struct secret_file	*f;
	char				**slot;
	size_t				 i, len;
	int				 rv;

	memset(s, 0, sizeof(*s));
	if (strlcpy(s->dir, dir, sizeof(s->dir)) >= sizeof(s->dir)) {
		snprintf(err, errlen, "%s: name too long", dir);
		return (-1);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		f = &files[i];
		slot = (char **)((char *)s + f->off);
		if ((rv = read_secret(dir, f->name, slot, err, errlen)) == -1)
			goto fail;
		if (rv == 0 && f->required) {
			snprintf(err, errlen, "%s/%s: missing (required "
			    "secret)", dir, f->name);
			goto fail;
		}
	}
	/* a base URL is used as a prefix */
	len = strlen(s->llm_base_url);
	while (len > 0 && s->llm_base_url[len - 1] == '/')
		s->llm_base_url[--len] = '\0';
	if (strncmp(s->llm_base_url, "http://", 7) != 0 &&
	    strncmp(s->llm_base_url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s/llm_base_url: not an http(s) URL",
		    dir);
		goto fail;
	}
	if ((s->gdrive_client_id == NULL) != (s->gdrive_client_secret ==
	    NULL)) {
		snprintf(err, errlen, "%s: gdrive_client_id and "
		    "gdrive_client_secret go together", dir);
		goto fail;
	}
	return (0);
 fail:
	secrets_clear(s);
	return (-1);
}

int
secrets_register(const struct secrets *s, struct dlp *d)
{
	const struct secret_file	*f;
	char				*v;
	size_t				 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		f = &files[i];
		v = *(char **)((const char *)s + f->off);
		if (v == NULL || !f->dlp)
			continue;
		if (dlp_add_secret(d, f->name, v, strlen(v)) == -1)
			return (-1);
	}
	return (0);
}

void
secrets_clear(struct secrets *s)
{
	const struct secret_file	*f;
	char				**slot;
	size_t				 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		f = &files[i];
		slot = (char **)((char *)s + f->off);
		if (*slot != NULL)
			freezero(*slot, strlen(*slot) + 1);
		*slot = NULL;
	}
}

/* IMSG_PROXY_SERVICES: the optional services that have their secrets */
void
secrets_services(struct preq *r)
{
	preq_ok(r, json_pack("{s:b, s:b}", "search",
	    env->sec.zai_api_key != NULL, "gdrive",
	    env->sec.gdrive_client_id != NULL &&
	    env->sec.gdrive_client_secret != NULL));
}

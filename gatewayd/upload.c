/*
 * upload.c - files coming into a workspace: documents and photos the
 * user sends, and Google Drive downloads.  gatewayd touches no
 * workspace: proxyd downloads into a memfd of ours, and the content
 * goes to sandboxd (IMSG_SANDBOX_FILE_WRITE, base64), which writes it
 * beneath the user's workspace.  Bounded by upload-max.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conf_gateway.h"
#include "gateway.h"
#include "log.h"
#include "proc.h"
#include "topsh.h"

struct fetch {
	struct chatmsg	*m;
	int		 memfd;
	char		 path[256];
	fetch_cb	 cb;
	void		*arg;
	long long	 bytes;
};

struct upload {
	void		(*cb)(const char *, void *);
	void		*arg;
	char		 name[128];
};

char *
b64_encode(const unsigned char *in, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char	*out, *p;
	size_t	 i;

	if ((out = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return (NULL);
	p = out;
	for (i = 0; i + 2 < n; i += 3) {
		*p++ = tab[in[i] >> 2];
		*p++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*p++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*p++ = tab[in[i + 2] & 63];
	}
	if (i < n) {
		*p++ = tab[in[i] >> 2];
		if (i + 1 < n) {
			*p++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*p++ = tab[(in[i + 1] & 15) << 2];
		} else {
			*p++ = tab[(in[i] & 3) << 4];
			*p++ = '=';
		}
		*p++ = '=';
	}
	*p = '\0';
	return (out);
}

/* letters, digits, . _ - only; no leading dot; never empty */
void
safe_filename(const char *in, char *out, size_t sz)
{
	size_t	 i, j = 0;

	for (i = 0; in != NULL && in[i] != '\0' && j + 1 < sz && j < 100;
	    i++) {
		char c = in[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			c = '_';
		if (j == 0 && c == '.')
			c = '_';
		out[j++] = c;
	}
	if (j == 0 && sz > 4) {
		strlcpy(out, "file", sz);
		return;
	}
	out[j] = '\0';
}

static void
fetch_free(struct fetch *f)
{
	if (f->memfd != -1)
		close(f->memfd);
	free(f);
}

static void
fetch_written(struct rpc_reply *rep, void *arg)
{
	struct fetch	*f = arg;
	char		 msg[512];

	if (!rep->ok)
		snprintf(msg, sizeof(msg), "could not save %s: %s", f->path,
		    rep->error);
	else
		snprintf(msg, sizeof(msg), "saved as %s (%lld bytes)", f->path,
		    f->bytes);
	f->cb(rep->ok, msg, f->arg);
	fetch_free(f);
}

static void
fetch_downloaded(struct rpc_reply *rep, void *arg)
{
	struct fetch	*f = arg;
	unsigned char	*data = NULL;
	char		*b64 = NULL, msg[512];
	off_t		 size;
	ssize_t		 r;
	size_t		 off = 0;
	json_t		*req;

	if (!rep->ok) {
		/* proxyd's detail may name Telegram's address: log it */
		log_warnx("file download: %s", rep->error);
		snprintf(msg, sizeof(msg), "download failed: %s",
		    strstr(rep->error, "too large") != NULL ? rep->error :
		    usermsg_service(rep));
		goto fail;
	}
	if ((size = lseek(f->memfd, 0, SEEK_END)) == -1 ||
	    size > gw.conf->upload_max || lseek(f->memfd, 0, SEEK_SET) == -1) {
		snprintf(msg, sizeof(msg), "the file is larger than %lld bytes",
		    gw.conf->upload_max);
		goto fail;
	}
	if ((data = malloc(size + 1)) == NULL)
		goto oom;
	while (off < (size_t)size) {
		if ((r = read(f->memfd, data + off, size - off)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			break;
		}
		off += r;
	}
	f->bytes = off;
	if ((b64 = b64_encode(data, off)) == NULL)
		goto oom;
	free(data);
	data = NULL;
	req = json_pack("{s:I, s:I, s:s, s:s, s:s}", "user",
	    (json_int_t)f->m->user, "chat", (json_int_t)f->m->chat, "path",
	    f->path, "content", b64, "encoding", "base64");
	free(b64);
	if (req == NULL || rpc_call(PROC_SANDBOXD, IMSG_SANDBOX_FILE_WRITE,
	    req, -1, 0, fetch_written, f) == 0) {
		json_decref(req);
		goto oom;
	}
	json_decref(req);
	return;
 oom:
	snprintf(msg, sizeof(msg), "out of memory");
 fail:
	free(data);
	free(b64);
	f->cb(0, msg, f->arg);
	fetch_free(f);
}

/*
 * Ask proxyd (type, req) to write a file into a memfd of ours, then
 * have sandboxd save it as path in the user's workspace.
 * cb(ok, message, arg) runs once.
 */
void
fetch_to_workspace(struct chatmsg *m, uint32_t type, json_t *req,
    const char *path, fetch_cb cb, void *arg)
{
	struct fetch	*f;
	int		 fd;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		cb(0, "out of memory", arg);
		return;
	}
	f->m = m;
	f->cb = cb;
	f->arg = arg;
	strlcpy(f->path, path, sizeof(f->path));
	if ((f->memfd = memfd_create("topsh-upload", MFD_CLOEXEC)) == -1 ||
	    (fd = dup(f->memfd)) == -1) {
		log_warn("memfd");
		fetch_free(f);
		cb(0, "cannot buffer the file", arg);
		return;
	}
	json_object_set_new(req, "max_bytes", json_integer(
	    gw.conf->upload_max));
	if (rpc_call(PROC_PROXYD, type, req, fd, 0, fetch_downloaded, f) ==
	    0) {
		fetch_free(f);
		cb(0, "out of memory", arg);
	}
}

static void
upload_done(int ok, const char *msg, void *arg)
{
	struct upload	*u = arg;
	char		 note[768];

	if (ok)
		snprintf(note, sizeof(note), "[The user sent a file: %s]", msg);
	else
		snprintf(note, sizeof(note), "[The user sent the file %s but "
		    "it was not saved: %s]", u->name, msg);
	u->cb(note, u->arg);
	free(u);
}

/* a document or photo the user sent: into uploads/ of the workspace */
void
agent_upload(struct chatmsg *m, void (*cb)(const char *, void *), void *arg)
{
	struct upload	*u;
	char		 path[200];
	json_t		*req;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		cb("[The user sent a file that could not be saved]", arg);
		return;
	}
	u->cb = cb;
	u->arg = arg;
	safe_filename(m->file_name, u->name, sizeof(u->name));
	if (m->file_size > gw.conf->upload_max) {
		upload_done(0, "it is too large", u);
		return;
	}
	snprintf(path, sizeof(path), "uploads/%s", u->name);
	req = json_pack("{s:s, s:I}", "file_id", m->file_id, "user",
	    (json_int_t)m->user);
	if (req == NULL) {
		upload_done(0, "out of memory", u);
		return;
	}
	fetch_to_workspace(m, IMSG_PROXY_TG_DOWNLOAD, req, path, upload_done,
	    u);
	json_decref(req);
}

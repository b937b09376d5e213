/*
 * ws.c - paths inside a user's workspace.
 *
 * Every path is resolved with openat2(2) from the workspace directory
 * with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV: "..", absolute paths, symlinks anywhere in the path
 * and mount crossings are refused by the kernel, so nothing a user
 * plants in the workspace can lead outside it.  Also the error codes of
 * imsg_sandbox.h for the file operations.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandboxd.h"

#define WS_RESOLVE	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | \
			    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

void
sbx_fserr_set(struct fserr *e, const char *code, const char *fmt, ...)
{
	va_list	ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* map an errno of a workspace operation on path to an error: -1 */
int
sbx_fserr_errno(struct fserr *e, int err, const char *path)
{
	switch (err) {
	case EXDEV:
	case ELOOP:
	case EMLINK:
		sbx_fserr_set(e, "escape", "%s: path leaves the workspace or "
		    "goes through a link", path);
		break;
	case ENOENT:
		sbx_fserr_set(e, "not-found", "%s: no such file or directory",
		    path);
		break;
	case EEXIST:
	case ENOTEMPTY:
		sbx_fserr_set(e, "exists", "%s: exists", path);
		break;
	case ENOSPC:
	case EDQUOT:
		sbx_fserr_set(e, "quota", "%s: workspace quota exhausted", path);
		break;
	case EFBIG:
		sbx_fserr_set(e, "too-large", "%s: file too large", path);
		break;
	default:
		sbx_fserr_set(e, "io", "%s: %s", path, strerror(err));
		break;
	}
	return (-1);
}

static int
xopenat2(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how	how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	if (flags & (O_CREAT | O_TMPFILE))
		how.mode = mode;
	how.resolve = WS_RESOLVE;
	return ((int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

int
sbx_ws_openat(struct ws *ws, int dirfd, const char *path, int flags,
    mode_t mode, struct fserr *e)
{
	int	fd;

	if ((fd = xopenat2(dirfd, path, flags, mode)) == -1)
		sbx_fserr_errno(e, errno, path);
	return (fd);
}

int
sbx_ws_open_dirs(struct ws *ws, const char *root, int64_t user)
{
	char	path[PATH_MAX];
	int	n;

	ws->rootfd = ws->trashfd = -1;
	ws->user = user;
	n = snprintf(path, sizeof(path), "%s/%" PRId64 "/" WS_DIR, root,
	    user);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((ws->rootfd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return (-1);
	n = snprintf(path, sizeof(path), "%s/%" PRId64 "/" WS_TRASH, root,
	    user);
	if (n < 0 || (size_t)n >= sizeof(path) || (ws->trashfd = open(path,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		close(ws->rootfd);
		ws->rootfd = -1;
		return (-1);
	}
	return (0);
}

void
sbx_ws_close(struct ws *ws)
{
	if (ws->rootfd != -1)
		close(ws->rootfd);
	if (ws->trashfd != -1)
		close(ws->trashfd);
	ws->rootfd = ws->trashfd = -1;
}

/* new entries belong to the container user when we may chown */
void
sbx_ws_chown(struct ws *ws, int dirfd, const char *name)
{
	if (ws->chown)
		(void)fchownat(dirfd, name, ws->uid, ws->gid,
		    AT_SYMLINK_NOFOLLOW);
}

/*
 * A workspace-relative path: "/workspace/x", "/x" and "x" all name x;
 * "" and "/" name the workspace itself (".").  Trailing slashes go.
 */
int
sbx_ws_relpath(const char *in, char *out, size_t outsz, struct fserr *e)
{
	size_t	len;

	if (strncmp(in, WS_MOUNTPATH, strlen(WS_MOUNTPATH)) == 0 &&
	    (in[strlen(WS_MOUNTPATH)] == '/' ||
	    in[strlen(WS_MOUNTPATH)] == '\0'))
		in += strlen(WS_MOUNTPATH);
	while (*in == '/')
		in++;
	if (*in == '\0')
		in = ".";
	if (strlcpy(out, in, outsz) >= outsz) {
		sbx_fserr_set(e, "invalid", "path too long");
		return (-1);
	}
	len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	return (0);
}

/*
 * Open the parent directory of rel (O_PATH), creating missing
 * directories when mkdirs is set; the last component goes to base.
 */
int
sbx_ws_parent(struct ws *ws, const char *rel, int mkdirs, char *base,
    size_t basesz, struct fserr *e)
{
	char		 buf[PATH_MAX], *slash, *comp, *next;
	int		 fd, nfd;

	if (strlcpy(buf, rel, sizeof(buf)) >= sizeof(buf)) {
		sbx_fserr_set(e, "invalid", "path too long");
		return (-1);
	}
	if ((slash = strrchr(buf, '/')) == NULL) {
		if (strlcpy(base, buf, basesz) >= basesz)
			goto toolong;
		buf[0] = '\0';
	} else {
		*slash = '\0';
		if (strlcpy(base, slash + 1, basesz) >= basesz)
			goto toolong;
	}
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    base[0] == '\0') {
		sbx_fserr_set(e, "invalid", "%s: not a file name", rel);
		return (-1);
	}
	if ((fd = dup(ws->rootfd)) == -1)
		return (sbx_fserr_errno(e, errno, rel));
	if (!mkdirs) {
		if (buf[0] == '\0')
			return (fd);
		nfd = sbx_ws_openat(ws, fd, buf, O_PATH | O_DIRECTORY, 0, e);
		close(fd);
		return (nfd);
	}
	for (comp = buf; comp != NULL && *comp != '\0'; comp = next) {
		if ((next = strchr(comp, '/')) != NULL)
			*next++ = '\0';
		if (*comp == '\0' || strcmp(comp, ".") == 0)
			continue;
		if (mkdirat(fd, comp, 0755) == 0)
			sbx_ws_chown(ws, fd, comp);
		else if (errno != EEXIST) {
			close(fd);
			return (sbx_fserr_errno(e, errno, rel));
		}
		nfd = sbx_ws_openat(ws, fd, comp, O_PATH | O_DIRECTORY, 0, e);
		close(fd);
		if (nfd == -1)
			return (-1);
		fd = nfd;
	}
	return (fd);
 toolong:
	sbx_fserr_set(e, "invalid", "path too long");
	return (-1);
}

/*
 * trash.c - soft delete.  A deleted entry is renamed into the user's
 * trash directory (next to the workspace, on the same file system, never
 * mounted into the container) as trash/ID/data, with its original path
 * in trash/ID/path.  Restore renames it back unless the path exists
 * again.  Trash counts against the workspace quota until purged
 * (topshctl trash purge).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandboxd.h"

static int
valid_id(const char *id)
{
	size_t	i;

	if (id[0] == '\0' || strlen(id) > 40)
		return (0);
	for (i = 0; id[i] != '\0'; i++)
		if (!(id[i] >= '0' && id[i] <= '9') &&
		    !(id[i] >= 'a' && id[i] <= 'f') && id[i] != '-')
			return (0);
	return (1);
}

int
sbx_trash_put(struct ws *ws, int dfd, const char *base, const char *rel,
    char *id, size_t idsz, struct fserr *e)
{
	struct stat	 st;
	int		 tfd = -1, fd, i;
	size_t		 len;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return (sbx_fserr_errno(e, errno, rel));
	for (i = 0; i < 100; i++) {
		snprintf(id, idsz, "%lld-%08x", (long long)time(NULL),
		    arc4random());
		if (mkdirat(ws->trashfd, id, 0700) == 0)
			break;
		if (errno != EEXIST)
			return (sbx_fserr_errno(e, errno, "trash"));
	}
	if ((tfd = openat(ws->trashfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto fail;
	if ((fd = openat(tfd, "path", O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		goto fail;
	len = strlen(rel);
	if (write(fd, rel, len) != (ssize_t)len) {
		close(fd);
		goto fail;
	}
	close(fd);
	if (renameat(dfd, base, tfd, "data") == -1)
		goto fail;
	close(tfd);
	return (0);
 fail:
	sbx_fserr_errno(e, errno, rel);
	if (tfd != -1) {
		unlinkat(tfd, "path", 0);
		close(tfd);
	}
	unlinkat(ws->trashfd, id, AT_REMOVEDIR);
	return (-1);
}

/* the original path of a trash entry, read from ID/path */
static int
entry_path(int tfd, char *path, size_t pathsz)
{
	ssize_t	n;
	int	fd;

	if ((fd = openat(tfd, "path", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return (-1);
	n = read(fd, path, pathsz - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	path[n] = '\0';
	return (0);
}

json_t *
sbx_trash_list(struct ws *ws, struct fserr *e)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st, dst;
	char		 path[PATH_MAX];
	json_t		*arr;
	int		 fd, tfd;

	if ((fd = openat(ws->trashfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		sbx_fserr_errno(e, errno, "trash");
		return (NULL);
	}
	arr = json_array();
	while ((de = readdir(d)) != NULL) {
		if (!valid_id(de->d_name))
			continue;
		if ((tfd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			continue;
		if (entry_path(tfd, path, sizeof(path)) == 0 &&
		    fstatat(tfd, "data", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fstat(tfd, &dst) == 0)
			json_array_append_new(arr, json_pack(
			    "{s:s, s:s, s:s, s:I, s:I}", "id", de->d_name,
			    "path", path, "type", sbx_type_name(st.st_mode),
			    "size", (json_int_t)st.st_size,
			    "deleted", (json_int_t)dst.st_mtime));
		close(tfd);
	}
	closedir(d);
	return (arr);
}

int
sbx_trash_restore(struct ws *ws, const char *id, json_t **res, struct fserr *e)
{
	char	 path[PATH_MAX], base[NAME_MAX + 1];
	int	 tfd, dfd;

	if (!valid_id(id)) {
		sbx_fserr_set(e, "invalid", "bad trash id");
		return (-1);
	}
	if ((tfd = openat(ws->trashfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return (sbx_fserr_errno(e, errno, id));
	if (entry_path(tfd, path, sizeof(path)) == -1) {
		close(tfd);
		sbx_fserr_set(e, "io", "%s: damaged trash entry", id);
		return (-1);
	}
	if ((dfd = sbx_ws_parent(ws, path, 1, base, sizeof(base), e)) == -1) {
		close(tfd);
		return (-1);
	}
	if (renameat2(tfd, "data", dfd, base, RENAME_NOREPLACE) == -1) {
		sbx_fserr_errno(e, errno, path);
		close(dfd);
		close(tfd);
		return (-1);
	}
	close(dfd);
	unlinkat(tfd, "path", 0);
	close(tfd);
	unlinkat(ws->trashfd, id, AT_REMOVEDIR);
	*res = json_pack("{s:s, s:s}", "id", id, "path", path);
	return (0);
}

#define PURGE_MAXDEPTH	256

/*
 * Remove name below dirfd and everything under it, never following a
 * symbolic link: directories are opened O_NOFOLLOW and entered by fd.
 */
static int
rm_tree(int pfd, const char *name, int depth)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	int		 fd, rv = 0;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISDIR(st.st_mode))
		return (unlinkat(pfd, name, 0));
	if (depth >= PURGE_MAXDEPTH) {
		errno = ELOOP;
		return (-1);
	}
	if ((fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return (-1);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		if (rm_tree(dirfd(d), de->d_name, depth + 1) == -1)
			rv = -1;
	}
	closedir(d);
	if (rv == 0)
		rv = unlinkat(pfd, name, AT_REMOVEDIR);
	return (rv);
}

/* one item (id) or every item (NULL) of the user's trash, for good */
int
sbx_trash_purge(struct ws *ws, const char *id, int *count, struct fserr *e)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 fd;

	*count = 0;
	if (id != NULL) {
		if (!valid_id(id)) {
			sbx_fserr_set(e, "invalid", "bad trash id");
			return (-1);
		}
		/* fstatat, not faccessat: access(2) checks ignore the
		 * capabilities that reach files of the user's own uid */
		if (fstatat(ws->trashfd, id, &st, AT_SYMLINK_NOFOLLOW) == -1)
			return (sbx_fserr_errno(e, errno, id));
		if (rm_tree(ws->trashfd, id, 0) == -1)
			return (sbx_fserr_errno(e, errno, id));
		*count = 1;
		return (0);
	}
	if ((fd = openat(ws->trashfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return (sbx_fserr_errno(e, errno, "trash"));
	}
	while ((de = readdir(d)) != NULL) {
		if (!valid_id(de->d_name))
			continue;
		if (rm_tree(dirfd(d), de->d_name, 0) == -1) {
			sbx_fserr_errno(e, errno, de->d_name);
			closedir(d);
			return (-1);
		}
		(*count)++;
	}
	closedir(d);
	return (0);
}

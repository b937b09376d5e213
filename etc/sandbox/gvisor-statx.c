/*
 * gvisor-statx.c - a preloaded shim in the Debian sandbox image (made by
 * build-debian-image.sh into /usr/local/lib/topsh/libgvisor-statx.so and
 * named in /etc/ld.so.preload).
 *
 * The gVisor (runsc) of Debian 12 answers EINVAL to statx(2) with
 * AT_NO_AUTOMOUNT, which coreutils 9 passes on every call: under it `ls',
 * `stat', `cp -a' and friends fail with "Invalid argument".  There are no
 * automount points in a sandbox, so the flag changes nothing there; this
 * statx() drops it and calls the kernel (gVisor's or the host's).
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/syscall.h>

#include <fcntl.h>
#include <unistd.h>

int
statx(int dirfd, const char *path, int flags, unsigned int mask,
    struct statx *buf)
{
	return ((int)syscall(SYS_statx, dirfd, path, flags & ~AT_NO_AUTOMOUNT,
	    mask, buf));
}

#!/bin/sh
# build-debian-image.sh - build a sandbox image for sandboxd(8) from the
# Debian packages installed on this host, without any registry and
# without the network: the packages named in debian.packages and every
# package they depend on are copied file by file (dpkg -L) into a root
# file system, which is sent to `docker import'.
#
# usage: build-debian-image.sh [-fnq] [name]
#   -f    rebuild even if the image exists
#   -n    only print the image's name (do not build)
#   -q    no progress messages
#   name  also tag the image as name (e.g. topsh-sandbox:latest)
#
# The image is topsh-sandbox-debian:TAG, TAG derived from this script,
# debian.packages and the installed versions of the packages it names:
# it is built once per host and again only when one of them changes.
# The last line on standard output is the image's name.
#
# The image has a POSIX shell (dash, bash), coreutils, grep, sed, mawk,
# findutils, tar, gzip, procps, git, python3, ca-certificates,
# openssh-client and the rest of debian.packages; no apt, no dpkg
# database, no documentation, no setuid bits.  Every uid from 100 to
# 65533 is named `sandbox' in /etc/passwd, and any other uid the
# container runs as (sandboxd's per-user uids) is added at start by the
# image's entry point, topsh-sandbox-init, to /tmp/.extrausers, which
# libnss-extrausers reads: whoami and ssh-keygen work whatever the uid.
# /etc/gitconfig gives git an identity, so `git commit' works.
# /etc/ld.so.preload names a statx() shim (gvisor-statx.c) without which
# ls and stat fail under the gVisor of Debian 12; it needs a C compiler.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
pkgfile=${TOPSH_IMAGE_PACKAGES:-$here/debian.packages}
docker=${DOCKER:-docker}
repo=topsh-sandbox-debian
force=0
nameonly=0
quiet=0

usage() {
	echo "usage: build-debian-image.sh [-fnq] [name]" >&2
	exit 2
}

while getopts fnq o; do
	case $o in
	f) force=1 ;;
	n) nameonly=1 ;;
	q) quiet=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
alias_name=${1:-}

say() {
	[ "$quiet" -eq 1 ] || echo "build-debian-image.sh: $*" >&2
}

die() {
	echo "build-debian-image.sh: $*" >&2
	exit 1
}

[ -r "$pkgfile" ] || die "$pkgfile: cannot read the package list"
pkgs=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$pkgfile")
[ -n "$pkgs" ] || die "$pkgfile: no package named"
command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found: this builder needs a Debian host"

# every package named must be installed; its version goes into the tag
# shellcheck disable=SC2086
versions=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\n' \
    $pkgs 2>/dev/null | awk '$1 == "ii" { print $2, $3, $4 }') || true
missing=""
for p in $pkgs; do
	printf '%s\n' "$versions" | grep -q "^$p " || missing="$missing $p"
done
[ -z "$missing" ] || die "not installed on this host:$missing
(run \`make deps', or apt-get install$missing)"

shim="$here/gvisor-statx.c"
tag=$({ cat "$self" "$pkgfile" "$shim"; printf '%s\n' "$versions"; } |
    sha256sum | cut -c1-12)
image="$repo:$tag"

if [ "$nameonly" -eq 1 ]; then
	echo "$image"
	exit 0
fi

have() {
	$docker image inspect "$1" >/dev/null 2>&1
}

finish() {
	if [ -n "$alias_name" ] && [ "$alias_name" != "$image" ]; then
		$docker tag "$image" "$alias_name" ||
		    die "cannot tag $image as $alias_name"
		say "$image tagged $alias_name"
	fi
	echo "$image"
	exit 0
}

$docker version >/dev/null 2>&1 || die "the Docker engine does not answer"
if [ "$force" -eq 0 ] && have "$image"; then
	say "$image exists"
	finish
fi

# one build at a time on this host (parallel test suites share it)
lock=${TMPDIR:-/tmp}/topsh-sandbox-image.lock
exec 9>>"$lock"
flock 9 || die "$lock: cannot lock"
if [ "$force" -eq 0 ] && have "$image"; then
	say "$image exists"
	finish
fi

start=$(date +%s)
root=$(mktemp -d "${TMPDIR:-/tmp}/topsh-image.XXXXXX")
trap 'rm -rf "$root"' EXIT
trap 'exit 1' INT TERM HUP

# the packages and everything they need (Pre-Depends and Depends, the
# alternatives that are installed)
say "resolving the dependencies of$(printf ' %s' $pkgs)"
# shellcheck disable=SC2086
closure=$(apt-cache depends --recurse --installed --no-recommends \
    --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
    $pkgs 2>/dev/null | grep -v -e '^ ' -e '^<' | sort -u)
# shellcheck disable=SC2086
closure=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $closure \
    2>/dev/null | awk '$1 == "ii" { print $2 }' | sort -u)
say "$(printf '%s\n' "$closure" | wc -l) packages"

# merged /usr, as Debian 12 lays it out
chmod 0755 "$root"
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" \
    "$root/usr/lib64" "$root/etc" "$root/tmp" "$root/workspace" \
    "$root/home/sandbox" "$root/root" "$root/proc" "$root/sys" \
    "$root/dev" "$root/run" "$root/var/tmp"
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$root/$d"
done

# each package's files, from the host, without documentation; nothing
# under /etc/ssl/private, /root or /home is taken
# shellcheck disable=SC2086
dpkg-query -L $closure 2>/dev/null | grep '^/.' | sort -u |
    grep -v -E '^/(usr/share/(man|info|locale|lintian|bug)|etc/ssl/private|root|home)(/|$)' |
    grep -v -E '^/usr/share/doc/[^/]+/.' |
    grep -v -x -E '/(bin|sbin|lib|lib64)' |
    sed 's|^/||' >"$root.list"
tar -C / --no-recursion --ignore-failed-read -cf - -T "$root.list" \
    2>/dev/null | tar -C "$root" --keep-directory-symlink -xpf -
rm -f "$root.list"

# what maintainer scripts make on a real install: /bin/sh, the
# alternatives (awk, pager, which...), the CA certificate links, the
# dynamic linker's cache
ln -sf dash "$root/usr/bin/sh"
mkdir -p "$root/etc/alternatives"
for l in $(find /usr/bin /usr/sbin -maxdepth 1 -lname '/etc/alternatives/*'); do
	a=$(readlink "$l")
	t=$(readlink "$a") || continue
	[ -e "$root$t" ] || continue
	ln -sf "$t" "$root$a"
	[ -e "$root$l" ] || ln -s "$a" "$root$l"
done
if [ -d /etc/ssl/certs ]; then
	mkdir -p "$root/etc/ssl"
	tar -C /etc/ssl -cf - certs | tar -C "$root/etc/ssl" -xf -
fi
ldconfig -r "$root" 2>/dev/null || say "ldconfig -r failed (not fatal)"

# users: root, sandbox (1000), nobody, and every other uid from 100 to
# 65533 named sandbox too, so that whoami and git work whatever uid the
# commands run as (the root file system is read-only in a sandbox)
{
	echo "root:x:0:0:root:/root:/bin/bash"
	echo "sandbox:x:1000:1000:sandbox:/workspace:/bin/bash"
	echo "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"
	awk 'BEGIN { for (u = 100; u < 65534; u++) if (u != 1000)
	    printf "sandbox:x:%d:%d:sandbox:/workspace:/bin/bash\n", u, u }'
} >"$root/etc/passwd"
{
	echo "root:x:0:"
	echo "sandbox:x:1000:"
	echo "nogroup:x:65534:"
	awk 'BEGIN { for (g = 100; g < 65534; g++) if (g != 1000)
	    printf "sandbox:x:%d:\n", g }'
} >"$root/etc/group"
cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd:		files extrausers
group:		files extrausers
shadow:		files
hosts:		files dns
networks:	files
protocols:	files
services:	files
EOF
cat >"$root/etc/gitconfig" <<'EOF'
[user]
	name = sandbox
	email = sandbox@topsh.invalid
[init]
	defaultBranch = main
[safe]
	directory = *
EOF
echo topsh-sandbox >"$root/etc/hostname"
# the entry point: the container's own uid and gid get a name when
# /etc/passwd does not list them (the root file system is read-only;
# /tmp is the container's own tmpfs), then the command runs
rm -rf "$root/var/lib/extrausers"
ln -s /tmp/.extrausers "$root/var/lib/extrausers"
mkdir -p "$root/usr/local/sbin"
cat >"$root/usr/local/sbin/topsh-sandbox-init" <<'EOF'
#!/bin/sh
# topsh-sandbox-init - the sandbox image's entry point: names the
# container's uid and gid `sandbox' when /etc/passwd and /etc/group do
# not (libnss-extrausers reads /var/lib/extrausers -> /tmp/.extrausers),
# then runs the command.  Made by build-debian-image.sh.
u=$(id -u)
g=$(id -g)
d=/tmp/.extrausers
if mkdir -p "$d" 2>/dev/null; then
	grep -q "^[^:]*:[^:]*:$u:" /etc/passwd ||
	    echo "sandbox:x:$u:$g:sandbox:/workspace:/bin/bash" >"$d/passwd"
	grep -q "^[^:]*:[^:]*:$g:" /etc/group ||
	    echo "sandbox:x:$g:" >"$d/group"
fi
exec "$@"
EOF
chmod 0755 "$root/usr/local/sbin/topsh-sandbox-init"
# coreutils under the gVisor of Debian 12: statx without AT_NO_AUTOMOUNT
# (gvisor-statx.c), preloaded into every dynamically linked program
mkdir -p "$root/usr/local/lib/topsh"
${CC:-cc} -O2 -Wall -shared -fPIC -o "$root/usr/local/lib/topsh/libgvisor-statx.so" \
    "$shim" || die "cannot build $shim (is a C compiler installed?)"
echo /usr/local/lib/topsh/libgvisor-statx.so >"$root/etc/ld.so.preload"
chmod 0644 "$root/etc/ld.so.preload"
# no setuid or setgid program: nothing in a sandbox gains privileges
find "$root" -xdev -type f -perm /6000 -exec chmod ug-s {} +
chmod 1777 "$root/tmp" "$root/var/tmp"
chown 1000:1000 "$root/workspace" "$root/home/sandbox"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/gitconfig"

say "importing $(du -sh "$root" | cut -f1) into $image"
tar -C "$root" --numeric-owner -cf - . | $docker import \
    -c 'USER 1000:1000' \
    -c 'WORKDIR /workspace' \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/workspace LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1' \
    -c 'ENTRYPOINT ["/usr/local/sbin/topsh-sandbox-init"]' \
    -c 'CMD ["sleep", "infinity"]' \
    -c "LABEL topsh.builder=build-debian-image.sh topsh.tag=$tag" \
    - "$image" >/dev/null || die "docker import failed"
say "$image built in $(( $(date +%s) - start ))s"
finish

#!/bin/sh
# build-test-image.sh - build the local sandbox test image without any
# registry access: a root file system made of Debian's busybox-static,
# sent to `docker import'.  Used by the tests and CI.
#
# usage: build-test-image.sh [-f] [image]	(default topsh-sandbox-test:latest)
#   -f  rebuild even if the image exists
set -eu

force=0
if [ "${1:-}" = "-f" ]; then
	force=1
	shift
fi
image=${1:-topsh-sandbox-test:latest}
docker=${DOCKER:-docker}

if [ "$force" -eq 0 ] && $docker image inspect "$image" >/dev/null 2>&1; then
	echo "$image exists"
	exit 0
fi

busybox=
for b in /bin/busybox /usr/bin/busybox; do
	if [ -x "$b" ] && "$b" --list >/dev/null 2>&1; then
		busybox=$b
		break
	fi
done
if [ -z "$busybox" ]; then
	echo "build-test-image.sh: busybox-static is not installed" >&2
	exit 1
fi
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked' &&
    ldd "$busybox" >/dev/null 2>&1; then
	echo "build-test-image.sh: $busybox is not static" >&2
	exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT INT TERM

chmod 0755 "$root"
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/workspace" \
    "$root/proc" "$root/sys" "$root/dev" "$root/home/sandbox" "$root/root"
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] && continue
	ln -s busybox "$root/bin/$a"
done
mkdir -p "$root/usr"
ln -s ../bin "$root/usr/bin"
ln -s bin "$root/sbin"
chmod 1777 "$root/tmp"
chmod 0755 "$root/workspace"
chown 1000:1000 "$root/workspace" "$root/home/sandbox"
cat >"$root/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<GROUP
root:x:0:
sandbox:x:1000:
nogroup:x:65534:
GROUP

tar -C "$root" -cf - . | $docker import \
    -c 'USER 1000:1000' \
    -c 'WORKDIR /workspace' \
    -c 'ENV PATH=/bin HOME=/home/sandbox' \
    -c 'CMD ["sh"]' \
    - "$image" >/dev/null
echo "$image built"

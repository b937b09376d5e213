#!/bin/sh
# .ci/deps.sh - install what topsh needs to build and test on Debian 12
# (run as root; `make deps' calls it).  Only Debian's mirror and the npm
# registry are needed.
set -eu
export DEBIAN_FRONTEND=noninteractive

PKGS="build-essential pkg-config byacc libevent-dev libjansson-dev
libcurl4-openssl-dev libpcre2-dev libseccomp-dev libbsd-dev libvectorscan-dev mandoc
docker.io busybox-static clang libclang-rt-14-dev e2fsprogs util-linux
iproute2 procps ca-certificates curl runsc python3 dpkg-dev debhelper
fakeroot lintian"
# what etc/sandbox/build-debian-image.sh copies into the sandbox image
here=$(cd "$(dirname "$0")/.." && pwd)
PKGS="$PKGS $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' \
    "$here/etc/sandbox/debian.packages")"
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# JavaScript stand-ins for Telegram and the model (pinned in package.json)
for d in "$here"/regress/e2e "$here"/regress/proxy "$here"/regress; do
	if [ -f "$d/package.json" ]; then
		if [ -f "$d/package-lock.json" ]; then
			(cd "$d" && npm ci --no-audit --no-fund)
		else
			(cd "$d" && npm install --no-audit --no-fund)
		fi
	fi
done

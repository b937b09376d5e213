#!/bin/sh
# bench/proxyd/run.sh - proxyd end to end: many requests at once to the
# mock Telegram and model servers (regress/proxy/mock.js, needs node).
# Builds bench/proxyd/bench_proxyd.c against build/libcommon.a and runs
# it against build/bin/proxyd (run `make` first).  Results go to
# bench/results/proxyd.md by hand.
#   BUILD=build-san sh bench/proxyd/run.sh   (another build directory)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
B=${BUILD:-build}
PKG="libevent libevent_pthreads jansson libcurl libpcre2-8 libseccomp libbsd-overlay libhs"
for f in "$B/libcommon.a" "$B/bin/proxyd"; do
	if [ ! -f "$f" ]; then
		echo "bench/proxyd: $f missing, run make first" >&2
		exit 1
	fi
done
mkdir -p "$B/bench"
# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -O2 -g -D_GNU_SOURCE -Icommon -Iproxyd \
    $(pkg-config --cflags $PKG) -o "$B/bench/bench_proxyd" \
    bench/proxyd/bench_proxyd.c "$B/libcommon.a" \
    $(pkg-config --libs $PKG) -lm
echo "# $(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
TOPSH_BUILD="$SRC/$B" TOPSH_SRC="$SRC" "$B/bench/bench_proxyd"

#!/bin/sh
# bench/dlp/run.sh - DLP throughput on a 1 MiB model request.
# Builds bench/dlp/bench_dlp.c against build/libproxyd.a and
# build/libcommon.a (run `make` first) and prints MB/s, the median of
# 21 runs for each case.  Results go to bench/results/dlp.md by hand.
#   BUILD=build-san sh bench/dlp/run.sh   (another build directory)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
B=${BUILD:-build}
PKG="libevent libevent_pthreads jansson libcurl libpcre2-8 libseccomp libbsd-overlay libhs"
for l in "$B/libproxyd.a" "$B/libcommon.a"; do
	if [ ! -f "$l" ]; then
		echo "bench/dlp: $l missing, run make first" >&2
		exit 1
	fi
done
mkdir -p "$B/bench"
# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -O2 -g -D_GNU_SOURCE -Icommon -Iproxyd \
    $(pkg-config --cflags $PKG) -o "$B/bench/bench_dlp" \
    bench/dlp/bench_dlp.c \
    -Wl,--start-group "$B/libproxyd.a" "$B/libcommon.a" -Wl,--end-group \
    $(pkg-config --libs $PKG) -lm
echo "# $(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$B/bench/bench_dlp"

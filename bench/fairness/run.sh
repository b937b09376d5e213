#!/bin/sh
# bench/fairness/run.sh - how long another user waits while one user
# attacks sandboxd (issue 14, item 1: the target is 100 ms): user 601
# sends a grep with a catastrophically backtracking pattern (400 lines of
# 'a' x 28 + 'b' against ^(a|aa)+$) and 50 reads of a 4 MB file at once;
# 0.2 s later user 602's read_file of a small file and then a command
# are timed, end to end from a fresh client process (as gatewayd would
# send them; starting the client, as root through runuser, is part of
# each figure).  The same two requests are first timed without the load.
# Needs root and dockerd; builds nothing (run `make' first).
#
#   sh bench/fairness/run.sh [build-dir]     (ROUNDS=n, default 5)
TOPSH_SRC=$(cd "$(dirname "$0")/../.." && pwd)
TOPSH_BUILD=${1:-$TOPSH_SRC/build}
export TOPSH_SRC TOPSH_BUILD
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"
SBX_CONF='	disk-quota 0
	exec-timeout 120s'
sbx_setup >/dev/null
ROUNDS=${ROUNDS:-5}

now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
client() {
	runuser -u topsh-gateway -- "$TOOLS/sbxclient" "$T/run/sandboxd.sock" "$@"
}

gw exec '{"user":601,"command":"i=0; while [ $i -lt 400 ]; do echo aaaaaaaaaaaaaaaaaaaaaaaaaaaab; i=$((i+1)); done >redos.txt; head -c 4194304 /dev/zero | tr \"\\\\0\" x >big.txt"}'
gw exec '{"user":602,"command":"echo mine >small.txt"}'

set -- grep '{"user":601,"pattern":"^(a|aa)+$","glob":"redos.txt"}'
i=0
while [ $i -lt 50 ]; do
	set -- "$@" read '{"user":601,"path":"big.txt"}'
	i=$((i + 1))
done

r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	topsh_vouch 601 602 2>/dev/null
	t0=$(now); client read '{"user":602,"path":"small.txt"}' >/dev/null; t1=$(now)
	client exec '{"user":602,"command":"true"}' >/dev/null; t2=$(now)
	base="read $(ms "$t0" "$t1") ms, exec $(ms "$t1" "$t2") ms"
	l0=$(now)
	client "$@" >"$T/load.out" 2>&1 &
	load=$!
	sleep 0.2
	t0=$(now); client read '{"user":602,"path":"small.txt"}' >/dev/null; t1=$(now)
	client exec '{"user":602,"command":"true"}' >/dev/null; t2=$(now)
	wait $load
	l1=$(now)
	g=$(grep "^1 " "$T/load.out" | sed -n 's/.*"code":"\([a-z-]*\)".*/\1/p')
	echo "round $r: quiet: $base; under load: read $(ms "$t0" "$t1") ms, exec $(ms "$t1" "$t2") ms; the load took $(ms "$l0" "$l1") ms (grep: ${g:-matched})"
done

#!/bin/sh
# bench/sandboxd/run.sh - sandboxd against the real Docker engine:
# container creation, command round trips, file operations, and how
# commands of many users overlap.  Needs root and dockerd; builds nothing
# (run `make' first).  Prints a small table.
#
#   sh bench/sandboxd/run.sh [build-dir]
TOPSH_SRC=$(cd "$(dirname "$0")/../.." && pwd)
TOPSH_BUILD=${1:-$TOPSH_SRC/build}
export TOPSH_SRC TOPSH_BUILD
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"
SBX_CONF='	disk-quota 64M'
sbx_setup >/dev/null

now() { date +%s.%N; }
span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

t0=$(now)
gw exec '{"user":901,"command":"true"}'
t1=$(now)
echo "first command (creates and starts the container): $(span "$t0" "$t1") s"

n=50
t0=$(now)
i=0
while [ $i -lt $n ]; do
	gw exec '{"user":901,"command":"true"}'
	i=$((i + 1))
done
t1=$(now)
echo "sequential commands: $n in $(span "$t0" "$t1") s" \
    "($(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }') ms each, incl. client start)"

set --
i=0
while [ $i -lt $n ]; do
	set -- "$@" read '{"user":901,"path":"f.txt"}'
	i=$((i + 1))
done
gw write '{"user":901,"path":"f.txt","content":"hello"}'
t0=$(now)
gw "$@"
t1=$(now)
echo "file reads: $n pipelined in $(span "$t0" "$t1") s"

users=8
for u in $(seq 1 $users); do
	gw exec "{\"user\":$((910 + u)),\"command\":\"true\"}"
done
set --
for u in $(seq 1 $users); do
	set -- "$@" exec "{\"user\":$((910 + u)),\"command\":\"sleep 2\"}"
done
t0=$(now)
gw "$@"
t1=$(now)
echo "$users users each running sleep 2 at once: $(span "$t0" "$t1") s" \
    "(serialized would be $((users * 2)) s)"

#!/bin/sh
# bench/run.sh - run every bench/<component>/run.sh (after `make`) and
# gather bench/results/*.md into bench/RESULTS.md.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
# -r: only gather the results already written
if [ "${1:-}" != "-r" ]; then
	for b in bench/*/run.sh; do
		[ -f "$b" ] || continue
		echo "== $b"
		sh "$b"
	done
fi
{
	echo "# topsh benchmark results"
	echo
	echo "Produced by \`make bench\` (bench/run.sh), which runs every"
	echo "bench/<component>/run.sh; each section names its own command."
	for r in bench/results/*.md; do
		[ -f "$r" ] || continue
		echo
		cat "$r"
	done
} >bench/RESULTS.md
echo "wrote bench/RESULTS.md"

#!/bin/sh
# bench/e2e/run.sh - the whole system under load (issue 16): the four
# daemons of build/ against the end-to-end stand-ins (regress/e2e:
# telegram-test-api through tgserver.js, aimock answering at once with
# fixtures/bench.json), users driven through the Telegram stand-in by
# bench.js, times from the stand-in's journal.  Prints name=value lines
# and appends them, with the machine's load, to bench/results/e2e.md.
# Needs root, node and a Docker engine (started if none runs), as the
# end-to-end tests do.  Not part of `make check`.
#
#   sh bench/e2e/run.sh            # TOPSH_BUILD=build by default
#   BENCH_RECORD=0 ...             # print only, do not record
#   TOPSH_WARM_POOL="	warm-pool 0" ...  # without the warm pool
#   BENCH_GATEWAY="max-jobs 8" ...  # a line for gateway { }
#   BENCH_ONLY=ready ...           # start-up and idle memory only
#   BENCH_ONLY=sleepers BENCH_ROUNDS=5 ...  # 51 users made at once,
#                                  # then rounds of 50 sleep 5 and an echo
#   BENCH_ONLY=new BENCH_ROUNDS=5 ...  # rounds of new users, one at a
#                                  # time, each round on a full pool
#   BENCH_TRACE=1 ...              # what the stand-ins saw around the echo
set -u
TOPSH_SRC=$(cd "$(dirname "$0")/../.." && pwd)
: "${TOPSH_BUILD:=$TOPSH_SRC/build}"
export TOPSH_SRC TOPSH_BUILD
# sandboxd's default warm pool, as shipped (the tests turn it off)
TOPSH_WARM_POOL=${TOPSH_WARM_POOL-}
export TOPSH_WARM_POOL
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

[ -x "$BIN/gatewayd" ] || { echo "build first: make" >&2; exit 1; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
E2E_FIXTURES=$TOPSH_SRC/bench/e2e/fixtures E2E_NOSTART=1 e2e_setup bench "access open" ${BENCH_GATEWAY:+"$BENCH_GATEWAY"}
out=$T/bench.out
node "$TOPSH_SRC/bench/e2e/bench.js" >"$out" 2>"$T/bench.err"
rc=$?
cat "$T/bench.err" >&2
cat "$out"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$rc" -ne 0 ]; then
	FAILED=1
	exit 1
fi
if [ "${BENCH_RECORD:-1}" != 0 ]; then
	r=$TOPSH_SRC/bench/results/e2e.md
	{
		echo
		echo "### $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$TOPSH_SRC" \
		    describe --always --dirty 2>/dev/null), load $load0 -> $load1"
		echo
		sed 's/^/    /' "$out"
		grep '^# ' "$T/bench.err" | sed 's/^# /    # /'
	} >>"$r"
	sh "$TOPSH_SRC/bench/run.sh" -r >/dev/null
fi
exit 0

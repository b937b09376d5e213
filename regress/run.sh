#!/bin/sh
# regress/run.sh - run every topsh test and print "N passed, N failed".
#
# Unit tests: $TOPSH_BUILD/regress/* (built from regress/unit/*.c).
# Scripts:    regress/t/*.sh, run with TOPSH_BUILD and TOPSH_SRC set.
# Suites:     regress/redteam/redteam.sh, regress/faults/faults.sh.
# Every test prints TAP-like "ok ..." / "not ok ..." lines; a test that
# exits non-zero without a "not ok" line counts as one failure.
# TESTS="pattern" runs only the tests whose name contains pattern.
#
# Two lanes (TOPSH_TEST_LANES=2, the default; 1 runs everything in
# turn): the gVisor re-runs go on beside the other tests.  Suites that
# need the machine to themselves (load-sensitive limits and time bounds,
# fixed ports and networks: ALONE below) hold an exclusive lock while
# every other suite holds a shared one, so they never overlap anything.

SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${TOPSH_BUILD:=$SRC/build-san}"
export TOPSH_BUILD TOPSH_SRC="$SRC"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
LOGDIR=${TOPSH_LOGDIR:-$SRC/build-logs}
mkdir -p "$LOGDIR"

pass=0
fail=0
failed_tests=""
LANES=${TOPSH_TEST_LANES:-2}
LOCK=$LOGDIR/.lanes.lock
ALONE="sandbox_exec sandbox_fair sandbox_ports"

# flock -x for the suites in ALONE, -s for the others
lock_mode() {
	for a in $ALONE; do
		case "$1" in "t/$a"|"t/$a[runsc]") echo -x; return ;; esac
	done
	echo -s
}

run_one() {
	name=$1
	shift
	case "$name" in *"${TESTS:-}"*) ;; *) return ;; esac
	log="$LOGDIR/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	if [ "$LANES" -gt 1 ]; then
		flock "$(lock_mode "$name")" "$LOCK" "$@" >"$log" 2>&1
	else
		"$@" >"$log" 2>&1
	fi
	rc=$?
	end=$(date +%s)
	p=$(grep -c '^ok ' "$log" 2>/dev/null)
	f=$(grep -c '^not ok ' "$log" 2>/dev/null)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name ran no test" >>"$log"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		failed_tests="$failed_tests $name"
		echo "FAIL $name ($p passed, $f failed, $((end - start))s); log: $log"
		grep -e '^not ok' -e '^#' "$log" | head -40 | sed 's/^/    /'
	else
		echo "PASS $name ($p passed, $((end - start))s)"
	fi
}

for t in "$TOPSH_BUILD"/regress/*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done

# The sandbox and end-to-end suites once more with every container under
# gVisor (runsc): each hardening check, limit, time limit, output cap,
# file operation and port must hold under both runtimes.  lib.sh
# registers runsc with the engine when needed; without runsc installed
# these runs fail, they are not skipped.  TOPSH_RUNSC_SUITES="" leaves
# them out (for a quick local run, never in CI).
runsc_lane() {
	for t in "$SRC"/regress/t/*.sh; do
		n=$(basename "$t" .sh)
		for p in ${TOPSH_RUNSC_SUITES-sandbox_ gateway_e2e_}; do
			case "$n" in
			"$p"*)
				run_one "t/$n[runsc]" env TOPSH_RUNTIME=runsc \
				    sh "$t"
				break
				;;
			esac
		done
	done
}

# what both lanes share is made once, before they start: the test
# users, the engine, the images, gVisor's registration
lanes_prepare() {
	sh -c '. "$TOPSH_SRC/regress/t/lib.sh"
	    topsh_users
	    topsh_need_docker >/dev/null &&
	    TOPSH_RUNTIME=runsc topsh_need_runtime >/dev/null &&
	    topsh_need_debian_image >/dev/null' >"$LOGDIR/lanes.log" 2>&1 ||
	    echo "# preparing the lanes failed (see $LOGDIR/lanes.log); the" \
	    "suites will say why"
}

# is any gVisor re-run selected by TESTS?
runsc_selected() {
	for t in "$SRC"/regress/t/sandbox_*.sh "$SRC"/regress/t/gateway_e2e_*.sh; do
		case "t/$(basename "$t" .sh)[runsc]" in
		*"${TESTS:-}"*) return 0 ;;
		esac
	done
	return 1
}

lane_pid=""
rm -f "$LOGDIR/.lane2"
if [ "$LANES" -gt 1 ] && [ -n "${TOPSH_RUNSC_SUITES-x}" ] && runsc_selected
then
	lanes_prepare
	(
		pass=0 fail=0 failed_tests=""
		runsc_lane
		echo "$pass $fail$failed_tests" >"$LOGDIR/.lane2"
	) &
	lane_pid=$!
fi

for t in "$SRC"/regress/t/*.sh; do
	[ -f "$t" ] || continue
	[ "$(basename "$t")" = lib.sh ] && continue
	run_one "t/$(basename "$t" .sh)" sh "$t"
done

[ -z "$lane_pid" ] && runsc_lane

# the red team and fault suites (issue 14)
for t in "$SRC"/regress/redteam/redteam.sh "$SRC"/regress/faults/faults.sh; do
	[ -f "$t" ] || continue
	run_one "$(basename "$t" .sh)" sh "$t"
done

if [ -n "$lane_pid" ]; then
	wait "$lane_pid"
	if read -r p f rest <"$LOGDIR/.lane2"; then
		pass=$((pass + p))
		fail=$((fail + f))
		failed_tests="$failed_tests${rest:+ $rest}"
	else
		echo "not ok - the gVisor lane left no result"
		fail=$((fail + 1))
	fi
fi

if [ "$fail" -gt 0 ]; then
	echo "failed:$failed_tests"
fi
if [ "$pass" -eq 0 ]; then
	echo "no test passed: is the build in $TOPSH_BUILD?"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

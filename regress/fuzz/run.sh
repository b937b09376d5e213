#!/bin/sh
# regress/fuzz/run.sh - build every regress/fuzz/fuzz_*.c with clang's
# libFuzzer against the project libraries and run each for a bounded
# time (FUZZ_SECONDS, default 20).  `make fuzz' calls this.
#   FUZZ="imsg"   only the targets whose name contains imsg
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
B=build-fuzz
SECS=${FUZZ_SECONDS:-20}
FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer"

make -s B=$B CC=clang WERROR= OPT="-O1 -g" \
    SANFLAGS="-fsanitize=fuzzer-no-link $FLAGS" libs
LIBS=""
for l in libcommon libgatewayd libproxyd libpolicyd libsandboxd \
    libtopshctl; do
	[ -f "$B/$l.a" ] && LIBS="$LIBS $B/$l.a"
done
PKG="libevent libevent_pthreads jansson libcurl libpcre2-8 libseccomp libbsd-overlay libhs"
mkdir -p $B/fuzz
fail=0
for f in regress/fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
	case "$name" in *"${FUZZ:-}"*) ;; *) continue ;; esac
	# shellcheck disable=SC2046,SC2086
	clang -std=gnu11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer $FLAGS \
	    -Icommon -Iproxyd -Ipolicyd -Isandboxd -Igatewayd \
	    $(pkg-config --cflags $PKG) -o "$B/fuzz/$name" "$f" \
	    -Wl,--start-group $LIBS -Wl,--end-group \
	    $(pkg-config --libs $PKG) -lm
	corpus=$B/fuzz/corpus-$name
	mkdir -p "$corpus"
	if [ -d "regress/fuzz/corpus/$name" ]; then
		cp -n regress/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || :
	fi
	echo "fuzzing $name for ${SECS}s"
	if ! "$B/fuzz/$name" -max_total_time="$SECS" -rss_limit_mb=2048 \
	    -print_final_stats=1 "$corpus" >"$B/fuzz/$name.log" 2>&1; then
		echo "FAIL $name: see $B/fuzz/$name.log"
		tail -n 30 "$B/fuzz/$name.log"
		fail=1
	else
		grep -E "stat::number_of_executed_units|Done" \
		    "$B/fuzz/$name.log" | tail -n 2
	fi
done
exit $fail

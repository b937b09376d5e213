#!/bin/sh
# logging.sh - logs an operator can use (issue 12, item 6, common/log.c
# and common/daemon.c): with stderr on the journal (JOURNAL_STREAM names
# its device:inode) each line starts with its sd-daemon "<N>" priority so
# that `journalctl -p err' filters; on a terminal each line starts with
# a timestamp; a daemon started without -d waits for its child to be
# ready, so a fatal error while starting is printed on the starting
# command's stderr and its exit status is not 0.

: "${TOPSH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOPSH_SRC/regress/t/lib.sh"

topsh_setup

# a configuration that fails after detaching: runtime-dir is a file
: >"$T/notadir"
sed "s|^runtime-dir .*|runtime-dir \"$T/notadir\"|" "$T/topsh.conf" \
    >"$T/bad.conf"

# --- journal: <N> prefixes
: >"$T/journal.log"
js=$(stat -c '%d:%i' "$T/journal.log")
(
	export JOURNAL_STREAM=$js
	exec "$BIN/policyd" -d -f "$T/topsh.conf" 2>>"$T/journal.log"
) &
echo $! >"$T/policyd.pid"
topsh_wait_up policyd
ok $? "policyd is up with stderr on the journal"
grep -Eq '^<6>policyd\[[0-9]+\]: policyd .* started$' "$T/journal.log"
ok $? "an info line carries <6>"
topsh_stop policyd
grep -Eq '^<6>policyd\[[0-9]+\]: policyd exiting on signal' \
    "$T/journal.log"
ok $? "the exit line too"
JOURNAL_STREAM=$js "$BIN/policyd" -d -f "$T/bad.conf" 2>>"$T/journal.log"
rc=$?
[ "$rc" -eq 1 ]
ok $? "a fatal error exits 1 in the foreground (got $rc)"
grep -Eq "^<2>policyd\[[0-9]+\]: fatal: $T/notadir is not a directory$" \
    "$T/journal.log"
ok $? "a fatal line carries <2> (crit)"
# a stderr that is not the journal named gets no prefix
JOURNAL_STREAM=1:1 "$BIN/policyd" -d -f "$T/bad.conf" 2>"$T/plain.log"
grep -Eq "^policyd\[[0-9]+\]: fatal: $T/notadir" "$T/plain.log"
ok $? "no prefix when JOURNAL_STREAM names another file"

# --- a terminal: timestamps
script -qec "'$BIN/policyd' -d -f '$T/bad.conf'" /dev/null \
    >"$T/tty.log" 2>&1
grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} policyd\[[0-9]+\]: fatal: $T/notadir" \
    "$T/tty.log"
ok $? "on a terminal each line starts with a timestamp"

# --- detached: a fatal error while starting reaches stderr, status 1
"$BIN/policyd" -f "$T/bad.conf" >"$T/detach.out" 2>"$T/detach.err"
rc=$?
[ "$rc" -ne 0 ]
ok $? "detached, a fatal error while starting exits non-zero (got $rc)"
grep -q "fatal: $T/notadir is not a directory" "$T/detach.err"
ok $? "and its message reaches the starting command's stderr"

# detached and healthy: exit 0 once ready, the daemon runs on
"$BIN/policyd" -f "$T/topsh.conf" >"$T/detach.out" 2>"$T/detach2.err"
rc=$?
[ "$rc" -eq 0 ]
ok $? "detached and ready: exit 0 (got $rc)"
pid=$(sed -n 's/^policyd\[\([0-9]*\)\]: policyd .* started$/\1/p' \
    "$T/detach2.err" | head -n 1)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
ok $? "the start-up lines were copied and the daemon ($pid) runs"
[ -n "$pid" ] && echo "$pid" >"$T/policyd.pid"
topsh_is_up policyd
ok $? "topshctl sees it up"
topsh_stop policyd

done_testing

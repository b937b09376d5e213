#!/bin/sh
# sdnotify.sh - the daemons speak systemd's notification protocol
# (Type=notify): STATUS= naming what is missing, READY=1 once the
# sockets are bound, WATCHDOG=1 from the event loop, RELOADING=1 and
# READY=1 around a reload, STOPPING=1 on the way out.  A datagram socket
# stands in for systemd's.
. "$TOPSH_SRC/regress/t/lib.sh"
topsh_setup

python3 "$TOPSH_SRC/regress/tools/notifysock.py" "$T/notify.sock" \
    >"$T/notify.out" 2>&1 &
echo $! >"$T/notifysock.pid"
wait_for 30 test -S "$T/notify.sock"
ok $? "the stand-in notification socket listens"

# proxyd alone: it waits for policyd
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 topsh_start proxyd
wait_for 20 grep -q "READY=1" "$T/notify.out"
ok $? "proxyd sends READY=1 once its sockets are bound"
grep -q "STATUS=waiting for policyd" "$T/notify.out"
ok $? "STATUS= says it is waiting for policyd"
wait_for 5 grep -q "^WATCHDOG=1" "$T/notify.out"
ok $? "WATCHDOG=1 is sent from the event loop"
topsh_start policyd
wait_for 20 grep -q "^STATUS=running" "$T/notify.out"
ok $? "STATUS=running once policyd is there"
: >"$T/notify.out"
ctl reload proxyd >/dev/null 2>&1
wait_for 5 grep -q "^READY=1" "$T/notify.out"
tr '\n' ' ' <"$T/notify.out" | grep -q "RELOADING=1.*READY=1"
ok $? "RELOADING=1, then READY=1 around a reload"
printf 'proxy {\n\tnonsense 1\n}\n' >>"$T/topsh.conf"
ctl reload proxyd >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "a refused reload fails (ExecReload= fails with it)"
: >"$T/notify.out"
topsh_stop proxyd
grep -q "^STOPPING=1" "$T/notify.out"
ok $? "STOPPING=1 on SIGTERM"
kill "$(cat "$T/notifysock.pid")" 2>/dev/null
rm -f "$T/notifysock.pid"
done_testing

#!/bin/sh
# confine_paths.sh - Landlock is built from what each daemon can reach
# (issue 12): a directory on a daemon's list that its user cannot
# traverse is reported by name with the fix, not as a failure to
# confine; and a configuration replaced by rename (sed -i, editors)
# can still be reloaded by every daemon, proxyd included.
. "$TOPSH_SRC/regress/t/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - confine_paths.sh must run as root (the daemons drop to their users)"
	exit 1
fi
topsh_setup

# the audit log directory as tmpfiles.d used to make it: 0750 root:adm
chown root:adm "$T/log"
chmod 0750 "$T/log"
topsh_start policyd
topsh_wait_up policyd
ok $? "policyd starts with its audit log in a 0750 root:adm directory"
grep -q "cannot confine" "$T/policyd.log"
[ $? -ne 0 ]
ok $? "no \"cannot confine policyd\""
grep -q "topsh-policy cannot traverse $T/log: chmod o+x $T/log" \
    "$T/policyd.log"
ok $? "the log says topsh-policy cannot traverse $T/log, and the fix"

# SIGUSR1 while the directory is out of reach: the old file stays
kill -USR1 "$(topsh_pid policyd)"
wait_for 5 grep -q "not reopened, still writing to the old file" \
    "$T/policyd.log"
ok $? "SIGUSR1: an unreachable audit log is not reopened, and the log says why"
topsh_alive policyd
ok $? "policyd lives on"

# as logrotate does it (tmpfiles.d and logrotate.d/topsh): the log is
# owned by topsh-policy, rotated by rename, recreated, then SIGUSR1
topsh_stop policyd
chmod 0755 "$T/log"
topsh_start policyd
topsh_wait_up policyd
[ "$(stat -c %U "$T/log/audit.log")" = topsh-policy ]
ok $? "policyd's audit log belongs to topsh-policy"
mv "$T/log/audit.log" "$T/log/audit.log.1"
install -m 0640 -o topsh-policy -g adm /dev/null "$T/log/audit.log"
kill -USR1 "$(topsh_pid policyd)"
wait_for 5 grep -q "audit log $T/log/audit.log reopened" "$T/policyd.log"
ok $? "SIGUSR1 reopens the audit log after rotation"
topsh_alive policyd
ok $? "policyd lives on"

topsh_start proxyd
topsh_wait_up proxyd
ok $? "proxyd is up"

# replace the configuration by rename, as sed -i does
sed -i 's/^# written by regress.*/# edited in place by sed -i/' "$T/topsh.conf"
grep -q "edited in place" "$T/topsh.conf"
ok $? "sed -i replaced the configuration"
ctl reload proxyd >"$T/reload.out" 2>&1
ok $? "topshctl reload proxyd succeeds after sed -i"
grep -q "configuration reloaded" "$T/reload.out"
ok $? "proxyd reloaded the new file"
ctl reload policyd >"$T/reload.out" 2>&1
ok $? "topshctl reload policyd succeeds after sed -i"
topsh_stop proxyd

# a configuration directory that topsh-proxy cannot traverse
mkdir -m 0700 "$T/etc"
cp "$T/topsh.conf" "$T/etc/topsh.conf"
"$BIN/proxyd" -d -f "$T/etc/topsh.conf" >>"$T/proxyd2.log" 2>&1 &
echo $! >"$T/proxyd2.pid"
wait_for 20 grep -q "started" "$T/proxyd2.log"
ok $? "proxyd starts with its configuration in a 0700 directory"
sleep 0.5
topsh_alive proxyd2
ok $? "and keeps running"
grep -q "topsh-proxy cannot traverse $T/etc: chmod o+x $T/etc" \
    "$T/proxyd2.log"
ok $? "the log says topsh-proxy cannot traverse $T/etc, and the fix"

done_testing

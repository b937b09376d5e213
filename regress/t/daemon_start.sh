#!/bin/sh
# daemon_start.sh - what a daemon inherits is gone once it runs
# (common/startenv.c): a descriptor left open by whoever started it is
# closed, a variable of its environment (a canary token, an http_proxy
# for libcurl) is neither in its environment nor in
# /proc/PID/environ, while what systemd hands over (CREDENTIALS_DIRECTORY)
# stays; and the configuration checks of issue 14 (workspace-root "/",
# a duplicated section) fail -n.

: "${TOPSH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOPSH_SRC/regress/t/lib.sh"

topsh_setup
CANARY=startenv-canary-7f3a91c2
echo "an inherited file" >"$T/inherited.txt"

# fd 7 open on a file, a canary and a proxy in the environment
(
	exec 7<"$T/inherited.txt"
	export TOPSH_CANARY_OK=kept HTTPS_PROXY=http://127.0.0.1:9 \
	    STARTENV_CANARY=$CANARY CREDENTIALS_DIRECTORY=/nonexistent
	topsh_start policyd
)
topsh_wait_up policyd
ok $? "policyd is up"
pid=$(topsh_pid policyd)

ls -l /proc/"$pid"/fd >"$T/fds" 2>&1
! grep -q inherited.txt "$T/fds"
ok $? "the inherited descriptor is closed"
[ -e /proc/"$pid"/fd/0 ] && [ -e /proc/"$pid"/fd/1 ] &&
    [ -e /proc/"$pid"/fd/2 ]
ok $? "descriptors 0-2 are open"
tr '\0' '\n' </proc/"$pid"/environ >"$T/environ"
! grep -q "$CANARY" "$T/environ"
ok $? "the canary is not in /proc/PID/environ"
! grep -q "HTTPS_PROXY" "$T/environ"
ok $? "nor the proxy variable"
grep -q "^STARTENV_CANARY=" "$T/environ"
[ $? -ne 0 ]
ok $? "the environment block no longer names the variable"
topsh_stop policyd

# the same through policyd -t, which prints nothing of its environment,
# is not enough: ask a daemon that execs (proxyd re-executes itself as
# the egress child) whether the child sees the canary
port=$(awk 'BEGIN { srand(); print 30000 + int(rand() * 20000) }')
cat >>"$T/topsh.conf" <<EOC
proxy {
	egress yes
	egress-listen 127.0.0.1
	egress-port $port
}
EOC
(
	export STARTENV_CANARY=$CANARY
	topsh_start proxyd
)
wait_for 20 grep -q "egress worker started" "$T/proxyd.log"
ok $? "proxyd started its egress child"
child=$(sed -n 's/.*egress proxy started (pid \([0-9]*\)).*/\1/p' \
    "$T/proxyd.log" | tail -n 1)
[ -n "$child" ] && ! tr '\0' '\n' </proc/"$child"/environ |
    grep -q "$CANARY"
ok $? "the egress child has no canary either"
topsh_stop proxyd

# -n refuses workspace-root "/" and a setting repeated in a second block
cp "$T/topsh.conf" "$T/root.conf"
printf 'sandbox {\n\tworkspace-root "/"\n}\n' >>"$T/root.conf"
sed -i '/^[[:space:]]*workspace-root "\/.*workspaces"/d' "$T/root.conf"
"$BIN/sandboxd" -n -f "$T/root.conf" >"$T/root.out" 2>&1
[ $? -ne 0 ] && grep -q "root directory" "$T/root.out"
ok $? "sandboxd -n refuses workspace-root \"/\""
cp "$T/topsh.conf" "$T/dup.conf"
printf 'sandbox {\n\timage "other:latest"\n}\n' >>"$T/dup.conf"
"$BIN/sandboxd" -n -f "$T/dup.conf" >"$T/dup.out" 2>&1
[ $? -ne 0 ] && grep -q "image set twice" "$T/dup.out"
ok $? "sandboxd -n refuses a setting given again in a second sandbox block"
"$BIN/sandboxd" -n -f "$T/topsh.conf" >/dev/null 2>&1
ok $? "the test configuration itself passes -n"

[ "$FAILED" -eq 0 ]

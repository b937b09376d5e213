#!/bin/sh
# policy_daemon.sh - policyd running: it starts confined with the
# shipped rules, answers topshctl policy test, refuses a reload with a
# broken rule file (keeping the old rules) and takes a good one.

: "${TOPSH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOPSH_SRC/regress/t/lib.sh"

topsh_setup
# a copy of the shipped rules that the test may break and mend
mkdir -p "$T/policy"
cp "$TOPSH_SRC"/etc/policy/*.rules "$T/policy/"
chmod -R a+rX "$T/policy"
sed -i '/^policy {/,/^}/d' "$T/topsh.conf"
printf 'policy {\n\taudit-log "%s/log/audit.log"\n\trules "%s/policy/default.rules"\n}\n' \
    "$T" "$T" >>"$T/topsh.conf"

"$BIN/policyd" -n -f "$T/topsh.conf" >/dev/null 2>&1
ok $? "the test configuration validates"
topsh_start policyd
topsh_wait_up policyd
ok $? "policyd is up"

out=$(ctl policy test -- 'cat /proc/1/environ' 2>&1)
echo "$out" | grep -q 'procfs-environ'
ok $? "policy test names the rule: $(echo "$out" | head -1)"
out=$(ctl policy test -- 'ls -la' 2>&1)
echo "$out" | grep -q 'allow'
ok $? "policy test allows ls"

echo 'block broken category c pattern (( message m' >>"$T/policy/default.rules"
echo 'block also-broken category c message m' >>"$T/policy/default.rules"
out=$(ctl reload policyd 2>&1)
rc=$?
[ "$rc" -ne 0 ] || echo "$out" | grep -qi 'error\|refused\|fail'
ok $? "a reload with a broken rule file is refused"
echo "$out" | grep -q 'default.rules:[0-9]*: rule broken' &&
    echo "$out" | grep -q 'default.rules:[0-9]*: rule also-broken'
ok $? "every error is listed"
topsh_alive policyd
ok $? "policyd still runs"
ctl policy test -- 'cat /proc/1/environ' 2>&1 | grep -q 'procfs-environ'
ok $? "the old rules stay in force"

sed -i '/broken/d' "$T/policy/default.rules"
echo 'block zzz-test category c pattern zzz-marker message m' \
    >>"$T/policy/default.rules"
ctl reload policyd >/dev/null 2>&1
ok $? "a good rule file reloads"
ctl policy test -- 'echo zzz-marker' 2>&1 | grep -q 'zzz-test'
ok $? "the new rule applies after reload"
ctl status policyd 2>&1 | grep -q 'policyd'
ok $? "status answers"
topsh_alive policyd && ! grep -q 'cannot confine' "$T/policyd.log"
ok $? "policyd confined itself and still runs"

done_testing

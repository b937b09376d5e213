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

# decide CMD DECISION RULE: topshctl policy test gives that decision by
# that rule ("null": no rule); the decision, not only the rule name
decide() {
	out=$(ctl -j policy test -- "$1" 2>&1)
	echo "$out" | grep -q "\"decision\":\"$2\"" &&
	    if [ "$3" = null ]; then
		echo "$out" | grep -q '"rule":null'
	    else
		echo "$out" | grep -q "\"rule\":\"$3\""
	    fi
	rc=$?
	[ $rc -eq 0 ] || echo "#   $out"
	return $rc
}
decide 'cat /proc/1/environ' deny procfs-environ
ok $? "policy test: cat /proc/1/environ is denied by procfs-environ"
decide 'ls -la' allow null
ok $? "policy test: ls -la is allowed, by no rule"
decide 'chmod 777 x' approve approve-chmod-777
ok $? "policy test: chmod 777 is held for approval"
ctl -j policy test -- 'crontab -r' 2>&1 | grep -q '"decision":"approve".*"timeout":120\|"timeout":120.*"decision":"approve"'
ok $? "a rule's own approval timeout (crontab -r: 2m) is the one answered"
ctl -j policy test -- 'chmod 777 x' 2>&1 | grep -q '"timeout":300'
ok $? "a rule without one gets approve-timeout (5m)"

# real checks as sandboxd and proxyd would ask them (IMSG_POLICY_CHECK_FILE
# 201, _NET 202): decisions of file and network rules, audited
ask() {
	as_proc "$1" "$TOOLS/peersend" "$T/run/policyd.sock" "$1" "$2" "$3" \
	    2>&1
}
out=$(ask sandboxd 201 '{"user":5,"op":"read","path":"/proc/1/environ"}')
echo "$out" | grep -q '"decision":"deny".*"rule":"file-proc-environ"'
ok $? "file rule: reading /proc/1/environ is denied"
out=$(ask sandboxd 201 '{"user":5,"op":"read","path":"/workspace/.ssh/id_rsa"}')
echo "$out" | grep -q '"decision":"approve".*"rule":"file-ssh-dir"'
ok $? "file rule: reading .ssh/id_rsa needs approval"
out=$(ask sandboxd 201 '{"user":5,"op":"read","path":"/workspace/notes.txt"}')
echo "$out" | grep -q '"decision":"allow"'
ok $? "file rule: an ordinary file is allowed"
out=$(ask proxyd 202 '{"user":5,"host":"169.254.169.254","addr":"169.254.169.254","port":80}')
echo "$out" | grep -q '"decision":"deny"'
ok $? "network rule: the metadata address is denied"
grep -q '"input":"/proc/1/environ"' "$T/log/audit.log" &&
    grep -q '"decision":"deny"' "$T/log/audit.log"
ok $? "the denials are in the audit log, with their decision"

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
decide 'cat /proc/1/environ' deny procfs-environ
ok $? "the old rules stay in force"

sed -i '/broken/d' "$T/policy/default.rules"
echo 'block zzz-test category c pattern zzz-marker message m' \
    >>"$T/policy/default.rules"
ctl reload policyd >/dev/null 2>&1
ok $? "a good rule file reloads"
decide 'echo zzz-marker' deny zzz-test
ok $? "the new rule applies after reload"
out=$(ctl status policyd 2>&1)
echo "$out" | grep -q '^policyd *up' && ! echo "$out" | grep -q 'down'
ok $? "status answers: policyd up"
ctl -j status policyd 2>&1 | grep -q '"policy":{.*"regex":[1-9][0-9]*'
ok $? "status counts the loaded rules"
# after the reload one check ran (echo zzz-marker): the patterns it ran
# have machine code, the others none yet
js=$(ctl -j status policyd 2>&1)
n=$(echo "$js" | sed -n 's/.*"jit_compiled":\([0-9]*\).*/\1/p')
r=$(echo "$js" | sed -n 's/.*"regex":\([0-9]*\).*/\1/p')
echo "$js" | grep -q '"jit":true' && [ -n "$n" ] && [ "$n" -gt 0 ] &&
    [ "$n" -lt "$r" ]
ok $? "patterns are JIT-compiled as checks run them ($n of $r rules)"
topsh_alive policyd && ! grep -q 'cannot confine' "$T/policyd.log"
ok $? "policyd confined itself and still runs"

done_testing

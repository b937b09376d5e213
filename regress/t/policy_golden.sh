#!/bin/sh
# policy_golden.sh - policyd's offline modes: the shipped rules validate
# to a known summary, a broken rule file gives every error as
# file:line: message, topsh.conf naming the rules works the same, -D
# macros reach rule files, and the example of topsh-policy(5) holds.

: "${TOPSH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOPSH_BUILD:=$TOPSH_SRC/build-san}"
P=$TOPSH_BUILD/bin/policyd
G=regress/policy
n=0
failed=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$TOPSH_SRC" || exit 1

tap() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$n" "$2"
	else
		printf 'not ok %d - %s\n' "$n" "$2"
		failed=$((failed + 1))
	fi
}

"$P" -n -f etc/policy/default.rules >"$T/out" 2>&1
tap $? "the shipped rules validate"
grep -qx 'configuration OK' "$T/out"
tap $? "-n says configuration OK"

"$P" -nv -f etc/policy/default.rules >"$T/nv" 2>&1
diff -u "$G/default.nv.ok" "$T/nv"
tap $? "-nv summary of the shipped rules matches $G/default.nv.ok"

"$P" -n -f "$G/bad.rules" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
[ "$rc" -eq 1 ]
tap $? "a broken rule file exits 1 (got $rc)"
diff -u "$G/bad.rules.ok" "$T/bad.err"
tap $? "every error, as file:line: message, matches $G/bad.rules.ok"
[ ! -s "$T/bad.out" ]
tap $? "nothing on stdout for a broken file"

printf 'policy {\n\trules "%s/etc/policy/default.rules"\n\taudit-log "%s/audit.log"\n}\n' \
    "$TOPSH_SRC" "$T" >"$T/topsh.conf"
"$P" -n -f "$T/topsh.conf" >"$T/conf.out" 2>&1
tap $? "topsh.conf naming the shipped rules validates"
echo 'cat /proc/1/environ' | "$P" -t -f "$T/topsh.conf" >"$T/conf.t"
grep -q '"decision":"deny","rule":"procfs-environ"' "$T/conf.t"
tap $? "-t through topsh.conf uses its rules"
printf 'policy {\n\trules "%s/%s/bad.rules"\n}\n' "$TOPSH_SRC" "$G" \
    >"$T/bad.conf"
"$P" -n -f "$T/bad.conf" >"$T/badconf.out" 2>&1
[ $? -ne 0 ] && grep -q 'bad.rules:13: unknown statement' "$T/badconf.out" &&
    [ "$(grep -c 'bad.rules:[0-9]*:' "$T/badconf.out")" -eq 11 ]
tap $? "topsh.conf naming a broken rule file lists all 11 errors"
"$P" -t -f "$T/bad.conf" </dev/null >/dev/null 2>&1
[ $? -ne 0 ]
tap $? "-t refuses to run with broken rules"

printf 'pat = "zzz"\nblock m1 category c pattern $pat message m\n' \
    >"$T/macro.rules"
echo 'echo zzz' | "$P" -t -f "$T/macro.rules" | grep -q '"rule":"m1"'
tap $? "a macro in a rule file"
echo 'echo yyy' | "$P" -t -D pat=yyy -f "$T/macro.rules" |
    grep -q '"rule":"m1"'
tap $? "-D overrides a rule file macro"

printf 'ls\n\necho "\nrm -rf /\n' | "$P" -t -f etc/policy/default.rules \
    >"$T/t.out"
[ "$(wc -l <"$T/t.out")" -eq 4 ]
tap $? "-t prints one line per input line"
jq -e . "$T/t.out" >/dev/null
tap $? "each line is valid JSON"
sed -n 3p "$T/t.out" | grep -q '"decision":"deny","rule":"shell-parse"'
tap $? "an unparseable line is denied with shell-parse"
sed -n 4p "$T/t.out" |
    grep -q '"decision":"approve","rule":"approve-rm-rf-broad".*"timeout":300'
tap $? "approve carries its timeout"

# the example rule file of topsh-policy(5)
sed -n '/^A small rule file:/,/^\.Ed/p' man/topsh-policy.5 |
    sed '1,2d;$d' | sed 's/\\e/\\/g' >"$T/example.rules"
"$P" -n -f "$T/example.rules" >/dev/null 2>&1
tap $? "the example in topsh-policy(5) validates"
printf 'git push --force origin main\ncat app/.env\n' |
    "$P" -t -f "$T/example.rules" >"$T/ex.out"
sed -n 1p "$T/ex.out" | grep -q '"decision":"approve","rule":"force-push".*"timeout":600'
tap $? "example: the force push is held for 10 minutes"
sed -n 2p "$T/ex.out" | grep -q '"decision":"deny","rule":"env-file"'
tap $? "example: reading app/.env is denied"

[ "$failed" -eq 0 ]

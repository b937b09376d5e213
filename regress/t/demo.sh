#!/bin/sh
# demo.sh - `make demo' stays true: the scripted demo (demo/demo.sh)
# runs against this build, plays its conversation, passes its own checks
# of each step, prints it as Telegram shows it, and leaves nothing
# behind: no scratch directory, no container, no daemon, no stand-in.
# Then a model that only claims to have done the work (fixtures
# demo-liar): the demo's checks of each step must fail it.
. "$TOPSH_SRC/regress/t/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - the demo runs as root (it starts the daemons as installed)"
	exit 1
fi
topsh_need_docker >/dev/null 2>&1 || { echo "not ok 1 - no docker engine"; exit 1; }

OUT=$(TOPSH_BUILD=$TOPSH_BUILD sh "$TOPSH_SRC/demo/demo.sh" 2>&1)
rc=$?
[ $rc -eq 0 ]
ok $? "the scripted demo exits 0 (status $rc)"
[ $rc -eq 0 ] || printf '%s\n' "$OUT" | tail -n 60 | sed 's/^/#   /'

has() {
	printf '%s\n' "$OUT" | grep -Eq -- "$1"
	ok $? "$2"
}
has 'demo: the conversation happened as scripted \([0-9]+ checks passed\)' \
    "every step's checks passed"
has 'runs as topsh-gateway' "gatewayd ran as its own user"
has 'runs as topsh-sandbox' "sandboxd ran as its own user"
has 'runs as topsh-proxy, seccomp filter, no new privileges' \
    "proxyd confined itself"
has '^Alice: Hi! Could you write a small Python script' "Alice's first message is shown"
has '^topsh: 📎 counts.txt' "the file sent back is shown"
has '│ words: 19' "with what python3 printed in the sandbox"
has '\[1: ✅ Approve\]  \[2: ❌ Deny\]' "the approval buttons are shown"
has '^Alice pressed \[✅ Approve\]' "and Alice's press"
has 'Rule: approve-chmod-777' "the question names the rule"
has 'refused that command as a crypto currency miner' "the refusal gives its reason"
has 'deny by rule mining-miners' "and the audit log has it"
has '👍  topsh reacted' "reactions are shown"

d=$(printf '%s\n' "$OUT" | sed -n 's/^demo: scratch directory //p')
[ -n "$d" ] && [ ! -e "$d" ]
ok $? "the scratch directory is gone (${d:-none})"
n=$(docker ps -aq --filter "label=topsh.root=$d/workspaces" | wc -l)
[ "$n" -eq 0 ]
ok $? "no container of the demo is left ($n)"
pids=$(printf '%s\n' "$OUT" | sed -n 's/.*(pid \([0-9][0-9]*\)).*/\1/p')
left=""
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left="$left $p"
done
[ "$(echo $pids | wc -w)" -ge 6 ] && [ -z "$left" ]
ok $? "no daemon or stand-in of the demo is left (pids: $(echo $pids))"
mount | grep -qF "$d/"
[ $? -ne 0 ]
ok $? "no workspace mount is left"

# --- the checks can fail: a model that only says it did the work
OUT=$(TOPSH_BUILD=$TOPSH_BUILD DEMO_WAIT=10 \
    TOPSH_DEMO_FIXTURES=$TOPSH_SRC/regress/e2e/fixtures/demo-liar \
    sh "$TOPSH_SRC/demo/demo.sh" 2>&1)
rc=$?
[ $rc -ne 0 ]
ok $? "a model that only claims success fails the demo (status $rc)"
has 'FAILED: step 1: counts.txt was not sent' "no file: step 1 fails"
has 'FAILED: step 1: python3 did not run it' "nothing ran: step 1 fails"
has 'FAILED: step 2: no approval was asked' "no approval: step 2 fails"
has 'FAILED: step 3: the policy did not refuse it' "no refusal: step 3 fails"
hasnt_ok() {
	printf '%s\n' "$OUT" | grep -Eq -- "$1"
	[ $? -ne 0 ]
	ok $? "$2"
}
hasnt_ok 'happened as scripted' "and the demo does not say it went as scripted"
d=$(printf '%s\n' "$OUT" | sed -n 's/^demo: scratch directory //p')
[ -n "$d" ] && [ ! -e "$d" ]
ok $? "a failed demo cleans up too"

done_testing
